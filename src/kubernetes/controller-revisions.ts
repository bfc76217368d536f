import type { V1ControllerRevision, V1DaemonSet, V1StatefulSet } from '@kubernetes/client-node';
import { RollgateError } from '../errors.ts';
import { jsonEqual } from '../json/canonical.ts';
import type { WorkloadKind } from './rollout-status.ts';

/** The pod label that names a pod's revision: the revision's name (StatefulSet) or its hash (DaemonSet). */
export const CONTROLLER_REVISION_HASH = 'controller-revision-hash';

/** A StatefulSet or DaemonSet: the kinds whose history is kept in ControllerRevisions. */
export type RevisionedKind = Exclude<WorkloadKind, 'Deployment'>;
export type RevisionedWorkload = V1StatefulSet | V1DaemonSet;

/** kubectl's names for the kinds in its messages (`statefulset`, `daemonset`). */
export function kindNoun(kind: WorkloadKind): string {
  return kind.toLowerCase();
}

/** What `kubectl rollout undo` of a StatefulSet or DaemonSet will do: patch back to a revision, or nothing. */
export type RevisionRollbackPlan =
  | {
      readonly kind: 'patch';
      readonly toRevision: number;
      readonly revision: V1ControllerRevision;
      /** The revision's `data`: a strategic merge patch that replaces `spec.template`. */
      readonly patch: object;
    }
  | {
      readonly kind: 'skip';
      readonly toRevision: number;
      readonly revision: V1ControllerRevision;
      readonly message: string;
    };

/**
 * The ControllerRevisions an object controls (kubectl's `controlledHistory`: listed by the
 * object's selector, kept when their controller ownerReference carries its uid), lowest first.
 */
export function ownedRevisions(
  owner: { metadata?: { uid?: string } },
  revisions: readonly V1ControllerRevision[],
): V1ControllerRevision[] {
  const uid = owner.metadata?.uid;
  return revisions
    .filter(
      (r) => r.metadata?.ownerReferences?.some((ref) => ref.controller === true && ref.uid === uid) === true,
    )
    .sort((a, b) => a.revision - b.revision);
}

/**
 * The revision an object's template is now: a StatefulSet's `status.updateRevision` (once the
 * controller has observed the spec), a DaemonSet's newest revision. Undefined before the
 * controller has written one.
 */
export function currentRevisionOf(
  kind: RevisionedKind,
  workload: RevisionedWorkload,
  owned: readonly V1ControllerRevision[],
): V1ControllerRevision | undefined {
  const observed = (workload.status?.observedGeneration ?? 0) >= (workload.metadata?.generation ?? 0);
  if (!observed) return undefined;
  if (kind === 'StatefulSet') {
    const name = (workload as V1StatefulSet).status?.updateRevision;
    return owned.find((r) => r.metadata?.name === name);
  }
  return owned.at(-1);
}

/** The value of `controller-revision-hash` on the pods of `revision`. */
export function podLabelOf(kind: RevisionedKind, revision: V1ControllerRevision): string {
  return kind === 'StatefulSet'
    ? (revision.metadata?.name ?? '')
    : (revision.metadata?.labels?.[CONTROLLER_REVISION_HASH] ?? '');
}

/**
 * `kubectl rollout undo statefulset|daemonset/NAME [--to-revision=N]` as a pure decision
 * (`pkg/polymorphichelpers/rollback.go`, StatefulSetRollbacker and DaemonSetRollbacker): with no
 * revision asked and at most one kept, "no last revision to roll back to"; else the revision with
 * the second-highest `revision` (findHistory), or exactly N ("unable to find specified revision N
 * in history"); skip when the object's template already equals the revision's (kubectl compares
 * its own getPatch of the object with the revision's `data`); else send `data` back as a strategic
 * merge patch — it replaces `spec.template` as a whole.
 */
export function planRevisionRollback(
  kind: RevisionedKind,
  workload: RevisionedWorkload,
  owned: readonly V1ControllerRevision[],
  toRevision?: number,
): RevisionRollbackPlan {
  const ref = `${kindNoun(kind)}/${workload.metadata?.name ?? ''}`;
  const kept = owned.map((r) => r.revision).sort((a, b) => a - b);
  let target: V1ControllerRevision | undefined;
  if (toRevision === undefined) {
    if (owned.length <= 1) {
      throw new RollgateError(
        `No last revision to roll back to for ${ref}.`,
        `It has ${owned.length === 0 ? 'no ControllerRevision' : 'only one revision'}, so there is nothing to go back to.`,
        'Deploy a version first; a rollback needs an earlier revision.',
      );
    }
    target = [...owned].sort((a, b) => a.revision - b.revision).at(-2);
  } else {
    target = owned.find((r) => r.revision === toRevision);
  }
  if (target === undefined) {
    throw new RollgateError(
      `Unable to find revision ${toRevision ?? 0} in the history of ${ref}.`,
      `The revisions kept are ${kept.length === 0 ? 'none' : kept.join(', ')} (revisionHistoryLimit prunes older ones).`,
      `Pick one of the kept revisions, or leave 'to-revision' empty to go back to the previous one.`,
    );
  }
  const patch = (target.data ?? {}) as object;
  if (jsonEqual(templatePatchOf(workload), JSON.parse(JSON.stringify(patch)))) {
    return {
      kind: 'skip',
      toRevision: target.revision,
      revision: target,
      message: `skipped rollback (current template already matches revision ${target.revision})`,
    };
  }
  return { kind: 'patch', toRevision: target.revision, revision: target, patch };
}

/** kubectl's getStatefulSetPatch / getDaemonSetPatch: the template, marked to replace the whole. */
function templatePatchOf(workload: RevisionedWorkload): unknown {
  const template = JSON.parse(JSON.stringify(workload.spec?.template ?? {})) as Record<string, unknown>;
  return { spec: { template: { ...template, $patch: 'replace' } } };
}
