/**
 * Where an installation's content-creating budget and rate-limit pause live: in this process
 * (`MemoryWriteBudget`), or in Redis when replicas share them (`redis-budget.ts`).
 */
import { HOUR_MS, WINDOW_MARGIN_MS, writeWait, type WriteLimits } from './policy.ts';

export interface WriteBudget {
  /**
   * Spends one content-creating token of `key` (an installation) and answers 0, or spends
   * nothing and answers how many ms to wait (a token coming back, or a pause). With `keepFree`,
   * a token is spent only if that many stay free in each window afterwards.
   */
  take(key: string, keepFree?: number): Promise<number>;
  /** Holds every request of `key` for `ms` (GitHub answered a rate limit). */
  pause(key: string, ms: number): Promise<void>;
  close(): Promise<void>;
}

/** A budget in this process's memory: the sliding windows of `policy.ts`, per installation. */
export class MemoryWriteBudget implements WriteBudget {
  readonly #limits: WriteLimits;
  readonly #now: () => number;
  readonly #spent = new Map<string, number[]>();
  readonly #pausedUntil = new Map<string, number>();

  constructor(limits: WriteLimits, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  take(key: string, keepFree = 0): Promise<number> {
    const now = this.#now();
    const paused = (this.#pausedUntil.get(key) ?? 0) - now;
    if (paused > 0) return Promise.resolve(paused);
    const spent = (this.#spent.get(key) ?? []).filter((t) => t > now - HOUR_MS - WINDOW_MARGIN_MS);
    const wait = writeWait(spent, now, this.#limits, keepFree);
    if (wait === 0) spent.push(now);
    this.#spent.set(key, spent);
    return Promise.resolve(wait);
  }

  pause(key: string, ms: number): Promise<void> {
    const until = this.#now() + ms;
    if (until > (this.#pausedUntil.get(key) ?? 0)) this.#pausedUntil.set(key, until);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
