/**
 * Wall-clock time in IANA zones, from `Intl.DateTimeFormat` alone: the zone database that ships
 * with Node (ICU) knows every offset and daylight-saving rule, so no offset is ever written here.
 * An instant is milliseconds since the epoch; a wall time is a calendar date and a minute of its day.
 */
import type { Weekday } from '../config/types.ts';

/** A calendar date with no zone (`2026-03-29`). */
export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** What a clock on the wall in some zone shows at one instant. */
export interface WallTime extends CivilDate {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const MINUTE_MS = 60_000;
export const DAY_MS = 24 * 60 * MINUTE_MS;

/** `Date.getUTCDay()` order (Sunday first) to the names `windows.days` uses. */
const WEEKDAY_BY_UTC_DAY: readonly Weekday[] = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone: building one costs far more than formatting with it. */
function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      calendar: 'iso8601',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** The wall time in `zone` at `instant`. */
export function wallTimeAt(instant: number, zone: string): WallTime {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(instant)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return {
    year: fields.year ?? 0,
    month: fields.month ?? 1,
    day: fields.day ?? 1,
    hour: fields.hour ?? 0,
    minute: fields.minute ?? 0,
    second: fields.second ?? 0,
  };
}

/** A wall time as a number that orders like the wall clock (the same wall time read as UTC). */
function wallNumber(wall: WallTime): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
}

/** How far `zone`'s wall clock is ahead of UTC at `instant`, in milliseconds (whole seconds). */
function offsetAt(instant: number, zone: string): number {
  const second = Math.floor(instant / 1000) * 1000;
  return wallNumber(wallTimeAt(second, zone)) - second;
}

/**
 * The first instant at which `zone`'s wall clock shows `minute` (minutes after midnight, up to
 * 1440 = midnight after) on `date` or later. Where daylight saving skips that time (02:30 on a
 * spring-forward night in Europe/Berlin, where clocks go from 02:00 to 03:00) it is the first
 * instant after the gap (03:00); where the clocks go back and show it twice, the first of the two.
 */
export function instantAt(date: CivilDate, minute: number, zone: string): number {
  const target = Date.UTC(date.year, date.month - 1, date.day) + minute * MINUTE_MS;
  // The offsets a day either side cover any one transition: each names one candidate instant.
  const candidates = [...new Set([target - DAY_MS, target + DAY_MS].map((t) => target - offsetAt(t, zone)))];
  const exact = candidates.filter((t) => wallNumber(wallTimeAt(t, zone)) === target);
  if (exact.length > 0) return Math.min(...exact);
  // In a gap: the clock jumps over `target` between the two candidates; find the jump.
  let before = Math.min(...candidates);
  let after = Math.max(...candidates);
  while (after - before > 1000) {
    const middle = before + Math.floor((after - before) / 2000) * 1000;
    if (wallNumber(wallTimeAt(middle, zone)) >= target) after = middle;
    else before = middle;
  }
  return after;
}

/** The calendar date `days` after `date` (before, when negative). */
export function addDays(date: CivilDate, days: number): CivilDate {
  const moved = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: moved.getUTCFullYear(), month: moved.getUTCMonth() + 1, day: moved.getUTCDate() };
}

/** The day of the week of a calendar date (the calendar alone decides it, not a zone). */
export function weekdayOf(date: CivilDate): Weekday {
  const index = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  return WEEKDAY_BY_UTC_DAY[index] ?? 'Sun';
}

/** `YYYY-MM-DD` (as the schema's `format: date` guarantees) as a calendar date. */
export function parseCivilDate(text: string): CivilDate {
  const [year = 0, month = 1, day = 1] = text.split('-').map(Number);
  return { year, month, day };
}

const pad = (value: number): string => String(value).padStart(2, '0');

/** An instant as a person in `zone` reads it: `Mon 2026-12-07 09:00 Europe/Berlin`. */
export function formatWallTime(instant: number, zone: string): string {
  const wall = wallTimeAt(instant, zone);
  const weekday = weekdayOf(wall);
  return `${weekday} ${wall.year}-${pad(wall.month)}-${pad(wall.day)} ${pad(wall.hour)}:${pad(wall.minute)} ${zone}`;
}
