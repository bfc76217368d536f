/**
 * Field ownership as server-side apply tracks it in `metadata.managedFields`, following
 * sigs.k8s.io/structured-merge-diff (`typed/tofieldset.go`, `typed/compare.go`,
 * `merge/update.go`) and k8s.io/apimachinery `pkg/util/managedfields/internal`
 * (`stripmeta.go`, `conflict.go`, `managedfields.go`):
 * - an Update (POST, PUT, non-apply PATCH) gives its manager every field it added or changed and
 *   takes those from everyone else — updates never conflict;
 * - an Apply owns exactly the fields of its configuration; a field another manager owns whose
 *   value the apply would change is a conflict (409) unless `force=true`, which moves it;
 * - a field the applier applied before and no longer applies is removed when nobody else owns it.
 * Managers are told apart by name, operation, subresource and (for updates) apiVersion.
 */
import { canonicalJson, isJsonObject, removeKey, semanticEqual, type JsonObject } from './json-value.ts';
import type { MergeSchema } from './patch.ts';
import type { ObjectMeta } from './resources.ts';

export type ManagedFieldsEntry = NonNullable<ObjectMeta['managedFields']>[number];

/** One field path as fieldsV1 spells its elements: `f:spec`, `k:{"name":"app"}`, `v:"x"`. */
type FieldPath = readonly string[];

/** A set of field paths, each kept as its JSON text. */
export type FieldSet = Set<string>;

const encode = (path: FieldPath): string => JSON.stringify(path);
const decode = (key: string): FieldPath => JSON.parse(key) as string[];

/** Who writes: the manager, through which subresource, with which operation. */
export interface FieldWriter {
  readonly manager: string;
  readonly operation: 'Apply' | 'Update';
  readonly apiVersion: string;
  readonly subresource?: string;
  readonly time: string;
}

/** A field another manager owns that an apply would change. */
export interface FieldConflict {
  readonly manager: ManagedFieldsEntry;
  readonly path: string;
}

// stripmeta.go: fields no manager ever owns.
const strippedMetadata = [
  'name',
  'namespace',
  'creationTimestamp',
  'selfLink',
  'uid',
  'generation',
  'managedFields',
  'resourceVersion',
];

/**
 * The part of an object a write through `subresource` manages: status for `/status`, everything
 * else for the main resource and `/scale` (each strategy's reset fields), without server metadata.
 */
export function managedView(object: JsonObject, subresource: string | undefined): JsonObject {
  if (subresource === 'status') return object.status === undefined ? {} : { status: object.status };
  const view: JsonObject = {};
  for (const [key, value] of Object.entries(object)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'status') continue;
    if (key === 'metadata' && isJsonObject(value)) {
      view.metadata = Object.fromEntries(
        Object.entries(value).filter(([k]) => !strippedMetadata.includes(k)),
      );
    } else view[key] = value;
  }
  return view;
}

function keyElement(item: JsonObject, mergeKey: string): string {
  return `k:${JSON.stringify({ [mergeKey]: item[mergeKey] })}`;
}

/** ToFieldSet: the leaves of a configuration and each keyed list item it names. */
export function fieldSetOf(value: JsonObject, schema: MergeSchema, prefix: FieldPath = []): FieldSet {
  const set: FieldSet = new Set();
  for (const [key, item] of Object.entries(value)) {
    if (item === null || item === undefined) continue;
    const path = [...prefix, `f:${key}`];
    const list = schema.lists?.[key];
    if (isJsonObject(item)) {
      for (const child of fieldSetOf(item, schema.fields?.[key] ?? {}, path)) set.add(child);
    } else if (Array.isArray(item) && list && 'mergeKey' in list) {
      for (const element of item.filter(isJsonObject)) {
        const elementPath = [...path, keyElement(element, list.mergeKey)];
        set.add(encode(elementPath));
        for (const child of fieldSetOf(element, list.item ?? {}, elementPath)) set.add(child);
      }
    } else if (Array.isArray(item) && list) {
      for (const element of item) set.add(encode([...path, `v:${JSON.stringify(element)}`]));
    } else set.add(encode(path));
  }
  return set;
}

