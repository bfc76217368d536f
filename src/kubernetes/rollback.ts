import { RollgateError } from '../errors.ts';
import { SHA_ANNOTATION, VERSION_ANNOTATION } from './annotations.ts';
import type { Cluster } from './cluster.ts';
import { labelSelectorString } from './selectors.ts';
import { ownedReplicaSets, planUndo, revisionOf, type UndoPlan } from './undo.ts';

/** Where to roll back to: a revision, a version recorded by Rollgate, or (neither) the previous good revision. */
export interface RollbackTarget {
  readonly revision?: number | undefined;
  readonly version?: string | undefined;
}

export interface RollbackResult {
  /** `skipped` when the Deployment already runs that template (kubectl's "skipped rollback"). */
  readonly kind: 'rolled-back' | 'skipped';
  readonly fromRevision: number | undefined;
  /** The revision whose template now runs (the controller re-stamps it with a new number). */
  readonly toRevision: number;
  readonly version: string | undefined;
  /** The commit of the version that runs again (`rollgate.dev/sha` of its ReplicaSet), when recorded. */
  readonly sha: string | undefined;
  readonly message: string;
}

/** A planned rollback of one Deployment: read and decided, nothing changed yet. */
export interface PreparedRollback {
  readonly name: string;
  readonly namespace: string;
  readonly plan: UndoPlan;
  readonly fromRevision: number | undefined;
  /** The version that runs before the rollback (the Deployment's `rollgate.dev/version`). */
  readonly fromVersion: string | undefined;
  readonly version: string | undefined;
  readonly sha: string | undefined;
}

/**
 * `kubectl rollout undo deployment/<name> [--to-revision=N]`, or to the ReplicaSet that
 * Rollgate annotated with `rollgate.dev/version: <version>`, decided but not applied: reads the
 * Deployment and its ReplicaSets and plans the undo (pure). A wrong target fails here, before
 * anything changes.
 */
export async function prepareRollback(
  cluster: Cluster,
  namespace: string,
  name: string,
  target: RollbackTarget = {},
): Promise<PreparedRollback> {
  const deployment = await cluster.readDeployment(namespace, name);
  const owned = ownedReplicaSets(
    deployment,
    await cluster.listReplicaSets(namespace, labelSelectorString(deployment.spec?.selector)),
  );
  let revision = target.revision;
  if (target.version !== undefined) {
    const byRevision = owned
      .filter((rs) => revisionOf(rs) !== undefined)
      .sort((a, b) => (revisionOf(a) ?? 0) - (revisionOf(b) ?? 0));
    revision = byRevision
      .filter((rs) => rs.metadata?.annotations?.[VERSION_ANNOTATION] === target.version)
      .map(revisionOf)
      .at(-1);
    if (revision === undefined) {
      const known = [
        ...new Set(
          byRevision
            .map((rs) => rs.metadata?.annotations?.[VERSION_ANNOTATION])
            .filter((v): v is string => v !== undefined),
        ),
      ];
      throw new RollgateError(
        `Version ${target.version} is not in the rollout history of deployment ${name}.`,
        `The versions kept are ${known.length === 0 ? 'none recorded by Rollgate' : known.join(', ')}.`,
        `Pick a kept version, a revision ('to-revision'), or leave both empty for the previous good revision.`,
      );
    }
  }
  const plan = planUndo(deployment, owned, revision);
  return {
    name,
    namespace,
    plan,
    fromRevision: revisionOf(deployment),
    fromVersion: deployment.metadata?.annotations?.[VERSION_ANNOTATION],
    version: plan.replicaSet.metadata?.annotations?.[VERSION_ANNOTATION],
    sha: plan.replicaSet.metadata?.annotations?.[SHA_ANNOTATION] || undefined,
  };
}

/** Applies a prepared rollback with kubectl's JSON Patch (nothing to do when it was skipped). */
export async function applyRollback(cluster: Cluster, prepared: PreparedRollback): Promise<RollbackResult> {
  const { plan, name, version, fromRevision, sha } = prepared;
  if (plan.kind === 'skip')
    return {
      kind: 'skipped',
      fromRevision,
      toRevision: plan.toRevision,
      version,
      sha,
      message: plan.message,
    };
  await cluster.patchDeployment(prepared.namespace, name, plan.patch, 'json');
  return {
    kind: 'rolled-back',
    fromRevision,
    toRevision: plan.toRevision,
    version,
    sha,
    message: `rolled back deployment "${name}" to revision ${plan.toRevision}${version ? ` (version ${version})` : ''}`,
  };
}

/** Plans and applies a rollback of one Deployment. */
export async function rollbackDeployment(
  cluster: Cluster,
  namespace: string,
  name: string,
  target: RollbackTarget = {},
): Promise<RollbackResult> {
  return applyRollback(cluster, await prepareRollback(cluster, namespace, name, target));
}

/** `rolled back to revision 3 (version 1.4.0)` for status descriptions and summaries. */
export function describeRollbacks(rollbacks: readonly RollbackResult[]): string {
  if (rollbacks.length === 0) return '';
  return `rolled back to ${rollbacks.map((r) => `revision ${r.toRevision}${r.version ? ` (version ${r.version})` : ''}`).join(', ')}`;
}
