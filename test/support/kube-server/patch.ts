/**
 * The patch kinds the API server accepts: RFC 6902 JSON patch, RFC 7386 merge patch, strategic
 * merge patch (lists merged by the `patchMergeKey` Kubernetes declares on its types, with the
 * `$patch`, `$retainKeys` and `$deleteFromPrimitiveList` directives) and server-side apply, which
 * here merges like a strategic merge patch; who owns which field is `field-managers.ts`.
 */
import { childAt, isJsonObject, removeKey, semanticEqual, type JsonObject } from './json-value.ts';
import { badRequest, unprocessable } from './status.ts';

export const patchContentTypes = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

export type PatchContentType = (typeof patchContentTypes)[number];

export function isPatchContentType(value: string): value is PatchContentType {
  return (patchContentTypes as readonly string[]).includes(value);
}

/** How a strategic merge treats a list field: merged by a key, merged as a set, or replaced. */
export type ListStrategy =
  { readonly mergeKey: string; readonly item?: MergeSchema } | { readonly set: true };

export interface MergeSchema {
  readonly fields?: Readonly<Record<string, MergeSchema>>;
  readonly lists?: Readonly<Record<string, ListStrategy>>;
}

// Merge keys as declared by `patchMergeKey` tags in k8s.io/api (core/v1 and apps/v1 types.go).
const container: MergeSchema = {
  lists: {
    ports: { mergeKey: 'containerPort' },
    env: { mergeKey: 'name' },
    volumeMounts: { mergeKey: 'mountPath' },
    volumeDevices: { mergeKey: 'devicePath' },
  },
};
const objectMeta: MergeSchema = {
  lists: { ownerReferences: { mergeKey: 'uid' }, finalizers: { set: true } },
};
const podSpec: MergeSchema = {
  lists: {
    containers: { mergeKey: 'name', item: container },
    initContainers: { mergeKey: 'name', item: container },
    ephemeralContainers: { mergeKey: 'name', item: container },
    volumes: { mergeKey: 'name' },
    imagePullSecrets: { mergeKey: 'name' },
    hostAliases: { mergeKey: 'ip' },
    topologySpreadConstraints: { mergeKey: 'topologyKey' },
    schedulingGates: { mergeKey: 'name' },
    resourceClaims: { mergeKey: 'name' },
  },
};
const podTemplate: MergeSchema = { fields: { metadata: objectMeta, spec: podSpec } };
const conditions: MergeSchema = { lists: { conditions: { mergeKey: 'type' } } };

const mergeSchemas: Readonly<Record<string, MergeSchema>> = {
  Deployment: {
    fields: { metadata: objectMeta, spec: { fields: { template: podTemplate } }, status: conditions },
  },
  ReplicaSet: {
    fields: { metadata: objectMeta, spec: { fields: { template: podTemplate } }, status: conditions },
  },
  StatefulSet: {
    fields: { metadata: objectMeta, spec: { fields: { template: podTemplate } }, status: conditions },
  },
  DaemonSet: {
    fields: { metadata: objectMeta, spec: { fields: { template: podTemplate } }, status: conditions },
  },
  ControllerRevision: { fields: { metadata: objectMeta } },
  Pod: {
    fields: {
      metadata: objectMeta,
      spec: podSpec,
      status: { lists: { conditions: { mergeKey: 'type' }, podIPs: { mergeKey: 'ip' } } },
    },
  },
  Service: { fields: { metadata: objectMeta, spec: { lists: { ports: { mergeKey: 'port' } } } } },
  Namespace: { fields: { metadata: objectMeta, status: conditions } },
  // autoscaling/v2 types.go: metrics is atomic, status conditions are keyed by type.
  HorizontalPodAutoscaler: { fields: { metadata: objectMeta, status: conditions } },
};

/** How lists of `kind` merge: by key, as sets, or (by default) replaced whole. */
export function mergeSchemaOf(kind: string): MergeSchema {
  return mergeSchemas[kind] ?? {};
}

// ---- RFC 6902 JSON patch ----

interface JsonPatchOperation {
  readonly op: string;
  readonly path: string;
  readonly from?: string;
  readonly value?: unknown;
  readonly hasValue: boolean;
}

