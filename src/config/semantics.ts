import { closestMatch } from './closest.ts';
import { childPointer, keyPath, orList, type ConfigProblem } from './problem.ts';
import type { EnvironmentConfigFile, RollgateConfigFile } from './types.ts';
import { closestTimeZone, isTimeZone, parseHours } from './window.ts';

/**
 * What rollgate.schema.json cannot say about a file it accepts: references between environments,
 * hours that end when they start, time zones that do not exist, freezes that end before they
 * begin, and more approvals than the listed approvers could ever give. `partial` (the file has
 * `_extends`) allows `deployed_to` to name an environment the base defines.
 */
export function semanticProblems(file: RollgateConfigFile, options: { partial: boolean }): ConfigProblem[] {
  const environments = Object.entries(file.environments ?? {});
  const names = environments.map(([name]) => name);
  return [
    ...environments.flatMap(([name, environment]) => {
      const pointer = childPointer('', 'environments', name);
      return [
        ...promotionProblems(pointer, name, environment, names, options),
        ...approvalProblems(pointer, environment),
        ...windowProblems(pointer, environment),
        ...freezeProblems(pointer, environment),
      ];
    }),
    ...promotionLoops(file),
    ...environmentNameProblems(names),
  ];
}

/**
 * Names GitHub would take but Rollgate could not use: two that differ only in case (GitHub's
 * environment names are case-insensitive — "Environment names are not case sensitive", docs.github.com,
 * Managing environments for deployment — so `Staging` and `staging` are one environment), and names
 * a command cannot address (app/commands/parse.ts): starting with `.`, `_` or `-`, holding `..`, or
 * ending in `.` or `.lock` (the name is one component of the lock's git ref).
 */
function environmentNameProblems(names: readonly string[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const pointer = childPointer('', 'environments', name);
    const folded = name.toLowerCase();
    const first = seen.get(folded);
    if (first !== undefined) {
      problems.push({
        pointer,
        at: 'key',
        what: `${keyPath(pointer)} and ${keyPath(childPointer('', 'environments', first))} differ only in case, and GitHub treats environment names case-insensitively: they are one environment`,
        fix: `Keep one of them; write the name in the case you want shown (${JSON.stringify(first)} is first).`,
      });
    } else seen.set(folded, name);
    if (!/^[A-Za-z0-9]/.test(name) || name.includes('..') || name.endsWith('.') || name.endsWith('.lock')) {
      problems.push({
        pointer,
        at: 'key',
        what: `${keyPath(pointer)} cannot be named in a command: an environment name starts with a letter or digit and does not contain ".." or end with "." or ".lock"`,
        fix: 'Rename it, such as staging, production or web.eu-1.',
      });
    }
  }
  return problems;
}

function promotionProblems(
  pointer: string,
  name: string,
  environment: EnvironmentConfigFile,
  names: readonly string[],
  options: { partial: boolean },
): ConfigProblem[] {
  const target = environment.requires?.deployed_to;
  if (target === undefined) return [];
  const at = childPointer(pointer, 'requires', 'deployed_to');
  if (target === name) {
    return [
      {
        pointer: at,
        at: 'value',
        what: `${keyPath(at)} names ${JSON.stringify(name)} itself`,
        fix: 'Name the environment a commit must be live in before this one (such as staging), or remove deployed_to.',
      },
    ];
  }
  if (names.includes(target) || options.partial) return [];
  const others = names.filter((other) => other !== name);
  const suggestion = closestMatch(target, others);
  return [
    {
      pointer: at,
      at: 'value',
      what:
        `${keyPath(at)} names ${JSON.stringify(target)}, which is not an environment of this file` +
        (suggestion === undefined ? '' : `; did you mean "${suggestion}"?`),
      fix:
        others.length > 0
          ? `Use ${orList(others)}, or add ${target} under environments.`
          : `Add ${target} under environments, or remove deployed_to.`,
    },
  ];
}

