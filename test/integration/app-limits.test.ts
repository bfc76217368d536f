/**
 * The App's one mechanism for GitHub's limits, over real HTTP: per-installation budgets, waiting
 * out GitHub's rate-limit answers, retrying only what is idempotent, and budgets shared through a
 * real `redis-server`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { MemoryWriteBudget } from '../../app/limits/budget.ts';
import { RedisWriteBudget } from '../../app/limits/redis-budget.ts';
import { RedisConnection } from '../../app/limits/redis-connection.ts';
import { startAppStand, REPOSITORY, type AppStand } from '../support/app-stand.ts';
import { eventually } from '../support/app-view.ts';
import type { GitHubServer } from '../support/github-server/server.ts';
import { closedPort } from '../support/http-target.ts';
import { startRedis, type RedisServer } from '../support/redis.ts';

let stand: AppStand | undefined;

afterEach(async () => {
  if (stand === undefined) return;
  const current = stand;
  stand = undefined;
  current.github.assertNoViolations();
  await current.close();
});

async function start(options: Parameters<typeof startAppStand>[0] = {}): Promise<AppStand> {
  stand = await startAppStand({
    ...options,
    env: {
      ROLLGATE_SHUTDOWN_GRACE_MS: '1000',
      ...(typeof options.env === 'function' ? {} : options.env),
    },
  });
  return stand;
}

function reactions(s: AppStand, fullName: string, commentId: number): string[] {
  return s.github.state
    .seeded(fullName)
    .reactions.filter((r) => r.commentId === commentId)
    .map((r) => r.content);
}

const settled = (s: AppStand, fullName: string, commentId: number): Promise<string[]> =>
  eventually(() => {
    const r = reactions(s, fullName, commentId);
    return r.includes('rocket') || r.includes('confused') ? r : undefined;
  }, `the App to answer comment ${commentId}`);

/** When each call to `operationId` was first seen by the test (ms since the epoch). */
function watchCalls(github: GitHubServer, operationId: string): { times: number[]; stop(): void } {
  const times: number[] = [];
  const timer = setInterval(() => {
    const count = github.callsTo(operationId).length;
    while (times.length < count) times.push(Date.now());
  }, 5);
  return {
    times,
    stop: () => {
      clearInterval(timer);
    },
  };
}

const environments = (count: number): string =>
  `environments:\n${Array.from({ length: count }, (_, i) => `  env-${i}:\n    requires: { checks: none }\n`).join('')}`;

/** Another organisation's repository with a pull request, and the App installed there. */
function seedOtherInstallation(
  s: AppStand,
  fullName: string,
): { installationId: number; pullNumber: number } {
  const owner = fullName.split('/')[0] ?? '';
  s.github.state.addRepository(fullName, {
    files: { 'README.md': '# other\n', '.github/rollgate.yml': environments(1) },
  });
  s.github.state.addCollaborator(fullName, 'octocat', 'write');
  s.github.state.addCommit(fullName, { branch: 'feature/x', files: { 'x.ts': 'export {};\n' } });
  const pull = s.github.state.addPullRequest(fullName, { head: 'feature/x', title: 'X', user: 'octocat' });
  return { installationId: s.github.state.installApp(owner).id, pullNumber: pull.number };
}

