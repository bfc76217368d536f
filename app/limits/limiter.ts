/**
 * The one mechanism between the App's handlers and GitHub: an Octokit request hook that keeps
 * each installation within GitHub's secondary limits and retries what may be retried. It replaces
 * Probot's throttling and retry plugins (turned off in `app/main.ts`), whose Bottleneck queues
 * spaced every write by a fixed second, shared one queue by all installations, and retried POSTs.
 *
 * Per installation (the Octokit instance's `auth.installationId`), in this process:
 * - at most `MAX_CONCURRENT_REQUESTS` requests in flight, and writes one at a time ("serially");
 * - a write first spends a token of the sliding minute/hour budget (`WriteBudget`, in Redis when
 *   replicas share it); waiting writes go by `writeClass` — a command's claim (the marker's commit
 *   and ref, the Deployment) before 👀 and other reactions, and those before everything that
 *   follows a Deployment (check runs, comments, statuses) — then, among claim writes, the handler
 *   furthest into its claim first, and among the others the one that has made the fewest writes,
 *   so when the budget runs short whole claims finish and every command's Deployment comes first;
 * - a command that will claim (a `/deploy` or `/rollback`) announces its claim writes as soon as
 *   it is parsed (`reserveClaimWrites`), before its reads: writes of the last class then leave
 *   that many tokens free, so twenty commands arriving at once all make their Deployments within
 *   the minute's 80 writes, and the check runs and comments that follow them wait for the window;
 * - a rate-limit answer pauses the installation for the time GitHub names and the request is
 *   retried, whatever its method; a 5xx or a dropped connection is retried only for idempotent
 *   methods (`policy.ts`). Other installations never wait on it.
 */
import type { Octokit } from '@octokit/core';
import type { WriteBudget } from './budget.ts';
import {
  isWrite,
  MAX_CONCURRENT_REQUESTS,
  retryDecision,
  writeClass,
  type AttemptFailure,
} from './policy.ts';

export interface LimiterClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface LimiterOptions {
  readonly budget: WriteBudget;
  readonly clock?: LimiterClock;
}

const realClock: LimiterClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Ranks of one class come before any of the next (no handler makes a million writes). */
const CLASS_STRIDE = 1_000_000;
/** The class of writes that follow a Deployment (`writeClass`): they yield to announced claims. */
const AFTER_CLAIM_CLASS = 2;
/** A write held back for others' claims looks again this often (a claim may end without writing). */
const RESERVE_RECHECK_MS = 500;
/** An announced claim not made by then is forgotten (a handler that never said it was done). */
const RESERVATION_TTL_MS = 120_000;

/** What one webhook handler (one Octokit instance) still owes of the claim it announced. */
interface Reservation {
  writes: number;
  readonly expiresAt: number;
}

interface Waiter {
  /** The write's class times `CLASS_STRIDE`, plus how many writes the waiting handler has made: lower goes first. */
  readonly rank: number;
  readonly seq: number;
  readonly admit: () => void;
}

/** The in-process share of one installation: its request slots, its write turn, its pause. */
class InstallationLane {
  #inFlight = 0;
  #writing = false;
  #seq = 0;
  readonly #slotWaiters: (() => void)[] = [];
  readonly #writeWaiters: Waiter[] = [];
  pausedUntil = 0;
  /** Requests of this installation inside the hook (in flight, waiting or backing off). */
  users = 0;
  /** Claim writes announced by handlers of this installation and not made yet, by handler. */
  readonly reservations = new Map<object, Reservation>();

  /** Claim writes still announced by handlers other than `except`. */
  reserved(now: number, except?: object): number {
    let total = 0;
    for (const [handler, reservation] of this.reservations) {
      if (reservation.expiresAt <= now) this.reservations.delete(handler);
      else if (handler !== except) total += reservation.writes;
    }
    return total;
  }

  idle(now: number): boolean {
    return this.users === 0 && this.pausedUntil <= now && this.reserved(now) === 0;
  }

