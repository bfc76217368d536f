/**
 * Deployment status (`sync.go` calculateStatus, `progress.go`, `deployment_util.go`): the replica
 * counts, the `Available` and `Progressing` conditions with their reasons, and the predicates that
 * decide whether a rollout completed, progressed or ran past progressDeadlineSeconds.
 */
import { nonZero } from './json-value.ts';
import {
  actualReplicaCount,
  availableReplicaCount,
  desiredReplicas,
  maxUnavailable,
  readyReplicaCount,
  specReplicaCount,
} from './deployment-replicas.ts';
import type { Deployment, ReplicaSet } from './resources.ts';

export type DeploymentStatus = NonNullable<Deployment['status']>;
export type DeploymentCondition = NonNullable<DeploymentStatus['conditions']>[number];

export const reasons = {
  replicaSetUpdated: 'ReplicaSetUpdated',
  newReplicaSetCreated: 'NewReplicaSetCreated',
  foundNewReplicaSet: 'FoundNewReplicaSet',
  newReplicaSetAvailable: 'NewReplicaSetAvailable',
  progressDeadlineExceeded: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

export function newCondition(
  type: 'Available' | 'Progressing',
  status: 'True' | 'False' | 'Unknown',
  reason: string,
  message: string,
  now: string,
): DeploymentCondition {
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

export function conditionOf(
  status: DeploymentStatus | undefined,
  type: string,
): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * `SetDeploymentCondition`: no change when status and reason are the same; keeps
 * lastTransitionTime when only the reason changes; the condition moves to the end.
 */
export function setCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const current = conditionOf(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  const kept =
    current && current.status === condition.status && current.lastTransitionTime
      ? { ...condition, lastTransitionTime: current.lastTransitionTime }
      : condition;
  status.conditions = [...removeCondition(status.conditions, condition.type), kept];
}

export function removeCondition(
  conditions: readonly DeploymentCondition[] | undefined,
  type: string,
): DeploymentCondition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** Drops zero counts and empty fields the way the API serializes a status. */
export function normalizeStatus(status: DeploymentStatus): DeploymentStatus {
  const { conditions, collisionCount, ...counts } = status;
  return {
    ...nonZero(counts),
    ...(collisionCount === undefined ? {} : { collisionCount }),
    ...(conditions && conditions.length > 0 ? { conditions } : {}),
  };
}

/** `calculateStatus`: counts from the ReplicaSets, plus the Available condition. */
export function calculateStatus(
  all: readonly ReplicaSet[],
  newRS: ReplicaSet | undefined,
  d: Deployment,
  now: string,
): DeploymentStatus {
  const available = availableReplicaCount(all);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: actualReplicaCount(all),
    updatedReplicas: newRS ? actualReplicaCount([newRS]) : 0,
    readyReplicas: readyReplicaCount(all),
    availableReplicas: available,
    // Negative when scaling down with more available than desired: then nothing is missing.
    unavailableReplicas: Math.max(0, specReplicaCount(all) - available),
    ...(d.status?.collisionCount === undefined ? {} : { collisionCount: d.status.collisionCount }),
    conditions: [...(d.status?.conditions ?? [])],
  };
  if (available >= desiredReplicas(d) - maxUnavailable(d)) {
    setCondition(
      status,
      newCondition(
        'Available',
        'True',
        reasons.minimumReplicasAvailable,
        'Deployment has minimum availability.',
        now,
      ),
    );
  } else {
    setCondition(
      status,
      newCondition(
        'Available',
        'False',
        reasons.minimumReplicasUnavailable,
        'Deployment does not have minimum availability.',
        now,
      ),
    );
  }
  return normalizeStatus(status);
}

/** `HasProgressDeadline`: set and not MaxInt32. */
export function hasProgressDeadline(d: Deployment): boolean {
  const deadline = d.spec?.progressDeadlineSeconds;
  return deadline !== undefined && deadline !== 2147483647;
}

/** `DeploymentComplete`: all desired replicas updated and available, no old ones, generation observed. */
export function deploymentComplete(d: Deployment, status: DeploymentStatus | undefined): boolean {
  const desired = desiredReplicas(d);
  return (
    (status?.updatedReplicas ?? 0) === desired &&
    (status?.replicas ?? 0) === desired &&
    (status?.availableReplicas ?? 0) === desired &&
    (status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** `DeploymentProgressing`: more updated, ready or available pods, or fewer old ones, than last seen. */
export function deploymentProgressing(d: Deployment, status: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (
    (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** `DeploymentTimedOut`: the Progressing condition was last updated more than the deadline ago. */
export function deploymentTimedOut(d: Deployment, status: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const condition = conditionOf(status, 'Progressing');
  if (!condition) return false;
  if (condition.reason === reasons.newReplicaSetAvailable) return false;
  if (condition.reason === reasons.progressDeadlineExceeded) return true;
  const from = Date.parse(condition.lastUpdateTime ?? '');
  return from + (d.spec?.progressDeadlineSeconds ?? 0) * 1000 < now;
}
