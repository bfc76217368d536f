/**
 * Who is handling a comment right now. GitHub may deliver a comment twice (a redelivery, a
 * retried delivery) and a load balancer may send the copies to two replicas at once. The second
 * copy finds the first's 👀 and, with no reply yet, cannot tell a replica still at work from one
 * that was killed: resuming at once would make a second Deployment while the first is being made.
 * So each handler holds a short lease on its comment, renewed while it runs: a copy that finds
 * the lease held waits until it is released (then it finds the reply and stops) or lapses (the
 * holder died: then it resumes the command). In one process the leases are in memory; with
 * `REDIS_URL`, in Redis, shared by the replicas (`SET NX PX`, released only by its holder).
 */
import { randomUUID } from 'node:crypto';
import { RedisConnection } from './redis-connection.ts';

/** How long a lease lives without renewal: what a killed holder costs a redelivery. */
export const LEASE_TTL_MS = 6_000;
const RENEW_EVERY_MS = 2_000;
const POLL_MS = 200;

export interface HandlingLeases {
  /** Takes `key` for `ttlMs`; false while another holder's lease lives. */
  take(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Extends the lease if `token` still holds it. */
  renew(key: string, token: string, ttlMs: number): Promise<void>;
  release(key: string, token: string): Promise<void>;
  close(): Promise<void>;
}

export class MemoryLeases implements HandlingLeases {
  readonly #held = new Map<string, { token: string; until: number }>();

  take(key: string, token: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const current = this.#held.get(key);
    if (current !== undefined && current.until > now && current.token !== token)
      return Promise.resolve(false);
    this.#held.set(key, { token, until: now + ttlMs });
    return Promise.resolve(true);
  }

  renew(key: string, token: string, ttlMs: number): Promise<void> {
    const current = this.#held.get(key);
    if (current?.token === token) current.until = Date.now() + ttlMs;
    return Promise.resolve();
  }

  release(key: string, token: string): Promise<void> {
    if (this.#held.get(key)?.token === token) this.#held.delete(key);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

// KEYS: the lease. ARGV: the holder's token, and for RENEW the new time to live.
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** Leases in Redis; while Redis cannot be reached, in this process's memory (as the write budget). */
export class RedisLeases implements HandlingLeases {
  readonly #redis: RedisConnection;
  readonly #fallback = new MemoryLeases();

  constructor(url: string) {
    this.#redis = new RedisConnection(url);
  }

  async take(key: string, token: string, ttlMs: number): Promise<boolean> {
    try {
      const reply = await this.#redis.command(['SET', redisKey(key), token, 'NX', 'PX', ttlMs]);
      if (reply === 'OK') return true;
      return (await this.#redis.command(['GET', redisKey(key)])) === token;
    } catch {
      return this.#fallback.take(key, token, ttlMs);
    }
  }

  async renew(key: string, token: string, ttlMs: number): Promise<void> {
    try {
      await this.#redis.command(['EVAL', RENEW, 1, redisKey(key), token, ttlMs]);
    } catch {
      await this.#fallback.renew(key, token, ttlMs);
    }
  }

  async release(key: string, token: string): Promise<void> {
    try {
      await this.#redis.command(['EVAL', RELEASE, 1, redisKey(key), token]);
    } catch {
      await this.#fallback.release(key, token);
    }
  }

  close(): Promise<void> {
    return this.#redis.close();
  }
}

function redisKey(key: string): string {
  return `rollgate:lease:${key}`;
}

let leases: HandlingLeases = new MemoryLeases();

/** Where the leases live: set once at start-up (`app/main.ts`). */
export function useLeases(chosen: HandlingLeases): void {
  leases = chosen;
}

/**
 * Holds `key` while `work` runs. A lease someone else holds is waited for, until it is released
 * or lapses (at most `LEASE_TTL_MS` past its last renewal), so `work` never overlaps another
 * handler of the same key.
 */
export async function whileHolding<T>(key: string, work: () => Promise<T>): Promise<T> {
  const token = randomUUID();
  while (!(await leases.take(key, token, LEASE_TTL_MS)))
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  const timer = setInterval(() => {
    void leases.renew(key, token, LEASE_TTL_MS).catch(() => undefined);
  }, RENEW_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    await leases.release(key, token).catch(() => undefined);
  }
}
