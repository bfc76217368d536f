import type { V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { RollgateError } from '../errors.ts';
import { jsonEqual } from '../json/canonical.ts';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
const POD_TEMPLATE_HASH = 'pod-template-hash';

/**
 * Annotations the Deployment keeps as its own on undo; every other annotation comes from the
 * ReplicaSet rolled back to (kubectl `pkg/polymorphichelpers/rollback.go`, annotationsToSkip).
 */
const DEPLOYMENT_OWN_ANNOTATIONS = [
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
];

export type JsonPatchOperation = { readonly op: 'replace'; readonly path: string; readonly value: unknown };

/** What an undo will do: patch the Deployment back to a ReplicaSet's template, or nothing. */
export type UndoPlan =
  | {
      readonly kind: 'patch';
      readonly toRevision: number;
      readonly replicaSet: V1ReplicaSet;
      readonly patch: readonly JsonPatchOperation[];
    }
  | {
      readonly kind: 'skip';
      readonly toRevision: number;
      readonly replicaSet: V1ReplicaSet;
      readonly message: string;
    };

/** The `deployment.kubernetes.io/revision` of an object, or undefined when absent or not a number. */
export function revisionOf(object: {
  metadata?: { annotations?: Record<string, string> };
}): number | undefined {
  const text = object.metadata?.annotations?.[REVISION_ANNOTATION];
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/** The ReplicaSets a Deployment controls: its controller ownerReference carries the Deployment's uid. */
export function ownedReplicaSets(
  deployment: V1Deployment,
  replicaSets: readonly V1ReplicaSet[],
): V1ReplicaSet[] {
  const uid = deployment.metadata?.uid;
  return replicaSets.filter(
    (rs) => rs.metadata?.ownerReferences?.some((ref) => ref.controller === true && ref.uid === uid) === true,
  );
}

/**
 * `kubectl rollout undo` as a pure decision over the Deployment and the ReplicaSets listed by its
 * selector: take the owned ReplicaSet with the second-highest revision (or exactly `toRevision`),
 * refuse a paused Deployment, skip when the template already matches (ignoring
 * `pod-template-hash`), else a JSON Patch replacing `/spec/template` (without the hash label)
 * and `/metadata/annotations` (the Deployment's own revision bookkeeping kept, the rest taken
 * from the ReplicaSet). The controller then gives the re-used ReplicaSet the next revision.
 */
export function planUndo(
  deployment: V1Deployment,
  replicaSets: readonly V1ReplicaSet[],
  toRevision?: number,
): UndoPlan {
  const name = deployment.metadata?.name ?? '';
  const target = findRevision(name, ownedReplicaSets(deployment, replicaSets), toRevision);
  if (deployment.spec?.paused === true) {
    throw new RollgateError(
      `Deployment ${name} is paused.`,
      'A paused Deployment cannot be rolled back (kubectl refuses it too).',
      `Resume it first with 'kubectl rollout resume deployment/${name}' and try again.`,
    );
  }
  const revision = revisionOf(target) ?? 0;
  const template = withoutHashLabel(target.spec?.template);
  if (jsonEqual(template, withoutHashLabel(deployment.spec?.template))) {
    return {
      kind: 'skip',
      toRevision: revision,
      replicaSet: target,
      message: `skipped rollback (current template already matches revision ${revision})`,
    };
  }
  const own = deployment.metadata?.annotations ?? {};
  const annotations: Record<string, string> = {};
  for (const key of DEPLOYMENT_OWN_ANNOTATIONS) {
    const value = own[key];
    if (value !== undefined) annotations[key] = value;
  }
  for (const [key, value] of Object.entries(target.metadata?.annotations ?? {})) {
    if (!DEPLOYMENT_OWN_ANNOTATIONS.includes(key)) annotations[key] = value;
  }
  return {
    kind: 'patch',
    toRevision: revision,
    replicaSet: target,
    patch: [
      { op: 'replace', path: '/spec/template', value: template },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ],
  };
}

function findRevision(
  name: string,
  owned: readonly V1ReplicaSet[],
  toRevision: number | undefined,
): V1ReplicaSet {
  if (toRevision !== undefined) {
    const exact = owned.find((rs) => revisionOf(rs) === toRevision);
    if (exact) return exact;
    const known = owned
      .map(revisionOf)
      .filter((r): r is number => r !== undefined)
      .sort((a, b) => a - b);
    throw new RollgateError(
      `Revision ${toRevision} of deployment ${name} was not found in its history.`,
      `The revisions kept are ${known.length === 0 ? 'none' : known.join(', ')} (revisionHistoryLimit prunes older ones).`,
      `Pick one of the kept revisions, or leave 'to-revision' empty to go back to the previous one.`,
    );
  }
  const ordered = owned
    .filter((rs) => revisionOf(rs) !== undefined)
    .sort((a, b) => (revisionOf(b) ?? 0) - (revisionOf(a) ?? 0));
  const previous = ordered[1];
  if (previous === undefined) {
    throw new RollgateError(
      `No rollout history found for deployment ${name}.`,
      'It has only one revision, so there is nothing to go back to.',
      'Deploy a version first; a rollback needs an earlier revision.',
    );
  }
  return previous;
}

/** The template as plain JSON (as it goes into the patch), without the `pod-template-hash` label. */
function withoutHashLabel(template: V1PodTemplateSpec | undefined): PlainTemplate {
  const copy = JSON.parse(JSON.stringify(template ?? {})) as PlainTemplate;
  if (copy.metadata?.labels) {
    copy.metadata.labels = Object.fromEntries(
      Object.entries(copy.metadata.labels).filter(([key]) => key !== POD_TEMPLATE_HASH),
    );
  }
  return copy;
}

type PlainTemplate = { metadata?: { labels?: Record<string, string> } } & Record<string, unknown>;
