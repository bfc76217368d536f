import { InputError } from '../errors.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const MAX_DURATION_MS = 7 * 24 * 3_600_000;
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
  const ms = Math.round(Number(amount) * (UNIT_MS[unit] ?? 1000));
  if (!Number.isSafeInteger(ms) || ms > MAX_DURATION_MS) {
    throw new InputError(
      input,
      `'${raw}' is longer than a week`,
      `Use a duration of at most 7 days, for example '30m'.`,
    );
  }
  return ms;
}

/** Renders milliseconds the way a person reads them in a log line: `850 ms`, `2.5 s`, `3 min 5 s`. */
export function formatDuration(ms: number): string {
  // Round first, then pick the unit, so that 999.6 ms reads '1.0 s' and 59.6 s reads '1 min'.
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  if (Math.round(ms / 100) < 100) return `${(Math.round(ms / 100) / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
}
