import { OUTCOME_ANNOTATION, type RevisionOutcome } from './annotations.ts';
import type { Cluster } from './cluster.ts';
import { labelSelectorString } from './selectors.ts';
import { ownedReplicaSets, revisionOf } from './undo.ts';

/**
 * Writes how the rollout of `revision` ended (`rollgate.dev/outcome`) on the ReplicaSet of that
 * revision, with a JSON merge patch of that one annotation. The ReplicaSet is where it survives:
 * the Deployment's annotations are replaced by the next rollout, and the controller copies the
 * Deployment's annotations onto new ReplicaSets, not back. Returns the ReplicaSet's name, or
 * undefined when no owned ReplicaSet has that revision any more (pruned by revisionHistoryLimit).
 */
export async function recordOutcome(
  cluster: Cluster,
  namespace: string,
  name: string,
  revision: number,
  outcome: RevisionOutcome,
): Promise<string | undefined> {
  const deployment = await cluster.readDeployment(namespace, name);
  const owned = ownedReplicaSets(
    deployment,
    await cluster.listReplicaSets(namespace, labelSelectorString(deployment.spec?.selector)),
  );
  const replicaSet = owned.find((rs) => revisionOf(rs) === revision)?.metadata?.name;
  if (replicaSet === undefined) return undefined;
  await cluster.patchReplicaSet(
    namespace,
    replicaSet,
    { metadata: { annotations: { [OUTCOME_ANNOTATION]: outcome } } },
    'merge',
  );
  return replicaSet;
}
