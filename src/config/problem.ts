/**
 * One thing wrong with a configuration, found by the schema or by a check the schema cannot
 * express, before it is placed in the file and turned into a ConfigError.
 */
export interface ConfigProblem {
  /** JSON pointer (RFC 6901) of the bad value; of the object, when a key is missing. */
  readonly pointer: string;
  /**
   * Where a person should look: the `value` itself, the `key` that holds it (an unknown key),
   * or, for a missing key, the `object` at `pointer` (the key that opens it, or its list item).
   */
  readonly at: 'value' | 'key' | 'object';
  /** What is wrong, starting with the key path: `environments.production.url must be …`. */
  readonly what: string;
  /** What to change. */
  readonly fix: string;
}

/** `/environments/my.app/windows/0` → ['environments', 'my.app', 'windows', '0']. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** The pointer of `segments` under `base`. */
export function childPointer(base: string, ...segments: (string | number)[]): string {
  return (
    base +
    segments.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')
  );
}

/**
 * The key path a person reads in the file: `environments.production.windows[0].days`; a key
 * that is not a plain word is quoted (`environments["web.eu"].url`). The root is `the file`.
 */
export function keyPath(pointer: string): string {
  let path = '';
  for (const segment of pointerSegments(pointer)) {
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path === '' ? 'the file' : path;
}

/** A value as it appears in a message: strings quoted, collections by kind, long text cut. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

/** `a`, `a or b`, `a, b or c`. */
export function orList(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words.at(-1) ?? ''}`;
}
