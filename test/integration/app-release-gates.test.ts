/**
 * Releases through the environment's gates, as users meet them: the real Probot server (signed
 * webhooks over HTTP) against the GitHub API test server, an injected clock (ROLLGATE_CLOCK_FILE),
 * each assertion on what GitHub holds afterwards — the release commit's `rollgate / <env>` check
 * run, the deferred refs, the Deployments — and, for a workflow job held by a window, the
 * protection rule's answer.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { examplePayload, REPOSITORY, startAppStand, type AppStand } from '../support/app-stand.ts';
import { deployments, eventually, repo, seedCheckRun } from '../support/app-view.ts';
import { requestedActionEvent } from '../support/requested-action-event.ts';

let stand: AppStand | undefined;

afterEach(async () => {
  if (stand === undefined) return;
  const current = stand;
  stand = undefined;
  current.github.assertNoViolations();
  await current.close();
});

/** Monday 1 March 2027, 07:00 UTC: launch day, frozen until midnight UTC. */
const START = '2027-03-01T07:00:00Z';

const FROZEN = `environments:
  staging:
    auto_deploy: [release]
    freezes:
      - { from: 2027-03-01, to: 2027-03-01, reason: Launch day }
`;

const APPROVED = `environments:
  staging:
    auto_deploy: [release]
    requires:
      approvals: 1
      approvers: ["@octo-org/sre", "monalisa"]
      self_approval: false
`;

async function start(config: string): Promise<{ s: AppStand; setClock: (iso: string) => void }> {
  const file = join(mkdtempSync(join(tmpdir(), 'rollgate-clock-')), 'now');
  const setClock = (iso: string) => {
    writeFileSync(file, iso);
  };
  setClock(START);
  stand = await startAppStand({
    config,
    env: { NODE_ENV: 'test', ROLLGATE_CLOCK_FILE: file, ROLLGATE_SWEEP_INTERVAL_MS: '250' },
  });
  stand.github.state.addCollaborator(REPOSITORY, 'sre-sam', 'write');
  stand.github.state.addCollaborator(REPOSITORY, 'outsider-olga', 'write');
  stand.github.state.addTeam('octo-org', 'sre', [{ login: 'sre-sam' }]);
  return { s: stand, setClock };
}

/** Publishes release `tag` by `author` on GitHub and delivers `release.published`; the payload, for redelivering. */
async function publish(s: AppStand, tag: string, publishedAt: string, author = 'octocat') {
  const record = s.github.state.addRelease(REPOSITORY, { tag, author });
  const example = examplePayload('release', 'published').release as { author: object };
  const payload = s.event('release', 'published', {
    release: {
      ...example,
      id: record.id,
      tag_name: tag,
      target_commitish: record.targetCommitish,
      draft: false,
      prerelease: false,
      published_at: publishedAt,
      author: { ...example.author, login: author },
    },
  });
  expect(await s.send('release', payload)).toBe(200);
  return { id: record.id, payload };
}

function releaseRun(s: AppStand, release: number, environment = 'staging') {
  return [...repo(s).checkRuns.values()].find(
    (r) => r.name === `rollgate / ${environment}` && r.externalId === `release:${release}:${environment}`,
  );
}

