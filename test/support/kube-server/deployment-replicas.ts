/**
 * Replica arithmetic of the Deployment controller (`pkg/controller/deployment/util/deployment_util.go`):
 * maxSurge/maxUnavailable fenceposts, how far the new ReplicaSet may scale up, and proportional
 * scaling of a Deployment resized in the middle of a rollout.
 */
import type { Deployment, ReplicaSet } from './resources.ts';

const desiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
const maxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';

export function replicasOf(rs: ReplicaSet): number {
  return rs.spec?.replicas ?? 0;
}

export function desiredReplicas(d: Deployment): number {
  return d.spec?.replicas ?? 1;
}

/** Sum of spec.replicas (`GetReplicaCountForReplicaSets`). */
export function specReplicaCount(list: readonly ReplicaSet[]): number {
  return list.reduce((sum, rs) => sum + replicasOf(rs), 0);
}

/** Sum of status.replicas (`GetActualReplicaCountForReplicaSets`). */
export function actualReplicaCount(list: readonly ReplicaSet[]): number {
  return list.reduce((sum, rs) => sum + (rs.status?.replicas ?? 0), 0);
}

export function readyReplicaCount(list: readonly ReplicaSet[]): number {
  return list.reduce((sum, rs) => sum + (rs.status?.readyReplicas ?? 0), 0);
}

export function availableReplicaCount(list: readonly ReplicaSet[]): number {
  return list.reduce((sum, rs) => sum + (rs.status?.availableReplicas ?? 0), 0);
}

/** ReplicaSets with spec.replicas > 0 (`controller.FilterActiveReplicaSets`). */
export function activeReplicaSets(list: readonly ReplicaSet[]): ReplicaSet[] {
  return list.filter((rs) => replicasOf(rs) > 0);
}

function created(rs: ReplicaSet): number {
  return Date.parse(rs.metadata.creationTimestamp ?? '');
}

/** Oldest first, ties by name (`controller.ReplicaSetsByCreationTimestamp`). */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  return created(a) - created(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** `intstr.GetScaledValueFromIntOrPercent`: `25%` of 3 is 1 rounded up, 0 rounded down. */
function valueFromIntOrPercent(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const scaled = (Number.parseInt(value, 10) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

export function isRollingUpdate(d: Deployment): boolean {
  return d.spec?.strategy?.type !== 'Recreate';
}

/** `ResolveFenceposts`: surge rounds up, unavailable down; both 0 makes unavailable 1. */
function resolveFenceposts(d: Deployment): { readonly surge: number; readonly unavailable: number } {
  const desired = desiredReplicas(d);
  const rollingUpdate = d.spec?.strategy?.rollingUpdate;
  const surge = valueFromIntOrPercent(rollingUpdate?.maxSurge, desired, true);
  const unavailable = valueFromIntOrPercent(rollingUpdate?.maxUnavailable, desired, false);
  return surge === 0 && unavailable === 0 ? { surge, unavailable: 1 } : { surge, unavailable };
}

export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? resolveFenceposts(d).surge : 0;
}

export function maxUnavailable(d: Deployment): number {
  const desired = desiredReplicas(d);
  if (!isRollingUpdate(d) || desired === 0) return 0;
  return Math.min(resolveFenceposts(d).unavailable, desired);
}

/** `NewRSNewReplicas`: how many replicas the new ReplicaSet may have now. */
export function newReplicaSetReplicas(d: Deployment, all: readonly ReplicaSet[], newRS: ReplicaSet): number {
  const desired = desiredReplicas(d);
  if (!isRollingUpdate(d)) return desired;
  const maxTotal = desired + maxSurge(d);
  const current = specReplicaCount(all);
  if (current >= maxTotal) return replicasOf(newRS);
  return replicasOf(newRS) + Math.min(maxTotal - current, desired - replicasOf(newRS));
}

function annotationNumber(rs: ReplicaSet, key: string): number | undefined {
  const value = rs.metadata.annotations?.[key];
  return value !== undefined && /^-?\d+$/.test(value) ? Number(value) : undefined;
}

export function desiredReplicasAnnotationOf(rs: ReplicaSet): number | undefined {
  return annotationNumber(rs, desiredReplicasAnnotation);
}

/** `IsSaturated`: the new ReplicaSet has, wants and has available all desired replicas. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicas(d);
  return (
    replicasOf(rs) === desired &&
    desiredReplicasAnnotationOf(rs) === desired &&
    (rs.status?.availableReplicas ?? 0) === desired
  );
}

/** `ReplicasAnnotationsNeedUpdate` / `SetReplicasAnnotations`: returns the annotations when they change. */
export function replicasAnnotations(d: Deployment, rs: ReplicaSet): Record<string, string> | undefined {
  const desired = String(desiredReplicas(d));
  const max = String(desiredReplicas(d) + maxSurge(d));
  const current = rs.metadata.annotations ?? {};
  if (current[desiredReplicasAnnotation] === desired && current[maxReplicasAnnotation] === max)
    return undefined;
  return { ...current, [desiredReplicasAnnotation]: desired, [maxReplicasAnnotation]: max };
}

/** `FindActiveOrLatest`: the only active ReplicaSet, or the newest when none is active. */
export function findActiveOrLatest(
  newRS: ReplicaSet | undefined,
  oldRSs: readonly ReplicaSet[],
): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets(newRS ? [...newestFirst, newRS] : newestFirst);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

/** `getReplicaSetFraction`: this ReplicaSet's share of a resize, from its max-replicas annotation. */
function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (desiredReplicas(d) === 0) return -replicasOf(rs);
  const deploymentReplicas = desiredReplicas(d) + maxSurge(d);
  const annotated = annotationNumber(rs, maxReplicasAnnotation) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  return Math.round((replicasOf(rs) * deploymentReplicas) / annotated) - replicasOf(rs);
}

/** `GetProportion`. */
export function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** Largest first; among equals newer first when scaling up, older first when scaling down. */
export function bySize(newerFirst: boolean): (a: ReplicaSet, b: ReplicaSet) => number {
  return (a, b) => replicasOf(b) - replicasOf(a) || (newerFirst ? byCreation(b, a) : byCreation(a, b));
}
