import { describe, expect, test } from '@jest/globals';
import { parseConfigText } from '../../src/config/parse.ts';
import {
  decideDeploy,
  ORPHAN_MARKER_MS,
  STALE_MARKER_MS,
  type DeployFacts,
} from '../../app/decisions/deploy.ts';
import { decideLock, decideUnlock } from '../../app/decisions/lock.ts';
import {
  mergeStickyRow,
  mergeStickyRows,
  nextCheckRunStatus,
  releasesMarker,
} from '../../app/decisions/deployment-status.ts';
import { releaseEnvironments } from '../../app/decisions/release.ts';
import { hasPermission, isAdmin, permissionRefusal } from '../../app/permissions.ts';
import { reconciledWrite, retryDelay } from '../../app/handlers/reconciled-write.ts';
import type { Marker } from '../../app/handlers/environment-state.ts';
import type { EnvironmentRow } from '../../src/github/sticky-comment.ts';

const config = parseConfigText(
  `environments:
  staging:
    auto_deploy: [release]
    requires: { checks: none }
  production:
    production: true
    requires: { checks: success }
commands:
  permission: write
`,
  '.github/rollgate.yml',
);
const NOW = Date.parse('2026-12-01T12:00:00Z');
const SHA = 'a'.repeat(40);

function facts(overrides: Partial<DeployFacts> = {}): DeployFacts {
  const name = overrides.environmentName ?? 'staging';
  return {
    environmentName: name,
    environment: config.environments.get(name),
    environmentNames: [...config.environments.keys()],
    requester: 'octocat',
    owner: { kind: 'comment', id: 7 },
    pull: { number: 1, state: 'open', merged: false, headSha: SHA, fromFork: false },
    allowForks: false,
    target: { kind: 'pull-head', sha: SHA },
    lock: undefined,
    marker: undefined,
    markerDeployment: undefined,
    contexts: undefined,
    dryRun: false,
    now: NOW,
    ...overrides,
  };
}

function marker(overrides: Partial<Marker> = {}): Marker {
  return {
    holder: 'monalisa',
    reason: 'deploy 1.0.0',
    since: new Date(NOW - 10_000).toISOString(),
    pullRequest: 2,
    owner: { kind: 'comment', id: 99 },
    sha: 'c0ffee0000000000000000000000000000000000',
    ...overrides,
  };
}

const lock = { holder: 'monalisa', reason: 'migration', since: '2026-12-01T11:00:00Z', pullRequest: 2 };

