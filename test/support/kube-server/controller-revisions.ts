/**
 * ControllerRevisions as the StatefulSet and DaemonSet controllers keep them
 * (`pkg/controller/history/controller_history.go`, `statefulset/stateful_set_utils.go` getPatch,
 * `daemon/update.go` snapshot): an immutable snapshot of the pod template as a strategic merge
 * patch (`{"spec":{"template":{…,"$patch":"replace"}}}` — what `kubectl rollout undo` sends back),
 * a `revision` number, a controller ownerReference, and a name `<owner>-<hash>`. A template that
 * returns (a rollback) re-uses its old revision, raised to the next number.
 */
import type { JsonObject } from './json-value.ts';
import { canonicalJson, isJsonObject, semanticEqual } from './json-value.ts';
import { safeEncodeString } from './names.ts';
import type { Registry } from './registry.ts';
import { isControlledBy } from './replicaset-controller.ts';
import {
  controllerRevisions,
  isControllerRevision,
  type ControllerRevision,
  type KubeObject,
  type Pod,
} from './resources.ts';
import { labelSelectorFromObject, matchesLabels } from './selectors.ts';
import { KubeError } from './status.ts';

/** The label StatefulSet pods carry (the revision's name) and DaemonSet pods carry (the hash). */
export const controllerRevisionHashLabel = 'controller-revision-hash';
/** The label `history.NewControllerRevision` puts on a StatefulSet's revisions. */
export const historyHashLabel = 'controller.kubernetes.io/hash';

type Owner = KubeObject & {
  spec?: { selector?: { matchLabels?: Record<string, string> }; template?: unknown };
};

/** `getPatch`: the template alone, marked to replace the whole template when applied. */
export function templatePatch(template: unknown): JsonObject {
  const copy = structuredClone(isJsonObject(template) ? template : {});
  return { spec: { template: { ...copy, $patch: 'replace' } } };
}

/** The template a revision holds (`ApplyRevision`), without the patch directive. */
export function templateOf(revision: ControllerRevision): JsonObject {
  const data = isJsonObject(revision.data) ? revision.data : {};
  const spec = isJsonObject(data.spec) ? data.spec : {};
  const template = isJsonObject(spec.template) ? structuredClone(spec.template) : {};
  delete template.$patch;
  return template;
}

function fnv32(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash = Math.imul(hash, 0x01000193) >>> 0;
    hash ^= byte;
  }
  return hash >>> 0;
}

/**
 * `HashControllerRevision`: FNV-32 over the data, then the collision count in decimal, printed in
 * decimal and safe-encoded. The data is hashed as canonical JSON, so values differ from a real
 * cluster's while keeping their shape and stability.
 */
export function hashControllerRevision(data: unknown, collisionCount: number): string {
  const text = canonicalJson(data) + (collisionCount > 0 ? String(collisionCount) : '');
  return safeEncodeString(String(fnv32(new TextEncoder().encode(text))));
}

/** The ControllerRevisions `owner` controls and its selector matches, lowest revision first. */
export function ownedRevisions(registry: Registry, owner: Owner): ControllerRevision[] {
  const selector = labelSelectorFromObject(owner.spec?.selector);
  return registry
    .list(controllerRevisions, owner.metadata.namespace)
    .filter(isControllerRevision)
    .filter((cr) => isControlledBy(cr, owner.metadata.uid) && matchesLabels(selector, cr.metadata.labels))
    .sort((a, b) => a.revision - b.revision || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

export function nextRevision(revisions: readonly ControllerRevision[]): number {
  return Math.max(0, ...revisions.map((r) => r.revision)) + 1;
}

/** `history.EqualRevision`: the same snapshot. */
export function equalData(revision: ControllerRevision, data: unknown): boolean {
  return semanticEqual(revision.data, data);
}

/**
 * Creates `<owner>-<hash>` for `data`, or — when that name holds other data, a hash collision —
 * counts the collision and tries the next name, as `CreateControllerRevision` does.
 */
export function createRevision(
  registry: Registry,
  owner: Owner,
  data: JsonObject,
  revision: number,
  options: {
    readonly collisionCount: number;
    readonly hash: (collisionCount: number) => string;
    readonly labels: (hash: string) => Record<string, string>;
    readonly annotations?: Record<string, string>;
  },
): { readonly revision: ControllerRevision; readonly collisionCount: number } {
  let collisionCount = options.collisionCount;
  for (;;) {
    const hash = options.hash(collisionCount);
    const name = `${owner.metadata.name ?? ''}-${hash}`;
    try {
      const created = registry.create(controllerRevisions, owner.metadata.namespace, {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name,
          namespace: owner.metadata.namespace,
          labels: options.labels(hash),
          ...(options.annotations && Object.keys(options.annotations).length > 0
            ? { annotations: options.annotations }
            : {}),
          ownerReferences: [
            {
              apiVersion: owner.apiVersion,
              kind: owner.kind,
              name: owner.metadata.name ?? '',
              uid: owner.metadata.uid ?? '',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        data,
        revision,
      });
      if (isControllerRevision(created)) return { revision: created, collisionCount };
      throw new Error(`stored ControllerRevision ${name} is not a ControllerRevision`);
    } catch (error) {
      if (!(error instanceof KubeError && error.status.reason === 'AlreadyExists')) throw error;
      const existing = registry.find(controllerRevisions, owner.metadata.namespace, name);
      if (existing && isControllerRevision(existing) && equalData(existing, data))
        return { revision: existing, collisionCount };
      collisionCount++;
    }
  }
}

/** Raises a re-used revision to `revision` (a rollback to an earlier template). */
export function renumberRevision(
  registry: Registry,
  revision: ControllerRevision,
  to: number,
): ControllerRevision {
  const stored = registry.replace(
    controllerRevisions,
    revision.metadata.namespace,
    revision.metadata.name ?? '',
    { ...revision, revision: to },
  );
  return isControllerRevision(stored) ? stored : revision;
}

/**
 * Deletes the oldest revisions beyond `limit` that no pod runs and that are not `live`
 * (the StatefulSet's truncateHistory, the DaemonSet's cleanupHistory).
 */
export function truncateHistory(
  registry: Registry,
  revisions: readonly ControllerRevision[],
  live: ReadonlySet<string>,
  pods: readonly Pod[],
  podRevision: (revision: ControllerRevision) => string,
  limit: number,
): void {
  const used = new Set(pods.map((p) => p.metadata.labels?.[controllerRevisionHashLabel] ?? ''));
  const history = revisions.filter((r) => !live.has(r.metadata.name ?? '') && !used.has(podRevision(r)));
  if (limit < 0 || history.length <= limit) return;
  for (const revision of history.slice(0, history.length - limit)) {
    registry.delete(controllerRevisions, revision.metadata.namespace, revision.metadata.name ?? '');
  }
}