/** Every node of a subtree that appears or disappears: compare.go inserts non-leaf nodes too. */
function allListPaths(
  value: unknown,
  schema: MergeSchema,
  key: string,
  path: FieldPath,
  into: FieldSet,
): void {
  const list = schema.lists?.[key];
  into.add(encode(path));
  if (!Array.isArray(value) || !list) return;
  for (const element of value) {
    if ('mergeKey' in list && isJsonObject(element)) {
      const elementPath = [...path, keyElement(element, list.mergeKey)];
      subtree(element, list.item ?? {}, elementPath, into);
    } else if ('set' in list) into.add(encode([...path, `v:${JSON.stringify(element)}`]));
  }
}

function subtree(value: unknown, schema: MergeSchema, path: FieldPath, into: FieldSet): void {
  into.add(encode(path));
  if (!isJsonObject(value)) return;
  for (const [key, item] of Object.entries(value)) {
    if (item === null || item === undefined) continue;
    const child = [...path, `f:${key}`];
    if (Array.isArray(item)) allListPaths(item, schema, key, child, into);
    else if (isJsonObject(item)) subtree(item, schema.fields?.[key] ?? {}, child, into);
    else into.add(encode(child));
  }
}

export interface Comparison {
  readonly added: FieldSet;
  readonly modified: FieldSet;
  readonly removed: FieldSet;
}

