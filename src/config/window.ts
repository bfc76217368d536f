import { closestMatch } from './closest.ts';
import type { Weekday } from './types.ts';

const WEEKDAYS: readonly Weekday[] = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function isWeekday(text: string): text is Weekday {
  return (WEEKDAYS as readonly string[]).includes(text);
}

/**
 * `Mon-Fri`, `Mon,Wed`, `Mon-Wed,Fri` → the days, Monday first, each once. A range may wrap
 * past Sunday (`Sun-Thu`, the working week in much of the Middle East). Undefined when not days.
 */
export function parseDays(text: string): Weekday[] | undefined {
  const days = new Set<Weekday>();
  for (const part of text.split(',')) {
    const [first = '', last = first, extra] = part.trim().split('-');
    if (extra !== undefined || !isWeekday(first) || !isWeekday(last)) return undefined;
    const start = WEEKDAYS.indexOf(first);
    const length = (WEEKDAYS.indexOf(last) - start + 7) % 7;
    for (let offset = 0; offset <= length; offset++) {
      const day = WEEKDAYS[(start + offset) % 7];
      if (day !== undefined) days.add(day);
    }
  }
  return WEEKDAYS.filter((day) => days.has(day));
}

/** `09:00-17:00` → minutes after midnight; undefined when not `HH:MM-HH:MM` (end up to 24:00). */
export function parseHours(text: string): { startMinute: number; endMinute: number } | undefined {
  const match = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (match === null) return undefined;
  const [startHour, startMin, endHour, endMin] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
  ];
  if (startHour > 23 || startMin > 59 || endMin > 59 || endHour > 24 || (endHour === 24 && endMin > 0))
    return undefined;
  return { startMinute: startHour * 60 + startMin, endMinute: endHour * 60 + endMin };
}

/**
 * Whether `name` is a time zone Intl knows (`Europe/Berlin`, `UTC`, and the database's aliases
 * such as `Asia/Calcutta`). Offsets such as `+01:00`, which Intl also takes, are refused: they
 * follow no daylight-saving rules, so a window in one would be an hour off local time half the year.
 */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z]/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The zone a misspelt name most likely meant (`Europe/Berln` → `Europe/Berlin`). */
export function closestTimeZone(name: string): string | undefined {
  return closestMatch(name, ['UTC', ...Intl.supportedValuesOf('timeZone')]);
}
