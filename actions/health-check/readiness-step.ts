import { checkReadiness, type ReadinessReport } from '../../src/health/readiness.ts';
import { connectFromInput } from '../cluster-connection.ts';
import * as core from '../runner-io.ts';

/**
 * Kubernetes readiness of the named Deployments; imported only when `deployment` is set. An
 * empty `namespace` is the kubeconfig context's, as in kubectl.
 */
export async function readinessStep(
  deployments: readonly string[],
  namespaceInput: string,
  kubeconfig: string,
  deadlineMs: number,
): Promise<ReadinessReport[]> {
  const { cluster, namespace } = await connectFromInput(kubeconfig, namespaceInput);
  core.info(
    `Waiting for ${deployments.length} Deployment(s) in ${namespace} to be rolled out and available.`,
  );
  return checkReadiness(cluster, namespace, deployments, deadlineMs, () => performance.now(), core.info);
}