/** typed.Compare: the paths added, modified and removed from `lhs` to `rhs`. */
export function compareFields(lhs: JsonObject, rhs: JsonObject, schema: MergeSchema): Comparison {
  const result = { added: new Set<string>(), modified: new Set<string>(), removed: new Set<string>() };
  compareObjects(lhs, rhs, schema, [], result);
  return result;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function compareObjects(
  lhs: JsonObject,
  rhs: JsonObject,
  schema: MergeSchema,
  prefix: FieldPath,
  result: Comparison,
): void {
  for (const key of new Set([...Object.keys(lhs), ...Object.keys(rhs)])) {
    const [l, r] = [lhs[key], rhs[key]];
    const path = [...prefix, `f:${key}`];
    const list = schema.lists?.[key];
    const childSchema = schema.fields?.[key] ?? {};
    if (!present(l) && !present(r)) continue;
    if (!present(l) || !present(r)) {
      const into = present(r) ? result.added : result.removed;
      const value = present(r) ? r : l;
      if (Array.isArray(value)) allListPaths(value, schema, key, path, into);
      else subtree(value, childSchema, path, into);
      continue;
    }
    if (isJsonObject(l) && isJsonObject(r)) compareObjects(l, r, childSchema, path, result);
    else if (Array.isArray(l) && Array.isArray(r) && list && 'mergeKey' in list)
      compareKeyedLists(l, r, list, path, result);
    else if (Array.isArray(l) && Array.isArray(r) && list) compareSets(l, r, path, result);
    else if (!semanticEqual(l, r)) result.modified.add(encode(path));
  }
}

function compareKeyedLists(
  lhs: readonly unknown[],
  rhs: readonly unknown[],
  list: { readonly mergeKey: string; readonly item?: MergeSchema },
  path: FieldPath,
  result: Comparison,
): void {
  const byKey = (items: readonly unknown[]) =>
    new Map(items.filter(isJsonObject).map((item) => [keyElement(item, list.mergeKey), item]));
  const [left, right] = [byKey(lhs), byKey(rhs)];
  for (const key of new Set([...left.keys(), ...right.keys()])) {
    const [l, r] = [left.get(key), right.get(key)];
    const elementPath = [...path, key];
    if (l && r) compareObjects(l, r, list.item ?? {}, elementPath, result);
    else subtree(l ?? r, list.item ?? {}, elementPath, l ? result.removed : result.added);
  }
}

function compareSets(
  lhs: readonly unknown[],
  rhs: readonly unknown[],
  path: FieldPath,
  result: Comparison,
): void {
  const text = (items: readonly unknown[]) => new Set(items.map((item) => `v:${JSON.stringify(item)}`));
  const [left, right] = [text(lhs), text(rhs)];
  for (const element of right) if (!left.has(element)) result.added.add(encode([...path, element]));
  for (const element of left) if (!right.has(element)) result.removed.add(encode([...path, element]));
}

/** The fieldsV1 tree of a set: members with children carry `.`. */
export function toFieldsV1(set: FieldSet): JsonObject {
  const root: JsonObject = {};
  const paths = [...set].map(decode).filter((path) => path.length > 0);
  for (const path of paths) {
    let node = root;
    for (const element of path) {
      const next = node[element];
      node = isJsonObject(next) ? next : (node[element] = {});
    }
  }
  for (const path of paths) {
    let node: JsonObject = root;
    for (const element of path) node = node[element] as JsonObject;
    if (Object.keys(node).some((k) => k !== '.')) node['.'] = {};
  }
  return sortTree(root);
}

function sortTree(tree: JsonObject): JsonObject {
  return Object.fromEntries(
    Object.keys(tree)
      .sort()
      .map((key) => [key, sortTree(tree[key] as JsonObject)]),
  );
}

/** The set a fieldsV1 tree stands for. */
export function fromFieldsV1(tree: unknown, prefix: FieldPath = []): FieldSet {
  const set: FieldSet = new Set();
  if (!isJsonObject(tree)) return set;
  for (const [key, child] of Object.entries(tree)) {
    if (key === '.') {
      set.add(encode(prefix));
      continue;
    }
    const path = [...prefix, key];
    if (isJsonObject(child) && Object.keys(child).length > 0) {
      for (const member of fromFieldsV1(child, path)) set.add(member);
    } else set.add(encode(path));
  }
  return set;
}

/** A path as fieldpath.Path.String() prints it: `.spec.template.spec.containers[name="app"].image`. */
export function renderPath(key: string): string {
  return decode(key)
    .map((element) => {
      const value = element.slice(2);
      if (element.startsWith('f:')) return `.${value}`;
      if (element.startsWith('v:')) return `[=${value}]`;
      if (element.startsWith('i:')) return `[${value}]`;
      const fields = JSON.parse(value) as JsonObject;
      return `[${Object.entries(fields)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    })
    .join('');
}

function identity(entry: ManagedFieldsEntry): string {
  // BuildManagerIdentifier: appliers are one manager whatever apiVersion they use.
  return JSON.stringify([
    entry.manager ?? '',
    entry.operation ?? '',
    entry.subresource ?? '',
    entry.operation === 'Apply' ? '' : (entry.apiVersion ?? ''),
  ]);
}

function entryOf(
  writer: FieldWriter,
  set: FieldSet,
  previous: ManagedFieldsEntry | undefined,
): ManagedFieldsEntry {
  const fieldsV1 = toFieldsV1(set);
  // managedfieldsupdater.go: the time moves only when the manager's fields change.
  // fieldsV1 leaves are empty maps, which semanticEqual ignores: compare the text.
  const unchanged = previous !== undefined && canonicalJson(previous.fieldsV1) === canonicalJson(fieldsV1);
  return {
    manager: writer.manager,
    operation: writer.operation,
    apiVersion: writer.apiVersion,
    time: unchanged ? (previous.time ?? writer.time) : writer.time,
    fieldsType: 'FieldsV1',
    fieldsV1,
    ...(writer.subresource ? { subresource: writer.subresource } : {}),
  };
}

/** sortEncodedManagedFields: by operation (Apply first), time, manager, apiVersion, subresource. */
function sorted(entries: ManagedFieldsEntry[]): ManagedFieldsEntry[] {
  const order = (e: ManagedFieldsEntry) => [
    e.operation ?? '',
    String(e.time ? Date.parse(e.time) / 1000 : 0).padStart(16, '0'),
    e.manager ?? '',
    e.apiVersion ?? '',
    e.subresource ?? '',
  ];
  return entries.sort((a, b) => {
    const [p, q] = [order(a), order(b)];
    const index = p.findIndex((value, i) => value !== q[i]);
    return index < 0 ? 0 : (p[index] ?? '') < (q[index] ?? '') ? -1 : 1;
  });
}

function union(...sets: FieldSet[]): FieldSet {
  return new Set(sets.flatMap((s) => [...s]));
}

function minus(set: FieldSet, other: FieldSet): FieldSet {
  return new Set([...set].filter((member) => !other.has(member)));
}

function intersect(set: FieldSet, other: FieldSet): FieldSet {
  return new Set([...set].filter((member) => other.has(member)));
}

/**
 * Updater.update: the others lose the fields the write changed and those it removed; with
 * `force` false, a changed field another manager owns is a conflict instead.
 */
function settle(
  entries: readonly ManagedFieldsEntry[],
  writer: FieldWriter,
  comparison: Comparison,
  force: boolean,
): {
  readonly others: ManagedFieldsEntry[];
  readonly conflicts: FieldConflict[];
  readonly own?: ManagedFieldsEntry;
} {
  const self = identity({ ...writer });
  const changed = union(comparison.modified, comparison.added);
  const conflicts: FieldConflict[] = [];
  const others: ManagedFieldsEntry[] = [];
  let own: ManagedFieldsEntry | undefined;
  for (const entry of entries) {
    if (identity(entry) === self) {
      own = entry;
      continue;
    }
    const owned = fromFieldsV1(entry.fieldsV1);
    const taken = intersect(owned, changed);
    for (const path of taken) conflicts.push({ manager: entry, path });
    const left = minus(minus(owned, taken), comparison.removed);
    if (left.size > 0)
      others.push(left.size === owned.size ? entry : { ...entry, fieldsV1: toFieldsV1(left) });
  }
  conflicts.sort((a, b) =>
    identity(a.manager) === identity(b.manager)
      ? a.path < b.path
        ? -1
        : 1
      : identity(a.manager) < identity(b.manager)
        ? -1
        : 1,
  );
  return { others, conflicts: force ? [] : conflicts, ...(own ? { own } : {}) };
}

/** The managedFields after an Update by `writer` from `live` (undefined on create) to `next`. */
export function updateManagedFields(
  entries: readonly ManagedFieldsEntry[],
  live: JsonObject | undefined,
  next: JsonObject,
  writer: FieldWriter,
  schema: MergeSchema,
): ManagedFieldsEntry[] {
  const comparison = compareFields(
    live === undefined ? {} : managedView(live, writer.subresource),
    managedView(next, writer.subresource),
    schema,
  );
  const { others, own } = settle(entries, writer, comparison, true);
  if (!writer.manager) return sorted(others);
  const previous = fromFieldsV1(own?.fieldsV1);
  const mine = minus(union(previous, comparison.modified, comparison.added), comparison.removed);
  mine.delete(encode([]));
  return sorted(mine.size > 0 ? [...others, entryOf(writer, mine, own)] : others);
}

/**
 * The managedFields after an Apply of a configuration owning `applied`, from `live` to `merged`,
 * or the conflicts that refuse it (never with `force`).
 */
export function applyManagedFields(
  entries: readonly ManagedFieldsEntry[],
  live: JsonObject,
  merged: JsonObject,
  applied: FieldSet,
  writer: FieldWriter,
  force: boolean,
  schema: MergeSchema,
): { readonly entries: ManagedFieldsEntry[]; readonly conflicts: FieldConflict[] } {
  const comparison = compareFields(
    managedView(live, writer.subresource),
    managedView(merged, writer.subresource),
    schema,
  );
  const { others, conflicts, own } = settle(entries, writer, comparison, force);
  return { entries: sorted([...others, entryOf(writer, applied, own)]), conflicts };
}

/**
 * Updater.prune: what the applier applied last time and applies no more is removed from the
 * object when no other manager owns it (the field then takes its default, if it has one).
 */
export function pruneUnapplied(
  entries: readonly ManagedFieldsEntry[],
  object: JsonObject,
  applied: FieldSet,
  writer: FieldWriter,
  schema: MergeSchema,
): void {
  const self = identity({ ...writer });
  const previous = entries.find((e) => identity(e) === self);
  if (!previous) return;
  const ownedByOthers = union(
    ...entries.filter((e) => identity(e) !== self).map((e) => fromFieldsV1(e.fieldsV1)),
  );
  const dropped = minus(minus(fromFieldsV1(previous.fieldsV1), applied), ownedByOthers);
  // Deepest first, so a removed list item does not hide its own removed children.
  for (const key of [...dropped].sort((a, b) => decode(b).length - decode(a).length)) {
    removePath(object, decode(key), schema);
  }
}

function removePath(object: JsonObject, path: FieldPath, schema: MergeSchema): void {
  let node: unknown = object;
  let nodeSchema = schema;
  for (const [index, element] of path.entries()) {
    const last = index === path.length - 1;
    const value = element.slice(2);
    if (element.startsWith('f:') && isJsonObject(node)) {
      if (last) {
        removeKey(node, value);
        return;
      }
      const list = nodeSchema.lists?.[value];
      const next = path[index + 1];
      nodeSchema =
        list && 'mergeKey' in list && next?.startsWith('k:')
          ? (list.item ?? {})
          : (nodeSchema.fields?.[value] ?? {});
      node = node[value];
    } else if (Array.isArray(node) && (element.startsWith('k:') || element.startsWith('v:'))) {
      const wanted: unknown = JSON.parse(value);
      const position = node.findIndex((item) =>
        element.startsWith('v:')
          ? semanticEqual(item, wanted)
          : isJsonObject(item) &&
            isJsonObject(wanted) &&
            Object.entries(wanted).every(([k, v]) => semanticEqual(item[k], v)),
      );
      if (position < 0) return;
      if (last) {
        node.splice(position, 1);
        return;
      }
      node = node[position];
    } else return;
  }
}

/** conflict.go's message: `Apply failed with 1 conflict: conflict with "hpa" using apps/v1: .spec.replicas`. */
export function conflictMessage(conflicts: readonly FieldConflict[]): string {
  const first = conflicts[0];
  if (conflicts.length === 1 && first) {
    return `Apply failed with 1 conflict: conflict with ${printManager(first.manager)}: ${first.path}`;
  }
  const byManager = new Map<string, string[]>();
  for (const conflict of conflicts) {
    const manager = printManager(conflict.manager);
    byManager.set(manager, [...(byManager.get(manager) ?? []), conflict.path]);
  }
  const lines = [...byManager.keys()]
    .sort()
    .flatMap((manager) => [
      `conflicts with ${manager}:`,
      ...(byManager.get(manager) ?? []).map((p) => `- ${p}`),
    ]);
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** printManager: `"kube-controller-manager" with subresource "scale" using apps/v1`. */
export function printManager(entry: ManagedFieldsEntry): string {
  const name = JSON.stringify(entry.manager ?? '');
  const withSubresource = entry.subresource
    ? `${name} with subresource ${JSON.stringify(entry.subresource)}`
    : name;
  // The manager identifier carries no time (BuildManagerIdentifier drops it), so none is printed.
  return entry.operation === 'Update'
    ? `${withSubresource} using ${entry.apiVersion ?? ''}`
    : withSubresource;
}

/** The conflicts as fieldsV1 paths rendered for Status causes. */
export function describeConflicts(conflicts: readonly FieldConflict[]): FieldConflict[] {
  return conflicts.map((c) => ({ manager: c.manager, path: renderPath(c.path) }));
}
