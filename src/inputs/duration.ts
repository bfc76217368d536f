import { InputError } from '../errors.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;

/**
 * Parses a duration such as `500ms`, `5s`, `2m` or `1h`; a bare number means seconds, as in
 * `kubectl --timeout` and GitHub's `timeout-minutes` style of whole units.
 */
export function parseDuration(input: string, raw: string): number {
  const text = raw.trim();
  const match = DURATION.exec(text);
  if (match === null) {
    throw new InputError(
      input,
      `'${raw}' is not a duration`,
      `Write a non-negative number with a unit, for example '500ms', '10s' or '2m' (a bare number means seconds).`,
    );
  }
  const [, amount = '0', unit = 's'] = match;
  return Math.round(Number(amount) * (UNIT_MS[unit] ?? 1000));
}

/** Renders milliseconds the way a person reads them in a log line: `850 ms`, `2.5 s`, `3 min 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}