describe('decideDeploy', () => {
  const rows: [string, Partial<DeployFacts>, RegExp | string][] = [
    [
      'an unknown environment',
      { environmentName: 'qa' },
      /There is no environment `qa`.*`staging`, `production`/,
    ],
    [
      'a merged pull request',
      { pull: { number: 1, state: 'closed', merged: true, headSha: SHA, fromFork: false } },
      /#1 is merged/,
    ],
    [
      'a closed pull request',
      { pull: { number: 1, state: 'closed', merged: false, headSha: SHA, fromFork: false } },
      /#1 is closed/,
    ],
    [
      'a fork without allow_forks',
      { pull: { number: 1, state: 'open', merged: false, headSha: SHA, fromFork: true } },
      /comes from a fork/,
    ],
    [
      'refs/pull of another pull request',
      { target: { kind: 'pull-ref', sha: SHA } },
      /pull request's ref may hold code from a fork/,
    ],
    [
      'a commit on no branch of ours',
      { target: { kind: 'foreign-commit', sha: SHA } },
      /on no branch of this repository/,
    ],
    ['a ref that names nothing', { target: { kind: 'unknown' } }, /names no branch, tag or commit/],
    [
      "someone else's lock",
      { lock },
      /`staging` is locked by @monalisa since 2026-12-01 11:00 UTC: `migration`/,
    ],
    [
      "someone else's fresh marker with no Deployment yet",
      { marker: marker(), markerDeployment: { kind: 'none' } },
      /already in progress .*@monalisa from #2/,
    ],
    [
      "someone else's marker with a running Deployment",
      {
        marker: marker({ since: new Date(NOW - ORPHAN_MARKER_MS * 2).toISOString() }),
        markerDeployment: { kind: 'running', id: 5 },
      },
      /already in progress/,
    ],
    [
      'a failing check on production',
      { environmentName: 'production', contexts: [{ name: 'ci/test', state: 'failure', ours: false }] },
      /`ci\/test` is failure/,
    ],
    [
      'a skipped check run on production',
      { environmentName: 'production', contexts: [{ name: 'lint', state: 'skipped', ours: false }] },
      /`lint` is skipped/,
    ],
  ];
  test.each(rows)('refuses %s', (_what, overrides, message) => {
    const decision = decideDeploy(facts(overrides));
    expect(decision.kind).toBe('refuse');
    expect(decision.kind === 'refuse' && decision.message).toMatch(message);
  });

  const plans: [
    string,
    Partial<DeployFacts>,
    { marker: string; requiredContexts?: string[]; sha?: string },
  ][] = [
    ['the pull request head', {}, { marker: 'take', requiredContexts: [] }],
    ['its own lock', { lock: { ...lock, holder: 'octocat' } }, { marker: 'take' }],
    [
      'its own marker (a redelivery)',
      { marker: marker({ owner: { kind: 'comment', id: 7 } }) },
      { marker: 'ours' },
    ],
    [
      'a marker whose Deployment finished',
      { marker: marker(), markerDeployment: { kind: 'finished', id: 5 } },
      { marker: 'take-over' },
    ],
    [
      'a marker left without a Deployment by a crash',
      {
        marker: marker({ since: new Date(NOW - ORPHAN_MARKER_MS - 1).toISOString() }),
        markerDeployment: { kind: 'none' },
      },
      { marker: 'take-over' },
    ],
    [
      'a marker older than 30 minutes',
      {
        marker: marker({ since: new Date(NOW - STALE_MARKER_MS - 1).toISOString() }),
        markerDeployment: { kind: 'running', id: 5 },
      },
      { marker: 'take-over' },
    ],
    [
      'a fork with allow_forks, at the head read',
      {
        allowForks: true,
        pull: { number: 1, state: 'open', merged: false, headSha: SHA, fromFork: true },
        target: { kind: 'foreign-commit', sha: SHA },
      },
      { marker: 'take', sha: SHA },
    ],
    [
      "production with green checks: every context but Rollgate's own",
      {
        environmentName: 'production',
        contexts: [
          { name: 'ci/test', state: 'success', ours: false },
          { name: 'build', state: 'success', ours: false },
          { name: 'rollgate / staging', state: 'pending', ours: true },
        ],
      },
      { marker: 'take', requiredContexts: ['ci/test', 'build'] },
    ],
  ];
  test.each(plans)('deploys %s', (_what, overrides, expected) => {
    const decision = decideDeploy(facts(overrides));
    expect(decision.kind).toBe('deploy');
    if (decision.kind !== 'deploy') return;
    expect(decision.plan.marker).toBe(expected.marker);
    if (expected.requiredContexts) expect(decision.plan.requiredContexts).toEqual(expected.requiredContexts);
    if (expected.sha) expect(decision.plan.sha).toBe(expected.sha);
  });

  test('a dry run creates nothing even where a deploy would', () => {
    expect(decideDeploy(facts({ dryRun: true }))).toEqual({ kind: 'dry-run', sha: SHA, production: false });
  });

  test('echoed values are code spans, so a lock reason cannot ping a team', () => {
    const decision = decideDeploy(facts({ lock: { ...lock, reason: '@acme/everyone `x` | y' } }));
    expect(decision.kind === 'refuse' && decision.message).toContain('``@acme/everyone `x` | y``');
  });
});

