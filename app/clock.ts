/**
 * The App's clock. `ROLLGATE_CLOCK_FILE` names a file holding an ISO 8601 time that the App takes
 * as "now" on every reading — for drills and tests of deploy windows and freezes (set the time a
 * window opens, and watch deferred requests go out) — honoured only with `NODE_ENV=test`, so a
 * production App always runs on real time.
 */
import { readFileSync } from 'node:fs';

export function now(): number {
  const file = process.env.ROLLGATE_CLOCK_FILE;
  if (file === undefined || process.env.NODE_ENV !== 'test') return Date.now();
  try {
    const at = Date.parse(readFileSync(file, 'utf8').trim());
    return Number.isNaN(at) ? Date.now() : at;
  } catch {
    return Date.now();
  }
}
