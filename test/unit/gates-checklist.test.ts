import { describe, expect, test } from '@jest/globals';
import { parseConfigText } from '../../src/config/parse.ts';
import type { EnvironmentConfig } from '../../src/config/types.ts';
import {
  checklistMarkdown,
  checklistText,
  decisionRecord,
  evaluateGates,
  STATUS_REPORT_LIMIT,
  type GateFacts,
} from '../../src/gates/index.ts';
import { hostileText, liveMarkup, seededRandom } from '../support/gfm.ts';

const SHA = 'abc1234def5678abc1234def5678abc1234def56';

/** Markup that would render as more than text, beyond the mentions of the real logins the facts name. */
const unexpectedMarkup = (markdown: string): string[] =>
  liveMarkup(markdown.replace(/@(octocat|hubot|sre-ann)\b/g, '$1'));

function production(yaml: string): EnvironmentConfig {
  const environment = parseConfigText(
    `environments:\n  staging: {}\n  production:\n${yaml}`,
  ).environments.get('production');
  if (environment === undefined) throw new Error('no production environment');
  return environment;
}

const FULL = production(
  [
    '    requires:',
    '      approvals: 2',
    '      approvers: ["@acme/sre", octocat]',
    '      checks: success',
    '      deployed_to: staging',
    '      branches: [main]',
    '    windows: [{ days: Mon-Fri, hours: "09:00-17:00", timezone: Europe/Berlin }]',
    '    freezes: [{ from: 2026-12-20, to: 2027-01-05, reason: Holiday freeze, timezone: Europe/Berlin }]',
    '',
  ].join('\n'),
);

function facts(more: Partial<GateFacts> = {}): GateFacts {
  return {
    // A Saturday: the window is shut until Monday 09:00 in Berlin.
    now: new Date('2026-12-05T10:00:00Z'),
    environment: FULL,
    sha: SHA,
    branch: 'main',
    requester: 'monalisa',
    approvals: [{ by: 'octocat', sha: SHA, at: new Date('2026-12-05T09:00:00Z') }],
    rejections: [],
    teams: new Map([['acme/sre', new Set(['sre-ann'])]]),
    checks: [
      { name: 'build', source: 'check_run', state: 'success', url: 'https://ci.example/1' },
      { name: 'test', source: 'check_run', state: 'in_progress' },
    ],
    promotion: { environment: 'staging', liveSha: SHA, liveState: 'success' },
    lock: undefined,
    ...more,
  };
}

describe('checklistMarkdown', () => {
  test('one line per gate: state, summary, what would change it, when it opens in ISO and local time', () => {
    expect(checklistMarkdown(evaluateGates(facts())).split('\n')).toEqual([
      '- ✅ **lock**: not locked',
      '- ✅ **freeze**: no freeze in force',
      '- ⏳ **window**: outside `Mon-Fri 09:00-17:00 Europe/Berlin` — needs `Mon-Fri 09:00-17:00 Europe/Berlin` to open — opens 2026-12-07T08:00:00.000Z (`Mon 2026-12-07 09:00 Europe/Berlin`)',
      '- ✅ **branch**: `main` matches `main`',
      '- ⏳ **checks**: 1 of 2 checks on `abc1234` still running: `test` — needs their success',
      '- ✅ **promotion**: `abc1234` is live on `staging`',
      '- ⏳ **approvals**: 1 of 2 approvals (@octocat) — needs `/approve production` from one more approver: a member of `@acme/sre`',
    ]);
  });

  test('a failed gate is marked ❌ with who and why', () => {
    const markdown = checklistMarkdown(
      evaluateGates(
        facts({
          rejections: [
            { by: 'sre-ann', sha: SHA, at: new Date('2026-12-05T09:30:00Z'), reason: 'not today' },
          ],
        }),
      ),
    );
    expect(markdown).toContain(
      '- ❌ **approvals**: rejected by @sre-ann (`not today`) — needs @sre-ann can withdraw it with `/approve production`; a new commit starts over',
    );
  });

  test('hostile values in reasons, branches, check names and logins stay literal text', () => {
    const random = seededRandom(20261202);
    for (let round = 0; round < 200; round++) {
      const hostile = () => hostileText(random);
      // Logins that cannot be GitHub logins, so no real mention is expected anywhere.
      const login = () => `<${hostile()}`;
      const verdictFacts = facts({
        requester: login(),
        branch: hostile(),
        lock: { holder: login(), reason: hostile() },
        approvals: [{ by: login(), sha: SHA, at: new Date(0) }],
        rejections: [{ by: 'octocat', sha: SHA, at: new Date(1), reason: hostile() }],
        checks: [{ name: hostile(), source: 'status', state: 'failure' }],
        promotion: { environment: 'staging', liveSha: hostile(), liveState: hostile() },
        environment: { ...FULL, freezes: [{ ...FULL.freezes[0]!, reason: hostile(), from: '2026-12-01' }] },
      });
      const verdict = evaluateGates(verdictFacts);
      expect(unexpectedMarkup(checklistMarkdown(verdict))).toEqual([]);
      expect(unexpectedMarkup(checklistText(verdict))).toEqual([]);
    }
  });
});

