/**
 * The ReplicaSet controller (`pkg/controller/replicaset/replica_set.go`): keeps as many active
 * pods as spec.replicas — creating them from the template, deleting the least useful first — and
 * reports replicas, fullyLabeledReplicas, readyReplicas, availableReplicas (Ready for
 * minReadySeconds) and observedGeneration.
 */
import type { SimulatedClock } from './clock.ts';
import { nonZero, semanticEqual } from './json-value.ts';
import type { Registry } from './registry.ts';
import { isPod, pods, replicaSets, type Pod, type ReplicaSet } from './resources.ts';
import { labelSelectorFromObject, matchesLabels } from './selectors.ts';

export interface ReplicaSetSyncContext {
  readonly registry: Registry;
  readonly clock: SimulatedClock;
  /** Asks for another sync of this ReplicaSet after `seconds` (a pod about to become available). */
  readonly requeueAfter: (seconds: number) => void;
}

export function isControlledBy(
  object: { metadata?: { ownerReferences?: { uid: string; controller?: boolean }[] } },
  uid: string | undefined,
): boolean {
  return (object.metadata?.ownerReferences ?? []).some((r) => r.controller === true && r.uid === uid);
}

/** Pods the ReplicaSet owns that are neither terminating nor finished (`controller.FilterActivePods`). */
function activePods(registry: Registry, rs: ReplicaSet): Pod[] {
  return registry
    .list(pods, rs.metadata.namespace)
    .filter(isPod)
    .filter((p) => isControlledBy(p, rs.metadata.uid))
    .filter(
      (p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
    );
}

/** When the pod's Ready condition last turned True; undefined while it is not Ready. */
export function readySince(pod: Pod): number | undefined {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' ? Date.parse(ready.lastTransitionTime ?? '') : undefined;
}

const phaseRank: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * Order in which surplus pods go (`controller.ActivePods`): unscheduled before scheduled, pending
 * before running, not ready before ready, more restarts first, newer first.
 */
function deletionRank(a: Pod, b: Pod): number {
  const scheduled = (p: Pod): number => (p.spec?.nodeName ? 1 : 0);
  const phase = (p: Pod): number => phaseRank[p.status?.phase ?? 'Pending'] ?? 0;
  const ready = (p: Pod): number => (readySince(p) === undefined ? 0 : 1);
  const restarts = (p: Pod): number =>
    Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount));
  const created = (p: Pod): number => Date.parse(p.metadata.creationTimestamp ?? '');
  return (
    scheduled(a) - scheduled(b) ||
    phase(a) - phase(b) ||
    ready(a) - ready(b) ||
    restarts(b) - restarts(a) ||
    created(b) - created(a)
  );
}

function podFromTemplate(rs: ReplicaSet): Record<string, unknown> {
  const template = rs.spec?.template ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata.name ?? ''}-`,
      namespace: rs.metadata.namespace,
      labels: template.metadata?.labels ?? {},
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: rs.metadata.name,
          uid: rs.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: structuredClone(template.spec ?? {}),
  };
}

export function syncReplicaSet(context: ReplicaSetSyncContext, rs: ReplicaSet): void {
  const { registry, clock } = context;
  const namespace = rs.metadata.namespace;
  const active = activePods(registry, rs);
  const desired = rs.spec?.replicas ?? 1;
  if (active.length < desired) {
    for (let i = active.length; i < desired; i++) registry.create(pods, namespace, podFromTemplate(rs));
  } else if (active.length > desired) {
    for (const pod of [...active].sort(deletionRank).slice(0, active.length - desired)) {
      registry.delete(pods, namespace, pod.metadata.name ?? '');
    }
  }
  // Status counts the pods seen at the start of the sync, as the real controller does.
  const minReadyMs = (rs.spec?.minReadySeconds ?? 0) * 1000;
  const now = clock.now();
  const readyTimes = active.map(readySince).filter((t): t is number => t !== undefined);
  const available = readyTimes.filter((t) => t + minReadyMs <= now);
  const soonest = Math.min(...readyTimes.filter((t) => t + minReadyMs > now));
  if (Number.isFinite(soonest)) context.requeueAfter((soonest + minReadyMs - now) / 1000 + 0.01);
  const templateSelector = labelSelectorFromObject({
    matchLabels: rs.spec?.template?.metadata?.labels ?? {},
  });
  // Zero counts are omitted on the wire (`omitempty`), except replicas.
  const status = {
    replicas: active.length,
    ...nonZero({
      fullyLabeledReplicas: active.filter((p) => matchesLabels(templateSelector, p.metadata.labels)).length,
      readyReplicas: readyTimes.length,
      availableReplicas: available.length,
      observedGeneration: rs.metadata.generation ?? 0,
    }),
  };
  const current = registry.find(replicaSets, namespace, rs.metadata.name ?? '');
  if (!current || semanticEqual(current.status, status)) return;
  registry.replaceStatus(replicaSets, namespace, rs.metadata.name ?? '', { ...current, status });
}
