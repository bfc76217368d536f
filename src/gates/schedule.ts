/**
 * When deploys may start: deploy windows (weekly, in their own zones) and freezes (whole days in
 * their own zones), turned into intervals of instants so that daylight saving, windows across
 * midnight and zones with odd offsets are all handled by `instantAt` alone.
 */
import type { DeployFreeze, DeployWindow } from '../config/types.ts';
import {
  addDays,
  DAY_MS,
  instantAt,
  parseCivilDate,
  wallTimeAt,
  weekdayOf,
  type CivilDate,
} from './zoned-time.ts';

/** How far ahead an opening is looked for: a year and a day, so a yearly freeze is always passed. */
export const OPENING_HORIZON_DAYS = 366;

/** A half-open interval of instants, `[start, end)`. */
export interface Interval {
  readonly start: number;
  readonly end: number;
}

/**
 * The interval `window` is open in that starts on `date` (its zone's calendar), or undefined when
 * `date` is not one of its days. A window whose end is at or before its start (`22:00-06:00`) ends
 * on the next day: the day rule applies to the day it starts on. On a daylight-saving night a
 * window can be shorter, longer, or (entirely inside a skipped hour) empty, which counts as shut.
 */
export function windowIntervalOn(window: DeployWindow, date: CivilDate): Interval | undefined {
  if (!window.days.includes(weekdayOf(date))) return undefined;
  const start = instantAt(date, window.startMinute, window.timezone);
  const endDate = window.endMinute > window.startMinute ? date : addDays(date, 1);
  const end = instantAt(endDate, window.endMinute, window.timezone);
  return start < end ? { start, end } : undefined;
}

/** The calendar date in `zone` at `instant`. */
function dateAt(instant: number, zone: string): CivilDate {
  const { year, month, day } = wallTimeAt(instant, zone);
  return { year, month, day };
}

/** The window open at `instant`, if any (one that started yesterday may still be open). */
export function openWindowAt(
  windows: readonly DeployWindow[],
  instant: number,
): { window: DeployWindow; interval: Interval } | undefined {
  for (const window of windows) {
    const today = dateAt(instant, window.timezone);
    for (const date of [addDays(today, -1), today]) {
      const interval = windowIntervalOn(window, date);
      if (interval !== undefined && interval.start <= instant && instant < interval.end)
        return { window, interval };
    }
  }
  return undefined;
}

/**
 * The first window start at or after `instant`, with its window. Windows repeat weekly, so two
 * weeks ahead always holds one unless every start falls in a skipped hour.
 */
export function nextWindowStart(
  windows: readonly DeployWindow[],
  instant: number,
): { window: DeployWindow; start: number } | undefined {
  let best: { window: DeployWindow; start: number } | undefined;
  for (const window of windows) {
    const today = dateAt(instant, window.timezone);
    for (let offset = 0; offset <= 15; offset++) {
      const interval = windowIntervalOn(window, addDays(today, offset));
      if (interval === undefined || interval.start < instant) continue;
      if (best === undefined || interval.start < best.start) best = { window, start: interval.start };
      break;
    }
  }
  return best;
}

/** A freeze's instants: from 00:00 of `from` up to 00:00 of the day after `to`, in its zone. */
export function freezeInterval(freeze: DeployFreeze): Interval {
  return {
    start: instantAt(parseCivilDate(freeze.from), 0, freeze.timezone),
    end: instantAt(addDays(parseCivilDate(freeze.to), 1), 0, freeze.timezone),
  };
}

/** The freezes in force at `instant`. */
export function activeFreezes(freezes: readonly DeployFreeze[], instant: number): DeployFreeze[] {
  return freezes.filter((freeze) => {
    const { start, end } = freezeInterval(freeze);
    return start <= instant && instant < end;
  });
}

/**
 * The first instant at or after `from` at which a deploy may start: inside a window (when there
 * are windows) and in no freeze. Searched forward, each step jumping to the end of a freeze or to
 * the next window start, up to `OPENING_HORIZON_DAYS` after `from`; undefined when none is that near.
 */
export function nextOpening(
  windows: readonly DeployWindow[],
  freezes: readonly DeployFreeze[],
  from: number,
): number | undefined {
  const horizon = from + OPENING_HORIZON_DAYS * DAY_MS;
  let instant = from;
  // Every step moves forward past a freeze or to a window start; far fewer steps than this fit.
  for (let step = 0; step < 10_000 && instant <= horizon; step++) {
    const frozen = activeFreezes(freezes, instant);
    if (frozen.length > 0) {
      instant = Math.max(...frozen.map((freeze) => freezeInterval(freeze).end));
      continue;
    }
    if (windows.length === 0 || openWindowAt(windows, instant) !== undefined) return instant;
    const next = nextWindowStart(windows, instant);
    if (next === undefined) return undefined;
    instant = next.start;
  }
  return undefined;
}
