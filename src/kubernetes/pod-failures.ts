import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

/** Waiting reasons that do not resolve by waiting: the rollout has failed, whatever the deadline says. */
export const FATAL_WAITING_REASONS: ReadonlySet<string> = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'InvalidImageName',
  'CreateContainerError',
]);

/** Restarts at or beyond which a container that is not ready counts as failing, even between back-offs. */
export const DEFAULT_RESTART_THRESHOLD = 3;

/** Why one container of a new pod makes the rollout fail now. */
export interface PodFailure {
  readonly pod: string;
  readonly container: string;
  readonly reason: string;
  readonly message: string;
  readonly restarts: number;
}

/**
 * Finds the new pods that will not become ready by waiting: a container (init containers too)
 * waiting in a fatal reason, or restarted `restartThreshold` times or more. This is what lets a
 * rollout fail in seconds instead of at the 600 s progress deadline.
 */
export function findPodFailures(
  pods: readonly V1Pod[],
  restartThreshold = DEFAULT_RESTART_THRESHOLD,
): PodFailure[] {
  const failures: PodFailure[] = [];
  for (const pod of pods) {
    const statuses: V1ContainerStatus[] = [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
    ];
    for (const container of statuses) {
      const waiting = container.state?.waiting;
      const reason = waiting?.reason;
      if (reason !== undefined && FATAL_WAITING_REASONS.has(reason)) {
        failures.push({
          pod: pod.metadata?.name ?? '',
          container: container.name,
          reason,
          message: waiting?.message ?? '',
          restarts: container.restartCount,
        });
      } else if (container.restartCount >= restartThreshold && !container.ready) {
        const terminated = container.lastState?.terminated;
        failures.push({
          pod: pod.metadata?.name ?? '',
          container: container.name,
          reason: `Restarted ${container.restartCount} times`,
          message: terminated
            ? `last exit code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}`
            : '',
          restarts: container.restartCount,
        });
      }
    }
  }
  return failures;
}

/** `api-7d4b9-x2k4q/api: CrashLoopBackOff (back-off 10s restarting failed container), 4 restarts` */
export function describePodFailure(failure: PodFailure): string {
  const message = failure.message === '' ? '' : ` (${failure.message})`;
  const restarts =
    failure.restarts > 0 && !failure.reason.startsWith('Restarted') ? `, ${failure.restarts} restarts` : '';
  return `${failure.pod}/${failure.container}: ${failure.reason}${message}${restarts}`;
}