describe('checklistText', () => {
  test('is the checklist as lines when it fits', () => {
    expect(checklistText(evaluateGates(facts())).split('\n')).toEqual([
      '✅ lock: not locked',
      '✅ freeze: no freeze in force',
      '⏳ window: outside `Mon-Fri 09:00-17:00 Europe/Berlin`; needs `Mon-Fri 09:00-17:00 Europe/Berlin` to open; opens 2026-12-07T08:00:00.000Z (`Mon 2026-12-07 09:00 Europe/Berlin`)',
      '✅ branch: `main` matches `main`',
      '⏳ checks: 1 of 2 checks on `abc1234` still running: `test`; needs their success',
      '✅ promotion: `abc1234` is live on `staging`',
      '⏳ approvals: 1 of 2 approvals (@octocat); needs `/approve production` from one more approver: a member of `@acme/sre`',
    ]);
  });

  const huge = facts({
    checks: Array.from({ length: 500 }, (_, i) => ({
      name: `job-${i}-${'x'.repeat(100)}`,
      source: 'check_run' as const,
      state: 'failure' as const,
    })),
    approvals: Array.from({ length: 300 }, (_, i) => ({
      by: `user-${i}`,
      sha: `${i}`.padStart(40, '0'),
      at: new Date(i),
    })),
    lock: { holder: 'hubot', reason: 'y'.repeat(5000) },
    branch: `feature/${'z'.repeat(300)}`,
  });

  test.each([STATUS_REPORT_LIMIT, 300, 100, 41, 10, 0])('never exceeds %d characters', (max) => {
    const text = checklistText(evaluateGates(huge), max);
    expect(text.length).toBeLessThanOrEqual(max);
    expect(unexpectedMarkup(text)).toEqual([]);
  });

  test('when not all fits, failed and waiting gates are kept before passed ones', () => {
    const verdict = evaluateGates(huge);
    const text = checklistText(verdict, 300);
    const lines = text.split('\n');
    expect(lines.filter((line) => line.startsWith('✅'))).toEqual([]);
    expect(lines.some((line) => line.startsWith('❌ lock'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^… \d more gates? not shown$/);
  });

  test('the default limit is the 1,024 characters of a status report', () => {
    expect(checklistText(evaluateGates(huge)).length).toBeLessThanOrEqual(1024);
    expect(STATUS_REPORT_LIMIT).toBe(1024);
  });
});

describe('decisionRecord', () => {
  test('records who asked, what, each gate, whose approvals counted, who rejected, and the verdict', () => {
    const decided = facts({
      approvals: [
        { by: 'octocat', sha: SHA, at: new Date('2026-12-05T09:00:00Z') },
        { by: 'sre-ann', sha: '0'.repeat(40), at: new Date('2026-12-04T09:00:00Z') },
      ],
      rejections: [
        {
          by: 'sre-ann',
          sha: SHA,
          at: new Date('2026-12-05T09:30:00Z'),
          reason: 'not\nbefore <b>Monday</b>',
        },
      ],
      lock: { holder: 'monalisa', reason: undefined },
    });
    const record = decisionRecord(decided, evaluateGates(decided));
    expect(JSON.parse(JSON.stringify(record))).toEqual({
      version: 1,
      at: '2026-12-05T10:00:00.000Z',
      environment: 'production',
      sha: SHA,
      branch: 'main',
      requester: 'monalisa',
      verdict: 'fail',
      nextOpening: '2026-12-07T08:00:00.000Z',
      gates: [
        { gate: 'lock', state: 'passed' },
        { gate: 'freeze', state: 'passed' },
        { gate: 'window', state: 'waiting' },
        { gate: 'branch', state: 'passed' },
        { gate: 'checks', state: 'waiting' },
        { gate: 'promotion', state: 'passed' },
        { gate: 'approvals', state: 'failed' },
      ],
      approvals: { needed: 2, counted: 1, by: [{ login: 'octocat', at: '2026-12-05T09:00:00.000Z' }] },
      rejections: [{ login: 'sre-ann', at: '2026-12-05T09:30:00.000Z', reason: 'not before <b>Monday</b>' }],
      lockedBy: 'monalisa',
    });
  });

  test('stays small with hundreds of approvals and holds no check URLs', () => {
    const many = facts({
      approvals: Array.from({ length: 500 }, (_, i) => ({ by: `user-${i}`, sha: SHA, at: new Date(i) })),
      checks: [
        { name: 'build', source: 'check_run', state: 'success', url: 'https://ci.example/run?token=s3cr3t' },
      ],
      environment: { ...FULL, requires: { ...FULL.requires, approvers: [] } },
    });
    const json = JSON.stringify(decisionRecord(many, evaluateGates(many)));
    expect(json.length).toBeLessThan(4000);
    expect(json).not.toContain('s3cr3t');
    expect(json).not.toContain('ci.example');
    expect(JSON.parse(json)).toMatchObject({ approvals: { needed: 2, counted: 500 }, verdict: 'wait' });
  });
});