describe('/lock and /unlock', () => {
  const names = ['staging'];
  test.each([
    ['an unknown environment', { environment: 'qa', lock: undefined }, 'refuse'],
    ['a free environment', { environment: 'staging', lock: undefined }, 'take'],
    ['a lock of ours', { environment: 'staging', lock: { ...lock, holder: 'octocat' } }, 'done'],
    ["someone else's lock", { environment: 'staging', lock }, 'refuse'],
  ] as const)('/lock on %s', (_what, f, kind) => {
    expect(decideLock({ ...f, environmentNames: names, requester: 'octocat' }).kind).toBe(kind);
  });

  const m = marker();
  test.each([
    [
      'the holder unlocks',
      { requester: 'monalisa', admin: false, deploying: false, lock, marker: undefined },
      'drop',
      /unlocked/,
    ],
    [
      'an admin unlocks, naming the holder',
      { requester: 'alice', admin: true, deploying: false, lock, marker: undefined },
      'drop',
      /locked by @monalisa/,
    ],
    [
      'someone else is refused',
      { requester: 'octocat', admin: false, deploying: false, lock, marker: undefined },
      'refuse',
      /only they or a repository admin/,
    ],
    [
      'nothing locked',
      { requester: 'octocat', admin: false, deploying: false, lock: undefined, marker: undefined },
      'done',
      /was not locked/,
    ],
    [
      '--deploying by the holder',
      { requester: 'monalisa', admin: false, deploying: true, lock: undefined, marker: m },
      'drop',
      /marker of `staging` is cleared; it was set/,
    ],
    [
      '--deploying by an admin says whose it was',
      { requester: 'alice', admin: true, deploying: true, lock: undefined, marker: m },
      'drop',
      /\(it was @monalisa's\)/,
    ],
    [
      '--deploying by someone else',
      { requester: 'octocat', admin: false, deploying: true, lock: undefined, marker: m },
      'refuse',
      /is @monalisa's/,
    ],
    [
      '--deploying with no marker',
      { requester: 'octocat', admin: false, deploying: true, lock: undefined, marker: undefined },
      'done',
      /No deploy/,
    ],
  ] as const)('/unlock: %s', (_what, f, kind, message) => {
    const decision = decideUnlock({ environment: 'staging', ...f });
    expect(decision.kind).toBe(kind);
    expect(decision.message).toMatch(message);
    if (decision.kind === 'drop') expect(decision.ref).toBe(f.deploying ? 'deploying' : 'lock');
  });
});

describe('deployment_status events in any order', () => {
  test.each([
    [undefined, 'in_progress', 'in_progress'],
    ['queued', 'in_progress', 'in_progress'],
    ['queued', 'success', 'completed'],
    ['in_progress', 'queued', undefined],
    ['completed', 'in_progress', undefined],
    ['completed', 'queued', undefined],
    ['in_progress', 'failure', 'completed'],
  ] as const)('a %s check run given %s becomes %s', (current, state, next) => {
    expect(nextCheckRunStatus(current === undefined ? undefined : { status: current }, state)?.status).toBe(
      next,
    );
  });

  const row = (deploymentId: number, state: string, environment = 'staging'): EnvironmentRow => ({
    environment,
    state,
    version: '1',
    sha: SHA,
    by: 'octocat',
    deploymentId,
    logUrl: undefined,
    environmentUrl: undefined,
    updatedAt: '2026-12-01T12:00:00Z',
  });
  test.each([
    ['a later state of the same deployment', [row(5, 'in_progress')], row(5, 'success'), 'success'],
    ['an earlier state arriving late', [row(5, 'success')], row(5, 'in_progress'), undefined],
    ['an older deployment arriving late', [row(6, 'queued')], row(5, 'success'), undefined],
    ['a newer deployment', [row(5, 'success')], row(6, 'queued'), 'queued'],
    ['success going inactive', [row(5, 'success')], row(5, 'inactive'), 'inactive'],
  ] as const)('the sticky row takes %s: %s', (_what, rows, next, state) => {
    expect(mergeStickyRow(rows, next)?.find((r) => r.environment === 'staging')?.state).toBe(state);
  });
  test('two copies of the sticky comment merge without losing a row', () => {
    const merged = mergeStickyRows([[row(5, 'success'), row(7, 'queued', 'production')], [row(6, 'queued')]]);
    expect(merged.map((r) => `${r.environment}:${r.deploymentId}`)).toEqual(['staging:6', 'production:7']);
  });
  test.each([
    ['the deployment that took it', 'success', { comment_id: 99 }, true],
    ['another deployment', 'success', { comment_id: 98 }, false],
    ['a state that is not final', 'in_progress', { comment_id: 99 }, false],
    ['a release deployment of another release', 'failure', { release: 99 }, false],
  ] as const)('a final status releases the marker of %s', (_what, state, payload, releases) => {
    expect(releasesMarker(state, marker(), payload)).toBe(releases);
  });
});

describe('releases', () => {
  // `prerelease` in `auto_deploy` is not accepted by the configuration parser yet: built here as the
  // parser will give it.
  const base = parseConfigText(
    'environments:\n  staging:\n    auto_deploy: [release]\n  production: {}\n',
    'x.yml',
  );
  const staging = base.environments.get('staging')!;
  const preview = {
    ...staging,
    name: 'preview',
    autoDeploy: ['release', 'prerelease'] as unknown as typeof staging.autoDeploy,
  };
  const prerelease = {
    ...base,
    environments: new Map([
      ['staging', staging],
      ['preview', preview],
      ['production', base.environments.get('production')!],
    ]),
  };
  test.each([
    [{ prerelease: false, draft: false }, ['staging', 'preview']],
    [{ prerelease: true, draft: false }, ['preview']],
    [{ prerelease: false, draft: true }, []],
  ])('%o deploys to %o', (release, environments) => {
    expect(releaseEnvironments(prerelease, release)).toEqual(environments);
  });
});

describe('permissions', () => {
  test.each([
    [{ roleName: 'write', permission: 'write' }, 'write', true],
    [{ roleName: 'triage', permission: 'read' }, 'write', false],
    [{ roleName: 'maintain', permission: 'write' }, 'maintain', true],
    // A custom role counts by its base role, which GitHub reports in `permission`.
    [{ roleName: 'deployer', permission: 'write' }, 'write', true],
    [{ roleName: 'auditor', permission: 'read' }, 'write', false],
    [{ roleName: '', permission: 'none' }, 'read', false],
  ] as const)('%o with %s required: %s', (facts, required, allowed) => {
    expect(hasPermission(facts, required)).toBe(allowed);
  });
  test('only admins are admins', () => {
    expect(isAdmin({ roleName: 'admin', permission: 'admin' })).toBe(true);
    expect(isAdmin({ roleName: 'maintain', permission: 'write' })).toBe(false);
  });
  test('a private repository never shows the role, and an empty role never shows', () => {
    expect(permissionRefusal('write', { roleName: 'read', permission: 'read' }, false)).toContain(
      'you have `read`',
    );
    expect(permissionRefusal('write', { roleName: 'read', permission: 'read' }, true)).not.toContain(
      'you have',
    );
    expect(permissionRefusal('write', { roleName: '', permission: 'none' }, false)).not.toContain('you have');
  });
});

describe('reconciled writes', () => {
  const noSleep = () => Promise.resolve();
  test.each([
    [{ status: 500 }, 0],
    [{ status: 502 }, 0],
    [{ status: 403, response: { headers: { 'retry-after': '1' } } }, 1000],
    [{ status: 403, response: { headers: { 'retry-after': '60' } } }, undefined],
    [{ status: 403 }, undefined],
    [{ status: 409 }, undefined],
    [{ status: 422 }, undefined],
  ])('after %o the write may be sent again after %s ms', (error, delay) => {
    expect(retryDelay(error)).toBe(delay);
  });
  test('a write GitHub carried out although its answer was lost is found, not sent again', async () => {
    let sent = 0;
    const result = await reconciledWrite(
      () => {
        sent++;
        return Promise.reject(Object.assign(new Error('socket hang up'), { status: 500 }));
      },
      () => Promise.resolve('found'),
      noSleep,
    );
    expect(result).toBe('found');
    expect(sent).toBe(1);
  });
  test('a write that did not happen is sent once more, and a refusal is not', async () => {
    let sent = 0;
    const flaky = () =>
      ++sent === 1 ? Promise.reject(Object.assign(new Error('x'), { status: 500 })) : Promise.resolve('made');
    expect(await reconciledWrite(flaky, () => Promise.resolve(undefined), noSleep)).toBe('made');
    expect(sent).toBe(2);
    await expect(
      reconciledWrite(
        () => Promise.reject(Object.assign(new Error('conflict'), { status: 409 })),
        () => Promise.resolve(undefined),
        noSleep,
      ),
    ).rejects.toThrow('conflict');
  });
});