const deferredRefs = (s: AppStand) =>
  [...repo(s).refs.keys()].filter((r) => r.startsWith('refs/rollgate/deferred/'));

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a freeze defers a release', () => {
  test('deferred before a restart, deployed once after the freeze, with two App processes and a redelivery', async () => {
    const { s, setClock } = await start(FROZEN);
    const { id, payload } = await publish(s, 'v2.0.0', START);
    await eventually(() => releaseRun(s, id)?.status === 'in_progress', 'the release request check run');
    const run = releaseRun(s, id)!;
    expect(run.headSha).toBe(repo(s).refs.get('refs/tags/v2.0.0'));
    expect(run.output.summary).toMatch(/⏳ \*\*freeze\*\*[^\n]*Launch day/);
    expect(run.output.summary).toMatch(/deploys it by itself at 2027-03-02T00:00:00\.000Z/);
    expect(run.actions).toEqual([]);
    expect(deferredRefs(s)).toEqual([`refs/rollgate/deferred/release-${id}-staging`]);
    expect(deployments(s)).toHaveLength(0);

    // A minute before the freeze ends nothing goes out, also after the App restarts.
    setClock('2027-03-01T23:59:00Z');
    await s.restart();
    await s.replica();
    await pause(1_500);
    expect(deployments(s)).toHaveLength(0);

    setClock('2027-03-02T00:00:05Z');
    await eventually(() => deployments(s).length > 0, 'the deferred release Deployment', 20_000);
    await eventually(() => deferredRefs(s).length === 0, 'the deferred ref to go', 20_000);
    // Both replicas sweep: the compare-and-swap lets one carry it out.
    await pause(1_500);
    expect(deployments(s)).toHaveLength(1);
    const [deployment] = deployments(s);
    expect(deployment).toMatchObject({ environment: 'staging', sha: run.headSha });
    expect(deployment?.payload).toMatchObject({ release: id, version: '2.0.0', requester: 'octocat' });
    expect(releaseRun(s, id)).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(releaseRun(s, id)?.output.summary).toMatch(
      new RegExp(`Deployment #${deployment?.id} was created`),
    );

    // GitHub redelivers the event: the release is not deployed again.
    expect(await s.send('release', payload)).toBe(200);
    await eventually(() => /release v2\.0\.0 was decided already/.test(s.log()), 'the redelivery handled');
    expect(deployments(s)).toHaveLength(1);
  }, 120_000);

  test('a release deleted during the freeze is not deployed, and its check run says why', async () => {
    const { s, setClock } = await start(FROZEN);
    const { id } = await publish(s, 'v2.0.0', START);
    await eventually(() => deferredRefs(s).length === 1, 'the deferred ref');
    const releases = repo(s).releases;
    releases.splice(
      releases.findIndex((r) => r.id === id),
      1,
    );
    setClock('2027-03-02T00:00:05Z');
    await eventually(() => deferredRefs(s).length === 0, 'the deferred ref to go', 20_000);
    await eventually(() => releaseRun(s, id)?.status === 'completed', 'the check run concluded');
    expect(releaseRun(s, id)).toMatchObject({ conclusion: 'cancelled' });
    expect(releaseRun(s, id)?.output.summary).toMatch(/release was deleted or turned back into a draft/);
    expect(deployments(s)).toHaveLength(0);
  }, 120_000);

  test('of two releases held by the freeze, only the newer goes out; the older says which took its place', async () => {
    const { s, setClock } = await start(FROZEN);
    const older = await publish(s, 'v2.0.0', '2027-03-01T07:00:00Z');
    const newer = await publish(s, 'v2.0.1', '2027-03-01T08:00:00Z');
    await eventually(() => deferredRefs(s).length === 2, 'both deferred refs');
    setClock('2027-03-02T00:00:05Z');
    await eventually(() => deferredRefs(s).length === 0, 'the deferred refs to go', 20_000);
    await pause(1_000);
    expect(deployments(s)).toHaveLength(1);
    expect(deployments(s)[0]?.payload).toMatchObject({ release: newer.id, version: '2.0.1' });
    expect(releaseRun(s, newer.id)).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(releaseRun(s, older.id)).toMatchObject({ status: 'completed', conclusion: 'neutral' });
    expect(releaseRun(s, older.id)?.output.summary).toMatch(/v2\.0\.1/);
  }, 120_000);
});

