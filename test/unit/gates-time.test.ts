import { describe, expect, test } from '@jest/globals';
import { parseConfigText } from '../../src/config/parse.ts';
import type { EnvironmentConfig } from '../../src/config/types.ts';
import { evaluateGates, type GateFacts, type GateName, type GateOutcome } from '../../src/gates/index.ts';
import { instantAt } from '../../src/gates/zoned-time.ts';

/** The `production` environment of a `.github/rollgate.yml` holding `lines` under it. */
function production(lines: string): EnvironmentConfig {
  const text = `environments:\n  production:\n    requires: { checks: none }\n${lines}`;
  const environment = parseConfigText(text).environments.get('production');
  if (environment === undefined) throw new Error('no production environment');
  return environment;
}

const windows = (...entries: string[]): string =>
  `    windows:\n${entries.map((e) => `      - ${e}\n`).join('')}`;
const freezes = (...entries: string[]): string =>
  `    freezes:\n${entries.map((e) => `      - ${e}\n`).join('')}`;

function facts(environment: EnvironmentConfig, now: string): GateFacts {
  return {
    now: new Date(now),
    environment,
    sha: 'abc1234def5678abc1234def5678abc1234def56',
    branch: 'main',
    requester: 'monalisa',
    approvals: [],
    rejections: [],
    teams: new Map(),
    checks: [],
    promotion: undefined,
    lock: undefined,
  };
}

function gateAt(environment: EnvironmentConfig, now: string, name: GateName): GateOutcome {
  const gate = evaluateGates(facts(environment, now)).gates.find((g) => g.gate === name);
  if (gate === undefined) throw new Error(`no ${name} gate`);
  return gate;
}

/** `[state, opensAt]` of one gate, as a table row compares it. */
function stateAt(environment: EnvironmentConfig, now: string, name: GateName): [string, string | undefined] {
  const gate = gateAt(environment, now, name);
  return [gate.state, gate.opensAt?.toISOString()];
}

describe('instantAt: a wall time in a zone, through daylight saving', () => {
  test.each([
    // zone, date, local time, the instant, why
    ['Europe/Berlin', '2026-12-02', '09:00', '2026-12-02T08:00:00.000Z', 'winter, UTC+1'],
    ['Europe/Berlin', '2026-07-01', '09:00', '2026-07-01T07:00:00.000Z', 'summer, UTC+2'],
    [
      'Europe/Berlin',
      '2026-03-29',
      '02:30',
      '2026-03-29T01:00:00.000Z',
      'spring forward: 03:00, after the gap',
    ],
    [
      'Europe/Berlin',
      '2026-03-29',
      '02:00',
      '2026-03-29T01:00:00.000Z',
      'spring forward: the gap starts at 02:00',
    ],
    [
      'Europe/Berlin',
      '2026-03-29',
      '03:00',
      '2026-03-29T01:00:00.000Z',
      'spring forward: 03:00 is the first after',
    ],
    ['Europe/Berlin', '2026-10-25', '02:30', '2026-10-25T00:30:00.000Z', 'fall back: the first 02:30 (CEST)'],
    ['Europe/Berlin', '2026-10-25', '03:00', '2026-10-25T02:00:00.000Z', 'fall back: 03:00 is once, CET'],
    ['America/New_York', '2026-03-08', '02:30', '2026-03-08T07:00:00.000Z', 'spring forward: 03:00 EDT'],
    [
      'America/New_York',
      '2026-11-01',
      '01:30',
      '2026-11-01T05:30:00.000Z',
      'fall back: the first 01:30 (EDT)',
    ],
    [
      'Australia/Lord_Howe',
      '2026-10-04',
      '02:15',
      '2026-10-03T15:30:00.000Z',
      '30-minute spring forward: 02:30',
    ],
    [
      'Australia/Lord_Howe',
      '2026-04-05',
      '01:45',
      '2026-04-04T14:45:00.000Z',
      '30-minute fall back: first 01:45',
    ],
    ['Asia/Kathmandu', '2026-06-01', '09:00', '2026-06-01T03:15:00.000Z', 'UTC+05:45'],
    ['UTC', '2026-06-01', '24:00', '2026-06-02T00:00:00.000Z', '24:00 is the next midnight'],
    ['Pacific/Apia', '2011-12-30', '10:00', '2011-12-30T10:00:00.000Z', 'a skipped day: the next midnight'],
  ])('%s %s %s is %s (%s)', (zone, date, time, expected) => {
    const [year = 0, month = 0, day = 0] = date.split('-').map(Number);
    const [hour = 0, minute = 0] = time.split(':').map(Number);
    expect(new Date(instantAt({ year, month, day }, hour * 60 + minute, zone)).toISOString()).toBe(expected);
  });
});

