/**
 * Two real App processes (`npm start`) behind one port, as a Kubernetes Service puts two pods
 * behind one webhook URL, sharing one real `redis-server` and one GitHub (the API test server).
 * What users would check afterwards: how many Deployments GitHub holds, the replies and reactions
 * on the pull request, and that no marker or lock ref is left holding the environment.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { REPOSITORY, startAppStand, type AppStand } from '../support/app-stand.ts';
import {
  deployments,
  eventually,
  reactions,
  replies,
  repo,
  rollgateRefs,
  settled,
  statusEvent,
} from '../support/app-view.ts';
import { startBalancer, type Balancer } from '../support/balancer.ts';
import { startRedis, type RedisServer } from '../support/redis.ts';
import { RedisConnection } from '../../app/limits/redis-connection.ts';

/** `staging` has a gate (its branches), so every decision is logged as a structured record. */
const CONFIG = `environments:
  staging:
    url: https://staging.example.com
    requires:
      branches: [feature/*]
commands:
  permission: write
`;

interface Replicas {
  readonly s: AppStand;
  readonly balancer: Balancer;
  readonly redis: RedisServer;
  /** Both replicas' output, A's then B's. */
  logs(): string[];
}

/** What a describe block started, stopped in reverse order after it. */
type Cleanups = (() => Promise<void>)[];

async function cleanUp(cleanups: Cleanups): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

/**
 * The test server's speed, not GitHub's 80 writes a minute, sets the pace here: twenty commands
 * at once need about 100 writes (each a 👀, a marker attempt, a reply and a reaction), so with
 * GitHub's limits the last replies would wait a minute. The shared budget is proven on its own,
 * with a small limit.
 */
const SPEED = { ROLLGATE_WRITES_PER_MINUTE: '100000', ROLLGATE_WRITES_PER_HOUR: '1000000' };

/**
 * Replica A (the stand's App) and replica B (`replica()`), each its own `node app/main.ts`, with
 * the same REDIS_URL and GitHub, behind one balancer. A fresh Redis per test, so one test's
 * spent budget is not the next one's.
 */
async function startReplicas(cleanups: Cleanups, env: Record<string, string>): Promise<Replicas> {
  const redis = await startRedis();
  cleanups.push(() => redis.close());
  const s = await startAppStand({
    config: CONFIG,
    env: { REDIS_URL: redis.url, ROLLGATE_SHUTDOWN_GRACE_MS: '1000', LOG_FORMAT: 'json', ...env },
  });
  cleanups.push(() => s.close());
  const b = await s.replica();
  const balancer = await startBalancer([s.url, b.url]);
  cleanups.push(() => balancer.close());
  return { s, balancer, redis, logs: () => [s.log(), b.log()] };
}

/** The reply the App posted to `commentId` (found by its hidden marker). */
function replyTo(s: AppStand, commentId: number): string[] {
  return [...repo(s).comments.values()]
    .filter((c) => c.viaApp && c.body.includes(`<!-- rollgate:reply {"comment":${commentId}} -->`))
    .map((c) => c.body);
}

/** Every line each replica wrote (`LOG_FORMAT=json`): one JSON object, with pino's level, time and msg. */
function jsonLogs(r: Replicas): Record<string, unknown>[] {
  return r.logs().flatMap((log, replica) => {
    // Only whole lines: a replica still running may be midway through one.
    const lines = log
      .slice(0, log.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(0);
    return lines.map((line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new Error(`replica ${'AB'[replica]} logged a line that is not JSON: ${line}`);
      }
      expect(parsed).toEqual(
        expect.objectContaining({
          level: expect.any(Number),
          time: expect.any(Number),
          msg: expect.any(String),
        }),
      );
      return parsed as Record<string, unknown>;
    });
  });
}

/** The Deployments made for a comment (its id in the payload). */
function deploymentsOf(s: AppStand, commentId: number) {
  return deployments(s).filter((d) => (d.payload as { comment_id?: number }).comment_id === commentId);
}

/** Delivers the final status of a comment's Deployment, as the workflow's arrives, through the balancer. */
async function finish(r: Replicas, commentId: number): Promise<void> {
  const [deployment] = deploymentsOf(r.s, commentId);
  if (deployment === undefined) throw new Error(`no Deployment of comment ${commentId} to finish`);
  const status = await r.s.send('deployment_status', statusEvent(r.s, deployment, 'success'), {
    to: r.balancer.url,
  });
  expect([200, 202]).toContain(status);
  await eventually(() => rollgateRefs(r.s).length === 0 || undefined, 'the marker to be released');
}

