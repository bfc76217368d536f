import type { V1Deployment } from '@kubernetes/client-node';

/** Where a rollout stands, as `kubectl rollout status` would say it. */
export type RolloutState =
  | { readonly phase: 'waiting'; readonly message: string }
  | { readonly phase: 'complete'; readonly message: string }
  | { readonly phase: 'failed'; readonly message: string };

/** The reason the Deployment controller sets when progressDeadlineSeconds passes without progress. */
export const PROGRESS_DEADLINE_EXCEEDED = 'ProgressDeadlineExceeded';

/**
 * kubectl's DeploymentStatusViewer (`pkg/polymorphichelpers/rollout_status.go`), condition for
 * condition: wait until the controller has observed the current generation; then a
 * `Progressing` condition with reason `ProgressDeadlineExceeded` fails; fewer updated replicas
 * than desired, old replicas still present, or fewer available than updated replicas wait;
 * otherwise the rollout is complete. Missing counts are 0.
 */
export function rolloutStatus(deployment: V1Deployment): RolloutState {
  const name = deployment.metadata?.name ?? '';
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status;
  if (generation > (status?.observedGeneration ?? 0)) {
    return { phase: 'waiting', message: 'Waiting for deployment spec update to be observed...' };
  }
  const progressing = status?.conditions?.find((condition) => condition.type === 'Progressing');
  if (progressing?.reason === PROGRESS_DEADLINE_EXCEEDED) {
    return { phase: 'failed', message: `deployment "${name}" exceeded its progress deadline` };
  }
  const desired = deployment.spec?.replicas;
  const updated = status?.updatedReplicas ?? 0;
  const replicas = status?.replicas ?? 0;
  const available = status?.availableReplicas ?? 0;
  if (desired !== undefined && updated < desired) {
    return {
      phase: 'waiting',
      message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...`,
    };
  }
  if (replicas > updated) {
    return {
      phase: 'waiting',
      message: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`,
    };
  }
  if (available < updated) {
    return {
      phase: 'waiting',
      message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
    };
  }
  return { phase: 'complete', message: `deployment "${name}" successfully rolled out` };
}
