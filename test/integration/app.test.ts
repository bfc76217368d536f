import { afterEach, describe, expect, test } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { examplePayload, REPOSITORY, startAppStand, type AppStand } from '../support/app-stand.ts';

let stand: AppStand | undefined;

async function start(options: Parameters<typeof startAppStand>[0] = {}): Promise<AppStand> {
  stand = await startAppStand(options);
  return stand;
}

afterEach(async () => {
  if (stand === undefined) return;
  const current = stand;
  stand = undefined;
  current.github.assertNoViolations();
  await current.close();
});

/** Waits until `check` holds, as the App handles webhooks after answering them. */
async function eventually<T>(check: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function repo(s: AppStand) {
  return s.github.state.seeded(REPOSITORY);
}

function reactions(s: AppStand, commentId: number): string[] {
  return repo(s)
    .reactions.filter((r) => r.commentId === commentId)
    .map((r) => r.content);
}

/** The App's replies (its comments other than the sticky one), oldest first. */
function replies(s: AppStand): string[] {
  return [...repo(s).comments.values()]
    .filter((c) => c.viaApp && !c.body.startsWith('<!-- rollgate:environments'))
    .map((c) => c.body);
}

function sticky(s: AppStand): string | undefined {
  return [...repo(s).comments.values()].find(
    (c) => c.viaApp && c.body.startsWith('<!-- rollgate:environments'),
  )?.body;
}

/** Waits for the App to finish with a comment: its final reaction is 🚀 or 😕. */
function settled(s: AppStand, commentId: number): Promise<string[]> {
  return eventually(() => {
    const r = reactions(s, commentId);
    return r.includes('rocket') || r.includes('confused') ? r : undefined;
  }, `the App to answer comment ${commentId}`);
}

describe('the App on a real Probot server against the GitHub API test server', () => {
  test('answers /ping', async () => {
    const s = await start();
    expect(await (await fetch(`${s.url}/ping`)).text()).toBe('PONG');
  });

  test('/deploy staging: 👀, a Deployment of the PR head, a check run, a reply, the sticky comment and 🚀', async () => {
    const s = await start();
    const { status, commentId } = await s.comment('/deploy staging');
    expect(status).toBe(200);
    expect(await settled(s, commentId)).toEqual(['eyes', 'rocket']);

    const deployments = [...repo(s).deployments.values()];
    expect(deployments).toHaveLength(1);
    const created = s.github.callsTo('repos/create-deployment')[0]?.body as Record<string, unknown>;
    expect(created).toMatchObject({
      ref: s.headSha,
      environment: 'staging',
      task: 'deploy',
      auto_merge: false,
      production_environment: false,
      payload: {
        requester: 'octocat',
        pull_request: s.pullNumber,
        version: s.headSha.slice(0, 7),
        comment_id: commentId,
      },
    });

    const check = s.github.callsTo('checks/create')[0]?.body as Record<string, unknown>;
    expect(check).toMatchObject({ name: 'rollgate / staging', head_sha: s.headSha, status: 'queued' });
    expect(replies(s)[0]).toMatch(
      /^@octocat Deploying `[0-9a-f]{7}` \(`[0-9a-f]{7}`\) to `staging`: \[Deployment #\d+\]/,
    );
    expect(sticky(s)).toMatch(/\| staging \| ⏳ queued \|/);
  });

  test('deployment_status events move the check run and the sticky comment', async () => {
    const s = await start();
    const { commentId } = await s.comment('/deploy staging');
    await settled(s, commentId);
    const deployment = [...repo(s).deployments.values()][0]!;
    for (const state of ['in_progress', 'success'] as const) {
      const example = examplePayload('deployment_status', 'created');
      const statusPayload = s.event('deployment_status', 'created', {
        deployment: {
          ...(example.deployment as object),
          id: deployment.id,
          sha: deployment.sha,
          ref: deployment.ref,
          environment: 'staging',
          task: 'deploy',
          payload: { version: s.headSha.slice(0, 7), requester: 'octocat', pull_request: s.pullNumber },
        },
        deployment_status: {
          ...(example.deployment_status as object),
          state,
          description: state === 'success' ? '1.2.0 is live in staging' : 'Rolling out',
          log_url: 'https://github.com/octo-org/hello-service/actions/runs/42',
          environment_url: 'https://staging.example.com',
          updated_at: new Date().toISOString(),
        },
      });
      expect(await s.send('deployment_status', statusPayload)).toBe(200);
      await eventually(
        () => s.github.callsTo('checks/update').length >= (state === 'success' ? 2 : 1) || undefined,
        `check run update for ${state}`,
      );
    }
    const updates = s.github.callsTo('checks/update').map((c) => c.body as Record<string, unknown>);
    expect(updates.map((u) => [u.status, u.conclusion])).toEqual([
      ['in_progress', undefined],
      ['completed', 'success'],
    ]);
    await eventually(
      () => sticky(s)?.includes('✅ success') || undefined,
      'the sticky comment to show success',
    );
    expect(
      [...repo(s).comments.values()].filter((c) => c.body.startsWith('<!-- rollgate:environments')),
    ).toHaveLength(1);
    // The environment is free again: a second deploy proceeds.
    const again = await s.comment('/deploy staging');
    expect(await settled(s, again.commentId)).toEqual(['eyes', 'rocket']);
  });

  test('a published release deploys to the environments that auto-deploy releases', async () => {
    const s = await start();
    s.github.state.addRelease(REPOSITORY, { tag: 'v1.4.0' });
    const status = await s.send(
      'release',
      s.event('release', 'published', {
        release: { ...(examplePayload('release', 'published').release as object), tag_name: 'v1.4.0' },
      }),
    );
    expect(status).toBe(200);
    const created = await eventually(
      () => s.github.callsTo('repos/create-deployment')[0],
      'a release deployment',
    );
    expect(created.body).toMatchObject({
      ref: 'v1.4.0',
      environment: 'staging',
      payload: { version: '1.4.0' },
    });
    expect(s.github.callsTo('repos/create-deployment')).toHaveLength(1);
  });

  test('/rollback creates a deploy:rollback Deployment aimed at the last good version', async () => {
    const s = await start();
    const octokit = new Octokit({ baseUrl: s.github.url, auth: 'test-token' });
    const [owner, name] = REPOSITORY.split('/') as [string, string];
    const shas: string[] = [];
    for (const version of ['1.0.0', '1.1.0']) {
      const sha = s.github.state.addCommit(REPOSITORY, { message: `Release ${version}` });
      shas.push(sha);
      const { data } = await octokit.rest.repos.createDeployment({
        owner,
        repo: name,
        ref: sha,
        environment: 'production',
        payload: { version },
        auto_merge: false,
        required_contexts: [],
      });
      if (!('id' in data)) throw new Error('deployment not created');
      await octokit.rest.repos.createDeploymentStatus({
        owner,
        repo: name,
        deployment_id: data.id,
        state: 'success',
      });
    }
    const { commentId } = await s.comment('/rollback production');
    expect(await settled(s, commentId)).toEqual(['eyes', 'rocket']);
    const rollback = s.github.callsTo('repos/create-deployment').at(-1)?.body as Record<string, unknown>;
    expect(rollback).toMatchObject({
      task: 'deploy:rollback',
      environment: 'production',
      ref: shas[0],
      production_environment: true,
      payload: { version: '1.0.0', requester: 'octocat' },
    });
    expect(replies(s).at(-1)).toContain('Rolling `production` back to `1.0.0`');

    const named = await s.comment('/rollback production 1.1.0');
    expect(await settled(s, named.commentId)).toEqual(['eyes', 'rocket']);
    expect(s.github.callsTo('repos/create-deployment').at(-1)?.body).toMatchObject({
      ref: shas[1],
      payload: { version: '1.1.0' },
    });
  });

  test('/lock then /deploy by someone else is refused, naming the holder; /unlock frees it', async () => {
    const s = await start();
    const lock = await s.comment('/lock production "database migration"', { user: 'monalisa' });
    expect(await settled(s, lock.commentId)).toEqual(['eyes', 'rocket']);
    const deploy = await s.comment('/deploy production', { user: 'octocat' });
    expect(await settled(s, deploy.commentId)).toEqual(['eyes', 'confused']);
    expect(replies(s).at(-1)).toMatch(
      /`production` is locked by @monalisa since .* UTC: `database migration`/,
    );
    expect(s.github.callsTo('repos/create-deployment')).toHaveLength(0);
    const status = await s.comment('/status production');
    await settled(s, status.commentId);
    expect(replies(s).at(-1)).toContain('🔒 @monalisa: `database migration`');
    const unlock = await s.comment('/unlock production', { user: 'monalisa' });
    expect(await settled(s, unlock.commentId)).toEqual(['eyes', 'rocket']);
    const retry = await s.comment('/deploy production', { user: 'octocat' });
    expect(await settled(s, retry.commentId)).toEqual(['eyes', 'rocket']);
  });

  test('a webhook with a bad signature is not processed', async () => {
    const s = await start();
    const seeded = s.github.state.addComment(REPOSITORY, s.pullNumber, {
      user: 'octocat',
      body: '/deploy staging',
    });
    const status = await s.send('issue_comment', s.commentPayload(seeded.id, '/deploy staging', 'octocat'), {
      secret: 'not-the-secret',
    });
    expect(status).toBeGreaterThanOrEqual(400);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(s.github.calls).toHaveLength(0);
  });

  test('an unknown environment is refused with the list of environments', async () => {
    const s = await start();
    const { commentId } = await s.comment('/deploy qa');
    expect(await settled(s, commentId)).toEqual(['eyes', 'confused']);
    expect(replies(s)[0]).toBe(
      "@octocat There is no environment `qa`. This repository's environments: `staging`, `production`.",
    );
    expect(s.github.callsTo('repos/create-deployment')).toHaveLength(0);
  });

  test('too little permission is refused', async () => {
    const s = await start();
    const { commentId } = await s.comment('/deploy staging', { user: 'hubot' });
    expect(await settled(s, commentId)).toEqual(['eyes', 'confused']);
    expect(replies(s)[0]).toContain('needs `write` permission on this repository; you have `read`');
    expect(s.github.callsTo('repos/create-deployment')).toHaveLength(0);
  });

  test('a pull request from a fork cannot deploy unless the configuration allows it', async () => {
    const s = await start();
    s.github.state.addRepository('forker/hello-service');
    s.github.state.addCommit(REPOSITORY, { branch: 'fork-branch', files: { 'x.ts': '1' } });
    const fork = s.github.state.addPullRequest(REPOSITORY, {
      head: 'fork-branch',
      fork: 'forker/hello-service',
      user: 'octocat',
    });
    const { commentId } = await s.comment('/deploy staging', { pullNumber: fork.number });
    expect(await settled(s, commentId)).toEqual(['eyes', 'confused']);
    expect(replies(s)[0]).toContain('comes from a fork');
    expect(s.github.callsTo('repos/create-deployment')).toHaveLength(0);
  });

  test('an invalid configuration gets a reply and a failing rollgate / config check quoting file, line and column', async () => {
    const s = await start({
      config:
        'environments:\n  staging:\n    url: https://staging.example.com\n    auto_deploy: release-please\n',
    });
    const { commentId } = await s.comment('/deploy staging');
    expect(await settled(s, commentId)).toEqual(['eyes', 'confused']);
    expect(replies(s)[0]).toMatch(/\.github\/rollgate\.yml:4:\d+/);
    const check = s.github.callsTo('checks/create')[0]?.body as {
      name: string;
      conclusion: string;
      output: { summary: string };
    };
    expect(check).toMatchObject({ name: 'rollgate / config', conclusion: 'failure' });
    expect(check.output.summary).toMatch(/\.github\/rollgate\.yml:4:\d+/);
  });

  test('a configuration that is not YAML is answered with its line and column', async () => {
    const s = await start({ config: 'environments:\n  staging:\n    url: [https://staging.example.com\n' });
    const { commentId } = await s.comment('/deploy staging');
    expect(await settled(s, commentId)).toEqual(['eyes', 'confused']);
    expect(replies(s)[0]).toMatch(/\.github\/rollgate\.yml:\d+:\d+/);
    expect(s.github.callsTo('checks/create')[0]?.body).toMatchObject({
      name: 'rollgate / config',
      conclusion: 'failure',
    });
  });

  test("GitHub's 409 for failing required checks is explained in plain words", async () => {
    const s = await start();
    s.github.state.addCommitStatus(REPOSITORY, s.headSha, { context: 'ci/test', state: 'failure' });
    const { commentId } = await s.comment('/deploy staging');
    expect(await settled(s, commentId)).toEqual(['eyes', 'confused']);
    expect(replies(s)[0]).toContain(
      'GitHub requires every commit status of the ref to be success before it deploys it',
    );
    expect(repo(s).deployments.size).toBe(0);
    // Nothing half-done: the environment is not left marked as deploying.
    expect(repo(s).refs.has('refs/rollgate/deploying/staging')).toBe(false);
  });

  test('a GitHub API call that keeps failing ends in a reply that says what failed', async () => {
    const s = await start();
    s.github.failNext('repos/create-deployment', { status: 500, message: 'Server Error' }, 10);
    const { commentId } = await s.comment('/deploy staging');
    expect(await settled(s, commentId)).toEqual(['eyes', 'confused']);
    expect(replies(s)[0]).toMatch(
      /Creating a deployment of [0-9a-f]{40} to staging failed: Server Error \(HTTP 500\)/,
    );
    // A POST whose answer was a 5xx may have been carried out: it is never repeated blindly.
    expect(s.github.callsTo('repos/create-deployment')).toHaveLength(1);
  });

  test('a redelivered webhook creates nothing twice', async () => {
    const s = await start();
    const first = await s.comment('/deploy staging', { delivery: 'delivery-1' });
    await settled(s, first.commentId);
    // GitHub's redelivery: the same delivery id and payload.
    const comment = repo(s).comments.get(first.commentId)!;
    const replay = await s.send('issue_comment', s.commentPayload(comment.id, comment.body, 'octocat'), {
      delivery: first.delivery,
    });
    expect(replay).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(s.github.callsTo('repos/create-deployment')).toHaveLength(1);
    expect(replies(s)).toHaveLength(1);
  });

  test('twenty simultaneous /deploy to one environment: exactly one proceeds, the others are told why', async () => {
    const s = await start();
    const users = ['octocat', 'monalisa'];
    const sent = await Promise.all(
      Array.from({ length: 20 }, (_, i) => s.comment('/deploy staging', { user: users[i % 2]! })),
    );
    const answers = await Promise.all(sent.map((c) => settled(s, c.commentId)));
    expect(answers.filter((a) => a.includes('rocket'))).toHaveLength(1);
    expect(answers.filter((a) => a.includes('confused'))).toHaveLength(19);
    expect(s.github.callsTo('repos/create-deployment')).toHaveLength(1);
    expect(replies(s).filter((r) => r.includes('is already in progress'))).toHaveLength(19);
  });
});
