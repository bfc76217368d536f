/**
 * The StatefulSet controller (`pkg/controller/statefulset/stateful_set_control.go`
 * UpdateStatefulSet): one call reconciles one StatefulSet — finds or creates the update revision
 * (a ControllerRevision; a returning template re-uses its revision under the next number), keeps
 * pods `<name>-<ordinal>` for ordinals 0…replicas−1 (OrderedReady: one at a time, each Running and
 * Ready before the next; Parallel: all at once), removes condemned ordinals highest first, then
 * for RollingUpdate deletes the highest-ordinal pod not at the update revision down to `partition`,
 * waiting for each replacement to be available (OnDelete changes pods only when someone deletes
 * them), writes status and truncates history beyond revisionHistoryLimit.
 *
 * Like the real controller (kubernetes/kubernetes#67250, the "Forced rollback" section of the
 * StatefulSet docs), an OrderedReady set whose updated pod never becomes Ready stays stuck even
 * after its template is reverted, until that pod is deleted.
 */
import type { SimulatedClock } from './clock.ts';
import {
  controllerRevisionHashLabel,
  createRevision,
  equalData,
  hashControllerRevision,
  historyHashLabel,
  nextRevision,
  ownedRevisions,
  renumberRevision,
  templateOf,
  templatePatch,
  truncateHistory,
} from './controller-revisions.ts';
import { nonZero, semanticEqual } from './json-value.ts';
import type { Registry } from './registry.ts';
import { isControlledBy, readySince } from './replicaset-controller.ts';
import {
  isPod,
  pods,
  statefulSets,
  type ControllerRevision,
  type Pod,
  type StatefulSet,
} from './resources.ts';

export interface StatefulSetSyncContext {
  readonly registry: Registry;
  readonly clock: SimulatedClock;
  /** Asks for another sync after `seconds` (a pod about to pass minReadySeconds). */
  readonly requeueAfter: (seconds: number) => void;
}

export const podNameLabel = 'statefulset.kubernetes.io/pod-name';
export const podIndexLabel = 'apps.kubernetes.io/pod-index';

function ordinalOf(set: StatefulSet, pod: Pod): number {
  const prefix = `${set.metadata.name ?? ''}-`;
  const name = pod.metadata.name ?? '';
  const rest = name.startsWith(prefix) ? name.slice(prefix.length) : '';
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : -1;
}

const isTerminating = (pod: Pod): boolean => pod.metadata.deletionTimestamp !== undefined;
const isRunningAndReady = (pod: Pod): boolean =>
  pod.status?.phase === 'Running' && readySince(pod) !== undefined;
const revisionOfPod = (pod: Pod): string => pod.metadata.labels?.[controllerRevisionHashLabel] ?? '';

/** Reconciles one StatefulSet, as one `UpdateStatefulSet` call does. */
export function syncStatefulSet(context: StatefulSetSyncContext, set: StatefulSet): void {
  const { registry, clock } = context;
  const namespace = set.metadata.namespace;
  const now = clock.now();
  const minReadyMs = (set.spec?.minReadySeconds ?? 0) * 1000;
  const isAvailable = (pod: Pod): boolean => {
    const since = readySince(pod);
    if (pod.status?.phase !== 'Running' || since === undefined) return false;
    if (since + minReadyMs > now) {
      context.requeueAfter((since + minReadyMs - now) / 1000 + 0.01);
      return false;
    }
    return true;
  };
  const isUnavailable = (pod: Pod | undefined): boolean =>
    pod === undefined || isTerminating(pod) || !isAvailable(pod);

  const { current, update, collisionCount } = revisionsOf(registry, set);
  const owned = registry
    .list(pods, namespace)
    .filter(isPod)
    .filter((p) => isControlledBy(p, set.metadata.uid));
  const replicaCount = set.spec?.replicas ?? 1;
  const replicas: (Pod | undefined)[] = Array.from({ length: replicaCount }, () => undefined);
  const condemned: Pod[] = [];
  for (const pod of owned) {
    const ordinal = ordinalOf(set, pod);
    if (ordinal < 0) continue;
    if (ordinal < replicaCount) replicas[ordinal] = pod;
    else condemned.push(pod);
  }
  condemned.sort((a, b) => ordinalOf(set, b) - ordinalOf(set, a));

  const status = replicaStatus(set, owned, current, update, isAvailable);
  const writeStatus = (): void => {
    writeSetStatus(registry, set, status);
    truncateHistory(
      registry,
      ownedRevisions(registry, set),
      new Set([current.metadata.name ?? '', update.metadata.name ?? '']),
      owned,
      (r) => r.metadata.name ?? '',
      set.spec?.revisionHistoryLimit ?? 10,
    );
  };
  Object.assign(status, { collisionCount });
  const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
  const strategy = set.spec?.updateStrategy;
  const partition = strategy?.rollingUpdate?.partition ?? 0;

  // processReplica, ordinal by ordinal.
  for (let ordinal = 0; ordinal < replicaCount; ordinal++) {
    const pod = replicas[ordinal];
    if (pod && (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded')) {
      if (!isTerminating(pod)) registry.delete(pods, namespace, pod.metadata.name ?? '');
      writeStatus();
      return;
    }
    if (!pod) {
      // newVersionedStatefulSetPod: below the partition a pod is recreated at the current revision.
      const atCurrent =
        strategy?.type === 'RollingUpdate' &&
        (strategy.rollingUpdate === undefined
          ? ordinal < (set.status?.currentReplicas ?? 0)
          : ordinal < partition);
      registry.create(pods, namespace, podFor(set, atCurrent ? current : update, ordinal));
      if (monotonic) {
        writeStatus();
        return;
      }
      continue;
    }
    if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod) || !isAvailable(pod))) {
      writeStatus();
      return;
    }
  }

  // processCondemned: scale down from the highest ordinal.
  const firstUnhealthy = [...replicas, ...[...condemned].reverse()].find(isUnavailable);
  for (const pod of condemned) {
    if (isTerminating(pod)) {
      if (monotonic) {
        writeStatus();
        return;
      }
      continue;
    }
    if (monotonic && !isAvailable(pod) && pod !== firstUnhealthy) {
      writeStatus();
      return;
    }
    registry.delete(pods, namespace, pod.metadata.name ?? '');
    if (monotonic) {
      writeStatus();
      return;
    }
  }

  if (strategy?.type === 'RollingUpdate') {
    for (let target = replicaCount - 1; target >= partition; target--) {
      const pod = replicas[target];
      if (pod && revisionOfPod(pod) !== update.metadata.name && !isTerminating(pod)) {
        registry.delete(pods, namespace, pod.metadata.name ?? '');
        status.currentReplicas = Math.max(0, (status.currentReplicas ?? 0) - 1);
        break;
      }
      if (isUnavailable(pod)) break;
    }
  }
  writeStatus();
}

