import { RollgateError } from '../errors.ts';
import { VERSION_ANNOTATION } from './annotations.ts';
import type { Cluster } from './cluster.ts';
import { labelSelectorString } from './selectors.ts';
import { ownedReplicaSets, planUndo, revisionOf } from './undo.ts';

/** Where to roll back to: a revision, a version recorded by Rollgate, or (neither) the previous revision. */
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
  readonly message: string;
}

/**
 * `kubectl rollout undo deployment/<name> [--to-revision=N]`, or to the ReplicaSet that
 * Rollgate annotated with `rollgate.dev/version: <version>`: reads the Deployment and its
 * ReplicaSets, plans the undo (pure), and applies kubectl's JSON Patch.
 */
export async function rollbackDeployment(
  cluster: Cluster,
  namespace: string,
  name: string,
  target: RollbackTarget = {},
): Promise<RollbackResult> {
  const deployment = await cluster.readDeployment(namespace, name);
  const replicaSets = await cluster.listReplicaSets(
    namespace,
    labelSelectorString(deployment.spec?.selector),
  );
  let revision = target.revision;
  if (target.version !== undefined) {
    const owned = ownedReplicaSets(deployment, replicaSets).filter(
      (rs) => rs.metadata?.annotations?.[VERSION_ANNOTATION] === target.version,
    );
    const newest = owned
      .map(revisionOf)
      .filter((r): r is number => r !== undefined)
      .sort((a, b) => b - a)[0];
    if (newest === undefined) {
      const known = [
        ...new Set(
          ownedReplicaSets(deployment, replicaSets)
            .map((rs) => rs.metadata?.annotations?.[VERSION_ANNOTATION])
            .filter((v): v is string => v !== undefined),
        ),
      ];
      throw new RollgateError(
        `Version ${target.version} is not in the rollout history of deployment ${name}.`,
        `The versions kept are ${known.length === 0 ? 'none recorded by Rollgate' : known.join(', ')}.`,
        `Pick a kept version, a revision ('to-revision'), or leave both empty for the previous revision.`,
      );
    }
    revision = newest;
  }
  const plan = planUndo(deployment, replicaSets, revision);
  const version = plan.replicaSet.metadata?.annotations?.[VERSION_ANNOTATION];
  const fromRevision = revisionOf(deployment);
  if (plan.kind === 'skip')
    return { kind: 'skipped', fromRevision, toRevision: plan.toRevision, version, message: plan.message };
  await cluster.patchDeployment(namespace, name, plan.patch, 'json');
  return {
    kind: 'rolled-back',
    fromRevision,
    toRevision: plan.toRevision,
    version,
    message: `rolled back deployment "${name}" to revision ${plan.toRevision}${version ? ` (version ${version})` : ''}`,
  };
}