/** A `deployed_to` chain that comes back to where it started: none of its environments could ever be deployed. */
function promotionLoops(file: RollgateConfigFile): ConfigProblem[] {
  const environments = file.environments ?? {};
  const reported = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const start of Object.keys(environments)) {
    const chain = [start];
    let next = environments[start]?.requires?.deployed_to;
    while (next !== undefined && next !== start && !chain.includes(next) && next in environments) {
      chain.push(next);
      next = environments[next]?.requires?.deployed_to;
    }
    if (next !== start || chain.length < 2 || chain.some((name) => reported.has(name))) continue;
    chain.forEach((name) => reported.add(name));
    const at = childPointer('', 'environments', start, 'requires', 'deployed_to');
    problems.push({
      pointer: at,
      at: 'value',
      what: `${keyPath(at)} makes a loop (${[...chain, start].join(' → ')}), so none of them could ever be deployed`,
      fix: `Remove deployed_to from the environment a commit reaches first (usually the one before production).`,
    });
  }
  return problems;
}

function approvalProblems(pointer: string, environment: EnvironmentConfigFile): ConfigProblem[] {
  const { approvals = 0, approvers } = environment.requires ?? {};
  if (approvers === undefined || approvers.some((approver) => approver.startsWith('@'))) return [];
  const people = new Set(approvers.map((login) => login.toLowerCase())).size;
  if (approvals <= people) return [];
  const at = childPointer(pointer, 'requires', 'approvals');
  return [
    {
      pointer: at,
      at: 'value',
      what: `${keyPath(at)} is ${approvals}, but approvers lists only ${people} ${people === 1 ? 'user' : 'users'} and no team, so no deploy could ever be approved`,
      fix: `Lower approvals to ${people} or fewer, or add approvers (a team as "@org/team" may approve with each of its members).`,
    },
  ];
}

function windowProblems(pointer: string, environment: EnvironmentConfigFile): ConfigProblem[] {
  return (environment.windows ?? []).flatMap((window, index) => {
    const problems: ConfigProblem[] = [];
    const at = childPointer(pointer, 'windows', index);
    const hours = window.hours === undefined ? undefined : parseHours(window.hours);
    // An end before the start runs past midnight (`22:00-06:00`); only an equal one says nothing.
    if (hours !== undefined && hours.startMinute === hours.endMinute) {
      const hoursAt = childPointer(at, 'hours');
      problems.push({
        pointer: hoursAt,
        at: 'value',
        what: `${keyPath(hoursAt)} ${JSON.stringify(window.hours)} is empty: it ends when it starts`,
        fix: 'Write a start and a different end, such as "09:00-17:00" (or "22:00-06:00" for a window across midnight); for the whole day write "00:00-24:00" or leave hours out.',
      });
    }
    problems.push(...timeZoneProblems(at, window.timezone));
    return problems;
  });
}

/** A `timezone` key that names no IANA zone, with the closest one as a suggestion. */
function timeZoneProblems(pointer: string, timezone: string | undefined): ConfigProblem[] {
  if (timezone === undefined || isTimeZone(timezone)) return [];
  const zoneAt = childPointer(pointer, 'timezone');
  const suggestion = closestTimeZone(timezone);
  return [
    {
      pointer: zoneAt,
      at: 'value',
      what:
        `${keyPath(zoneAt)} ${JSON.stringify(timezone)} is not an IANA time zone` +
        (suggestion === undefined ? '' : `; did you mean "${suggestion}"?`),
      fix: 'Use a name of the IANA time zone database, such as Europe/Berlin, America/New_York or UTC (https://en.wikipedia.org/wiki/List_of_tz_database_time_zones).',
    },
  ];
}

function freezeProblems(pointer: string, environment: EnvironmentConfigFile): ConfigProblem[] {
  return (environment.freezes ?? []).flatMap((freeze, index) => {
    const freezeAt = childPointer(pointer, 'freezes', index);
    const zone = timeZoneProblems(freezeAt, freeze.timezone);
    if (freeze.from <= freeze.to) return zone;
    const at = childPointer(freezeAt, 'to');
    return [
      {
        pointer: at,
        at: 'value',
        what: `${keyPath(at)} is ${freeze.to}, before from (${freeze.from})`,
        fix: 'Make to the last day of the freeze, on or after from (both days are included).',
      },
      ...zone,
    ];
  });
}
