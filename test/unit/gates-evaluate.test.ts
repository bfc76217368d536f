import { describe, expect, test } from '@jest/globals';
import { parseConfigText } from '../../src/config/parse.ts';
import type { EnvironmentConfig } from '../../src/config/types.ts';
import { branchMatches } from '../../src/gates/branch-pattern.ts';
import { checkFacts } from '../../src/github/gate-facts.ts';
import {
  evaluateGates,
  type CheckFact,
  type GateFacts,
  type GateName,
  type GateOutcome,
} from '../../src/gates/index.ts';

const SHA = 'abc1234def5678abc1234def5678abc1234def56';
const OLD_SHA = '0ld0000def5678abc1234def5678abc1234def56';
const at = (minute: number): Date => new Date(Date.UTC(2026, 11, 2, 10, minute));

/** The `production` environment of a `.github/rollgate.yml` whose `requires` is `requires`. */
function production(requires: string, more = ''): EnvironmentConfig {
  const text = `environments:\n  staging: {}\n  production:\n    requires: { ${requires.includes('checks:') ? '' : 'checks: none, '}${requires} }\n${more}`;
  const environment = parseConfigText(text).environments.get('production');
  if (environment === undefined) throw new Error('no production environment');
  return environment;
}

function facts(environment: EnvironmentConfig, more: Partial<GateFacts> = {}): GateFacts {
  return {
    now: new Date('2026-12-02T10:30:00Z'),
    environment,
    sha: SHA,
    branch: 'main',
    requester: 'monalisa',
    approvals: [],
    rejections: [],
    teams: new Map(),
    checks: [],
    promotion: undefined,
    lock: undefined,
    ...more,
  };
}

function gateOf(environment: EnvironmentConfig, more: Partial<GateFacts>, name: GateName): GateOutcome {
  const gate = evaluateGates(facts(environment, more)).gates.find((g) => g.gate === name);
  if (gate === undefined) throw new Error(`no ${name} gate`);
  return gate;
}

describe('which gates appear', () => {
  test('an environment with no requirements has the lock gate only', () => {
    const verdict = evaluateGates(facts(production('')));
    expect(verdict.gates.map((g) => g.gate)).toEqual(['lock']);
    expect(verdict.state).toBe('pass');
  });

  test('every configured gate, in checklist order', () => {
    const environment = production(
      'checks: success, approvals: 1, deployed_to: staging, branches: [main]',
      '    windows: [{ hours: "00:00-24:00" }]\n    freezes: [{ from: 2020-01-01, to: 2020-01-02 }]\n',
    );
    expect(evaluateGates(facts(environment)).gates.map((g) => g.gate)).toEqual([
      'lock',
      'freeze',
      'window',
      'branch',
      'checks',
      'promotion',
      'approvals',
    ]);
  });
});

describe('lock gate', () => {
  const environment = production('');
  test.each([
    ['no lock', undefined, 'passed', 'not locked', undefined],
    [
      'held by the requester',
      { holder: 'monalisa', reason: undefined },
      'passed',
      'locked by @monalisa, who asked',
      undefined,
    ],
    [
      'held by the requester in another case',
      { holder: 'MonaLisa', reason: 'db work' },
      'passed',
      'locked by @MonaLisa, who asked: `db work`',
      undefined,
    ],
    [
      'held by someone else',
      { holder: 'hubot', reason: 'incident 42' },
      'failed',
      'locked by @hubot: `incident 42`',
      '@hubot runs `/unlock production`',
    ],
  ])('%s: %s', (_name, lock, state, summary, change) => {
    expect(gateOf(environment, { lock }, 'lock')).toEqual({
      gate: 'lock',
      state,
      summary,
      ...(change === undefined ? {} : { change }),
    });
  });
});

