/**
 * JSON that came from outside (a Deployment's payload, a record hidden in a comment, a ref's
 * commit message) read as a plain object, or undefined: never a throw, never an array.
 */

/** `value` as an object of unknown members, if it is one (not null, not an array). */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The object that JSON `text` holds; undefined when it is not JSON or not an object. */
export function jsonRecord(text: string): Record<string, unknown> | undefined {
  try {
    return asRecord(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** A Deployment's `payload`, which GitHub gives as an object or as JSON text, as an object. */
export function payloadRecord(payload: unknown): Record<string, unknown> | undefined {
  return typeof payload === 'string' ? jsonRecord(payload) : asRecord(payload);
}