/** A `/deploy staging` comment that exists on GitHub, and its delivery (not sent yet). */
function seededCommand(r: Replicas, user = 'octocat') {
  const comment = r.s.github.state.addComment(REPOSITORY, r.s.pullNumber, { user, body: '/deploy staging' });
  return {
    commentId: comment.id,
    delivery: randomUUID(),
    payload: r.s.commentPayload(comment.id, '/deploy staging', user),
  };
}

describe('two App replicas behind one port with one Redis', () => {
  const cleanups: Cleanups = [];
  let r: Replicas;
  /** Replica A was killed by the previous test: it is started again (same port) before the next. */
  let killed = false;

  beforeAll(async () => {
    r = await startReplicas(cleanups, SPEED);
  }, 60_000);

  afterAll(() => cleanUp(cleanups));

  beforeEach(async () => {
    if (killed) {
      await r.s.restart();
      r.balancer.restore(0);
      killed = false;
    }
    // Each test starts with the environment free.
    expect(rollgateRefs(r.s)).toEqual([]);
  });

  afterEach(() => {
    r.s.github.assertNoViolations();
  });

  test('twenty /deploy staging at once, split across both replicas, make exactly one Deployment', async () => {
    const users = Array.from({ length: 20 }, (_, i) => `dev-${String(i).padStart(2, '0')}`);
    for (const user of users) r.s.github.state.addCollaborator(REPOSITORY, user, 'write');
    const from = r.balancer.forwarded.length;

    const sent = await Promise.all(
      users.map((user) => r.s.comment('/deploy staging', { user, to: r.balancer.url })),
    );
    expect(sent.map((c) => c.status).every((status) => status === 200 || status === 202)).toBe(true);
    // Both replicas took part in the race, ten deliveries each.
    const race = r.balancer.forwarded.slice(from);
    expect([0, 1].map((i) => race.filter((f) => f.replica === i).length)).toEqual([10, 10]);

    const answers = await Promise.all(sent.map((c) => settled(r.s, c.commentId)));
    expect(deployments(r.s)).toHaveLength(1);
    const [deployment] = deployments(r.s);
    const winner = sent.find(
      (c) => c.commentId === (deployment?.payload as { comment_id?: number }).comment_id,
    );
    expect(winner).toBeDefined();
    expect(answers[sent.indexOf(winner!)]).toEqual(['eyes', 'rocket']);
    expect(answers.filter((a) => a.join() === 'eyes,confused')).toHaveLength(19);

    // One reply per comment: the winner's names its Deployment; every other one says a deploy is
    // in progress, for the winner.
    expect(replies(r.s)).toHaveLength(20);
    for (const c of sent) expect(replyTo(r.s, c.commentId)).toHaveLength(1);
    const winnerUser = (deployment?.payload as { requester: string }).requester;
    expect(replyTo(r.s, winner!.commentId)[0]).toMatch(
      new RegExp(`Deploying .* to \`staging\` for @${winnerUser}: \\[Deployment #${deployment?.id}\\]`),
    );
    for (const c of sent.filter((c) => c !== winner))
      expect(replyTo(r.s, c.commentId)[0]).toMatch(
        new RegExp(
          `A deploy to \`staging\` is already in progress \\(\`deploy .*\` for @${winnerUser} from #`,
        ),
      );
    // One marker, the winner's; no lock. The workflow's final status releases it.
    expect(rollgateRefs(r.s)).toEqual(['refs/rollgate/deploying/staging']);
    await finish(r, winner!.commentId);

    const again = await r.s.comment('/deploy staging', { user: 'monalisa', to: r.balancer.url });
    expect(await settled(r.s, again.commentId)).toEqual(['eyes', 'rocket']);
    expect(deployments(r.s)).toHaveLength(2);
    await finish(r, again.commentId);

    // LOG_FORMAT=json: every line of both replicas is a JSON object, and each gate decision is a
    // structured `decision` field (who asked, the sha, each gate, the verdict), not words in msg.
    const decisions = jsonLogs(r).filter((line) => line.decision !== undefined);
    expect(decisions.length).toBeGreaterThanOrEqual(2);
    for (const line of decisions) {
      expect(line.msg).toBe('gates of staging: pass');
      expect(line.decision).toEqual(
        expect.objectContaining({
          version: 1,
          environment: 'staging',
          sha: r.s.headSha,
          branch: 'feature/checkout',
          requester: expect.stringMatching(/^(dev-\d\d|monalisa)$/),
          verdict: 'pass',
          gates: [
            { gate: 'lock', state: 'passed' },
            { gate: 'branch', state: 'passed' },
            { gate: 'checks', state: 'passed' },
          ],
        }),
      );
    }
    expect(decisions.map((line) => (line.decision as { requester: string }).requester)).toEqual(
      expect.arrayContaining([winnerUser, 'monalisa']),
    );
  }, 60_000);

  test('the same delivery to replica A, then redelivered to replica B: one Deployment, one reply', async () => {
    const c = seededCommand(r);
    r.balancer.route(c.delivery, [0, 1]);
    const from = r.balancer.forwarded.length;
    await r.s.send('issue_comment', c.payload, { delivery: c.delivery, to: r.balancer.url });
    expect(await settled(r.s, c.commentId)).toEqual(['eyes', 'rocket']);
    await r.s.send('issue_comment', c.payload, { delivery: c.delivery, to: r.balancer.url });
    expect(r.balancer.forwarded.slice(from).map((f) => [f.replica, f.status])).toEqual([
      [0, 200],
      [1, 200],
    ]);
    // B answered after its handler had run: it found the command carried out.
    expect(r.logs()[1]).toMatch(new RegExp(`"comment":${c.commentId}[^\\n]*comment already handled`));
    expect(deploymentsOf(r.s, c.commentId)).toHaveLength(1);
    expect(replyTo(r.s, c.commentId)).toHaveLength(1);
    expect(reactions(r.s, c.commentId)).toEqual(['eyes', 'rocket']);
    await finish(r, c.commentId);
  }, 60_000);

  for (const fate of ['drop', 'release'] as const) {
    const what =
      fate === 'drop'
        ? 'its Deployment request never reaches GitHub'
        : 'GitHub carries out its Deployment request after the replica is gone';
    test(`a replica killed between its marker and its Deployment (${what}): the redelivery to the other finishes it, nothing stays stuck`, async () => {
      const held = r.s.github.hold('repos/create-deployment');
      const c = seededCommand(r);
      r.balancer.route(c.delivery, [0, 1]);
      const from = r.balancer.forwarded.length;

      // Replica A takes the marker and asks for the Deployment: held there, and killed.
      const first = r.s.send('issue_comment', c.payload, { delivery: c.delivery, to: r.balancer.url });
      await held.arrived;
      expect(rollgateRefs(r.s)).toEqual(['refs/rollgate/deploying/staging']);
      expect(await r.s.stop('SIGKILL')).toBeNull();
      killed = true;
      r.balancer.remove(0);
      held[fate]();
      // The delivery failed (GitHub saw no answer); it is redelivered, and the Service sends it to
      // the replica still running.
      await first.catch(() => undefined);
      expect([200, 202]).toContain(
        await r.s.send('issue_comment', c.payload, { delivery: c.delivery, to: r.balancer.url }),
      );
      // B first waits out A's lease on the comment (app/limits/handling-lease.ts: at most its
      // time to live), so its answer may be the 202 of a delivery still being handled.
      const forwarded = r.balancer.forwarded.slice(from).map((f) => [f.replica, f.status]);
      expect(forwarded[0]).toEqual([0, 502]);
      expect(forwarded[1]?.[0]).toBe(1);
      expect([200, 202]).toContain(forwarded[1]?.[1]);
      expect(forwarded).toHaveLength(2);

      expect(await settled(r.s, c.commentId)).toEqual(['eyes', 'rocket']);
      expect(deploymentsOf(r.s, c.commentId)).toHaveLength(1);
      expect(replyTo(r.s, c.commentId)).toHaveLength(1);
      expect(replyTo(r.s, c.commentId)[0]).toMatch(/Deploying .* to `staging` for @octocat: \[Deployment #/);
      expect(rollgateRefs(r.s)).toEqual(['refs/rollgate/deploying/staging']);

      // The workflow finishes: the marker goes, no lock was ever left, and the next deploy works.
      await finish(r, c.commentId);
      expect(rollgateRefs(r.s)).toEqual([]);
      const next = await r.s.comment('/deploy staging', { user: 'monalisa', to: r.balancer.url });
      expect(await settled(r.s, next.commentId)).toEqual(['eyes', 'rocket']);
      expect(deploymentsOf(r.s, next.commentId)).toHaveLength(1);
      await finish(r, next.commentId);
      // What replica A wrote up to its death is whole JSON lines too.
      jsonLogs(r);
    }, 60_000);
  }

  /**
   * A redelivery that reaches replica B while replica A is still carrying the same delivery out
   * (here A's Deployment request is held; in production A may be waiting for write tokens, or
   * GitHub slow to answer). B finds its 👀 there already and no reply yet; it must neither make a
   * second Deployment nor a second reply. The comment's lease in Redis (app/limits/handling-lease.ts)
   * makes B wait for A, then find A's reply.
   */
  test('the same delivery to replica B while replica A is still carrying it out: one Deployment, one reply', async () => {
    const held = r.s.github.hold('repos/create-deployment');
    const c = seededCommand(r);
    r.balancer.route(c.delivery, [0, 1]);
    const first = r.s.send('issue_comment', c.payload, { delivery: c.delivery, to: r.balancer.url });
    await held.arrived;
    // B's delivery is answered once its handler is done, or with 202 after 6 s: no wait on an
    // outcome that a fixed App would not produce.
    expect([200, 202]).toContain(
      await r.s.send('issue_comment', c.payload, { delivery: c.delivery, to: r.balancer.url }),
    );
    held.release();
    await first;
    await eventually(() => replyTo(r.s, c.commentId).length > 0 || undefined, 'a reply');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const made = deploymentsOf(r.s, c.commentId).length;
    const answered = replyTo(r.s, c.commentId).length;
    // Free the environment for whatever runs next, whatever the outcome.
    if (made > 0) await finish(r, c.commentId);
    expect(made).toBe(1);
    expect(answered).toBe(1);
  }, 60_000);
});

describe('the write budget of two replicas', () => {
  const cleanups: Cleanups = [];
  afterEach(() => cleanUp(cleanups));

  test('both replicas spend one installation’s budget in Redis, together no more than its limit', async () => {
    // Six writes a minute for both replicas together. Each /deploy needs 👀, the marker's commit
    // and ref, and its Deployment: of two commands on two environments, one per replica, at most
    // six writes go out and the rest waits for the next minute. Were the budget per replica, both
    // would make their Deployments at once (4 of 6 each).
    const r = await startReplicas(cleanups, { ROLLGATE_WRITES_PER_MINUTE: '6' });
    r.s.github.state.addFile(
      REPOSITORY,
      '.github/rollgate.yml',
      CONFIG.replace('commands:', '  qa:\n    url: https://qa.example.com\ncommands:'),
    );
    // Every write sent counts, also one GitHub refuses (a marker ref that exists already: 422).
    const writes = () => r.s.github.calls.filter((c) => c.path.startsWith('/repos/') && c.method !== 'GET');
    // Still waiting for the next minute's tokens when the test ends and the replicas stop.
    const commands = [
      r.s.comment('/deploy staging', { user: 'octocat', to: r.balancer.url }),
      r.s.comment('/deploy qa', { user: 'monalisa', to: r.balancer.url }),
    ].map((sent) => sent.catch(() => undefined));
    await eventually(() => writes().length >= 6 || undefined, 'the budget to be spent', 15_000);
    // Long enough for a replica with a budget of its own to go on writing.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(r.balancer.forwarded.map((f) => f.replica).sort()).toEqual([0, 1]);
    expect(writes()).toHaveLength(6);
    expect(deployments(r.s).length).toBeLessThan(2);
    const connection = new RedisConnection(r.redis.url);
    try {
      expect(
        await connection.command(['ZCARD', `rollgate:{installation:${r.s.installationId}}:writes`]),
      ).toBe(6);
    } finally {
      await connection.close();
    }
    r.s.github.assertNoViolations();
    void Promise.all(commands);
  }, 60_000);

  test('a replica that cannot reach Redis goes on with a budget of its own and says so once, in JSON', async () => {
    const redis = await startRedis();
    const url = redis.url;
    await redis.close();
    const s = await startAppStand({ config: CONFIG, env: { REDIS_URL: url, LOG_FORMAT: 'json' } });
    cleanups.push(() => s.close());
    // Each of its writes (👀, the marker, the Deployment, the check run, the sticky comment, the
    // reply, 🚀) finds Redis unreachable; the replica says so once.
    const { commentId } = await s.comment('/deploy staging');
    expect(await settled(s, commentId)).toEqual(['eyes', 'rocket']);
    expect(deployments(s)).toHaveLength(1);
    const lines = s
      .log()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const warnings = lines.filter((line) => /Redis at REDIS_URL is unreachable/.test(String(line.msg)));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: 40,
      msg: expect.stringContaining('limiting writes in this replica alone'),
    });
    s.github.assertNoViolations();
  }, 60_000);
});
