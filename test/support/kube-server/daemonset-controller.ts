/**
 * The DaemonSet controller (`pkg/controller/daemon/daemon_controller.go` syncDaemonSet, manage,
 * `update.go` constructHistory, rollingUpdate, cleanupHistory): one call reconciles one DaemonSet
 * over a fixed list of nodes — snapshots the template as a ControllerRevision (the pods' hash is
 * `controller.ComputeHash` of the template, the revision's name `<name>-<hash>`, the DaemonSet's
 * annotations copied onto it), puts one pod on every node its nodeSelector admits (pinned with
 * node affinity, as the controller does since 1.12), removes pods from nodes that should not run
 * them and failed pods, replaces old pods within maxUnavailable (an old pod that is not available
 * may always go), and writes desired/current/updated/ready/available counts.
 */
import type { SimulatedClock } from './clock.ts';
import {
  controllerRevisionHashLabel,
  createRevision,
  equalData,
  nextRevision,
  ownedRevisions,
  renumberRevision,
  templatePatch,
  truncateHistory,
} from './controller-revisions.ts';
import { nonZero, semanticEqual } from './json-value.ts';
import { computePodTemplateHash } from './pod-template-hash.ts';
import type { Registry } from './registry.ts';
import { isControlledBy, readySince } from './replicaset-controller.ts';
import { daemonSets, isPod, pods, type ControllerRevision, type DaemonSet, type Pod } from './resources.ts';

/** A node the simulated cluster has: its name and labels (what a nodeSelector matches). */
export interface SimulatedNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** `kind`'s three-node cluster: every node carries the well-known hostname, os and arch labels. */
export function simulatedNodes(names: readonly string[]): SimulatedNode[] {
  return names.map((name) => ({
    name,
    labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
  }));
}

export interface DaemonSetSyncContext {
  readonly registry: Registry;
  readonly clock: SimulatedClock;
  readonly nodes: readonly SimulatedNode[];
  readonly requeueAfter: (seconds: number) => void;
}

/** The deprecated label the controller still stamps with the DaemonSet's generation. */
export const templateGenerationLabel = 'pod-template-generation';

/** The node a DaemonSet pod is pinned to (`matchFields metadata.name In [node]`), if it is one. */
export function pinnedNode(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    const field = term.matchFields?.find((f) => f.key === 'metadata.name' && f.operator === 'In');
    if (field?.values?.[0] !== undefined) return field.values[0];
  }
  return undefined;
}

/** Reconciles one DaemonSet, as one `syncDaemonSet` call does. */
export function syncDaemonSet(context: DaemonSetSyncContext, ds: DaemonSet): void {
  const { registry, clock, nodes } = context;
  const namespace = ds.metadata.namespace;
  const now = clock.now();
  const minReadyMs = (ds.spec?.minReadySeconds ?? 0) * 1000;
  const isAvailable = (pod: Pod): boolean => {
    const since = readySince(pod);
    if (since === undefined) return false;
    if (since + minReadyMs > now) {
      context.requeueAfter((since + minReadyMs - now) / 1000 + 0.01);
      return false;
    }
    return true;
  };
  const { current, old } = constructHistory(registry, ds);
  const hash = current.metadata.labels?.[controllerRevisionHashLabel] ?? '';
  const isUpdated = (pod: Pod): boolean => pod.metadata.labels?.[controllerRevisionHashLabel] === hash;

  const owned = registry
    .list(pods, namespace)
    .filter(isPod)
    .filter((p) => isControlledBy(p, ds.metadata.uid));
  const byNode = new Map<string, Pod[]>(nodes.map((n) => [n.name, []]));
  for (const pod of owned) byNode.get(pinnedNode(pod) ?? '')?.push(pod);
  const shouldRun = (node: SimulatedNode): boolean =>
    Object.entries(ds.spec?.template.spec?.nodeSelector ?? {}).every(([k, v]) => node.labels[k] === v);

  // manage: one running pod on every node that should run one, none elsewhere, no failed pods.
  for (const node of nodes) {
    const onNode = byNode.get(node.name) ?? [];
    if (!shouldRun(node)) {
      for (const pod of onNode.filter((p) => !p.metadata.deletionTimestamp))
        registry.delete(pods, namespace, pod.metadata.name ?? '');
      continue;
    }
    if (onNode.length === 0) {
      registry.create(pods, namespace, podFor(ds, hash, node.name));
      continue;
    }
    const running = onNode.filter((p) => !p.metadata.deletionTimestamp);
    for (const pod of running.filter((p) => p.status?.phase === 'Failed'))
      registry.delete(pods, namespace, pod.metadata.name ?? '');
    // Without surge, more than one pod on a node: all but the oldest go.
    const alive = running.filter((p) => p.status?.phase !== 'Failed').sort(byCreation);
    for (const pod of alive.slice(1)) registry.delete(pods, namespace, pod.metadata.name ?? '');
  }

  if (ds.spec?.updateStrategy?.type === 'RollingUpdate') {
    const maxUnavailable = maxUnavailableOf(ds, nodes.filter(shouldRun).length);
    let unavailable = 0;
    const replaceable: Pod[] = [];
    const candidates: Pod[] = [];
    for (const node of nodes.filter(shouldRun)) {
      const alive = (byNode.get(node.name) ?? []).filter((p) => !p.metadata.deletionTimestamp);
      const updated = alive.filter(isUpdated);
      const outdated = alive.filter((p) => !isUpdated(p));
      if (updated.length > 1 || outdated.length > 1 || updated.length === outdated.length) {
        // findUpdatedPodsOnNode found no single pod, or both kinds: manage handles it; unavailable meanwhile.
        unavailable++;
        continue;
      }
      const [newPod] = updated;
      const [oldPod] = outdated;
      if (newPod) {
        if (!isAvailable(newPod)) unavailable++;
      } else if (oldPod && !isAvailable(oldPod)) replaceable.push(oldPod);
      else if (oldPod && unavailable < maxUnavailable) candidates.push(oldPod);
    }
    const budget = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
    for (const pod of [...replaceable, ...candidates.slice(0, budget)])
      registry.delete(pods, namespace, pod.metadata.name ?? '');
  }

  truncateHistory(
    registry,
    old,
    new Set([current.metadata.name ?? '']),
    owned,
    (r) => r.metadata.labels?.[controllerRevisionHashLabel] ?? '',
    ds.spec?.revisionHistoryLimit ?? 10,
  );
  writeStatus(registry, ds, nodes.filter(shouldRun), byNode, isUpdated, isAvailable);
}

