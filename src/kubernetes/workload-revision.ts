import type { Cluster } from './cluster.ts';
import { currentRevisionOf, ownedRevisions } from './controller-revisions.ts';
import type { WorkloadKind } from './rollout-status.ts';
import { labelSelectorString } from './selectors.ts';
import { revisionOf } from './undo.ts';

/**
 * The revision a workload runs now, as `kubectl rollout history` numbers it — a Deployment's
 * `deployment.kubernetes.io/revision`, the `revision` of a StatefulSet's update ControllerRevision
 * or of a DaemonSet's newest one — or undefined when the object does not exist yet (or has no
 * revision): then there is nothing to roll back to.
 */
export async function workloadRevision(
  cluster: Cluster,
  kind: WorkloadKind,
  namespace: string,
  name: string,
): Promise<number | undefined> {
  let workload;
  try {
    workload = await cluster.readWorkload(kind, namespace, name);
  } catch {
    return undefined;
  }
  if (workload.kind === 'Deployment') return revisionOf(workload.object);
  const revisions = await cluster.listControllerRevisions(
    namespace,
    labelSelectorString(workload.object.spec?.selector),
  );
  return currentRevisionOf(workload.kind, workload.object, ownedRevisions(workload.object, revisions))
    ?.revision;
}
