/**
 * Claims so far proven by the engine's and the decisions' own tests, now as users meet them: the
 * real Probot server (signed webhooks over HTTP) against the GitHub API test server, each test
 * acting as a user would and asserting what GitHub holds afterwards — replies, Deployments and the
 * refs under `refs/rollgate/`.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { examplePayload, startAppStand, type AppStand } from '../support/app-stand.ts';
import {
  deployments,
  eventually,
  repo,
  replies,
  rollgateRefs,
  seedLock,
  settled,
  statusEvent,
} from '../support/app-view.ts';

let stand: AppStand | undefined;

afterEach(async () => {
  if (stand === undefined) return;
  const current = stand;
  stand = undefined;
  current.github.assertNoViolations();
  await current.close();
});

async function start(options: Parameters<typeof startAppStand>[0] = {}): Promise<AppStand> {
  stand = await startAppStand(options);
  return stand;
}

/** A comment by `user`, once the App has answered it: its final reaction and its reply. */
async function say(
  s: AppStand,
  text: string,
  user = 'octocat',
): Promise<{ reaction: string; reply: string }> {
  const { commentId } = await s.comment(text, { user });
  const reacted = await settled(s, commentId);
  return { reaction: reacted.at(-1) ?? '', reply: replies(s).at(-1) ?? '' };
}

const MARKER = 'refs/rollgate/deploying/staging';

const markerSha = (s: AppStand) => repo(s).refs.get(MARKER);

/**
 * A deploy marker as a replica that crashed before its Deployment leaves it: the ref under
 * `refs/rollgate/deploying/` pointing at a commit whose message is the holder record
 * (`rollgate deploying <env>\n\n<json>`, as `src/github/environment-refs.ts` writes it), its
 * reason naming the comment it was taken for (`app/handlers/environment-state.ts`), for which
 * no Deployment exists; an older Rollgate's reason named none.
 */
function seedMarker(
  s: AppStand,
  environment: string,
  holder: string,
  since: string,
  reason = 'deploy 1234567 (comment 4242)',
): string {
  const scratch = `seed/marker-${environment}`;
  const sha = s.github.state.addCommit(s.repository, {
    branch: scratch,
    parents: [],
    message: `rollgate deploying ${environment}\n\n${JSON.stringify({ holder, reason, since, pullRequest: 1 })}`,
  });
  repo(s).refs.delete(`refs/heads/${scratch}`);
  repo(s).refs.set(`refs/rollgate/deploying/${environment}`, sha);
  return sha;
}

