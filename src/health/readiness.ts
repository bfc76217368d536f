import type { Cluster } from '../kubernetes/cluster.ts';
import { describePodFailure } from '../kubernetes/pod-failures.ts';
import { waitForRollout } from '../kubernetes/rollout-watch.ts';

/** Whether one Deployment is rolled out and available, as `kubectl rollout status` judges it. */
export interface ReadinessReport {
  readonly deployment: string;
  readonly ready: boolean;
  readonly message: string;
  readonly durationMs: number;
}

/**
 * Kubernetes readiness for the health check: each Deployment must complete its rollout
 * (kubectl's semantics, watch-driven) before the deadline; crash-looping or unpullable pods
 * make it unready at once.
 */
export async function checkReadiness(
  cluster: Cluster,
  namespace: string,
  deployments: readonly string[],
  deadlineMs: number,
  now: () => number,
  log: (line: string) => void,
): Promise<ReadinessReport[]> {
  // Every Deployment must exist before any wait starts: a typo fails at once, not at the deadline.
  for (const deployment of deployments) await cluster.readDeployment(namespace, deployment);
  return Promise.all(
    deployments.map(async (deployment) => {
      const result = await waitForRollout({
        kubeConfig: cluster.kubeConfig,
        namespace,
        name: deployment,
        timeoutMs: deadlineMs,
        restartThreshold: 3,
        now,
        onProgress: log,
      });
      const message =
        result.outcome === 'complete'
          ? result.message
          : result.reason === 'pods'
            ? result.podFailures.slice(0, 3).map(describePodFailure).join('; ')
            : result.message;
      return { deployment, ready: result.outcome === 'complete', message, durationMs: result.durationMs };
    }),
  );
}
