import type { V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { RollgateError } from '../errors.ts';
import { jsonEqual } from '../json/canonical.ts';
import { OUTCOME_ANNOTATION, outcomeOf, VERSION_ANNOTATION } from './annotations.ts';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/**
 * The earlier revisions a re-used ReplicaSet stood for: the controller appends the old number
 * when a rollback re-uses it (`SetNewReplicaSetAnnotations`, kubernetes
 * `pkg/controller/deployment/util/deployment_util.go`), so 1, 2, 3 → undo to 2 leaves the
 * ReplicaSet of 2 at revision 4 with `revision-history: 2`.
 */
const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
const POD_TEMPLATE_HASH = 'pod-template-hash';

/**
 * Annotations the Deployment keeps as its own on undo; every other annotation comes from the
 * ReplicaSet rolled back to (kubectl `pkg/polymorphichelpers/rollback.go`, annotationsToSkip).
 */
const DEPLOYMENT_OWN_ANNOTATIONS = [
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
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
 * selector: take exactly `toRevision`, or else the previous *good* revision (see
 * {@link previousGoodRevision}); refuse a paused Deployment, skip when the template already
 * matches (ignoring `pod-template-hash`), else a JSON Patch replacing `/spec/template` (without
 * the hash label) and `/metadata/annotations` (the Deployment's own revision bookkeeping kept,
 * the rest taken from the ReplicaSet, except `rollgate.dev/outcome`). The controller then gives
 * the re-used ReplicaSet the next revision.
 */
export function planUndo(
  deployment: V1Deployment,
  replicaSets: readonly V1ReplicaSet[],
  toRevision?: number,
): UndoPlan {
  const name = deployment.metadata?.name ?? '';
  const owned = ownedReplicaSets(deployment, replicaSets);
  const { replicaSet: target, revision } =
    toRevision === undefined ? previousGoodRevision(name, owned) : exactRevision(name, owned, toRevision);
  if (deployment.spec?.paused === true) {
    throw new RollgateError(
      `Deployment ${name} is paused.`,
      'A paused Deployment cannot be rolled back (kubectl refuses it too).',
      `Resume it first with 'kubectl rollout resume deployment/${name}' and try again.`,
    );
  }
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
    // The outcome belongs to the ReplicaSet alone: on the Deployment, the controller would copy it
    // onto the next ReplicaSet it creates, before that rollout has any outcome.
    if (!DEPLOYMENT_OWN_ANNOTATIONS.includes(key) && key !== OUTCOME_ANNOTATION) annotations[key] = value;
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

interface ChosenRevision {
  readonly replicaSet: V1ReplicaSet;
  readonly revision: number;
}

/** `--to-revision=N`: exactly the ReplicaSet whose revision is N now (as kubectl looks it up). */
function exactRevision(name: string, owned: readonly V1ReplicaSet[], toRevision: number): ChosenRevision {
  const exact = owned.find((rs) => revisionOf(rs) === toRevision);
  if (exact) return { replicaSet: exact, revision: toRevision };
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

/**
 * "Previous" as the previous *good* revision: the newest revision older than the current one
 * (the highest, kubectl's `ordered[0]`) whose ReplicaSet Rollgate did not record as `failed` or
 * `rolled-back`. kubectl would take the second-highest, which after an automatic rollback is the
 * very version that just failed.
 *
 * Revisions are counted as `kubectl rollout history` tells them, earlier numbers included: a
 * ReplicaSet that a rollback re-used keeps its old number in `revision-history`. So after
 * 1.0.0 (1) → 1.1.0 (2) → a failed 1.2.0 (3) rolled back automatically, 1.1.0 runs as 4 and
 * stood for 2 as well; the revision before the current one that did not fail is 2, whose
 * template already runs, and the undo is kubectl's "skipped rollback". That is the choice on
 * purpose rather than passing over 2 to reach 1.0.0: a rollback step after a deploy step that
 * already rolled itself back (`if: failure()` in a workflow) must leave the good 1.1.0 running,
 * not walk further back on its own. Going further back takes a named revision or version.
 */
export function previousGoodRevision(name: string, owned: readonly V1ReplicaSet[]): ChosenRevision {
  const withRevision = owned.filter((rs) => revisionOf(rs) !== undefined);
  if (withRevision.length < 2) {
    throw new RollgateError(
      `No rollout history found for deployment ${name}.`,
      'It has only one revision, so there is nothing to go back to.',
      'Deploy a version first; a rollback needs an earlier revision.',
    );
  }
  const current = Math.max(...withRevision.map((rs) => revisionOf(rs) ?? 0));
  const earlier = withRevision
    .flatMap((rs) => revisionsOf(rs).map((revision) => ({ replicaSet: rs, revision })))
    .filter((entry) => entry.revision < current)
    .sort((a, b) => b.revision - a.revision);
  const good = earlier.find((entry) => !isRecordedBad(entry.replicaSet));
  if (good !== undefined) return good;
  const passed = earlier.map(({ replicaSet, revision }) =>
    `${revision}${versionLabel(replicaSet)} ${outcomeOf(replicaSet) ?? ''}`.trimEnd(),
  );
  throw new RollgateError(
    `No good revision of deployment ${name} to go back to.`,
    `Rollgate recorded every revision before the current one (${current}) as failed or rolled back: ${passed.join(', ')}.`,
    `Name the revision or version to return to ('to-revision' or 'to-version'), or deploy a fixed version.`,
  );
}

/** Every revision number a ReplicaSet stood for: its current one and those in `revision-history`. */
function revisionsOf(rs: V1ReplicaSet): number[] {
  const current = revisionOf(rs);
  const history = (rs.metadata?.annotations?.[REVISION_HISTORY_ANNOTATION] ?? '')
    .split(',')
    .map((text) => text.trim())
    .filter((text) => /^\d+$/.test(text))
    .map(Number);
  return current === undefined ? history : [current, ...history];
}

function isRecordedBad(rs: V1ReplicaSet): boolean {
  const outcome = outcomeOf(rs);
  return outcome === 'failed' || outcome === 'rolled-back';
}

function versionLabel(rs: V1ReplicaSet): string {
  const version = rs.metadata?.annotations?.[VERSION_ANNOTATION];
  return version === undefined ? '' : ` (${version})`;
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