describe('window gate', () => {
  const office = production(windows('{ days: Mon-Fri, hours: "09:00-17:00", timezone: Europe/Berlin }'));
  test.each([
    // now (2026-12-02 is a Wednesday), state, opensAt
    ['2026-12-02T08:30:00Z', 'passed', undefined],
    ['2026-12-02T08:00:00Z', 'passed', undefined],
    ['2026-12-02T07:59:59Z', 'waiting', '2026-12-02T08:00:00.000Z'],
    ['2026-12-02T15:59:59Z', 'passed', undefined],
    ['2026-12-02T16:00:00Z', 'waiting', '2026-12-03T08:00:00.000Z'],
    // Friday after hours, Saturday, Sunday: Monday morning.
    ['2026-12-04T16:00:00Z', 'waiting', '2026-12-07T08:00:00.000Z'],
    ['2026-12-05T10:00:00Z', 'waiting', '2026-12-07T08:00:00.000Z'],
    ['2026-12-06T23:30:00Z', 'waiting', '2026-12-07T08:00:00.000Z'],
  ])('Mon-Fri 09:00-17:00 Europe/Berlin at %s: %s, opens %s', (now, state, opensAt) => {
    expect(stateAt(office, now, 'window')).toEqual([state, opensAt]);
  });

  test("inside, it says until when, as an ISO time and in the window's own zone", () => {
    expect(gateAt(office, '2026-12-02T09:00:00Z', 'window').summary).toBe(
      'inside `Mon-Fri 09:00-17:00 Europe/Berlin` until 2026-12-02T16:00:00.000Z (`Wed 2026-12-02 17:00 Europe/Berlin`)',
    );
  });

  test.each([
    // Europe/Berlin: 2026-03-29 02:00 → 03:00; 2026-10-25 03:00 → 02:00.
    [
      'Europe/Berlin spring, before',
      'Sun 02:30-04:00 Europe/Berlin',
      '2026-03-29T00:59:00Z',
      'waiting',
      '2026-03-29T01:00:00.000Z',
    ],
    [
      'Europe/Berlin spring, at 03:00',
      'Sun 02:30-04:00 Europe/Berlin',
      '2026-03-29T01:00:00Z',
      'passed',
      undefined,
    ],
    [
      'Europe/Berlin fall, before the first 02:30',
      'Sun 02:30-04:00 Europe/Berlin',
      '2026-10-25T00:29:00Z',
      'waiting',
      '2026-10-25T00:30:00.000Z',
    ],
    [
      'Europe/Berlin fall, at the first 02:30',
      'Sun 02:30-04:00 Europe/Berlin',
      '2026-10-25T00:30:00Z',
      'passed',
      undefined,
    ],
    [
      'Europe/Berlin fall, at the second 02:30',
      'Sun 02:30-04:00 Europe/Berlin',
      '2026-10-25T01:30:00Z',
      'passed',
      undefined,
    ],
    [
      'Europe/Berlin fall, at 04:00 CET',
      'Sun 02:30-04:00 Europe/Berlin',
      '2026-10-25T03:00:00Z',
      'waiting',
      '2026-11-01T01:30:00.000Z',
    ],
    // America/New_York: 2026-03-08 02:00 → 03:00; 2026-11-01 02:00 → 01:00.
    [
      'America/New_York spring',
      'Sun 02:30-05:00 America/New_York',
      '2026-03-08T06:00:00Z',
      'waiting',
      '2026-03-08T07:00:00.000Z',
    ],
    [
      'America/New_York spring, inside',
      'Sun 02:30-05:00 America/New_York',
      '2026-03-08T08:59:00Z',
      'passed',
      undefined,
    ],
    [
      'America/New_York spring, closed at 05:00 EDT',
      'Sun 02:30-05:00 America/New_York',
      '2026-03-08T09:00:00Z',
      'waiting',
      '2026-03-15T06:30:00.000Z',
    ],
    [
      'America/New_York fall',
      'Sun 01:30-03:00 America/New_York',
      '2026-11-01T05:00:00Z',
      'waiting',
      '2026-11-01T05:30:00.000Z',
    ],
    [
      'America/New_York fall, second 01:15',
      'Sun 01:30-03:00 America/New_York',
      '2026-11-01T06:15:00Z',
      'passed',
      undefined,
    ],
    [
      'America/New_York fall, closed at 03:00 EST',
      'Sun 01:30-03:00 America/New_York',
      '2026-11-01T08:00:00Z',
      'waiting',
      '2026-11-08T06:30:00.000Z',
    ],
    // Australia/Lord_Howe moves by 30 minutes: 2026-10-04 02:00 → 02:30 (+10:30 → +11).
    [
      'Australia/Lord_Howe spring',
      'Sun 02:00-04:00 Australia/Lord_Howe',
      '2026-10-03T15:00:00Z',
      'waiting',
      '2026-10-03T15:30:00.000Z',
    ],
    [
      'Australia/Lord_Howe spring, inside',
      'Sun 02:00-04:00 Australia/Lord_Howe',
      '2026-10-03T15:30:00Z',
      'passed',
      undefined,
    ],
    [
      'Australia/Lord_Howe spring, closed',
      'Sun 02:00-04:00 Australia/Lord_Howe',
      '2026-10-03T17:00:00Z',
      'waiting',
      '2026-10-10T15:00:00.000Z',
    ],
    // Asia/Kathmandu is UTC+05:45 all year.
    [
      'Asia/Kathmandu, a minute early',
      'Mon-Fri 09:00-17:00 Asia/Kathmandu',
      '2026-12-02T03:14:00Z',
      'waiting',
      '2026-12-02T03:15:00.000Z',
    ],
    [
      'Asia/Kathmandu, open',
      'Mon-Fri 09:00-17:00 Asia/Kathmandu',
      '2026-12-02T03:15:00Z',
      'passed',
      undefined,
    ],
    [
      'Asia/Kathmandu, closed',
      'Mon-Fri 09:00-17:00 Asia/Kathmandu',
      '2026-12-02T11:15:00Z',
      'waiting',
      '2026-12-03T03:15:00.000Z',
    ],
  ])('%s (%s) at %s: %s, opens %s', (_name, window, now, state, opensAt) => {
    const [days, hours, timezone] = window.split(' ');
    const environment = production(windows(`{ days: "${days}", hours: "${hours}", timezone: ${timezone} }`));
    expect(stateAt(environment, now, 'window')).toEqual([state, opensAt]);
  });

  describe('across midnight (Fri 22:00-06:00 UTC)', () => {
    const night = production(windows('{ days: Fri, hours: "22:00-06:00", timezone: UTC }'));
    test.each([
      ['Friday before it opens', '2026-12-04T21:59:00Z', 'waiting', '2026-12-04T22:00:00.000Z'],
      ['Friday, inside before midnight', '2026-12-04T23:00:00Z', 'passed', undefined],
      ['Saturday, inside after midnight', '2026-12-05T05:59:00Z', 'passed', undefined],
      ['Saturday at its end', '2026-12-05T06:00:00Z', 'waiting', '2026-12-11T22:00:00.000Z'],
      [
        'Saturday night: the day rule is for the start day',
        '2026-12-05T23:00:00Z',
        'waiting',
        '2026-12-11T22:00:00.000Z',
      ],
      [
        'Friday morning: Thursday night is not a window',
        '2026-12-04T03:00:00Z',
        'waiting',
        '2026-12-04T22:00:00.000Z',
      ],
    ])('%s (%s): %s, opens %s', (_name, now, state, opensAt) => {
      expect(stateAt(night, now, 'window')).toEqual([state, opensAt]);
    });

    test('in Europe/Berlin on the night the clocks go back, it closes at 06:00 local', () => {
      const berlin = production(windows('{ days: Sat, hours: "22:00-06:00", timezone: Europe/Berlin }'));
      expect(stateAt(berlin, '2026-10-24T20:00:00Z', 'window')).toEqual(['passed', undefined]);
      expect(stateAt(berlin, '2026-10-25T04:59:00Z', 'window')).toEqual(['passed', undefined]);
      expect(stateAt(berlin, '2026-10-25T05:00:00Z', 'window')).toEqual([
        'waiting',
        '2026-10-31T21:00:00.000Z',
      ]);
    });
  });

  test('with two windows, the one that opens first', () => {
    const two = production(
      windows(
        '{ days: Mon, hours: "09:00-10:00", timezone: America/New_York }',
        '{ days: Mon, hours: "09:00-10:00", timezone: Asia/Kathmandu }',
      ),
    );
    const gate = gateAt(two, '2026-12-05T12:00:00Z', 'window');
    expect(gate.opensAt?.toISOString()).toBe('2026-12-07T03:15:00.000Z');
    expect(gate.timeZone).toBe('Asia/Kathmandu');
  });
});

