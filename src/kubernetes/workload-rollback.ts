import type { V1ControllerRevision, V1Pod } from '@kubernetes/client-node';
import { RollgateError } from '../errors.ts';
import { VERSION_ANNOTATION } from './annotations.ts';
import type { Cluster } from './cluster.ts';
import {
  CONTROLLER_REVISION_HASH,
  currentRevisionOf,
  kindNoun,
  ownedRevisions,
  planRevisionRollback,
  podLabelOf,
  type RevisionedKind,
  type RevisionedWorkload,
  type RevisionRollbackPlan,
} from './controller-revisions.ts';
import {
  applyRollback,
  prepareRollback,
  type PreparedRollback,
  type RollbackResult,
  type RollbackTarget,
} from './rollback.ts';
import type { WorkloadKind } from './rollout-status.ts';
import { labelSelectorString } from './selectors.ts';

/** A planned rollback of one StatefulSet or DaemonSet: read and decided, nothing changed yet. */
export interface PreparedRevisionRollback {
  readonly kind: RevisionedKind;
  readonly name: string;
  readonly namespace: string;
  readonly workload: RevisionedWorkload;
  readonly plan: RevisionRollbackPlan;
  readonly fromRevision: number | undefined;
  readonly version: string | undefined;
}

/**
 * `kubectl rollout undo statefulset|daemonset/<name> [--to-revision=N]`, or to the revision that
 * carries `rollgate.dev/version: <version>`, decided but not applied: reads the object and the
 * ControllerRevisions it owns and plans the undo (pure). A wrong target fails here, before
 * anything changes.
 */
export async function prepareRevisionRollback(
  cluster: Cluster,
  namespace: string,
  kind: RevisionedKind,
  name: string,
  target: RollbackTarget = {},
): Promise<PreparedRevisionRollback> {
  const read = await cluster.readWorkload(kind, namespace, name);
  if (read.kind === 'Deployment') throw new Error(`${kind} ${name} was read as a Deployment`);
  const workload = read.object;
  const owned = ownedRevisions(
    workload,
    await cluster.listControllerRevisions(namespace, labelSelectorString(workload.spec?.selector)),
  );
  const revision =
    target.version === undefined ? target.revision : revisionOfVersion(kind, name, owned, target.version);
  const plan = planRevisionRollback(kind, workload, owned, revision);
  return {
    kind,
    name,
    namespace,
    workload,
    plan,
    fromRevision: currentRevisionOf(kind, workload, owned)?.revision,
    version: plan.revision.metadata?.annotations?.[VERSION_ANNOTATION],
  };
}

/**
 * The newest revision recorded with `version`. The DaemonSet controller copies the DaemonSet's
 * annotations onto each revision it snapshots (`daemon/update.go`); the StatefulSet controller
 * copies none (`history.NewControllerRevision`), so a StatefulSet's versions are not recorded.
 */
function revisionOfVersion(
  kind: RevisionedKind,
  name: string,
  owned: readonly V1ControllerRevision[],
  version: string,
): number {
  const found = owned.filter((r) => r.metadata?.annotations?.[VERSION_ANNOTATION] === version).at(-1);
  if (found) return found.revision;
  const known = [
    ...new Set(
      owned
        .map((r) => r.metadata?.annotations?.[VERSION_ANNOTATION])
        .filter((v): v is string => v !== undefined),
    ),
  ];
  throw new RollgateError(
    `Version ${version} is not in the rollout history of ${kindNoun(kind)}/${name}.`,
    kind === 'StatefulSet'
      ? 'The StatefulSet controller keeps no annotations on its ControllerRevisions, so versions are not recorded there.'
      : `The versions kept are ${known.length === 0 ? 'none recorded by Rollgate' : known.join(', ')}.`,
    `Name the revision with 'to-revision' (kubectl rollout history ${kindNoun(kind)}/${name} lists them), or leave both empty for the previous revision.`,
  );
}