/** Delivers `/deploy env-0` on `fullName`'s pull request as `issue_comment.created` of its installation. */
async function deployOn(
  s: AppStand,
  fullName: string,
  installationId: number,
  pullNumber: number,
): Promise<{ status: number; commentId: number }> {
  const [owner = '', name = ''] = fullName.split('/');
  const seeded = s.github.state.addComment(fullName, pullNumber, { user: 'octocat', body: '/deploy env-0' });
  const payload = s.commentPayload(seeded.id, '/deploy env-0', 'octocat', pullNumber);
  const repository = payload.repository as { owner: object };
  const status = await s.send('issue_comment', {
    ...payload,
    repository: { ...repository, name, full_name: fullName, owner: { ...repository.owner, login: owner } },
    installation: { id: installationId, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMg==' },
  });
  return { status, commentId: seeded.id };
}

describe('per-installation limits', () => {
  test('a burst that spends one installation’s write budget does not delay another installation', async () => {
    const s = await start({ config: environments(4), env: { ROLLGATE_WRITES_PER_MINUTE: '10' } });
    const other = seedOtherInstallation(s, 'other-org/other-service');
    const writesOf = (owner: string): number =>
      s.github.calls.filter((c) => c.path.startsWith(`/repos/${owner}/`) && c.method !== 'GET').length;

    // Four /deploy on octo-org (8 writes each) against a budget of 10 writes a minute; one
    // /deploy on other-org needs 8.
    const burst = [0, 1, 2, 3].map((i) =>
      s.comment(`/deploy env-${i}`).catch(() => ({ status: 0, commentId: 0, delivery: '' })),
    );
    await eventually(() => writesOf('octo-org') >= 10, 'the burst to spend its budget');

    const started = Date.now();
    const { commentId } = await deployOn(
      s,
      'other-org/other-service',
      other.installationId,
      other.pullNumber,
    );
    expect(await settled(s, 'other-org/other-service', commentId)).toEqual(['eyes', 'rocket']);
    // Not held for the minute octo-org's budget needs to come back (62 s).
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(s.github.state.seeded('other-org/other-service').deployments.size).toBe(1);

    // Meanwhile octo-org stayed within its budget and is still waiting for tokens.
    expect(writesOf('octo-org')).toBe(10);
    expect(s.github.state.seeded(REPOSITORY).deployments.size).toBeLessThan(4);
    void Promise.all(burst);
  });

  test('a burst that must wait for the write budget is still answered within GitHub’s 10 s, every delivery', async () => {
    // Twelve /deploy at once need 48 writes up to their Deployments against 20 a minute: most
    // handlers wait far past 10 s. The stand's sender gives up after 10 s as GitHub does, so a
    // late answer fails the delivery here as it would on github.com.
    const count = 12;
    const s = await start({ config: environments(count), env: { ROLLGATE_WRITES_PER_MINUTE: '20' } });
    const statuses = await Promise.all(
      Array.from({ length: count }, async (_, i) => (await s.comment(`/deploy env-${i}`)).status),
    );
    // 200 for the handlers done in time, 202 ("accepted, still working") for those still waiting.
    expect(statuses.filter((status) => status !== 200 && status !== 202)).toEqual([]);
    expect(statuses).toContain(202);
    // Within the first minute's 20 writes, claims in progress finish before new ones start: each
    // command's 👀 as it comes, then whole claims (the marker's commit and ref, the Deployment).
    // Taking them turn about instead left six half-made claims and two Deployments.
    await eventually(
      () => (s.github.state.seeded(REPOSITORY).deployments.size >= 3 ? true : undefined),
      'three Deployments or more from the minute’s twenty writes',
    );
    expect(
      s.github.calls.filter((c) => c.path.startsWith('/repos/') && c.method !== 'GET').length,
    ).toBeLessThanOrEqual(20);
  });

  test('commands arriving together make every Deployment before any check run or reply when the budget is short', async () => {
    // Six /deploy at once, each needing 4 writes up to its Deployment (👀, the marker's commit and
    // ref, the Deployment), against a budget of exactly 24 writes a minute: the check runs,
    // sticky comments and replies of the first commands must not spend a later command's tokens.
    const count = 6;
    const s = await start({
      config: environments(count),
      env: { ROLLGATE_WRITES_PER_MINUTE: String(4 * count) },
    });
    const burst = Array.from({ length: count }, (_, i) =>
      s.comment(`/deploy env-${i}`).catch(() => ({ status: 0, commentId: 0, delivery: '' })),
    );
    await eventually(
      () => s.github.state.seeded(REPOSITORY).deployments.size === count || undefined,
      'every command to make its Deployment',
      15_000,
    );
    const writes = s.github.calls.filter((c) => c.path.startsWith('/repos/') && c.method !== 'GET');
    expect(writes).toHaveLength(4 * count);
    expect(s.github.callsTo('checks/create')).toHaveLength(0);
    expect(s.github.callsTo('issues/create-comment')).toHaveLength(0);
    void Promise.all(burst);
  });

  test('a 403 secondary rate limit is waited out for its retry-after, then the write is made once', async () => {
    const s = await start();
    s.github.failNext('repos/create-deployment', { rateLimit: 'secondary', retryAfterSeconds: 1 });
    const watch = watchCalls(s.github, 'repos/create-deployment');
    const { commentId } = await s.comment('/deploy staging');
    expect(await settled(s, REPOSITORY, commentId)).toEqual(['eyes', 'rocket']);
    watch.stop();
    expect(s.github.callsTo('repos/create-deployment').map((c) => c.status)).toEqual([403, 201]);
    const [first = 0, second = 0] = watch.times;
    expect(second - first).toBeGreaterThanOrEqual(950);
    expect(s.github.state.seeded(REPOSITORY).deployments.size).toBe(1);
    expect(s.log()).toContain('rate limited');
  });

  test('a 429 with the quota spent waits for x-ratelimit-reset, then retries', async () => {
    const s = await start();
    s.github.failNext('pulls/get', { rateLimit: 'primary', status: 429, retryAfterSeconds: 1 });
    const watch = watchCalls(s.github, 'pulls/get');
    const { commentId } = await s.comment('/deploy staging');
    expect(await settled(s, REPOSITORY, commentId)).toEqual(['eyes', 'rocket']);
    watch.stop();
    expect(s.github.callsTo('pulls/get').map((c) => c.status)).toEqual([429, 200]);
    // The reset is at least a second after the 429 (the next whole second, plus one): the App
    // waited for it instead of retrying at once.
    const [first = 0, second = 0] = watch.times;
    expect(second - first).toBeGreaterThanOrEqual(950);
    expect(second).toBeGreaterThanOrEqual((Math.ceil(first / 1000) + 1) * 1000 - 50);
  });

  test('a POST answered 500 is not retried blindly: the App looks first, then sends it again; a GET answered 503 is retried', async () => {
    const s = await start();
    s.github.failNext('pulls/get', { status: 503 });
    s.github.failNext('repos/create-deployment', { status: 500 });
    const { commentId } = await s.comment('/deploy staging');
    expect(await settled(s, REPOSITORY, commentId)).toEqual(['eyes', 'rocket']);
    expect(s.github.callsTo('pulls/get').map((c) => c.status)).toEqual([503, 200]);
    // The 500 may have created the Deployment: the App lists the environment's deployments for
    // this comment's before it sends the POST again, and ends with exactly one.
    const calls = s.github.calls.map((c) => c.operationId);
    const failed = calls.indexOf('repos/create-deployment');
    const again = calls.indexOf('repos/create-deployment', failed + 1);
    expect(s.github.callsTo('repos/create-deployment').map((c) => c.status)).toEqual([500, 201]);
    expect(calls.slice(failed + 1, again)).toContain('repos/list-deployments');
    expect(s.github.state.seeded(REPOSITORY).deployments.size).toBe(1);
  });
});

describe('budgets in Redis', () => {
  let redis: RedisServer;
  let url: string;

  beforeAll(async () => {
    redis = await startRedis();
    url = redis.url;
  });

  afterAll(async () => {
    await redis.close();
  });

  test('two replicas share one installation’s budget and its pause', async () => {
    const limits = { perMinute: 3, perHour: 100 };
    const unreachable: unknown[] = [];
    const a = new RedisWriteBudget(url, limits, (e) => unreachable.push(e));
    const b = new RedisWriteBudget(url, limits, (e) => unreachable.push(e));
    try {
      expect([
        await a.take('installation:1'),
        await b.take('installation:1'),
        await a.take('installation:1'),
      ]).toEqual([0, 0, 0]);
      const wait = await b.take('installation:1');
      // The minute and the margin for travel time (policy.ts).
      expect(wait).toBeGreaterThan(61_000);
      expect(wait).toBeLessThanOrEqual(62_000);
      // Another installation has its own budget.
      expect(await b.take('installation:2')).toBe(0);
      // Tokens kept free for others' claims are not spent.
      expect(await b.take('installation:3', 2)).toBe(0);
      expect(await a.take('installation:3', 2)).toBeGreaterThan(61_000);
      expect(await a.take('installation:3', 1)).toBe(0);
      await a.pause('installation:2', 5_000);
      const paused = await b.take('installation:2');
      expect(paused).toBeGreaterThan(4_000);
      expect(paused).toBeLessThanOrEqual(5_000);
      expect(unreachable).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('without Redis a replica keeps working on its own budget and says so once', async () => {
    const unreachable: unknown[] = [];
    const budget = new RedisWriteBudget(
      `redis://127.0.0.1:${await closedPort()}`,
      { perMinute: 2, perHour: 10 },
      (e) => unreachable.push(e),
    );
    expect([await budget.take('k'), await budget.take('k')]).toEqual([0, 0]);
    expect(await budget.take('k')).toBeGreaterThan(0);
    expect(unreachable).toHaveLength(1);
    await budget.close();
    // The same windows as a budget kept in memory.
    const memory = new MemoryWriteBudget({ perMinute: 2, perHour: 10 });
    expect([await memory.take('k'), await memory.take('k')]).toEqual([0, 0]);
    expect(await memory.take('k')).toBeGreaterThan(0);
  });

  test('the App with REDIS_URL spends its writes from the shared budget', async () => {
    const s = await start({ env: { REDIS_URL: url } });
    const { commentId } = await s.comment('/deploy staging');
    expect(await settled(s, REPOSITORY, commentId)).toEqual(['eyes', 'rocket']);
    const writes = s.github.calls.filter((c) => c.path.startsWith('/repos/') && c.method !== 'GET').length;
    expect(writes).toBeGreaterThan(3);
    const connection = new RedisConnection(url);
    try {
      expect(await connection.command(['ZCARD', `rollgate:{installation:${s.installationId}}:writes`])).toBe(
        writes,
      );
    } finally {
      await connection.close();
    }
  });
});
