/**
 * Approval gates in the App, as users meet them: the real Probot server (signed webhooks over
 * HTTP) against the GitHub API test server, each assertion on what GitHub holds afterwards.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { REPOSITORY, startAppStand, type AppStand } from '../support/app-stand.ts';
import { deployments, eventually, repo, replies, settled, statusEvent } from '../support/app-view.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let stand: AppStand | undefined;

afterEach(async () => {
  if (stand === undefined) return;
  const current = stand;
  stand = undefined;
  current.github.assertNoViolations();
  await current.close();
});

const GATED = `environments:
  staging:
    url: https://staging.example.com
  production:
    url: https://example.com
    production: true
    requires:
      approvals: 2
      approvers: ["@octo-org/sre", "monalisa"]
      self_approval: false
`;

async function start(config: string): Promise<AppStand> {
  stand = await startAppStand({ config });
  stand.github.state.addCollaborator(REPOSITORY, 'sre-sam', 'write');
  stand.github.state.addCollaborator(REPOSITORY, 'outsider-olga', 'write');
  stand.github.state.addTeam('octo-org', 'sre', [
    { login: 'sre-sam' },
    { login: 'pending-pat', state: 'pending' },
  ]);
  return stand;
}

async function say(s: AppStand, text: string, user = 'octocat'): Promise<string> {
  const { commentId } = await s.comment(text, { user });
  await settled(s, commentId);
  return replies(s).at(-1) ?? '';
}

function requestRun(s: AppStand, environment: string) {
  return [...repo(s).checkRuns.values()].filter(
    (r) => r.name === `rollgate / ${environment}` && r.externalId.startsWith('request:'),
  );
}

describe('approval gates on /deploy', () => {
  test('two approvals: a pending request, self-approval and outsiders refused, a team approver, then the Deployment', async () => {
    const s = await start(GATED);
    const asked = await say(s, '/deploy production');
    expect(asked).toMatch(/waits for its gates, and nothing was created yet/);
    expect(asked).toMatch(/⏳ \*\*approvals\*\*: 0 of 2/);
    expect(deployments(s)).toHaveLength(0);
    const [run] = requestRun(s, 'production');
    expect(run?.status).toBe('in_progress');
    expect(run?.headSha).toBe(s.headSha);

    expect(await say(s, '/approve production', 'octocat')).toMatch(
      /does not take its requester's own approval/,
    );
    expect(await say(s, '/approve production', 'outsider-olga')).toMatch(
      /You are not among the approvers of `production`/,
    );
    expect(await say(s, '/approve', 'monalisa')).toMatch(/Approval of `production` recorded.*1 of 2/s);
    expect(deployments(s)).toHaveLength(0);

    const last = await say(s, '/approve production', 'sre-sam');
    expect(last).toMatch(/Approval of `production` recorded\. Deploying/);
    const [deployment] = deployments(s);
    expect(deployment?.environment).toBe('production');
    expect(deployment?.sha).toBe(s.headSha);
    const payload = deployment?.payload as { requester: string; gates: { verdict: string } };
    expect(payload.requester).toBe('octocat');
    expect(payload.gates.verdict).toBe('pass');
    expect(requestRun(s, 'production')[0]).toMatchObject({ status: 'completed', conclusion: 'success' });
    // The audit trail: one JSON log line per decision.
    expect(s.log()).toMatch(/"decision":\{[^\n]*"verdict":"pass"/);
  }, 120_000);

  test('the last two approvals given at the same moment deploy once', async () => {
    const s = await start(GATED);
    await say(s, '/deploy production');
    // Both approvers answer at once: neither reply exists when the other handler starts.
    const [first, second] = await Promise.all([
      s.comment('/approve production', { user: 'monalisa' }),
      s.comment('/approve production', { user: 'sre-sam' }),
    ]);
    await Promise.all([settled(s, first.commentId), settled(s, second.commentId)]);
    await eventually(() => deployments(s).length === 1 || undefined, 'the request to be carried out');
    expect(deployments(s)).toHaveLength(1);
    const answers = replies(s).filter((r) => /Approval of `production` recorded/.test(r));
    expect(answers).toHaveLength(2);
    // No reply is left saying it is still recording, and exactly one names the Deployment it made.
    expect(replies(s).filter((r) => /Recording the approval/.test(r))).toEqual([]);
    expect(answers.filter((r) => /Deploying/.test(r)).length).toBeGreaterThanOrEqual(1);
    expect(requestRun(s, 'production')[0]).toMatchObject({ status: 'completed', conclusion: 'success' });
    const runs = [...repo(s).checkRuns.values()].filter(
      (r) => r.name === 'rollgate / production' && !r.externalId.startsWith('request:'),
    );
    expect(runs).toHaveLength(1);
    // Still exactly one a while later: no handler was left to deploy it a second time.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(deployments(s)).toHaveLength(1);
  }, 120_000);

  test('a pending team invitation does not count, and a push invalidates the request and its approvals', async () => {
    const s = await start(GATED);
    s.github.state.addCollaborator(REPOSITORY, 'pending-pat', 'write');
    await say(s, '/deploy production');
    expect(await say(s, '/approve production', 'pending-pat')).toMatch(
      /You are not among the approvers of `production`/,
    );
    await say(s, '/approve production', 'monalisa');
    s.github.state.addCommit(REPOSITORY, {
      branch: 'feature/checkout',
      message: 'Fix',
      files: { 'a.txt': 'b' },
    });
    expect(await say(s, '/approve production', 'sre-sam')).toMatch(/has had a push since/);
    const again = await say(s, '/deploy production');
    expect(again).toMatch(/0 of 2/);
    expect(again).toMatch(/1 approval for an older commit no longer counts|approvals? for an older commit/);
    expect(deployments(s)).toHaveLength(0);
  }, 120_000);

  test('/reject ends the request: its check run fails and nothing is deployed', async () => {
    const s = await start(GATED);
    await say(s, '/deploy production');
    expect(await say(s, '/reject production "breaks checkout"', 'monalisa')).toMatch(
      /Rejected .* `breaks checkout`/,
    );
    expect(requestRun(s, 'production')[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(await say(s, '/approve production', 'sre-sam')).toMatch(/❌/);
    expect(deployments(s)).toHaveLength(0);
  }, 120_000);

  test('/approve with nothing waiting says so, or records an approval of the head for the jobs the protection rule holds', async () => {
    const s = await start(GATED);
    expect(await say(s, '/approve', 'monalisa')).toMatch(/There is no deploy request waiting/);
    expect(await say(s, '/approve staging', 'monalisa')).toMatch(
      /There is no deploy request for `staging` waiting/,
    );
    expect(await say(s, '/approve production', 'monalisa')).toMatch(
      /Approval of `production` recorded for `[0-9a-f]{7}`\. No `\/deploy production` waits on #\d+, so nothing is deployed now/,
    );
    expect(deployments(s)).toHaveLength(0);
    // A later request for the same head counts it.
    expect(await say(s, '/deploy production')).toMatch(/1 of 2/);
  });
});

describe('promotion, windows and freezes', () => {
  test('deployed_to: refused until the same commit runs successfully in staging, then deployed', async () => {
    const s = await start(`environments:
  staging: {}
  production:
    requires: { deployed_to: staging }
`);
    expect(await say(s, '/deploy production')).toMatch(/not open to this deploy yet[\s\S]*promotion/);
    expect(deployments(s)).toHaveLength(0);
    await say(s, '/deploy staging');
    const staging = deployments(s)[0]!;
    // The deploy workflow reports success to GitHub, and GitHub tells the App.
    const octokit = new Octokit({ baseUrl: s.github.url, auth: 'test-token' });
    const [owner, name] = REPOSITORY.split('/') as [string, string];
    await octokit.rest.repos.createDeploymentStatus({
      owner,
      repo: name,
      deployment_id: staging.id,
      state: 'success',
    });
    await s.send('deployment_status', statusEvent(s, staging, 'success'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await say(s, '/deploy production')).toMatch(/Deploying/);
    expect(deployments(s).map((d) => d.environment)).toEqual(['staging', 'production']);
  }, 120_000);

  test('a closed window and an active freeze refuse with the checklist and when it opens', async () => {
    const today = new Date();
    const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][(today.getUTCDay() + 3) % 7]!;
    const day = today.toISOString().slice(0, 10);
    const s = await start(`environments:
  production:
    windows:
      - { days: ${weekday}, hours: "09:00-17:00", timezone: Europe/Berlin }
  staging:
    freezes:
      - { from: ${day}, to: ${day}, reason: Launch day, timezone: UTC }
`);
    const closed = await say(s, '/deploy production');
    expect(closed).toMatch(/⏳ \*\*window\*\*/);
    expect(closed).toMatch(/opens \d{4}-\d\d-\d\dT/);
    const frozen = await say(s, '/deploy staging');
    expect(frozen).toMatch(/⏳ \*\*freeze\*\*[^\n]*Launch day/);
    expect(deployments(s)).toHaveLength(0);
  }, 120_000);
});