describe('freeze gate', () => {
  const holiday = production(
    freezes('{ from: 2026-12-20, to: 2027-01-05, reason: Holiday freeze, timezone: Europe/Berlin }'),
  );
  test.each([
    ['the minute before it', '2026-12-19T22:59:00Z', 'passed', undefined],
    [
      'its first minute (00:00 Berlin on from)',
      '2026-12-19T23:00:00Z',
      'waiting',
      '2027-01-05T23:00:00.000Z',
    ],
    ['its middle', '2026-12-31T12:00:00Z', 'waiting', '2027-01-05T23:00:00.000Z'],
    ['its last minute (23:59 Berlin on to)', '2027-01-05T22:59:00Z', 'waiting', '2027-01-05T23:00:00.000Z'],
    ['the minute after it', '2027-01-05T23:00:00Z', 'passed', undefined],
  ])('Europe/Berlin, %s (%s): %s, opens %s', (_name, now, state, opensAt) => {
    expect(stateAt(holiday, now, 'freeze')).toEqual([state, opensAt]);
  });

  test.each([
    ['the minute before it', '2026-12-23T23:59:00Z', 'passed', undefined],
    ['its first minute', '2026-12-24T00:00:00Z', 'waiting', '2026-12-25T00:00:00.000Z'],
    ['its last minute', '2026-12-24T23:59:00Z', 'waiting', '2026-12-25T00:00:00.000Z'],
    ['the minute after it', '2026-12-25T00:00:00Z', 'passed', undefined],
  ])('in UTC when no zone is given, %s (%s): %s, opens %s', (_name, now, state, opensAt) => {
    const oneDay = production(freezes('{ from: 2026-12-24, to: 2026-12-24 }'));
    expect(stateAt(oneDay, now, 'freeze')).toEqual([state, opensAt]);
  });

  test('says why and until when, with the reason neutralised', () => {
    const gate = gateAt(holiday, '2026-12-31T12:00:00Z', 'freeze');
    expect(gate.summary).toBe('frozen: `Holiday freeze` (`2026-12-20 to 2027-01-05 Europe/Berlin`)');
    expect(gate.change).toBe('the freeze to end');
    expect(gate.timeZone).toBe('Europe/Berlin');
  });

  test('back-to-back freezes open after the last one', () => {
    const both = production(
      freezes('{ from: 2026-12-20, to: 2026-12-24 }', '{ from: 2026-12-25, to: 2027-01-05 }'),
    );
    expect(stateAt(both, '2026-12-21T00:00:00Z', 'freeze')).toEqual(['waiting', '2027-01-06T00:00:00.000Z']);
  });
});

