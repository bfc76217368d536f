import { connectCluster, type Cluster } from '../src/kubernetes/cluster.ts';
import { chooseKubeconfigSource, kubeconfigSecrets, loadKubeConfig } from '../src/kubernetes/credentials.ts';
import { setSecret } from './runner-io.ts';

/**
 * The cluster of the `kubeconfig` input (else KUBECONFIG, else in-cluster), for every action
 * that needs one: its tokens and keys are masked first — and a base64 input as a whole.
 */
export async function connectFromInput(kubeconfig: string): Promise<Cluster> {
  for (const secret of kubeconfigSecrets(kubeconfig)) setSecret(secret);
  if (kubeconfig !== '' && !kubeconfig.trim().includes('\n')) setSecret(kubeconfig);
  return connectCluster(await loadKubeConfig(chooseKubeconfigSource(kubeconfig, process.env)));
}
