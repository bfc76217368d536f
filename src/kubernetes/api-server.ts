import type { KubeConfig } from '@kubernetes/client-node';
import { describeKubernetesError, notKubernetes } from './cluster.ts';

/**
 * Asks the kubeconfig's server for its version (`GET /version`, what `kubectl version` reads)
 * before a run changes anything, so a wrong address, a login proxy, plain HTTP or refused
 * credentials are reported as such at once — not later as a missing container or an odd parse
 * error. client-node hands an HTML page answered with 200 back as if it were the object, so
 * the answer's shape is checked too: Kubernetes always reports `gitVersion`.
 */
export async function checkApiServer(kubeConfig: KubeConfig): Promise<void> {
  const { VersionApi } = await import('@kubernetes/client-node');
  const server = kubeConfig.getCurrentCluster()?.server;
  let answer: unknown;
  try {
    answer = await kubeConfig.makeApiClient(VersionApi).getCode();
  } catch (error) {
    throw describeKubernetesError(error, 'reading the server version (GET /version)', server);
  }
  const gitVersion = (answer as { gitVersion?: unknown } | null)?.gitVersion;
  if (typeof gitVersion !== 'string' || gitVersion === '')
    throw notKubernetes(server, 'GET /version did not answer with Kubernetes version information');
}