describe('next opening', () => {
  const office = windows('{ days: Mon-Fri, hours: "09:00-17:00", timezone: UTC }');

  test('over a weekend: Monday 09:00', () => {
    const verdict = evaluateGates(facts(production(office), '2026-12-04T18:00:00Z'));
    expect(verdict.nextOpening?.toISOString()).toBe('2026-12-07T09:00:00.000Z');
    expect(verdict.state).toBe('wait');
    expect(verdict.timeOnly).toBe(true);
  });

  test('across a freeze ending on a Friday: the first window after it, Monday', () => {
    const environment = production(office + freezes('{ from: 2026-12-20, to: 2027-01-08 }'));
    const verdict = evaluateGates(facts(environment, '2026-12-22T10:00:00Z'));
    expect(verdict.nextOpening?.toISOString()).toBe('2027-01-11T09:00:00.000Z');
    const freeze = verdict.gates.find((g) => g.gate === 'freeze');
    expect(freeze?.opensAt?.toISOString()).toBe('2027-01-11T09:00:00.000Z');
    // The window is open on that Tuesday: only the freeze waits.
    expect(verdict.gates.find((g) => g.gate === 'window')?.state).toBe('passed');
  });

  test('a window start inside a one-day freeze moves to the next day', () => {
    const environment = production(office + freezes('{ from: 2026-12-07, to: 2026-12-07 }'));
    const verdict = evaluateGates(facts(environment, '2026-12-07T08:00:00Z'));
    expect(stateAt(environment, '2026-12-07T08:00:00Z', 'window')).toEqual([
      'waiting',
      '2026-12-07T09:00:00.000Z',
    ]);
    expect(verdict.nextOpening?.toISOString()).toBe('2026-12-08T09:00:00.000Z');
  });

  test('is now when windows and freezes allow a start now, or none are configured', () => {
    expect(evaluateGates(facts(production(office), '2026-12-02T10:00:00Z')).nextOpening?.toISOString()).toBe(
      '2026-12-02T10:00:00.000Z',
    );
    expect(evaluateGates(facts(production(''), '2026-12-02T03:00:00Z')).nextOpening?.toISOString()).toBe(
      '2026-12-02T03:00:00.000Z',
    );
  });

  test('does not exist when a freeze outlasts the 366 days looked ahead', () => {
    const environment = production(
      office + freezes('{ from: 2026-12-01, to: 2028-06-30, reason: Migration }'),
    );
    const verdict = evaluateGates(facts(environment, '2026-12-02T10:00:00Z'));
    expect(verdict.nextOpening).toBeUndefined();
    expect(verdict.state).toBe('wait');
    expect(verdict.timeOnly).toBe(false);
    const freeze = verdict.gates.find((g) => g.gate === 'freeze');
    expect(freeze?.opensAt).toBeUndefined();
    expect(freeze?.summary).toBe(
      'frozen: `Migration` (`2026-12-01 to 2028-06-30 UTC`); no deploy may start in the next 366 days',
    );
  });

  test('a freeze ending within the horizon is looked past, however long', () => {
    const environment = production(freezes('{ from: 2026-01-01, to: 2027-11-30 }'));
    expect(evaluateGates(facts(environment, '2026-12-02T10:00:00Z')).nextOpening?.toISOString()).toBe(
      '2027-12-01T00:00:00.000Z',
    );
  });
});