/**
 * `getStatefulSetRevisions`: the update revision is the one whose data equals the set's template
 * — the latest as it is, an older one renumbered (a rollback), or a new one — and the current
 * revision is the one `status.currentRevision` names, else the update revision.
 */
function revisionsOf(
  registry: Registry,
  set: StatefulSet,
): { current: ControllerRevision; update: ControllerRevision; collisionCount: number } {
  const revisions = ownedRevisions(registry, set);
  const data = templatePatch(set.spec?.template);
  const next = nextRevision(revisions);
  const equal = revisions.filter((r) => equalData(r, data));
  const latest = revisions.at(-1);
  let collisionCount = set.status?.collisionCount ?? 0;
  let update: ControllerRevision;
  const lastEqual = equal.at(-1);
  if (lastEqual && latest && lastEqual.metadata.name === latest.metadata.name) update = latest;
  else if (lastEqual) update = renumberRevision(registry, lastEqual, next);
  else {
    const created = createRevision(registry, set, data, next, {
      collisionCount,
      hash: (count) => hashControllerRevision(data, count),
      labels: (hash) => ({ ...set.spec?.template.metadata?.labels, [historyHashLabel]: hash }),
    });
    update = created.revision;
    collisionCount = created.collisionCount;
  }
  const current = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
  return { current, update, collisionCount };
}

type SetStatus = NonNullable<StatefulSet['status']>;

/** `computeReplicaStatus` over the pods seen at the start of the sync. */
function replicaStatus(
  set: StatefulSet,
  owned: readonly Pod[],
  current: ControllerRevision,
  update: ControllerRevision,
  isAvailable: (pod: Pod) => boolean,
): SetStatus {
  const live = owned.filter((p) => !isTerminating(p));
  return {
    observedGeneration: set.metadata.generation ?? 0,
    replicas: owned.length,
    readyReplicas: owned.filter(isRunningAndReady).length,
    availableReplicas: owned.filter((p) => isRunningAndReady(p) && isAvailable(p)).length,
    currentReplicas: live.filter((p) => revisionOfPod(p) === current.metadata.name).length,
    updatedReplicas: live.filter((p) => revisionOfPod(p) === update.metadata.name).length,
    currentRevision: current.metadata.name ?? '',
    updateRevision: update.metadata.name ?? '',
  };
}

/**
 * `updateStatefulSetStatus` with `completeRollingUpdate`: once every pod runs the update revision
 * and is ready, the update revision becomes the current one. Zero counts are omitted on the wire,
 * except `replicas` and `availableReplicas`.
 */
function writeSetStatus(registry: Registry, set: StatefulSet, status: SetStatus): void {
  if (
    set.spec?.updateStrategy?.type === 'RollingUpdate' &&
    status.updatedReplicas === status.replicas &&
    status.readyReplicas === status.replicas
  ) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision ?? '';
  }
  const wire = {
    replicas: status.replicas,
    availableReplicas: status.availableReplicas ?? 0,
    ...nonZero({
      observedGeneration: status.observedGeneration,
      readyReplicas: status.readyReplicas,
      currentReplicas: status.currentReplicas,
      updatedReplicas: status.updatedReplicas,
    }),
    currentRevision: status.currentRevision,
    updateRevision: status.updateRevision,
    collisionCount: status.collisionCount ?? 0,
  };
  const stored = registry.find(statefulSets, set.metadata.namespace, set.metadata.name ?? '');
  if (!stored || semanticEqual(stored.status, wire)) return;
  registry.replaceStatus(statefulSets, set.metadata.namespace, set.metadata.name ?? '', {
    ...stored,
    status: wire,
  });
}

/** `newStatefulSetPod` from the revision's template: stable name, identity labels, hostname. */
function podFor(set: StatefulSet, revision: ControllerRevision, ordinal: number): Record<string, unknown> {
  const template = templateOf(revision) as NonNullable<StatefulSet['spec']>['template'];
  const name = `${set.metadata.name ?? ''}-${ordinal}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata.namespace,
      labels: {
        ...template.metadata?.labels,
        [controllerRevisionHashLabel]: revision.metadata.name ?? '',
        [podNameLabel]: name,
        [podIndexLabel]: String(ordinal),
      },
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          name: set.metadata.name,
          uid: set.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      ...structuredClone(template.spec ?? {}),
      hostname: name,
      ...(set.spec?.serviceName ? { subdomain: set.spec.serviceName } : {}),
    },
  };
}