  async slot(): Promise<() => void> {
    if (this.#inFlight >= MAX_CONCURRENT_REQUESTS)
      await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    else this.#inFlight++;
    return () => {
      const next = this.#slotWaiters.shift();
      if (next) next();
      else this.#inFlight--;
    };
  }

  async writeTurn(rank: number): Promise<() => void> {
    if (this.#writing) {
      await new Promise<void>((admit) => this.#writeWaiters.push({ rank, seq: this.#seq++, admit }));
    } else this.#writing = true;
    return () => {
      const next = this.#nextWriter();
      if (next) next.admit();
      else this.#writing = false;
    };
  }

  #nextWriter(): Waiter | undefined {
    let best = -1;
    this.#writeWaiters.forEach((w, i) => {
      const current = this.#writeWaiters[best];
      if (current === undefined || w.rank < current.rank || (w.rank === current.rank && w.seq < current.seq))
        best = i;
    });
    return best === -1 ? undefined : this.#writeWaiters.splice(best, 1)[0];
  }
}

/**
 * The order of a waiting write (lower first): by class, then — among claim writes — the handler
 * furthest into its claim first, so that when the budget runs short whole claims finish (five
 * Deployments out of twenty tokens, not two among six half-made claims); among the other
 * classes, the handler that has made the fewest writes first.
 */
function writeRank(writeKind: number, writesMade: number): number {
  const made = Math.min(writesMade, CLASS_STRIDE - 1);
  return writeKind * CLASS_STRIDE + (writeKind === 0 ? CLASS_STRIDE - 1 - made : made);
}

const lanes = new Map<string, InstallationLane>();
/** The installation and identity of each limited Octokit instance, for `reserveClaimWrites`. */
const handlers = new WeakMap<object, { readonly key: string; readonly clock: LimiterClock }>();

function laneOf(key: string): InstallationLane {
  let lane = lanes.get(key);
  if (lane === undefined) {
    lane = new InstallationLane();
    lanes.set(key, lane);
  }
  return lane;
}

/** The budget key of an Octokit instance: its installation, or the App itself (JWT calls). */
function installationKey(options: Record<string, unknown>): string {
  const auth = options.auth;
  if (typeof auth === 'object' && auth !== null && 'installationId' in auth) {
    const id = auth.installationId;
    if (typeof id === 'number' || typeof id === 'string') return `installation:${id}`;
  }
  return 'app';
}

/** An Octokit error reduced to what the retry decision reads; undefined for other throws. */
function attemptFailure(error: unknown): AttemptFailure | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  const { status } = error;
  if (typeof status !== 'number') return undefined;
  const response = 'response' in error ? error.response : undefined;
  if (typeof response !== 'object' || response === null) return { kind: 'connection' };
  const headers = 'headers' in response ? response.headers : {};
  return {
    kind: 'response',
    status,
    headers:
      typeof headers === 'object' && headers !== null ? (headers as Record<string, string | undefined>) : {},
    message: error instanceof Error ? error.message : '',
  };
}

interface Logger {
  warn(message: string): void;
}

function loggerOf(octokit: Octokit): Logger {
  const log: unknown = (octokit as { log?: unknown }).log;
  if (typeof log === 'object' && log !== null && 'warn' in log && typeof log.warn === 'function')
    return log as Logger;
  return console;
}

function forget(key: string, lane: InstallationLane, now: number): void {
  if (lanes.get(key) === lane && lane.idle(now)) lanes.delete(key);
}

/**
 * Announces that the handler owning `octokit` (a webhook's Octokit) is about to make `writes`
 * claim writes (its 👀, the marker's commit and ref, the Deployment). Until it has made them, made
 * a write of the last class (its claim is over, whatever the outcome), or called the returned
 * function, other handlers' last-class writes leave that many tokens free. Does nothing for an
 * Octokit without the limiter.
 */
