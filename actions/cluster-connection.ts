import { checkApiServer } from '../src/kubernetes/api-server.ts';
import { connectCluster, type Cluster } from '../src/kubernetes/cluster.ts';
import {
  chooseKubeconfigSource,
  contextNamespace,
  credentialSecrets,
  loadKubeConfig,
} from '../src/kubernetes/credentials.ts';
import { setSecret } from './runner-io.ts';

/**
 * The cluster of the `kubeconfig` input (else KUBECONFIG, else in-cluster), for every action
 * that needs one, checked to be a Kubernetes API server that accepts the credentials. Every
 * secret is masked before anything could print it: a base64 input as a whole first (a bad
 * one is refused without being echoed), then each token, key and password inside, in every
 * form a log could show. `namespace` is the input, or else the kubeconfig context's.
 */
export async function connectFromInput(
  kubeconfig: string,
  namespaceInput: string,
): Promise<{ cluster: Cluster; namespace: string }> {
  const trimmed = kubeconfig.trim();
  if (trimmed !== '' && !trimmed.includes(':')) setSecret(trimmed);
  const source = chooseKubeconfigSource(kubeconfig, process.env);
  for (const secret of await credentialSecrets(source)) setSecret(secret);
  const kubeConfig = await loadKubeConfig(source);
  await checkApiServer(kubeConfig);
  return {
    cluster: await connectCluster(kubeConfig),
    namespace: namespaceInput.trim() || contextNamespace(kubeConfig),
  };
}
