import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';

/**
 * Where a rollout stands, as `kubectl rollout status` would say it. `unawaitable`: kubectl ends at
 * once with an error, because the update strategy (`OnDelete`) changes no pod by itself.
 */
export type RolloutState =
  | { readonly phase: 'waiting'; readonly message: string }
  | { readonly phase: 'complete'; readonly message: string }
  | { readonly phase: 'failed'; readonly message: string }
  | { readonly phase: 'unawaitable'; readonly message: string };

/** The workload kinds whose rollout kubectl can await (its StatusViewerFor). */
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];

/** A workload of any awaited kind, tagged with its kind. */
export type Workload =
  | { readonly kind: 'Deployment'; readonly object: V1Deployment }
  | { readonly kind: 'StatefulSet'; readonly object: V1StatefulSet }
  | { readonly kind: 'DaemonSet'; readonly object: V1DaemonSet };

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

/** kubectl's error for a StatefulSet or DaemonSet whose pods change only when someone deletes them. */
const ONLY_ROLLING_UPDATE = 'rollout status is only available for RollingUpdate strategy type';

/**
 * kubectl's StatefulSetStatusViewer (`pkg/polymorphichelpers/rollout_status.go`), line for line:
 * only `RollingUpdate` can be awaited (the API server always sets the type); wait until the controller has observed the generation
 * (an observedGeneration of 0 counts as not yet); wait for `spec.replicas` ready pods; with a
 * `rollingUpdate` block (the API server defaults one with `partition: 0` when the strategy type is
 * left empty) wait until `replicas - partition` pods run the update revision, then it is a
 * "partitioned roll out complete"; without one, wait until `currentRevision` equals
 * `updateRevision`.
 */
export function statefulSetStatus(sts: V1StatefulSet): RolloutState {
  const strategy = sts.spec?.updateStrategy;
  if (strategy?.type !== 'RollingUpdate') return { phase: 'unawaitable', message: ONLY_ROLLING_UPDATE };
  const status = sts.status;
  const observed = status?.observedGeneration ?? 0;
  if (observed === 0 || (sts.metadata?.generation ?? 0) > observed) {
    return { phase: 'waiting', message: 'Waiting for statefulset spec update to be observed...' };
  }
  const desired = sts.spec?.replicas;
  const ready = status?.readyReplicas ?? 0;
  if (desired !== undefined && ready < desired) {
    return { phase: 'waiting', message: `Waiting for ${desired - ready} pods to be ready...` };
  }
  const updated = status?.updatedReplicas ?? 0;
  if (strategy.rollingUpdate !== undefined) {
    const partition = strategy.rollingUpdate.partition;
    if (desired !== undefined && partition !== undefined && updated < desired - partition) {
      return {
        phase: 'waiting',
        message: `Waiting for partitioned roll out to finish: ${updated} out of ${desired - partition} new pods have been updated...`,
      };
    }
    return {
      phase: 'complete',
      message: `partitioned roll out complete: ${updated} new pods have been updated...`,
    };
  }
  const updateRevision = status?.updateRevision ?? '';
  if (updateRevision !== (status?.currentRevision ?? '')) {
    return {
      phase: 'waiting',
      message: `waiting for statefulset rolling update to complete ${updated} pods at revision ${updateRevision}...`,
    };
  }
  return {
    phase: 'complete',
    message: `statefulset rolling update complete ${status?.currentReplicas ?? 0} pods at revision ${updateRevision}...`,
  };
}

/**
 * kubectl's DaemonSetStatusViewer (`pkg/polymorphichelpers/rollout_status.go`): only
 * `RollingUpdate` can be awaited; wait until the generation is observed; then until every node
 * that should run the daemon runs the updated pod (`updatedNumberScheduled` against
 * `desiredNumberScheduled`), then until as many are available.
 */
export function daemonSetStatus(ds: V1DaemonSet): RolloutState {
  if (ds.spec?.updateStrategy?.type !== 'RollingUpdate')
    return { phase: 'unawaitable', message: ONLY_ROLLING_UPDATE };
  const name = ds.metadata?.name ?? '';
  const status = ds.status;
  if ((ds.metadata?.generation ?? 0) > (status?.observedGeneration ?? 0)) {
    return { phase: 'waiting', message: 'Waiting for daemon set spec update to be observed...' };
  }
  const desired = status?.desiredNumberScheduled ?? 0;
  const updated = status?.updatedNumberScheduled ?? 0;
  const available = status?.numberAvailable ?? 0;
  if (updated < desired) {
    return {
      phase: 'waiting',
      message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
    };
  }
  if (available < desired) {
    return {
      phase: 'waiting',
      message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`,
    };
  }
  return { phase: 'complete', message: `daemon set "${name}" successfully rolled out` };
}

/** The status viewer of the workload's kind (kubectl's StatusViewerFor). */
export function workloadStatus(workload: Workload): RolloutState {
  switch (workload.kind) {
    case 'Deployment':
      return rolloutStatus(workload.object);
    case 'StatefulSet':
      return statefulSetStatus(workload.object);
    case 'DaemonSet':
      return daemonSetStatus(workload.object);
  }
}