function decodeJsonPatch(patch: unknown): JsonPatchOperation[] {
  if (!Array.isArray(patch)) {
    throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  return patch.map((operation) => {
    if (!isJsonObject(operation) || typeof operation.op !== 'string' || typeof operation.path !== 'string') {
      throw badRequest(`invalid JSON patch operation: ${JSON.stringify(operation)}`);
    }
    return {
      op: operation.op,
      path: operation.path,
      ...(typeof operation.from === 'string' ? { from: operation.from } : {}),
      value: operation.value,
      hasValue: 'value' in operation,
    };
  });
}

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw unprocessable(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** The container holding the pointer's last segment, and that segment. */
function locate(document: unknown, pointer: string, op: string): { parent: unknown; key: string } {
  const segments = pointerSegments(pointer);
  const key = segments.pop();
  if (key === undefined)
    throw unprocessable(`${op} operation does not apply: the document root cannot be changed`);
  let parent = document;
  for (const segment of segments) {
    parent = childAt(parent, segment);
    if (parent === undefined) {
      throw unprocessable(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`);
    }
  }
  return { parent, key };
}

function readPointer(document: unknown, pointer: string, op: string): unknown {
  const { parent, key } = locate(document, pointer, op);
  const value = childAt(parent, key);
  if (value === undefined) {
    throw unprocessable(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`);
  }
  return value;
}

function arrayIndex(list: unknown[], key: string, allowEnd: boolean, pointer: string, op: string): number {
  const index = key === '-' && allowEnd ? list.length : Number(key);
  const limit = allowEnd ? list.length : list.length - 1;
  if (!/^(\d+|-)$/.test(key) || !Number.isInteger(index) || index < 0 || index > limit) {
    throw unprocessable(`${op} operation does not apply: doc is missing path: "${pointer}": invalid index`);
  }
  return index;
}

function addAt(document: unknown, pointer: string, value: unknown, op: string): void {
  const { parent, key } = locate(document, pointer, op);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, pointer, op), 0, value);
  else if (isJsonObject(parent)) parent[key] = value;
  else
    throw unprocessable(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`);
}

function removeAt(document: unknown, pointer: string, op: string): unknown {
  const value = readPointer(document, pointer, op);
  const { parent, key } = locate(document, pointer, op);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false, pointer, op), 1);
  else if (isJsonObject(parent)) removeKey(parent, key);
  return value;
}

/** Applies an RFC 6902 patch to a copy of `document` (`test`, `add`, `remove`, `replace`, `move`, `copy`). */
export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  const result = structuredClone(document);
  for (const operation of decodeJsonPatch(patch)) {
    const needsValue = ['add', 'replace', 'test'].includes(operation.op);
    if (needsValue && !operation.hasValue) throw badRequest(`missing value for ${operation.op} operation`);
    switch (operation.op) {
      case 'add':
        addAt(result, operation.path, structuredClone(operation.value), 'add');
        break;
      case 'remove':
        removeAt(result, operation.path, 'remove');
        break;
      case 'replace':
        removeAt(result, operation.path, 'replace');
        addAt(result, operation.path, structuredClone(operation.value), 'replace');
        break;
      case 'move': {
        const moved = removeAt(result, operation.from ?? '', 'move');
        addAt(result, operation.path, moved, 'move');
        break;
      }
      case 'copy':
        addAt(
          result,
          operation.path,
          structuredClone(readPointer(result, operation.from ?? '', 'copy')),
          'copy',
        );
        break;
      case 'test': {
        const actual = readPointer(result, operation.path, 'test');
        if (!deepEqualStrict(actual, operation.value)) {
          throw unprocessable(`testing value ${operation.path} failed: test failed`);
        }
        break;
      }
      default:
        throw badRequest(`Unexpected kind: ${operation.op}`);
    }
  }
  return result;
}

function deepEqualStrict(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqualStrict(item, b[i]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqualStrict(a[k], b[k]));
  }
  return a === b;
}

// ---- RFC 7386 merge patch ----

/** Applies an RFC 7386 merge patch: objects merge, `null` deletes, everything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return structuredClone(patch);
  const result: JsonObject = isJsonObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) removeKey(result, key);
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

// ---- strategic merge patch ----

const directivePrefixes = ['$setElementOrder/', '$deleteFromPrimitiveList/'];

function isDirectiveKey(key: string): boolean {
  return key === '$patch' || key === '$retainKeys' || directivePrefixes.some((p) => key.startsWith(p));
}

/** The patch value with every directive removed (what a new, un-merged field becomes). */
function withoutDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return listWithoutDirectives(value);
  if (!isJsonObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, item]) => !isDirectiveKey(key) && item !== null)
      .map(([key, item]) => [key, withoutDirectives(item)]),
  );
}

/** A list without its directive-only elements (`{$patch: replace}`), each element cleaned. */
function listWithoutDirectives(list: readonly unknown[]): unknown[] {
  return list
    .filter((item) => !(isJsonObject(item) && item.$patch !== undefined && Object.keys(item).length === 1))
    .map(withoutDirectives);
}

function mergeKeyedList(
  original: unknown[],
  patch: unknown[],
  strategy: { mergeKey: string; item?: MergeSchema },
): unknown[] {
  if (patch.some((item) => isJsonObject(item) && item.$patch === 'replace')) {
    return listWithoutDirectives(patch);
  }
  const result = structuredClone(original);
  const { mergeKey } = strategy;
  for (const item of patch) {
    if (!isJsonObject(item)) {
      result.push(structuredClone(item));
      continue;
    }
    const index = result.findIndex(
      (existing) => isJsonObject(existing) && semanticEqual(existing[mergeKey], item[mergeKey]),
    );
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) result[index] = mergeObject(result[index], item, strategy.item ?? {});
    else result.push(withoutDirectives(item));
  }
  return result;
}

function mergeSetList(original: unknown[], patch: unknown[]): unknown[] {
  const result = structuredClone(original);
  for (const item of patch) if (!result.some((existing) => semanticEqual(existing, item))) result.push(item);
  return result;
}

function mergeObject(original: unknown, patch: JsonObject, schema: MergeSchema): unknown {
  if (patch.$patch === 'replace') return withoutDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  if (patch.$patch !== undefined) throw badRequest(`Unknown patch type: ${JSON.stringify(patch.$patch)}`);
  const result: JsonObject = isJsonObject(original) ? structuredClone(original) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (isDirectiveKey(key)) continue;
    if (value === null) {
      removeKey(result, key);
      continue;
    }
    const list = schema.lists?.[key];
    const current = result[key];
    if (isJsonObject(value)) {
      const merged = mergeObject(current, value, schema.fields?.[key] ?? {});
      if (merged === undefined) removeKey(result, key);
      else result[key] = merged;
    } else if (Array.isArray(value) && list && Array.isArray(current)) {
      result[key] = 'set' in list ? mergeSetList(current, value) : mergeKeyedList(current, value, list);
    } else {
      result[key] = withoutDirectives(value);
    }
  }
  for (const [key, value] of Object.entries(patch)) {
    const field = key.startsWith('$deleteFromPrimitiveList/')
      ? key.slice('$deleteFromPrimitiveList/'.length)
      : undefined;
    const current = field === undefined ? undefined : result[field];
    if (field !== undefined && Array.isArray(current) && Array.isArray(value)) {
      result[field] = current.filter((item) => !value.some((v) => semanticEqual(v, item)));
    }
  }
  if (Array.isArray(patch.$retainKeys)) {
    const retained = new Set(patch.$retainKeys.filter((k): k is string => typeof k === 'string'));
    for (const key of Object.keys(result)) if (!retained.has(key)) removeKey(result, key);
  }
  return result;
}

/** Applies a strategic merge patch to `original` for an object of `kind`. */
export function applyStrategicMergePatch(original: unknown, patch: unknown, kind: string): unknown {
  if (!isJsonObject(patch)) throw badRequest('the patch is not a JSON object');
  return mergeObject(original, patch, mergeSchemas[kind] ?? {}) ?? {};
}