/** Publishes release `tag` on GitHub and delivers `release.published`. */
async function publish(s: AppStand, tag: string, prerelease = false): Promise<number> {
  const record = s.github.state.addRelease(s.repository, { tag });
  const example = examplePayload('release', 'published').release as object;
  const payload = s.event('release', 'published', {
    release: {
      ...example,
      id: record.id,
      tag_name: tag,
      target_commitish: record.targetCommitish,
      draft: false,
      prerelease,
    },
  });
  expect(await s.send('release', payload)).toBe(200);
  return record.id;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('deploy markers as users meet them', () => {
  test('/unlock staging --deploying: refused to a non-holder, done by an admin naming whose marker it was; the next /deploy works', async () => {
    const s = await start();
    expect((await say(s, '/deploy staging')).reaction).toBe('rocket');
    const held = markerSha(s);
    expect(held).toBeDefined();

    const refused = await say(s, '/unlock staging --deploying', 'monalisa');
    expect(refused.reaction).toBe('confused');
    expect(refused.reply).toMatch(
      /The deploy in progress on `staging` is @octocat's; only they or a repository admin can clear it/,
    );
    expect(markerSha(s)).toBe(held);

    const cleared = await say(s, '/unlock staging --deploying', 'admin-alice');
    expect(cleared.reaction).toBe('rocket');
    expect(cleared.reply).toMatch(
      /The deploy-in-progress marker of `staging` is cleared \(it was @octocat's\)/,
    );
    expect(rollgateRefs(s)).toEqual([]);

    expect((await say(s, '/deploy staging', 'monalisa')).reaction).toBe('rocket');
    expect(deployments(s)).toHaveLength(2);
    expect(deployments(s)[1]).toMatchObject({ environment: 'staging', payload: { requester: 'monalisa' } });
    expect(rollgateRefs(s)).toEqual([MARKER]);
  });

  test('/unlock staging --deploying by its holder clears it', async () => {
    const s = await start();
    await say(s, '/deploy staging');
    const cleared = await say(s, '/unlock staging --deploying');
    expect(cleared.reaction).toBe('rocket');
    expect(cleared.reply).toMatch(/The deploy-in-progress marker of `staging` is cleared; it was set/);
    expect(rollgateRefs(s)).toEqual([]);
  });

  test('a marker without a Deployment is "in progress" for 2 minutes, then taken over by the next /deploy', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rollgate-clock-')), 'now');
    const since = new Date();
    writeFileSync(file, new Date(since.getTime() + 60_000).toISOString());
    const s = await start({ env: { NODE_ENV: 'test', ROLLGATE_CLOCK_FILE: file } });
    const orphan = seedMarker(s, 'staging', 'monalisa', since.toISOString());

    const young = await say(s, '/deploy staging');
    expect(young.reaction).toBe('confused');
    expect(young.reply).toMatch(
      /A deploy to `staging` is already in progress \(`deploy 1234567` for @monalisa from #1/,
    );
    expect(deployments(s)).toHaveLength(0);
    expect(markerSha(s)).toBe(orphan);

    writeFileSync(file, new Date(since.getTime() + 2 * 60_000 + 5_000).toISOString());
    const taken = await say(s, '/deploy staging');
    expect(taken.reply).toMatch(/Deploying/);
    expect(taken.reaction).toBe('rocket');
    expect(deployments(s)).toHaveLength(1);
    expect(deployments(s)[0]).toMatchObject({ environment: 'staging', payload: { requester: 'octocat' } });
    const ours = markerSha(s);
    expect(ours).toBeDefined();
    expect(ours).not.toBe(orphan);
    const commit = repo(s).commits.get(ours!);
    expect(commit?.message).toMatch(/"holder":"octocat"/);
  });

  test('a marker of an older Rollgate, naming no comment, is held for 30 minutes, not 2', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rollgate-clock-')), 'now');
    const since = new Date();
    writeFileSync(file, new Date(since.getTime() + 5 * 60_000).toISOString());
    const s = await start({ env: { NODE_ENV: 'test', ROLLGATE_CLOCK_FILE: file } });
    const old = seedMarker(s, 'staging', 'monalisa', since.toISOString(), 'deploy');

    // Its Deployment cannot be looked up, so it may still be running.
    const held = await say(s, '/deploy staging');
    expect(held.reaction).toBe('confused');
    expect(held.reply).toMatch(/A deploy to `staging` is already in progress \(`deploy` for @monalisa/);
    expect(markerSha(s)).toBe(old);

    writeFileSync(file, new Date(since.getTime() + 31 * 60_000).toISOString());
    const taken = await say(s, '/deploy staging');
    expect(taken.reaction).toBe('rocket');
    expect(deployments(s)).toHaveLength(1);
    expect(markerSha(s)).not.toBe(old);
  });
});

describe('releases, rollbacks and locks', () => {
  test('a release that finds its environment being deployed waits on its check run, and deploys once that deploy ends', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rollgate-clock-')), 'now');
    const setClock = (at: number) => {
      writeFileSync(file, new Date(at).toISOString());
    };
    const start0 = Date.parse('2026-12-02T10:00:00Z');
    setClock(start0);
    const s = await start({
      env: { NODE_ENV: 'test', ROLLGATE_CLOCK_FILE: file, ROLLGATE_SWEEP_INTERVAL_MS: '250' },
    });
    expect((await say(s, '/deploy staging')).reaction).toBe('rocket');
    const first = deployments(s)[0]!;
    const id = await publish(s, 'v2.1.0');
    const run = () => [...repo(s).checkRuns.values()].find((r) => r.externalId === `release:${id}:staging`);
    await eventually(() => run(), 'the release request’s check run');
    expect(run()).toMatchObject({ status: 'in_progress' });
    expect(run()?.output.title).toBe('v2.1.0 → staging: waits for the deploy in progress');
    expect(run()?.output.summary).toMatch(
      /already in progress .* tries again by itself at 2026-12-02T10:01:00/s,
    );
    expect([...repo(s).refs.keys()]).toContain(`refs/rollgate/deferred/release-${id}-staging`);
    expect(deployments(s)).toHaveLength(1);

    // A minute later, still held: it waits again, nothing is created.
    setClock(start0 + 61_000);
    await eventually(
      () =>
        /tries again by itself at 2026-12-02T10:02:01/.test(run()?.output.summary ?? '') ? true : undefined,
      'the release to wait another minute',
    );
    expect(deployments(s)).toHaveLength(1);

    // The deploy ends; at the next try the release goes out, once.
    expect(await s.send('deployment_status', statusEvent(s, first, 'success'))).toBe(200);
    await eventually(() => !rollgateRefs(s).includes(MARKER) || undefined, 'staging to be free');
    setClock(start0 + 122_000);
    await eventually(() => (deployments(s).length === 2 ? true : undefined), 'the release’s Deployment');
    expect(deployments(s)[1]).toMatchObject({ environment: 'staging', payload: { release: id } });
    await eventually(() => (run()?.status === 'completed' ? true : undefined), 'the check run to conclude');
    expect(run()).toMatchObject({ conclusion: 'success' });
    // The sweep lets go of the request's ref once the release is out.
    await eventually(
      () => ![...repo(s).refs.keys()].some((r) => r.startsWith('refs/rollgate/deferred/')) || undefined,
      'the deferred ref to be dropped',
    );
    expect(deployments(s)).toHaveLength(2);
  });

  test('a release refused by a lock says so on its commit’s check run', async () => {
    const s = await start();
    seedLock(s, 'staging', 'monalisa', 'incident');
    const id = await publish(s, 'v2.2.0');
    const run = () => [...repo(s).checkRuns.values()].find((r) => r.externalId === `release:${id}:staging`);
    await eventually(() => (run()?.status === 'completed' ? true : undefined), 'the release’s check run');
    expect(run()).toMatchObject({ conclusion: 'failure' });
    expect(run()?.output.summary).toContain('is locked by @monalisa');
    expect(deployments(s)).toHaveLength(0);
  });

  test('/rollback production on an environment locked by someone else is refused and creates nothing', async () => {
    const s = await start();
    const octokit = new Octokit({ baseUrl: s.github.url, auth: 'test-token' });
    const [owner, name] = s.repository.split('/') as [string, string];
    for (const version of ['1.0.0', '1.1.0']) {
      const sha = s.github.state.addCommit(s.repository, { message: `Release ${version}` });
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
    seedLock(s, 'production', 'monalisa', 'incident');
    const before = deployments(s).length;
    const from = s.github.calls.length;
    const refused = await say(s, '/rollback production');
    expect(refused.reaction).toBe('confused');
    expect(refused.reply).toMatch(/`production` is locked by @monalisa/);
    expect(deployments(s)).toHaveLength(before);
    expect(rollgateRefs(s)).toEqual(['refs/rollgate/lock/production']);
    // Not even a marker taken and given back, nor a check run: the lock refuses before any write.
    const written = s.github.calls
      .slice(from)
      .filter((c) => c.method !== 'GET')
      .map((c) => c.operationId);
    expect(written).not.toContain('git/create-ref');
    expect(written).not.toContain('repos/create-deployment');
    expect(written).not.toContain('checks/create');
  });

  test('a prerelease deploys where auto_deploy lists prerelease, and not where it lists only release', async () => {
    const s = await start({
      config: `environments:
  preview:
    auto_deploy: [prerelease]
  staging:
    auto_deploy: [release]
`,
    });
    await publish(s, 'v3.0.0-rc.1', true);
    await eventually(() => deployments(s).length === 1, 'the prerelease Deployment');
    await pause(1000);
    expect(deployments(s)).toHaveLength(1);
    expect(deployments(s)[0]).toMatchObject({ environment: 'preview', payload: { version: '3.0.0-rc.1' } });
    expect(rollgateRefs(s)).toEqual(['refs/rollgate/deploying/preview']);
  });
});

describe('the refs the App writes', () => {
  test('across /deploy, /lock, /unlock, /rollback, a release and a deployment_status, no branch or tag is created or moved', async () => {
    const s = await start();
    const branches = () => [...repo(s).refs.entries()].filter(([ref]) => ref.startsWith('refs/heads/'));
    const branchesBefore = branches();
    // Two good versions of production (the default branch, then the pull request), for the
    // /rollback to go back to the first.
    // The workflow reports each on GitHub, and GitHub sends the App the event.
    const octokit = new Octokit({ baseUrl: s.github.url, auth: 'test-token' });
    const [owner, name] = s.repository.split('/') as [string, string];
    for (const command of ['/deploy production main', '/deploy production']) {
      expect((await say(s, command)).reaction).toBe('rocket');
      const deployed = deployments(s).at(-1)!;
      await octokit.rest.repos.createDeploymentStatus({
        owner,
        repo: name,
        deployment_id: deployed.id,
        state: 'success',
      });
      await s.send('deployment_status', statusEvent(s, deployed, 'success'));
      await eventually(() => rollgateRefs(s).length === 0, 'the marker to be released');
    }
    expect((await say(s, '/lock staging incident')).reaction).toBe('rocket');
    expect((await say(s, '/unlock staging')).reaction).toBe('rocket');
    await publish(s, 'v1.0.0');
    await eventually(() => deployments(s).some((d) => d.environment === 'staging'), 'the release Deployment');
    const released = deployments(s).find((d) => d.environment === 'staging')!;
    await s.send('deployment_status', statusEvent(s, released, 'failure'));
    await eventually(() => rollgateRefs(s).length === 0, 'the release marker to be released');
    expect((await say(s, '/rollback production')).reaction).toBe('rocket');
    expect(deployments(s).at(-1)).toMatchObject({ task: 'deploy:rollback', environment: 'production' });
    expect((await say(s, '/deploy staging')).reaction).toBe('rocket');

    const refWrites = s.github.calls.filter(
      (c) => c.operationId?.startsWith('git/') && /ref/.test(c.operationId),
    );
    const created = refWrites
      .filter((c) => c.operationId === 'git/create-ref')
      .map((c) => (c.body as { ref: string }).ref);
    expect(new Set(created)).toEqual(
      new Set([
        'refs/rollgate/deploying/production',
        'refs/rollgate/deploying/staging',
        'refs/rollgate/lock/staging',
      ]),
    );
    for (const ref of created) expect(ref).toMatch(/^refs\/rollgate\//);
    const moved = refWrites.filter((c) => c.method !== 'GET' && c.operationId !== 'git/create-ref');
    for (const call of moved) expect(decodeURIComponent(call.path)).toMatch(/\/git\/refs\/rollgate\//);
    expect(moved.length).toBeGreaterThan(0);
    expect(branches()).toEqual(branchesBefore);
    // The only tag is the release's own, made by whoever published it.
    expect([...repo(s).refs.keys()].filter((r) => r.startsWith('refs/tags/'))).toEqual(['refs/tags/v1.0.0']);
  });
});

/** This App's reply to one comment, as GitHub holds it. */
const replyTo = (s: AppStand, commentId: number): string | undefined =>
  [...repo(s).comments.values()].find((c) => c.viaApp && c.body.includes(`{"comment":${commentId}}`))?.body;

describe('who may run commands, and what replies echo', () => {
  test('a custom repository role counts by the base role it extends', async () => {
    const s = await start();
    s.github.state.addCollaborator(s.repository, 'dee-ployer', 'write', 'deployer');
    s.github.state.addCollaborator(s.repository, 'audrey', 'read', 'auditor');
    expect((await say(s, '/deploy staging', 'dee-ployer')).reaction).toBe('rocket');
    expect(deployments(s)).toHaveLength(1);
    const { commentId } = await s.comment('/lock production', { user: 'audrey' });
    const refusal = await eventually(() => replyTo(s, commentId), 'the refusal of the auditor');
    expect(refusal).toContain('needs `write` permission on this repository; you have `auditor`.');
    expect(rollgateRefs(s)).toEqual(['refs/rollgate/deploying/staging']);
  });

  test('in a private repository a refusal never tells an outsider or a reader about roles', async () => {
    const s = await start({ private: true });
    for (const user of ['hubot', 'mallory']) {
      const { commentId } = await s.comment('/deploy staging', { user });
      const refusal = await eventually(() => replyTo(s, commentId), `the refusal of ${user}`);
      expect(refusal).toContain('running Rollgate commands needs `write` permission on this repository.');
      expect(refusal).not.toContain('you have');
    }
    expect(deployments(s)).toHaveLength(0);
  });

  test('a lock reason of 208 characters (256 fit) is echoed cut to 128, as code', async () => {
    const s = await start();
    const reason = `${'database migration '.repeat(10)}@octo-org/everyone`;
    const locked = await say(s, `/lock staging "${reason}"`);
    expect(locked).toMatchObject({ reaction: 'rocket' });
    const { reply } = await say(s, '/lock staging', 'monalisa');
    const echoed = /: (`+)(.*?)\1\.$/m.exec(reply)?.[2] ?? '';
    expect(Array.from(echoed)).toHaveLength(128);
    expect(echoed.endsWith('…')).toBe(true);
    expect(reason.startsWith(echoed.slice(0, -1))).toBe(true);
    expect(reply).not.toContain('@octo-org/everyone');
  });

  test('/help with 400 long environment names answers under GitHub’s limit, with a screenful and how many more', async () => {
    const names = Array.from({ length: 400 }, (_, i) => `${'region-'.repeat(12)}${i}`);
    const s = await start({
      config: `environments:\n${names.map((name) => `  ${name}: {}\n`).join('')}`,
    });
    const { reply } = await say(s, '/help');
    expect(reply.length).toBeLessThanOrEqual(65_536);
    expect(reply).toContain('**Environments (400):**');
    expect(reply).toMatch(/and [\d,]+ more/);
    expect(reply).toContain('`/deploy');
  });
});