describe('approvals make a release a pending request', () => {
  test('the check run waits with Approve; the author and an outsider are refused; an eligible approver deploys it', async () => {
    const { s } = await start(APPROVED);
    const { id } = await publish(s, 'v3.0.0', START);
    await eventually(() => releaseRun(s, id)?.status === 'in_progress', 'the pending release request');
    const run = releaseRun(s, id)!;
    expect(run.output.summary).toMatch(/⏳ \*\*approvals\*\*: 0 of 1/);
    expect(run.actions.map((a) => a.identifier)).toEqual(['approve', 'reject']);
    expect(deferredRefs(s)).toHaveLength(0);
    expect(deployments(s)).toHaveLength(0);

    const press = async (user: string, expected: RegExp) => {
      expect(await s.send('check_run', requestedActionEvent(s, run.id, 'approve', user))).toBe(200);
      await eventually(() => expected.test(releaseRun(s, id)?.output.summary ?? ''), `the answer to ${user}`);
    };
    await press(
      'octocat',
      /@octocat published this release, and `staging` does not take its requester's own approval/,
    );
    await press('outsider-olga', /@outsider-olga is not among the approvers of `staging`/);
    await press('hubot', /@hubot: running Rollgate commands needs `write` permission/);
    expect(deployments(s)).toHaveLength(0);
    expect(releaseRun(s, id)?.status).toBe('in_progress');
    expect(releaseRun(s, id)?.output.summary).toMatch(/0 of 1/);

    expect(await s.send('check_run', requestedActionEvent(s, run.id, 'approve', 'sre-sam'))).toBe(200);
    await eventually(() => deployments(s).length > 0, 'the approved release Deployment');
    const [deployment] = deployments(s);
    expect(deployment).toMatchObject({ environment: 'staging', sha: run.headSha });
    const deployed = deployment?.payload as { release: number; gates: { verdict: string } };
    expect(deployed.release).toBe(id);
    expect(deployed.gates.verdict).toBe('pass');
    await eventually(() => releaseRun(s, id)?.status === 'completed', 'the request concluded');
    expect(releaseRun(s, id)).toMatchObject({ conclusion: 'success', actions: [] });
    // The approval is recorded where every replica reads it: the check run.
    expect(releaseRun(s, id)?.output.text).toMatch(/"by":"sre\\u002dsam"/);
  }, 120_000);

  test('approved during a freeze, it is deferred with its approval kept on the check run, and deployed when the freeze ends', async () => {
    const { s, setClock } = await start(`environments:
  staging:
    auto_deploy: [release]
    requires:
      approvals: 1
      approvers: [monalisa]
    freezes:
      - { from: 2027-03-01, to: 2027-03-01, reason: Launch day }
`);
    const { id } = await publish(s, 'v4.0.0', START);
    await eventually(() => releaseRun(s, id)?.actions.length === 2, 'the pending release request');
    expect(releaseRun(s, id)?.output.summary).toMatch(/⏳ \*\*freeze\*\*/);
    expect(
      await s.send('check_run', requestedActionEvent(s, releaseRun(s, id)!.id, 'approve', 'monalisa')),
    ).toBe(200);
    await eventually(() => deferredRefs(s).length === 1, 'the approved release deferred');
    expect(releaseRun(s, id)).toMatchObject({ status: 'in_progress', actions: [] });
    expect(releaseRun(s, id)?.output.summary).toMatch(/deploys it by itself at 2027-03-02T00:00:00\.000Z/);
    expect(deployments(s)).toHaveLength(0);

    // The approval is read back from the check run by whichever process sweeps.
    await s.restart();
    setClock('2027-03-02T00:00:05Z');
    await eventually(() => deployments(s).length > 0, 'the release deployed after the freeze', 20_000);
    const payload = deployments(s)[0]?.payload as { release: number; gates: { verdict: string } };
    expect(payload).toMatchObject({ release: id, gates: { verdict: 'pass' } });
    await eventually(() => releaseRun(s, id)?.status === 'completed', 'the request concluded');
    expect(releaseRun(s, id)?.conclusion).toBe('success');
  }, 120_000);

  test('approving an older release after a newer one went out does not deploy it', async () => {
    const { s } = await start(APPROVED);
    // GitHub's own times (the test server's clock), as published_at and created_at are.
    const older = await publish(s, 'v3.0.0', new Date(Date.now() - 120_000).toISOString());
    const newer = await publish(s, 'v3.1.0', new Date(Date.now() - 60_000).toISOString());
    await eventually(
      () =>
        releaseRun(s, older.id)?.status === 'in_progress' &&
        releaseRun(s, newer.id)?.status === 'in_progress',
      'both pending release requests',
    );
    const approve = async (release: number) =>
      s.send('check_run', requestedActionEvent(s, releaseRun(s, release)!.id, 'approve', 'sre-sam'));
    await approve(newer.id);
    await eventually(() => releaseRun(s, newer.id)?.status === 'completed', 'the newer release deployed');
    await approve(older.id);
    await eventually(() => releaseRun(s, older.id)?.status === 'completed', 'the older release decided');
    expect(releaseRun(s, older.id)).toMatchObject({ conclusion: 'neutral' });
    expect(releaseRun(s, older.id)?.output.summary).toMatch(/another release went out to `staging`/);
    expect(deployments(s).map((d) => (d.payload as { release: number }).release)).toEqual([newer.id]);
  }, 120_000);

  test('Reject by an approver ends the request: the check run fails and nothing is deployed', async () => {
    const { s } = await start(APPROVED);
    const { id } = await publish(s, 'v3.0.0', START);
    await eventually(() => releaseRun(s, id)?.status === 'in_progress', 'the pending release request');
    const run = releaseRun(s, id)!;
    expect(await s.send('check_run', requestedActionEvent(s, run.id, 'reject', 'monalisa'))).toBe(200);
    await eventually(() => releaseRun(s, id)?.status === 'completed', 'the rejection');
    expect(releaseRun(s, id)).toMatchObject({ conclusion: 'failure' });
    expect(releaseRun(s, id)?.output.summary).toMatch(/Rejected by @monalisa/);
    expect(deployments(s)).toHaveLength(0);
  }, 120_000);
});

