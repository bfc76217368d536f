/**
 * The dashboard's Redis event bus against a real `redis-server`: what each replica's pages get
 * (each event once, also on the replica that received it), what happens while Redis is away
 * (local events still flow, said once in the log) and after it comes back (shared again).
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { RedisConnection } from '../../app/limits/redis-connection.ts';
import { eventFromWebhook, type DashboardEvent } from '../../app/dashboard/events.ts';
import { DASHBOARD_CHANNEL, RedisEventBus } from '../../app/dashboard/redis-events.ts';
import { closedPort } from '../support/http-target.ts';
import { startRedis, type RedisServer } from '../support/redis.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function log() {
  const lines: string[] = [];
  return {
    lines,
    info: (message: string) => lines.push(`info: ${message}`),
    warn: (message: string) => lines.push(`warn: ${message}`),
  };
}

/** A bus and every event its pages received. */
function replica(url: string) {
  const logged = log();
  const bus = new RedisEventBus(url, { log: logged });
  cleanups.push(() => bus.close());
  const received: DashboardEvent[] = [];
  bus.subscribe((event) => received.push(event));
  return { bus, received, log: logged.lines };
}

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function event(environment: string, deploymentId: number): DashboardEvent {
  return {
    kind: 'deployment_status',
    repository: 'octo-org/hello-service',
    environment,
    deploymentId,
    version: 'v1.0.0',
    sha: 'a'.repeat(40),
    state: 'success',
    since: '2026-12-02T06:00:00Z',
    by: 'octocat',
  };
}

async function redis(options: { port?: number } = {}): Promise<RedisServer> {
  const server = await startRedis(options);
  cleanups.push(() => server.close());
  return server;
}

describe('the Redis event bus', () => {
  test('every replica delivers each event exactly once, also the one that received it', async () => {
    const server = await redis();
    const a = replica(server.url);
    const b = replica(server.url);
    await until(() => a.bus.shared && b.bus.shared, 'both buses to subscribe');

    await a.bus.publish(event('staging', 1));
    await b.bus.publish(event('production', 2));
    await until(() => a.received.length === 2 && b.received.length === 2, 'both events on both');
    // Redis echoes each message to its publisher too: nothing more may arrive.
    await sleep(200);
    expect(a.received.map((e) => e.environment)).toEqual(['staging', 'production']);
    expect(b.received.map((e) => e.environment).sort()).toEqual(['production', 'staging']);
    expect(a.received[0]).toEqual(event('staging', 1));
    expect([...a.log, ...b.log]).toEqual([]);
  });

  test('drops a message on the channel that is not an event', async () => {
    const server = await redis();
    const a = replica(server.url);
    await until(() => a.bus.shared, 'the bus to subscribe');
    const other = new RedisConnection(server.url);
    cleanups.push(() => other.close());
    await other.command(['PUBLISH', DASHBOARD_CHANNEL, 'not json']);
    await other.command([
      'PUBLISH',
      DASHBOARD_CHANNEL,
      JSON.stringify({ origin: 'x', event: { kind: 'x' } }),
    ]);
    const valid = { origin: 'another replica', event: event('staging', 3) };
    await other.command(['PUBLISH', DASHBOARD_CHANNEL, JSON.stringify(valid)]);
    await until(() => a.received.length > 0, 'the valid event');
    await sleep(100);
    expect(a.received).toEqual([event('staging', 3)]);
  });

  test('without Redis, a replica serves its own events and says so once', async () => {
    const a = replica(`redis://127.0.0.1:${await closedPort()}`);
    for (let i = 1; i <= 5; i++) await a.bus.publish(event('staging', i));
    await sleep(600); // several reconnection attempts
    expect(a.received.map((e) => e.kind === 'deployment_status' && e.deploymentId)).toEqual([1, 2, 3, 4, 5]);
    expect(a.log).toHaveLength(1);
    expect(a.log[0]).toMatch(
      /^warn: Redis at REDIS_URL is unreachable \(.*\): dashboards get only the events this replica receives until it answers\.$/,
    );
    expect(a.bus.shared).toBe(false);
  });

  test('subscribes again after Redis restarts, and shares events again', async () => {
    const first = await startRedis();
    const a = replica(first.url);
    const b = replica(first.url);
    await until(() => a.bus.shared && b.bus.shared, 'both buses to subscribe');
    await first.close();
    await until(() => !a.bus.shared && !b.bus.shared, 'both to notice Redis is gone');
    await a.bus.publish(event('staging', 1));
    expect(a.received).toHaveLength(1);
    expect(b.received).toHaveLength(0);

    await redis({ port: first.port });
    await until(() => a.bus.shared && b.bus.shared, 'both to subscribe again', 10_000);
    await a.bus.publish(event('staging', 2));
    await until(() => b.received.length === 1, 'the event published after the restart');
    await sleep(100);
    expect(a.received).toHaveLength(2);
    expect(b.received).toEqual([event('staging', 2)]);
    for (const lines of [a.log, b.log]) {
      expect(lines.filter((l) => l.startsWith('warn: Redis at REDIS_URL is unreachable'))).toHaveLength(1);
      expect(lines.at(-1)).toBe(
        'info: Redis at REDIS_URL answers again: dashboards share events across replicas.',
      );
    }
  }, 30_000);
});

describe('what a check_run webhook tells open pages', () => {
  const payload = (name: string, appId: number) => ({
    action: 'completed',
    repository: { full_name: 'octo-org/hello-service' },
    check_run: {
      name,
      head_sha: 'b'.repeat(40),
      status: 'completed',
      conclusion: 'success',
      html_url: 'https://github.com/octo-org/hello-service/runs/1',
      app: { id: appId },
    },
  });

  test("Rollgate's own rollgate / <env> run becomes that environment's event", () => {
    expect(eventFromWebhook('check_run', payload('rollgate / production', 7), 7)).toEqual({
      kind: 'check_run',
      repository: 'octo-org/hello-service',
      environment: 'production',
      sha: 'b'.repeat(40),
      status: 'completed',
      conclusion: 'success',
      url: 'https://github.com/octo-org/hello-service/runs/1',
    });
  });

  test("another App's run, or a run of another name, is not an event", () => {
    expect(eventFromWebhook('check_run', payload('rollgate / production', 8), 7)).toBeUndefined();
    expect(eventFromWebhook('check_run', payload('ci / build', 7), 7)).toBeUndefined();
    expect(eventFromWebhook('check_run', payload('rollgate / ', 7), 7)).toBeUndefined();
    expect(eventFromWebhook('check_run', { check_run: {} }, 7)).toBeUndefined();
  });
});