function byCreation(a: Pod, b: Pod): number {
  return Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? '');
}

/** `maxUnavailable` as an int or a percentage of the nodes that should run the pod (rounded up). */
function maxUnavailableOf(ds: DaemonSet, desired: number): number {
  const value = ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
  const count = typeof value === 'number' ? value : Math.ceil((Number.parseInt(value, 10) / 100) * desired);
  return desired > 0 && count === 0 ? 1 : count;
}

/**
 * `constructHistory`: the revision whose data matches the template is current (renumbered past
 * every old one when it is not the newest — a rollback); none matches: snapshot a new one.
 */
function constructHistory(
  registry: Registry,
  ds: DaemonSet,
): { current: ControllerRevision; old: ControllerRevision[] } {
  const revisions = ownedRevisions(registry, ds);
  const data = templatePatch(ds.spec?.template);
  const matching = revisions.filter((r) => equalData(r, data));
  const old = revisions.filter((r) => !equalData(r, data));
  const next = nextRevision(old);
  const found = matching.at(-1);
  if (found) return { current: found.revision < next ? renumberRevision(registry, found, next) : found, old };
  const { revision, collisionCount } = createRevision(registry, ds, data, next, {
    collisionCount: ds.status?.collisionCount ?? 0,
    hash: (count) => computePodTemplateHash(ds.spec?.template, count === 0 ? undefined : count),
    labels: (hash) => ({ ...ds.spec?.template.metadata?.labels, [controllerRevisionHashLabel]: hash }),
    annotations: { ...ds.metadata.annotations },
  });
  if (collisionCount !== (ds.status?.collisionCount ?? 0)) {
    const stored = registry.get(daemonSets, ds.metadata.namespace, ds.metadata.name ?? '');
    registry.replaceStatus(daemonSets, ds.metadata.namespace, ds.metadata.name ?? '', {
      ...stored,
      status: { ...(stored.status as object), collisionCount },
    });
  }
  return { current: revision, old };
}

/** `updateDaemonSetStatus`: counts over the oldest pod of every node. */
function writeStatus(
  registry: Registry,
  ds: DaemonSet,
  nodes: readonly SimulatedNode[],
  byNode: ReadonlyMap<string, Pod[]>,
  isUpdated: (pod: Pod) => boolean,
  isAvailable: (pod: Pod) => boolean,
): void {
  let scheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  for (const node of nodes) {
    const pod = [...(byNode.get(node.name) ?? [])].sort(byCreation)[0];
    if (!pod) continue;
    scheduled++;
    if (readySince(pod) !== undefined) {
      ready++;
      if (isAvailable(pod)) available++;
    }
    if (isUpdated(pod)) updated++;
  }
  const misscheduled = [...byNode.entries()].filter(
    ([name, list]) => list.length > 0 && !nodes.some((n) => n.name === name),
  ).length;
  const stored = registry.find(daemonSets, ds.metadata.namespace, ds.metadata.name ?? '');
  if (!stored) return;
  const previous = (stored.status ?? {}) as NonNullable<DaemonSet['status']>;
  const status = {
    currentNumberScheduled: scheduled,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: nodes.length,
    numberReady: ready,
    ...nonZero({
      observedGeneration: ds.metadata.generation ?? 0,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: nodes.length - available,
      collisionCount: previous.collisionCount,
    }),
  };
  if (semanticEqual(stored.status, status)) return;
  registry.replaceStatus(daemonSets, ds.metadata.namespace, ds.metadata.name ?? '', { ...stored, status });
}

/** The tolerations `AddOrUpdateDaemonPodTolerations` gives every daemon pod. */
const daemonTolerations: readonly { key: string; operator: 'Exists'; effect: 'NoExecute' | 'NoSchedule' }[] =
  [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];

function podFor(ds: DaemonSet, hash: string, node: string): Record<string, unknown> {
  const template = ds.spec?.template ?? {};
  const spec = structuredClone(template.spec ?? { containers: [] });
  const tolerations = [...(spec.tolerations ?? [])];
  for (const toleration of daemonTolerations)
    if (!tolerations.some((t) => t.key === toleration.key && t.effect === toleration.effect))
      tolerations.push(toleration);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata.name ?? ''}-`,
      namespace: ds.metadata.namespace,
      labels: {
        ...template.metadata?.labels,
        [controllerRevisionHashLabel]: hash,
        [templateGenerationLabel]: String(ds.metadata.generation ?? 1),
      },
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          name: ds.metadata.name,
          uid: ds.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      ...spec,
      tolerations,
      affinity: {
        ...spec.affinity,
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
          },
        },
      },
    },
  };
}