describe('a protection rule waiting on a window', () => {
  test('is approved through the callback when the window opens', async () => {
    const { s, setClock } = await start(`environments:
  production:
    windows:
      - { days: Mon, hours: "09:00-10:00", timezone: Europe/Berlin }
`);
    seedCheckRun(s, s.headSha, 'ci / test', 'success');
    const payload = s.github.state.requestProtectionRule(REPOSITORY, {
      environment: 'production',
      sha: s.headSha,
      ref: 'feature/checkout',
      event: 'pull_request',
      actor: 'octocat',
    });
    const runId = Number(/\/actions\/runs\/(\d+)\//.exec(String(payload.deployment_callback_url))?.[1]);
    expect(await s.send('deployment_protection_rule', payload)).toBe(200);
    await eventually(
      () => deferredRefs(s).includes(`refs/rollgate/deferred/protection-${runId}-production`),
      'the deferred rule',
    );
    const waiting = s.github.state.protectionRuleOf(REPOSITORY, runId);
    expect(waiting.state).toBe('waiting');
    expect(waiting.reports.at(-1)).toMatch(/window/);

    // Answered after a restart, by exactly one of two App processes.
    await s.restart();
    await s.replica();
    setClock('2027-03-01T08:00:05Z');
    const rule = await eventually(() => {
      const view = s.github.state.protectionRuleOf(REPOSITORY, runId);
      return view.state === 'waiting' ? undefined : view;
    }, 'the rule answered at the opening');
    expect(rule.state).toBe('approved');
    await eventually(() => deferredRefs(s).length === 0, 'the deferred ref to go');
    const checkRun = [...repo(s).checkRuns.values()].find((r) => r.externalId === `protection:${runId}`);
    expect(checkRun).toMatchObject({ status: 'completed', conclusion: 'success' });
  }, 120_000);
});