describe('deferred requests: carried out by themselves when the window opens', () => {
  // Monday 1 March 2027, 07:00 UTC: 08:00 in Berlin, an hour before its window opens.
  const WINDOWED = `environments:
  production:
    windows:
      - { days: Mon, hours: "09:00-10:00", timezone: Europe/Berlin }
`;

  async function startWithClock(): Promise<{ s: AppStand; setClock: (iso: string) => void }> {
    const dir = mkdtempSync(join(tmpdir(), 'rollgate-clock-'));
    const file = join(dir, 'now');
    const setClock = (iso: string) => {
      writeFileSync(file, iso);
    };
    setClock('2027-03-01T07:00:00Z');
    stand = await startAppStand({
      config: WINDOWED,
      env: { NODE_ENV: 'test', ROLLGATE_CLOCK_FILE: file, ROLLGATE_SWEEP_INTERVAL_MS: '250' },
    });
    return { s: stand, setClock };
  }

  const deferredRefs = (s: AppStand) =>
    [...repo(s).refs.keys()].filter((r) => r.startsWith('refs/rollgate/deferred/'));

  test('deferred before a restart, carried out after it, exactly once with two App processes', async () => {
    const { s, setClock } = await startWithClock();
    const asked = await say(s, '/deploy production');
    expect(asked).toMatch(/waits for its window/);
    expect(asked).toMatch(/deploys it by itself at 2027-03-01T08:00:00\.000Z/);
    expect(deferredRefs(s)).toHaveLength(1);
    expect(requestRun(s, 'production')[0]?.status).toBe('in_progress');

    // Still closed a minute before: nothing goes out, also after the App restarts.
    setClock('2027-03-01T07:59:00Z');
    await s.restart();
    await s.replica();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(deployments(s)).toHaveLength(0);

    setClock('2027-03-01T08:00:05Z');
    await eventually(() => deployments(s).length > 0, 'the deferred Deployment', 20_000);
    await eventually(() => deferredRefs(s).length === 0, 'the deferred ref to go', 20_000);
    // Both replicas sweep: the compare-and-swap lets one carry it out.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(deployments(s)).toHaveLength(1);
    expect(deployments(s)[0]).toMatchObject({ environment: 'production', sha: s.headSha });
    expect(requestRun(s, 'production')[0]).toMatchObject({ status: 'completed', conclusion: 'success' });
    await eventually(
      () => replies(s).some((r) => /The window opened: deploying/.test(r)),
      'the comment that says it went out',
    );
    expect(replies(s).filter((r) => /The window opened/.test(r))).toHaveLength(1);
  }, 120_000);

  test('a push before the window opens cancels the deferred request', async () => {
    const { s, setClock } = await startWithClock();
    await say(s, '/deploy production');
    s.github.state.addCommit(REPOSITORY, {
      branch: 'feature/checkout',
      message: 'Fix',
      files: { 'b.txt': 'c' },
    });
    setClock('2027-03-01T08:00:05Z');
    await eventually(() => deferredRefs(s).length === 0, 'the deferred ref to go', 20_000);
    expect(deployments(s)).toHaveLength(0);
    await eventually(
      () => replies(s).some((r) => /was cancelled: #\d+ has had a push since/.test(r)),
      'the cancellation',
    );
  }, 120_000);
});