/**
 * Applies a prepared rollback as kubectl does — the revision's `data` as a strategic merge
 * patch — then, for an OrderedReady StatefulSet, deletes its pods of other revisions that are not
 * Ready: the controller waits for such a pod for ever, even after the template is reverted
 * (the "Forced rollback" step of the StatefulSet docs, kubernetes/kubernetes#67250), and
 * recreates a deleted one from the restored template.
 */
export async function applyRevisionRollback(
  cluster: Cluster,
  prepared: PreparedRevisionRollback,
): Promise<RollbackResult> {
  const { plan, kind, name, namespace, version, fromRevision } = prepared;
  const ref = `${kindNoun(kind)} "${name}"`;
  if (plan.kind === 'skip')
    return {
      kind: 'skipped',
      fromRevision,
      toRevision: plan.toRevision,
      version,
      sha: undefined,
      message: plan.message,
    };
  await cluster.patchWorkload(kind, namespace, name, plan.patch, 'strategic');
  const deleted = kind === 'StatefulSet' ? await deleteStuckPods(cluster, prepared) : [];
  return {
    kind: 'rolled-back',
    fromRevision,
    toRevision: plan.toRevision,
    // ControllerRevisions carry no commit Rollgate could name.
    sha: undefined,
    version,
    message: `rolled back ${ref} to revision ${plan.toRevision}${version ? ` (version ${version})` : ''}${
      deleted.length > 0 ? `, deleting stuck pod${deleted.length > 1 ? 's' : ''} ${deleted.join(', ')}` : ''
    }`,
  };
}

async function deleteStuckPods(cluster: Cluster, prepared: PreparedRevisionRollback): Promise<string[]> {
  const { workload, namespace, plan } = prepared;
  if ((workload.spec as { podManagementPolicy?: string } | undefined)?.podManagementPolicy === 'Parallel')
    return [];
  const restored = podLabelOf('StatefulSet', plan.revision);
  const uid = workload.metadata?.uid;
  const stuck = (await cluster.listPods(namespace, labelSelectorString(workload.spec?.selector))).filter(
    (pod) =>
      pod.metadata?.ownerReferences?.some((r) => r.controller === true && r.uid === uid) === true &&
      pod.metadata.deletionTimestamp === undefined &&
      pod.metadata.labels?.[CONTROLLER_REVISION_HASH] !== restored &&
      !isReady(pod),
  );
  for (const pod of stuck) await cluster.deletePod(namespace, pod.metadata?.name ?? '');
  return stuck.map((pod) => pod.metadata?.name ?? '');
}

function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** A planned rollback of any awaited kind: a Deployment's (ReplicaSets) or a StatefulSet's or DaemonSet's. */
export type PreparedWorkloadRollback =
  (PreparedRollback & { readonly kind: 'Deployment' }) | PreparedRevisionRollback;

/** Plans `kubectl rollout undo <kind>/<name>`: ReplicaSets for a Deployment, ControllerRevisions otherwise. */
export async function prepareWorkloadRollback(
  cluster: Cluster,
  namespace: string,
  kind: WorkloadKind,
  name: string,
  target: RollbackTarget = {},
): Promise<PreparedWorkloadRollback> {
  if (kind === 'Deployment')
    return { ...(await prepareRollback(cluster, namespace, name, target)), kind: 'Deployment' };
  return prepareRevisionRollback(cluster, namespace, kind, name, target);
}

export async function applyWorkloadRollback(
  cluster: Cluster,
  prepared: PreparedWorkloadRollback,
): Promise<RollbackResult> {
  return prepared.kind === 'Deployment'
    ? applyRollback(cluster, prepared)
    : applyRevisionRollback(cluster, prepared);
}

/** Plans and applies a rollback of one workload of any awaited kind. */
export async function rollbackWorkload(
  cluster: Cluster,
  namespace: string,
  kind: WorkloadKind,
  name: string,
  target: RollbackTarget = {},
): Promise<RollbackResult> {
  return applyWorkloadRollback(
    cluster,
    await prepareWorkloadRollback(cluster, namespace, kind, name, target),
  );
}