export function reserveClaimWrites(octokit: object, writes: number): () => void {
  const handler = handlers.get(octokit);
  if (handler === undefined) return () => undefined;
  const lane = laneOf(handler.key);
  lane.reservations.set(octokit, { writes, expiresAt: handler.clock.now() + RESERVATION_TTL_MS });
  return () => {
    lane.reservations.delete(octokit);
    forget(handler.key, lane, handler.clock.now());
  };
}

/**
 * The Octokit plugin: `Octokit.plugin(githubLimiter)`, configured by the `limiter` option
 * (`LimiterOptions`). Without it the plugin does nothing.
 */
export function githubLimiter(octokit: Octokit, options: Record<string, unknown>): void {
  const config = options.limiter as LimiterOptions | undefined;
  if (config === undefined) return;
  const { budget } = config;
  const clock = config.clock ?? realClock;
  const key = installationKey(options);
  const log = loggerOf(octokit);
  // One Octokit instance per webhook (Probot authenticates each event anew): its writes so far.
  let writesMade = 0;
  handlers.set(octokit, { key, clock });

  octokit.hook.wrap('request', async (request, requestOptions) => {
    // The installation token is created (POST /app/installations/{id}/access_tokens, as the App)
    // from inside the auth hook of the very request that needs it: queueing it behind that
    // request would wait forever. App-level calls count against the App, not the installation.
    if (requestOptions.url.startsWith('/app/')) return request(requestOptions);
    const method = requestOptions.method.toUpperCase();
    const write = isWrite(method);
    const writeKind = write ? writeClass(method, requestOptions.url) : undefined;
    const lane = laneOf(key);
    // A handler's first write of the last class ends its claim: it no longer holds tokens back.
    if (writeKind === AFTER_CLAIM_CLASS) lane.reservations.delete(octokit);
    lane.users++;
    try {
      for (let retries = 0; ; retries++) {
        let releaseSlot = await lane.slot();
        let releaseTurn =
          writeKind === undefined ? undefined : await lane.writeTurn(writeRank(writeKind, writesMade));
        try {
          const pausedFor = lane.pausedUntil - clock.now();
          if (pausedFor > 0) await clock.sleep(pausedFor);
          if (writeKind !== undefined) {
            for (;;) {
              const keep = writeKind === AFTER_CLAIM_CLASS ? lane.reserved(clock.now(), octokit) : 0;
              const wait = await budget.take(key, keep);
              if (wait === 0) break;
              if (keep === 0) {
                await clock.sleep(wait);
                continue;
              }
              // Held back for others' claims: their writes (and the reads before them) must not
              // wait behind this one, so its slot and write turn go back meanwhile.
              releaseTurn?.();
              releaseSlot();
              releaseTurn = undefined;
              releaseSlot = () => undefined;
              await clock.sleep(Math.min(wait, RESERVE_RECHECK_MS));
              releaseSlot = await lane.slot();
              releaseTurn = await lane.writeTurn(writeRank(writeKind, writesMade));
            }
            writesMade++;
            const reservation = lane.reservations.get(octokit);
            if (reservation !== undefined && writeKind < AFTER_CLAIM_CLASS)
              reservation.writes = Math.max(0, reservation.writes - 1);
          }
          return await request(requestOptions);
        } catch (error) {
          const failure = attemptFailure(error);
          if (failure === undefined) throw error;
          const decision = retryDecision(method, failure, retries, clock.now());
          if (!decision.retry) throw error;
          log.warn(
            `GitHub answered ${failure.kind === 'response' ? failure.status : 'a dropped connection'} to ${method} ${requestOptions.url} (${decision.reason}): retrying in ${Math.ceil(decision.afterMs / 1000)} s`,
          );
          if (decision.pauseInstallation) {
            lane.pausedUntil = Math.max(lane.pausedUntil, clock.now() + decision.afterMs);
            await budget.pause(key, decision.afterMs);
          } else await clock.sleep(decision.afterMs);
        } finally {
          releaseTurn?.();
          releaseSlot();
        }
      }
    } finally {
      lane.users--;
      forget(key, lane, clock.now());
    }
  });
}
