/**
 * Revisions and templates (`deployment_util.go`): which ReplicaSet is the new one (same template,
 * ignoring pod-template-hash), revision numbers, and the annotations a new or re-used ReplicaSet
 * gets — a rollback re-uses the old ReplicaSet, moves it to the next revision and remembers the
 * old number in `revision-history`.
 */
import { semanticEqual } from './json-value.ts';
import { byCreation, replicasAnnotations } from './deployment-replicas.ts';
import type { Deployment, ReplicaSet } from './resources.ts';

export const revisionAnnotation = 'deployment.kubernetes.io/revision';
const revisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const podTemplateHashLabel = 'pod-template-hash';

const annotationsToSkip = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  revisionAnnotation,
  revisionHistoryAnnotation,
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

/** The controller's `--deployment-controller-max-revision-history-length-in-chars`… fixed at its default. */
const maxRevisionHistoryLength = 2000;

export function revisionOf(object: { metadata: { annotations?: Record<string, string> } }): number {
  const value = object.metadata.annotations?.[revisionAnnotation];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : 0;
}

export function maxRevision(list: readonly ReplicaSet[]): number {
  return Math.max(0, ...list.map(revisionOf));
}

type Template = NonNullable<NonNullable<ReplicaSet['spec']>['template']>;

/** `EqualIgnoreHash`: templates equal once the pod-template-hash label is dropped. */
export function equalIgnoreHash(a: Template | undefined, b: Template | undefined): boolean {
  const strip = (t: Template | undefined): unknown => {
    const copy = structuredClone(t ?? {});
    if (copy.metadata?.labels) {
      const { [podTemplateHashLabel]: _hash, ...labels } = copy.metadata.labels;
      copy.metadata.labels = labels;
    }
    return copy;
  };
  return semanticEqual(strip(a), strip(b));
}

/** `FindNewReplicaSet`: the oldest ReplicaSet whose template is the Deployment's. */
export function findNewReplicaSet(d: Deployment, list: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...list].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/**
 * `SetNewReplicaSetAnnotations`: copies the Deployment's annotations, raises the revision to
 * `newRevision` (recording the old one in revision-history when it re-uses a ReplicaSet) and,
 * for a ReplicaSet about to be created, sets desired/max replicas. Mutates `rs`; says whether
 * anything changed.
 */
export function setNewReplicaSetAnnotations(
  d: Deployment,
  rs: ReplicaSet,
  newRevision: number,
  exists: boolean,
): boolean {
  const annotations = { ...rs.metadata.annotations };
  let changed = false;
  for (const [key, value] of Object.entries(d.metadata.annotations ?? {})) {
    if (annotationsToSkip.has(key) || annotations[key] === value) continue;
    annotations[key] = value;
    changed = true;
  }
  const oldText = annotations[revisionAnnotation];
  const oldRevision = oldText === undefined ? 0 : Number(oldText);
  if (oldRevision < newRevision) {
    annotations[revisionAnnotation] = String(newRevision);
    changed = true;
    if (oldText !== undefined) {
      const history = (annotations[revisionHistoryAnnotation] ?? '').split(',').filter(Boolean);
      history.push(oldText);
      while (history.join(',').length > maxRevisionHistoryLength) history.shift();
      annotations[revisionHistoryAnnotation] = history.join(',');
    }
  }
  rs.metadata.annotations = annotations;
  if (!exists) {
    const replicas = replicasAnnotations(d, rs);
    if (replicas) {
      rs.metadata.annotations = replicas;
      changed = true;
    }
  }
  return changed;
}
