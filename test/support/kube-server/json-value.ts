/** JSON as it crosses the wire, and the few operations the server needs on it. */

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Drops what Go's zero values make indistinguishable: null, empty maps and empty lists. */
function withoutEmpty(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    const items = value.map(withoutEmpty);
    return items.length === 0 ? undefined : items;
  }
  if (isJsonObject(value)) {
    const entries = Object.entries(value)
      .map(([key, item]) => [key, withoutEmpty(item)] as const)
      .filter(([, item]) => item !== undefined);
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  return value;
}

function equalNormalized(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => equalNormalized(item, b[index]));
  }
  if (isJsonObject(a) || isJsonObject(b)) {
    if (!isJsonObject(a) || !isJsonObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => key in b && equalNormalized(a[key], b[key]));
  }
  return a === b;
}

/**
 * Equality as apimachinery's `equality.Semantic.DeepEqual` sees decoded objects: key order does not
 * matter, and an absent field equals null, an empty map or an empty list.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return equalNormalized(withoutEmpty(a), withoutEmpty(b));
}

/** JSON with keys sorted at every level: a stable text for hashing. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return value === undefined ? 'null' : JSON.stringify(value);
}

/**
 * Removes `key` in place. JSON documents are maps whose keys are data (patch paths, label keys),
 * which is why the key is computed.
 */
export function removeKey(target: object, key: string): void {
  Reflect.deleteProperty(target, key);
}

/** The element or member at `key` of a JSON array or object. */
export function childAt(container: unknown, key: string): unknown {
  if (Array.isArray(container)) {
    const list: readonly unknown[] = container;
    return list[Number(key)];
  }
  return isJsonObject(container) ? container[key] : undefined;
}

/** The entries whose value is not 0: how Go's `omitempty` writes integer fields. */
export function nonZero(counts: Readonly<Record<string, number | undefined>>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts).filter(
      (entry): entry is [string, number] => entry[1] !== undefined && entry[1] !== 0,
    ),
  );
}