describe('branch gate', () => {
  test.each([
    ['main', 'main', true],
    ['release/*', 'release/1.2', true],
    ['release/*', 'release/1.2/hotfix', false],
    ['release/*/*', 'release/1.2/hotfix', true],
    ['release/**', 'release/1.2/hotfix', true],
    ['release/**', 'release', false],
    ['release-?', 'release-1', true],
    ['release-?', 'release-10', false],
    ['*', 'feature/x', false],
    ['**', 'feature/x', true],
    ['Main', 'main', false],
    ['v1.*', 'v1x2', false],
    ['v1.*', 'v1.2', true],
  ])('%j matches %j: %s', (pattern, branch, expected) => {
    expect(branchMatches(pattern, branch)).toBe(expected);
  });

  test('a pattern built to backtrack is answered at once', () => {
    const started = performance.now();
    expect(branchMatches(`${'*a'.repeat(40)}b`, 'a'.repeat(250))).toBe(false);
    // A bound on the algorithm, not a speed target: a backtracking match of this pattern takes
    // longer than the age of the universe, a linear one microseconds.
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  const environment = production('branches: [main, "release/*"]');
  test.each([
    ['main', 'passed', '`main` matches `main`', undefined],
    ['release/2.0', 'passed', '`release/2.0` matches `release/*`', undefined],
    [
      'feature/x',
      'failed',
      '`feature/x` matches none of `main`, `release/*`',
      'merge it into a branch that matches `main`, `release/*` and deploy from there',
    ],
    [
      undefined,
      'failed',
      '`abc1234` is deployed from no branch (a bare commit or a tag), and only `main`, `release/*` may be deployed',
      'deploy it from a branch that matches `main`, `release/*`',
    ],
  ])('from %j: %s', (branch, state, summary, change) => {
    expect(gateOf(environment, { branch }, 'branch')).toEqual({
      gate: 'branch',
      state,
      summary,
      ...(change === undefined ? {} : { change }),
    });
  });
});

describe('checks gate', () => {
  const environment = production('checks: success');
  const run = (name: string, state: CheckFact['state']): CheckFact => ({ name, source: 'check_run', state });
  const status = (name: string, state: CheckFact['state']): CheckFact => ({ name, source: 'status', state });
  test.each([
    ['no checks at all', [], 'passed', 'no checks reported on `abc1234`'],
    [
      'every check succeeded',
      [run('build', 'success'), status('ci/lint', 'success')],
      'passed',
      'all 2 checks on `abc1234` succeeded',
    ],
    [
      "Rollgate's own check runs are left out",
      [
        run('build', 'success'),
        run('rollgate / staging', 'in_progress'),
        run('rollgate / production', 'failure'),
      ],
      'passed',
      'the 1 check on `abc1234` succeeded',
    ],
    [
      'a status named like ours still counts',
      [status('rollgate / staging', 'pending')],
      'waiting',
      '1 of 1 check on `abc1234` still running: `rollgate / staging`',
    ],
    [
      'a queued check run',
      [run('build', 'success'), run('test', 'queued')],
      'waiting',
      '1 of 2 checks on `abc1234` still running: `test`',
    ],
    [
      'an in-progress check run and a pending status',
      [run('test', 'in_progress'), status('deploy/preview', 'pending')],
      'waiting',
      '2 of 2 checks on `abc1234` still running: `test`, `deploy/preview`',
    ],
    [
      'a failed check run',
      [run('build', 'success'), run('test', 'failure')],
      'failed',
      '1 of 2 checks on `abc1234` did not succeed: `test` (failure)',
    ],
    [
      'a skipped check run (GitHub refuses the Deployment)',
      [run('e2e', 'skipped')],
      'failed',
      '1 of 1 check on `abc1234` did not succeed: `e2e` (skipped)',
    ],
    [
      'a neutral check run',
      [run('lint', 'neutral')],
      'failed',
      '1 of 1 check on `abc1234` did not succeed: `lint` (neutral)',
    ],
    [
      'an errored status',
      [status('ci/circleci', 'error')],
      'failed',
      '1 of 1 check on `abc1234` did not succeed: `ci/circleci` (error)',
    ],
    [
      'timed out, cancelled, stale, action required',
      [run('a', 'timed_out'), run('b', 'cancelled'), run('c', 'stale'), run('d', 'action_required')],
      'failed',
      '4 of 4 checks on `abc1234` did not succeed: `a` (timed out), `b` (cancelled), `c` (stale), `d` (action required)',
    ],
    [
      'a failure outweighs one still running',
      [run('test', 'failure'), run('build', 'queued')],
      'failed',
      '1 of 2 checks on `abc1234` did not succeed: `test` (failure)',
    ],
  ])('%s: %s', (_name, checks, state, summary) => {
    const gate = gateOf(environment, { checks }, 'checks');
    expect([gate.state, gate.summary]).toEqual([state, summary]);
  });

  test('a failure says what would change it', () => {
    expect(gateOf(environment, { checks: [run('e2e', 'skipped')] }, 'checks').change).toMatch(
      /skipped and neutral do not count/,
    );
  });

  test('a thousand failing checks stay one bounded line', () => {
    const checks = Array.from({ length: 1000 }, (_, i) => run(`job ${i} ${'x'.repeat(50)}`, 'failure'));
    const gate = gateOf(environment, { checks }, 'checks');
    expect(gate.summary.length).toBeLessThan(600);
    expect(gate.summary).toMatch(/and 99\d more$/);
  });

  test('checks: none leaves the gate out even with failing checks', () => {
    const verdict = evaluateGates(facts(production(''), { checks: [run('test', 'failure')] }));
    expect(verdict.gates.map((g) => g.gate)).toEqual(['lock']);
  });
});

describe('promotion gate (deployed_to: staging)', () => {
  const environment = production('deployed_to: staging');
  const promotion = (liveSha: string | undefined, liveState: string | undefined) => ({
    environment: 'staging',
    liveSha,
    liveState,
  });
  test.each([
    [
      'never deployed there',
      undefined,
      'waiting',
      'nothing is deployed to `staging` yet',
      'deploy `abc1234` to `staging` first',
    ],
    [
      'another commit is live there',
      promotion(OLD_SHA, 'success'),
      'waiting',
      '`staging` runs `0ld0000`, not `abc1234`',
      'deploy `abc1234` to `staging` first',
    ],
    [
      'this commit is live and healthy',
      promotion(SHA, 'success'),
      'passed',
      '`abc1234` is live on `staging`',
      undefined,
    ],
    [
      'this commit, in upper case',
      promotion(SHA.toUpperCase(), 'success'),
      'passed',
      '`abc1234` is live on `staging`',
      undefined,
    ],
    [
      'this commit is still deploying',
      promotion(SHA, 'in_progress'),
      'waiting',
      '`abc1234` is in progress on `staging`',
      'its deploy to `staging` succeeding',
    ],
    [
      'this commit is queued',
      promotion(SHA, 'queued'),
      'waiting',
      '`abc1234` is in progress on `staging`',
      'its deploy to `staging` succeeding',
    ],
    [
      'this commit has no status yet',
      promotion(SHA, undefined),
      'waiting',
      '`abc1234` is in progress on `staging`',
      'its deploy to `staging` succeeding',
    ],
    [
      'this commit failed there',
      promotion(SHA, 'failure'),
      'waiting',
      '`abc1234` on `staging` is `failure`, not live and healthy',
      'deploy `abc1234` to `staging` again, successfully',
    ],
  ])('%s: %s', (_name, facts, state, summary, change) => {
    expect(gateOf(environment, { promotion: facts }, 'promotion')).toEqual({
      gate: 'promotion',
      state,
      summary,
      ...(change === undefined ? {} : { change }),
    });
  });
});

describe('approvals gate', () => {
  const anyone = production('approvals: 2');
  const listed = production('approvals: 2, approvers: ["@Acme/SRE", octocat, hubot]');
  const teams = new Map([['acme/sre', new Set(['sre-ann', 'sre-bob'])]]);
  const approve = (by: string, minute = 0, sha = SHA) => ({ by, sha, at: at(minute) });
  const reject = (by: string, reason: string | undefined, minute = 0, sha = SHA) => ({
    by,
    sha,
    at: at(minute),
    reason,
  });

  test.each([
    [
      'none yet',
      anyone,
      { approvals: [] },
      'waiting',
      '0 of 2 approvals',
      '`/approve production` from 2 more people who may run commands, not @monalisa',
    ],
    [
      'one of two',
      anyone,
      { approvals: [approve('alice')] },
      'waiting',
      '1 of 2 approvals (@alice)',
      '`/approve production` from someone who may run commands, not @monalisa',
    ],
    [
      'two distinct people',
      anyone,
      { approvals: [approve('alice'), approve('bob', 1)] },
      'passed',
      '2 of 2 approvals (@alice, @bob)',
      undefined,
    ],
    [
      'one person twice, in two cases',
      anyone,
      { approvals: [approve('alice'), approve('Alice', 1)] },
      'waiting',
      '1 of 2 approvals (@Alice)',
      '`/approve production` from someone who may run commands, not @monalisa',
    ],
    [
      "the requester's own (self_approval off)",
      anyone,
      { approvals: [approve('alice'), approve('MonaLisa', 1)] },
      'waiting',
      "1 of 2 approvals (@alice); @monalisa's own approval does not count (self_approval is off)",
      '`/approve production` from someone who may run commands, not @monalisa',
    ],
    [
      "the requester's own (self_approval on)",
      production('approvals: 2, self_approval: true'),
      { approvals: [approve('alice'), approve('monalisa', 1)] },
      'passed',
      '2 of 2 approvals (@alice, @monalisa)',
      undefined,
    ],
    [
      'one for an older commit',
      anyone,
      { approvals: [approve('alice'), approve('bob', 1, OLD_SHA)] },
      'waiting',
      '1 of 2 approvals (@alice); 1 approval for an older commit no longer counts',
      '`/approve production` from someone who may run commands, not @monalisa',
    ],
    [
      'two for an older commit',
      anyone,
      { approvals: [approve('alice', 0, OLD_SHA), approve('bob', 1, OLD_SHA)] },
      'waiting',
      '0 of 2 approvals; 2 approvals for an older commit no longer count',
      '`/approve production` from 2 more people who may run commands, not @monalisa',
    ],
    [
      'a listed user and a team member',
      listed,
      { approvals: [approve('OctoCat'), approve('sre-bob', 1)], teams },
      'passed',
      '2 of 2 approvals (@OctoCat, @sre-bob)',
      undefined,
    ],
    [
      'someone neither listed nor in the team',
      listed,
      { approvals: [approve('octocat'), approve('mallory', 1)], teams },
      'waiting',
      '1 of 2 approvals (@octocat); @mallory is not an approver',
      '`/approve production` from one more approver: a member of `@Acme/SRE` or @hubot',
    ],
    [
      'a team whose members were not read',
      listed,
      { approvals: [approve('sre-ann')], teams: new Map() },
      'waiting',
      '0 of 2 approvals; @sre-ann is not an approver',
      '`/approve production` from 2 more approvers: a member of `@Acme/SRE` or @octocat or @hubot',
    ],
  ])('%s: %s', (_name, environment, more, state, summary, change) => {
    expect(gateOf(environment, { teams, ...more }, 'approvals')).toEqual({
      gate: 'approvals',
      state,
      summary,
      ...(change === undefined ? {} : { change }),
    });
  });

  test.each([
    [
      'a rejection of this commit fails it, naming who and why',
      anyone,
      [approve('alice')],
      [reject('bob', 'not during the incident', 1)],
      'failed',
      'rejected by @bob (`not during the incident`)',
    ],
    ['a rejection without a reason', anyone, [], [reject('bob', undefined)], 'failed', 'rejected by @bob'],
    [
      'a later /approve from the same person withdraws it',
      anyone,
      [approve('bob', 2)],
      [reject('bob', 'wait', 1)],
      'waiting',
      '1 of 2 approvals (@bob)',
    ],
    [
      'a later /reject withdraws their approval',
      anyone,
      [approve('bob', 1), approve('alice', 1)],
      [reject('bob', 'found a bug', 2)],
      'failed',
      'rejected by @bob (`found a bug`)',
    ],
    [
      'a rejection of an older commit no longer counts',
      anyone,
      [approve('alice')],
      [reject('bob', 'old', 0, OLD_SHA)],
      'waiting',
      '1 of 2 approvals (@alice)',
    ],
    [
      'a rejection from someone who may not approve is ignored',
      listed,
      [approve('octocat')],
      [reject('mallory', 'no')],
      'waiting',
      '1 of 2 approvals (@octocat)',
    ],
    [
      'a team member may reject',
      listed,
      [],
      [reject('sre-ann', 'capacity')],
      'failed',
      'rejected by @sre-ann (`capacity`)',
    ],
  ])('%s', (_name, environment, approvals, rejections, state, summary) => {
    const gate = gateOf(environment, { approvals, rejections, teams }, 'approvals');
    expect([gate.state, gate.summary]).toEqual([state, summary]);
  });

  test('a rejection says how it is withdrawn', () => {
    expect(gateOf(anyone, { rejections: [reject('bob', 'no')] }, 'approvals').change).toBe(
      '@bob can withdraw it with `/approve production`; a new commit starts over',
    );
  });

  test('approvals: 0 leaves the gate out, and with it any rejection', () => {
    const verdict = evaluateGates(facts(production(''), { rejections: [reject('bob', 'no')] }));
    expect(verdict.gates.map((g) => g.gate)).toEqual(['lock']);
  });
});

describe('the verdict', () => {
  const office = '    windows: [{ days: Mon-Fri, hours: "09:00-17:00", timezone: UTC }]\n';
  const saturday = new Date('2026-12-05T10:00:00Z');
  test.each([
    [
      'every gate passed',
      production('approvals: 1'),
      { approvals: [{ by: 'alice', sha: SHA, at: at(0) }] },
      'pass',
      false,
    ],
    ['one gate waits', production('approvals: 1'), {}, 'wait', false],
    [
      'a failed gate outweighs a waiting one',
      production('approvals: 1'),
      { lock: { holder: 'hubot', reason: undefined } },
      'fail',
      false,
    ],
    ['only the window waits: it carries itself out', production('', office), { now: saturday }, 'wait', true],
    ['the window and approvals wait', production('approvals: 1', office), { now: saturday }, 'wait', false],
    [
      'the window waits and a gate failed',
      production('', office),
      { now: saturday, lock: { holder: 'hubot', reason: undefined } },
      'fail',
      false,
    ],
  ])('%s: %s', (_name, environment, more, state, timeOnly) => {
    const verdict = evaluateGates(facts(environment, more));
    expect([verdict.state, verdict.timeOnly]).toEqual([state, timeOnly]);
  });

  test('only-time waits come with the instant they open', () => {
    const verdict = evaluateGates(facts(production('', office), { now: saturday }));
    expect(verdict.nextOpening?.toISOString()).toBe('2026-12-07T09:00:00.000Z');
  });
});

describe('checks gate on the statuses GitHub reads back', () => {
  const environment = production('checks: success');
  // The `check-run` schema's statuses besides queued/in_progress/completed, and a state no
  // version of GitHub's description has: what the checks gate makes of each.
  test.each([
    ['waiting', 'waiting', '1 of 1 check on `abc1234` still running: `deploy`'],
    ['requested', 'waiting', '1 of 1 check on `abc1234` still running: `deploy`'],
    ['pending', 'waiting', '1 of 1 check on `abc1234` still running: `deploy`'],
    ['in_progress', 'waiting', '1 of 1 check on `abc1234` still running: `deploy`'],
    ['success', 'passed', 'the 1 check on `abc1234` succeeded'],
    ['exploded', 'failed', '1 of 1 check on `abc1234` did not succeed: `deploy` (failure)'],
  ])('a check run whose state reads %s', (state, expected, summary) => {
    const checks = checkFacts([{ name: 'deploy', state, ours: false, source: 'check_run' }]);
    const gate = gateOf(environment, { checks }, 'checks');
    expect([gate.state, gate.summary]).toEqual([expected, summary]);
  });
});
