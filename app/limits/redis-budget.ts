/**
 * The content-creating budget shared by every replica through Redis (`REDIS_URL`): the same
 * sliding windows as `policy.ts`'s `writeWait`, kept in a sorted set per installation and spent
 * atomically by a Lua script on Redis's own clock, so replicas with skewed clocks agree.
 * When Redis cannot be reached the replica falls back to its own memory (and says so once in the
 * log): commands keep working, each replica then limited on its own.
 */
import { MemoryWriteBudget, type WriteBudget } from './budget.ts';
import type { WriteLimits } from './policy.ts';
import { RedisConnection, type RedisReply } from './redis-connection.ts';

// KEYS: the spent set, the pause key, a sequence for unique members. ARGV: per minute, per hour,
// tokens to leave free in each window (policy.ts, `writeWait`'s keepFree).
const TAKE = `
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return paused - now end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 3602000)
local perMinute = tonumber(ARGV[1]) - tonumber(ARGV[3])
local perHour = tonumber(ARGV[2]) - tonumber(ARGV[3])
if perMinute <= 0 or perHour <= 0 then return 62000 end
local hour = redis.call('ZCARD', KEYS[1])
if hour >= perHour then
  local at = redis.call('ZRANGE', KEYS[1], hour - perHour, hour - perHour, 'WITHSCORES')
  return tonumber(at[2]) + 3602000 - now
end
local minute = redis.call('ZCOUNT', KEYS[1], '(' .. (now - 62000), '+inf')
if minute >= perMinute then
  local at = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - 62000), '+inf', 'WITHSCORES', 'LIMIT', minute - perMinute, 1)
  return tonumber(at[2]) + 62000 - now
end
local seq = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[1], now, now .. '-' .. seq)
redis.call('PEXPIRE', KEYS[1], 3602000)
redis.call('PEXPIRE', KEYS[3], 3602000)
return 0
`;

// KEYS: the pause key. ARGV: how long, in ms. Keeps the later of two pauses.
const PAUSE = `
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ms = math.max(1, math.ceil(tonumber(ARGV[1])))
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if now + ms > current then redis.call('SET', KEYS[1], now + ms, 'PX', ms) end
return 0
`;

export class RedisWriteBudget implements WriteBudget {
  readonly #redis: RedisConnection;
  readonly #limits: WriteLimits;
  readonly #fallback: MemoryWriteBudget;
  readonly #onUnreachable: (error: unknown) => void;
  #warned = false;

  constructor(url: string, limits: WriteLimits, onUnreachable: (error: unknown) => void) {
    this.#redis = new RedisConnection(url);
    this.#limits = limits;
    this.#fallback = new MemoryWriteBudget(limits);
    this.#onUnreachable = onUnreachable;
  }

  async take(key: string, keepFree = 0): Promise<number> {
    try {
      const reply = await this.#redis.command([
        'EVAL',
        TAKE,
        3,
        ...keys(key),
        this.#limits.perMinute,
        this.#limits.perHour,
        keepFree,
      ]);
      this.#warned = false;
      return asNumber(reply);
    } catch (error) {
      this.#unreachable(error);
      return this.#fallback.take(key, keepFree);
    }
  }

  async pause(key: string, ms: number): Promise<void> {
    await this.#fallback.pause(key, ms);
    try {
      await this.#redis.command(['EVAL', PAUSE, 1, keys(key)[1], ms]);
    } catch (error) {
      this.#unreachable(error);
    }
  }

  close(): Promise<void> {
    return this.#redis.close();
  }

  #unreachable(error: unknown): void {
    if (this.#warned) return;
    this.#warned = true;
    this.#onUnreachable(error);
  }
}

/** The keys of one installation, with a hash tag so a Redis Cluster keeps them in one slot. */
function keys(key: string): [string, string, string] {
  return [`rollgate:{${key}}:writes`, `rollgate:{${key}}:pause`, `rollgate:{${key}}:seq`];
}

function asNumber(reply: RedisReply): number {
  if (typeof reply !== 'number') throw new Error(`the budget script answered ${JSON.stringify(reply)}`);
  return reply;
}
