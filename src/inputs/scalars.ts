import { InputError } from '../errors.ts';

/** Parses a whole number input within bounds, naming the input and the accepted range on error. */
export function parseInteger(input: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = raw.trim();
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new InputError(
      input,
      `'${raw}' is not a whole number ${range}`,
      `Set '${input}' to a whole number ${range}.`,
    );
  }
  return value + 0; // -0 reads as 0
}

/** Parses a decimal number input within bounds (plain decimal notation only: no hex, no exponent). */
export function parseNumber(input: string, raw: string, min: number, max: number): number {
  const text = raw.trim();
  const value = Number(text);
  if (!/^-?\d+(?:\.\d+)?$/.test(text) || !Number.isFinite(value) || value < min || value > max) {
    throw new InputError(
      input,
      `'${raw}' is not a number from ${min} to ${max}`,
      `Set '${input}' to a number from ${min} to ${max}.`,
    );
  }
  return value;
}

/** Parses `true`/`false` the way the Actions toolkit's getBooleanInput does (YAML 1.2 core schema). */
export function parseBoolean(input: string, raw: string): boolean {
  const text = raw.trim();
  if (['true', 'True', 'TRUE'].includes(text)) return true;
  if (['false', 'False', 'FALSE'].includes(text)) return false;
  throw new InputError(input, `'${raw}' is not a boolean`, `Set '${input}' to 'true' or 'false'.`);
}

/** Splits a multi-line input into its non-empty, trimmed lines. */
export function splitLines(raw: string): string[] {
  return raw
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}
