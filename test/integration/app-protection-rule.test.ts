/**
 * Rollgate as GitHub's custom deployment protection rule, as users meet it: a workflow job that
 * names an environment waits; the real Probot server (signed webhooks over HTTP) gets
 * `deployment_protection_rule.requested` from the GitHub API test server and answers through the
 * callback. Each assertion is on what GitHub holds afterwards: the rule's answer and status
 * reports, and the `rollgate / <env>` check run with `external_id` `protection:<run_id>`.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { REPOSITORY, startAppStand, type AppStand } from '../support/app-stand.ts';
import {
  deployments,
  eventually,
  repo,
  replies,
  seedCheckRun,
  seedLock,
  settled,
} from '../support/app-view.ts';

let stand: AppStand | undefined;

afterEach(async () => {
  if (stand === undefined) return;
  const current = stand;
  stand = undefined;
  current.github.assertNoViolations();
  await current.close();
});

const CONFIG = `environments:
  staging:
    requires:
      branches: ["feature/*"]
  production:
    production: true
    requires:
      approvals: 2
      approvers: ["@octo-org/sre", "monalisa"]
      self_approval: false
`;

async function start(config = CONFIG): Promise<AppStand> {
  stand = await startAppStand({ config });
  stand.github.state.addCollaborator(REPOSITORY, 'sre-sam', 'write');
  stand.github.state.addCollaborator(REPOSITORY, 'outsider-olga', 'write');
  stand.github.state.addTeam('octo-org', 'sre', [{ login: 'sre-sam' }]);
  return stand;
}

/** A workflow job of the pull request's head reaches `environment`: GitHub asks the App. */
async function jobWaits(s: AppStand, environment: string, delivery?: string) {
  const payload = s.github.state.requestProtectionRule(REPOSITORY, {
    environment,
    sha: s.headSha,
    ref: 'feature/checkout',
    event: 'pull_request',
    actor: 'octocat',
  });
  const runId = Number(/\/actions\/runs\/(\d+)\//.exec(String(payload.deployment_callback_url))?.[1]);
  expect(
    await s.send('deployment_protection_rule', payload, delivery === undefined ? {} : { delivery }),
  ).toBe(200);
  return { runId, payload };
}

const answered = (s: AppStand, runId: number) =>
  eventually(() => {
    const rule = s.github.state.protectionRuleOf(REPOSITORY, runId);
    return rule.state === 'waiting' ? undefined : rule;
  }, `the App to answer the protection rule of run ${runId}`);

function ruleRuns(s: AppStand, environment: string, runId: number) {
  return [...repo(s).checkRuns.values()].filter(
    (r) => r.name === `rollgate / ${environment}` && r.externalId === `protection:${runId}`,
  );
}

async function say(s: AppStand, text: string, user: string): Promise<string> {
  const { commentId } = await s.comment(text, { user });
  await settled(s, commentId);
  return replies(s).at(-1) ?? '';
}

describe('the App as a custom deployment protection rule', () => {
  test('approves a job when no gate fails, with the checklist, and leaves the check run the deploy action reads', async () => {
    const s = await start();
    seedCheckRun(s, s.headSha, 'ci / test', 'success');
    const { runId } = await jobWaits(s, 'staging');
    const rule = await answered(s, runId);
    expect(rule.state).toBe('approved');
    expect(rule.comment).toMatch(/✅ branch/);
    expect(rule.comment).toMatch(/✅ checks/);
    expect(rule.comment?.length).toBeLessThanOrEqual(1024);
    const runs = await eventually(() => {
      const found = ruleRuns(s, 'staging', runId);
      return found.length > 0 ? found : undefined;
    }, 'the check run');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'completed', conclusion: 'success', headSha: s.headSha });
    expect(runs[0]?.output.summary).toMatch(/✅ \*\*branch\*\*/);
    expect(s.log()).toMatch(/"decision":\{[^\n]*"environment":"staging"[^\n]*"verdict":"pass"/);
  }, 60_000);

  test("the job's own check run, held by the environment, is no failing check of its commit", async () => {
    const s = await start();
    seedCheckRun(s, s.headSha, 'ci / test', 'success');
    // GitHub Actions shows the job waiting on the environment as a check run with status `waiting`.
    seedCheckRun(s, s.headSha, 'deploy / staging', null);
    const own = [...repo(s).checkRuns.values()].find((r) => r.name === 'deploy / staging');
    if (own === undefined) throw new Error('the job has no check run');
    own.status = 'waiting';
    const { runId } = await jobWaits(s, 'staging');
    const rule = await answered(s, runId);
    expect(rule.state).toBe('approved');
    expect(rule.comment).toMatch(/✅ checks/);
  }, 60_000);

  test('rejects a job while someone else holds the lock', async () => {
    const s = await start();
    seedCheckRun(s, s.headSha, 'ci / test', 'success');
    seedLock(s, 'staging', 'monalisa', 'database migration');
    const { runId } = await jobWaits(s, 'staging');
    const rule = await answered(s, runId);
    expect(rule.state).toBe('rejected');
    expect(rule.comment).toMatch(/❌ lock/);
    expect(rule.comment).toMatch(/monalisa/);
    expect(ruleRuns(s, 'staging', runId)[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
    // GitHub fails the job's Deployment and the run.
    expect(s.github.state.workflowRun(REPOSITORY, runId).conclusion).toBe('failure');
  }, 60_000);

  test('rejects a job whose commit has a failing check', async () => {
    const s = await start();
    seedCheckRun(s, s.headSha, 'ci / test', 'failure');
    const { runId } = await jobWaits(s, 'staging');
    const rule = await answered(s, runId);
    expect(rule.state).toBe('rejected');
    expect(rule.comment).toMatch(/❌ checks/);
    expect(rule.comment).toMatch(/ci \/ test/);
    expect(ruleRuns(s, 'staging', runId)[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
  }, 60_000);

  test('waits on approvals with a status report, and is approved by the second /approve on the pull request', async () => {
    const s = await start();
    // The approvals are given to the pull request's request for production.
    expect(await say(s, '/deploy production', 'octocat')).toMatch(/waits for its gates/);
    const { runId } = await jobWaits(s, 'production');
    const waiting = await eventually(() => {
      const rule = s.github.state.protectionRuleOf(REPOSITORY, runId);
      return rule.reports.length > 0 ? rule : undefined;
    }, 'a status report');
    expect(waiting.state).toBe('waiting');
    expect(waiting.reports[0]).toMatch(/⏳ approvals: 0 of 2/);
    expect(ruleRuns(s, 'production', runId)[0]).toMatchObject({ status: 'in_progress' });

    await say(s, '/approve production', 'monalisa');
    expect(s.github.state.protectionRuleOf(REPOSITORY, runId).state).toBe('waiting');
    await eventually(
      () => (s.github.state.protectionRuleOf(REPOSITORY, runId).reports.length === 2 ? true : undefined),
      'a second status report',
    );
    expect(s.github.state.protectionRuleOf(REPOSITORY, runId).reports[1]).toMatch(/1 of 2/);

    await say(s, '/approve production', 'sre-sam');
    const rule = await answered(s, runId);
    expect(rule.state).toBe('approved');
    expect(rule.comment).toMatch(/✅ approvals: 2 of 2/);
    expect(ruleRuns(s, 'production', runId)).toHaveLength(1);
    expect(ruleRuns(s, 'production', runId)[0]).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(s.github.state.workflowRun(REPOSITORY, runId).status).toBe('queued');
  }, 120_000);

  test('a /reject on the pull request rejects the waiting job', async () => {
    const s = await start();
    await say(s, '/deploy production', 'octocat');
    const { runId } = await jobWaits(s, 'production');
    await eventually(
      () => (s.github.state.protectionRuleOf(REPOSITORY, runId).reports.length > 0 ? true : undefined),
      'a status report',
    );
    expect(await say(s, '/reject production "breaks checkout"', 'monalisa')).toMatch(/Rejected/);
    const rule = await answered(s, runId);
    expect(rule.state).toBe('rejected');
    expect(rule.comment).toMatch(/❌ approvals/);
    expect(rule.comment).toMatch(/breaks checkout/);
    expect(ruleRuns(s, 'production', runId)[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
  }, 120_000);

  test('an unreadable configuration rejects the job, quoting the problem', async () => {
    const s = await start('environments:\n  production:\n    requires:\n      approvals: many\n');
    const { runId } = await jobWaits(s, 'production');
    const rule = await answered(s, runId);
    expect(rule.state).toBe('rejected');
    expect(rule.comment).toMatch(/Rollgate cannot read its configuration/);
    expect(rule.comment).toMatch(/approvals/);
    expect(rule.comment?.length).toBeLessThanOrEqual(1024);
  }, 60_000);

  test('a redelivered event is answered once: the second finds nothing pending, without an error', async () => {
    const s = await start();
    seedCheckRun(s, s.headSha, 'ci / test', 'success');
    const { runId, payload } = await jobWaits(s, 'staging', 'delivery-1');
    await answered(s, runId);
    // The gates would read differently now; the job was answered already, and that answer stands.
    seedLock(s, 'staging', 'monalisa', 'incident');
    expect(await s.send('deployment_protection_rule', payload, { delivery: 'delivery-1' })).toBe(200);
    await eventually(
      () => (s.log().includes('nothing pending any more') ? true : undefined),
      'the redelivery to be handled',
    );
    expect(s.github.callsTo('actions/review-custom-gates-for-run').map((c) => c.status)).toEqual([204, 422]);
    expect(s.github.state.protectionRuleOf(REPOSITORY, runId).state).toBe('approved');
    expect(ruleRuns(s, 'staging', runId)).toHaveLength(1);
    expect(ruleRuns(s, 'staging', runId)[0]).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(s.log()).not.toMatch(/"level":50/);
  }, 60_000);

  test("approvals of a merged pull request's head count for its merge commit on main", async () => {
    const s = await start(`environments:
  production:
    requires:
      approvals: 1
      approvers: ["monalisa"]
`);
    await say(s, '/deploy production', 'octocat');
    expect(await say(s, '/approve production', 'monalisa')).toMatch(/Approval of `production` recorded/);
    // The pull request is merged: a merge commit on main with the approved head as its second parent.
    const repository = repo(s);
    const main = repository.refs.get('refs/heads/main') ?? '';
    const merge = s.github.state.addCommit(REPOSITORY, {
      branch: 'main',
      parents: [main, s.headSha],
      message: 'Merge pull request #1 from feature/checkout',
      files: { 'src/checkout.ts': 'export {};\n' },
    });
    const pull = repository.pulls.get(s.pullNumber);
    if (pull === undefined) throw new Error('the stand has no pull request');
    repository.pulls.set(s.pullNumber, { ...pull, state: 'closed', mergedAt: new Date() });

    const payload = s.github.state.requestProtectionRule(REPOSITORY, {
      environment: 'production',
      sha: merge,
      ref: 'main',
      actor: 'octocat',
    });
    const runId = Number(/\/actions\/runs\/(\d+)\//.exec(String(payload.deployment_callback_url))?.[1]);
    expect(await s.send('deployment_protection_rule', payload)).toBe(200);
    const rule = await answered(s, runId);
    expect(rule.state).toBe('approved');
    expect(rule.comment).toMatch(/✅ approvals: 1 of 1/);

    // A commit pushed to main after it has no approval of its own: the job waits.
    const later = s.github.state.addCommit(REPOSITORY, { branch: 'main', message: 'Hotfix' });
    const next = s.github.state.requestProtectionRule(REPOSITORY, {
      environment: 'production',
      sha: later,
      ref: 'main',
      actor: 'octocat',
    });
    const nextRun = Number(/\/actions\/runs\/(\d+)\//.exec(String(next.deployment_callback_url))?.[1]);
    expect(await s.send('deployment_protection_rule', next)).toBe(200);
    const waiting = await eventually(() => {
      const found = s.github.state.protectionRuleOf(REPOSITORY, nextRun);
      return found.reports.length > 0 ? found : undefined;
    }, 'a status report');
    expect(waiting.state).toBe('waiting');
    expect(waiting.reports[0]).toMatch(/⏳ approvals: 0 of 1/);
  }, 120_000);

  test('an /approve with no /deploy waiting answers the job held for the head, and counts for the merge commit on main', async () => {
    const s = await start(`environments:
  production:
    requires:
      approvals: 1
      approvers: ["monalisa"]
`);
    // A pull-request workflow's job for production waits; nobody typed /deploy.
    const { runId } = await jobWaits(s, 'production');
    await eventually(
      () => (s.github.state.protectionRuleOf(REPOSITORY, runId).reports.length > 0 ? true : undefined),
      'a status report',
    );
    expect(await say(s, '/approve production', 'outsider-olga')).toMatch(/not among the approvers/);
    expect(s.github.state.protectionRuleOf(REPOSITORY, runId).state).toBe('waiting');
    const reply = await say(s, '/approve production', 'monalisa');
    expect(reply).toMatch(/Approval of `production` recorded for `[0-9a-f]{7}`/);
    expect(reply).toMatch(/protection rule/);
    const rule = await answered(s, runId);
    expect(rule.state).toBe('approved');
    expect(rule.comment).toMatch(/✅ approvals: 1 of 1/);

    // Merged: the push pipeline's job on the merge commit is approved by the same approval.
    const repository = repo(s);
    const merge = s.github.state.addCommit(REPOSITORY, {
      branch: 'main',
      parents: [repository.refs.get('refs/heads/main') ?? '', s.headSha],
      message: 'Merge pull request #1 from feature/checkout',
      files: { 'src/checkout.ts': 'export {};\n' },
    });
    const pull = repository.pulls.get(s.pullNumber);
    if (pull === undefined) throw new Error('the stand has no pull request');
    repository.pulls.set(s.pullNumber, { ...pull, state: 'closed', mergedAt: new Date() });
    const payload = s.github.state.requestProtectionRule(REPOSITORY, {
      environment: 'production',
      sha: merge,
      ref: 'main',
      actor: 'octocat',
    });
    const mergeRun = Number(/\/actions\/runs\/(\d+)\//.exec(String(payload.deployment_callback_url))?.[1]);
    expect(await s.send('deployment_protection_rule', payload)).toBe(200);
    expect((await answered(s, mergeRun)).state).toBe('approved');
    // The App created no Deployment of its own: the approval was for the jobs, not a request.
    expect(deployments(s).filter((d) => d.viaApp)).toEqual([]);
  }, 120_000);

  test('an environment without gates is approved, unless someone else holds its lock', async () => {
    const s = await start(`environments:
  preview:
    requires: { checks: none }
  sandbox:
    requires: { checks: none }
`);
    seedLock(s, 'sandbox', 'monalisa');
    const preview = await jobWaits(s, 'preview');
    const sandbox = await jobWaits(s, 'sandbox');
    expect(await answered(s, preview.runId)).toMatchObject({
      state: 'approved',
      comment: '✅ lock: not locked',
    });
    const locked = await answered(s, sandbox.runId);
    expect(locked.state).toBe('rejected');
    expect(locked.comment).toMatch(/❌ lock/);
  }, 60_000);

  test('approves an environment the configuration does not name, saying Rollgate has no gates for it', async () => {
    const s = await start();
    const { runId } = await jobWaits(s, 'preview');
    const rule = await answered(s, runId);
    expect(rule.state).toBe('approved');
    expect(rule.comment).toMatch(
      /Rollgate has no gates for `preview`: it is not in `\.github\/rollgate\.yml`/,
    );
  }, 60_000);
});
