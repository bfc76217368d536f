/**
 * Failures a test plans for the next calls of an operation: server errors, GitHub's primary and
 * secondary rate limits (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api),
 * a rewrite of the response body (to prove the response validation, or mimic a GitHub quirk), or
 * an answer lost after the write happened (the connection drops, or a proxy answers 502, once
 * GitHub has already carried the request out — what a client must reconcile instead of retry).
 */
import type { ApiAnswer } from './routes/handler.ts';

export type InjectedFailure =
  | { readonly status: 401 | 403 | 404 | 422 | 500 | 503; readonly message?: string }
  | {
      /** `primary`: the hourly quota is spent; `secondary`: too many requests too fast. */
      readonly rateLimit: 'primary' | 'secondary';
      /** GitHub answers 403 or 429 for either; 403 by default. */
      readonly status?: 403 | 429;
      /** Seconds until the quota resets (primary) or `retry-after` (secondary); 60 by default. */
      readonly retryAfterSeconds?: number;
    };

/** Rewrites a response body before it is validated and sent. */
export type ResponseRewrite = (body: unknown) => unknown;

/**
 * What happens to the answer of a call that GitHub carried out: `lost` drops the connection
 * without an answer (a proxy or the network failing after GitHub acted); `timeout` answers 502
 * after `delayMs`, as GitHub does when a request runs past its time limit although the work may
 * have been done ("We couldn't respond to your request in time").
 */
export type LostAfterWrite =
  { readonly kind: 'lost' } | { readonly kind: 'timeout'; readonly delayMs: number };

type Fault =
  | { readonly kind: 'failure'; readonly failure: InjectedFailure }
  | { readonly kind: 'rewrite'; readonly rewrite: ResponseRewrite }
  | { readonly kind: 'after'; readonly after: LostAfterWrite };

interface PlannedFault {
  readonly operationId: string;
  readonly fault: Fault;
  /** The one call of the operation it hits (1 = its first since the server started), or any next call. */
  readonly call: number | undefined;
  remaining: number;
}

/**
 * Which calls a planned fault hits: the next `times` calls of the operation, or exactly its
 * `call`-th call since the server started (1 = the first), so that a test can fault a later call
 * of an operation a command makes more than once (the 🚀 reaction after the 👀, the second ref).
 */
export type FaultTarget = number | { readonly call: number };

/** How an answer is lost: the socket is destroyed before any byte, or a 502 replaces the answer. */
export type LostAnswer = 'socket' | 502;

export interface LostAnswerPlan {
  /** The call of the operation (1 = its first call since the server started) whose answer is lost; the next call when omitted. */
  readonly call?: number;
  /** `socket` by default. */
  readonly as?: LostAnswer;
}

interface PlannedLoss {
  readonly operationId: string;
  readonly call: number | undefined;
  readonly as: LostAnswer;
}

/**
 * A call held on arrival, before GitHub carries it out, until the test lets it go: to stop a
 * client at a chosen point of its work (and kill it there), deterministically.
 */
export interface HeldCall {
  /** Resolves once the call has arrived and is held. */
  readonly arrived: Promise<void>;
  /** GitHub carries the call out and answers it, whether or not its client still listens. */
  release(): void;
  /** The call never happens: its connection is closed without an answer. */
  drop(): void;
}

/** What the server does with a held call once the test decides. */
interface HoldHandle {
  readonly operationId: string;
  arrive(carryOut: () => void, drop: () => void): void;
}

/** Planned faults, consumed in the order they were planned. `'*'` matches every operation. */
export class FaultPlan {
  readonly #planned: PlannedFault[] = [];
  readonly #losses: PlannedLoss[] = [];
  readonly #callCounts = new Map<string, number>();
  readonly #holds: HoldHandle[] = [];

  /** Holds the next call of the operation on arrival (see `HeldCall`). */
  hold(operationId: string): HeldCall {
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    let decided: 'release' | 'drop' | undefined;
    let pending: { carryOut: () => void; drop: () => void } | undefined;
    const decide = (how: 'release' | 'drop'): void => {
      if (decided !== undefined) throw new Error(`the held ${operationId} call was let go already`);
      decided = how;
      if (pending !== undefined) (how === 'release' ? pending.carryOut : pending.drop)();
    };
    this.#holds.push({
      operationId,
      arrive: (carryOut, drop) => {
        pending = { carryOut, drop };
        arrived();
        if (decided !== undefined) (decided === 'release' ? carryOut : drop)();
      },
    });
    return {
      arrived: arrival,
      release: () => {
        decide('release');
      },
      drop: () => {
        decide('drop');
      },
    };
  }

  /** The hold planned for this call of the operation, if any, counting it as used. */
  takeHold(operationId: string): HoldHandle | undefined {
    const index = this.#holds.findIndex((h) => h.operationId === operationId || h.operationId === '*');
    return index < 0 ? undefined : this.#holds.splice(index, 1)[0];
  }

  /** Counts a call of the operation and returns its number (1 for the first). */
  countCall(operationId: string): number {
    const count = (this.#callCounts.get(operationId) ?? 0) + 1;
    this.#callCounts.set(operationId, count);
    return count;
  }

  loseAnswer(operationId: string, plan: LostAnswerPlan): void {
    if (plan.call !== undefined && (!Number.isInteger(plan.call) || plan.call < 1))
      throw new Error(`call must be a whole number ≥ 1, got ${plan.call}`);
    this.#losses.push({ operationId, call: plan.call, as: plan.as ?? 'socket' });
  }

  /** Whether the answer to this call (already carried out) is to be lost, and how; counts the plan as used. */
  takeLoss(operationId: string, call: number): LostAnswer | undefined {
    const index = this.#losses.findIndex(
      (loss) =>
        (loss.operationId === operationId || loss.operationId === '*') &&
        (loss.call === undefined || loss.call === call),
    );
    if (index < 0) return undefined;
    const [loss] = this.#losses.splice(index, 1);
    return loss?.as;
  }

  add(operationId: string, fault: Fault, target: FaultTarget): void {
    const [times, call] = typeof target === 'number' ? [target, undefined] : [1, target.call];
    if (!Number.isInteger(times) || times < 1)
      throw new Error(`times must be a whole number ≥ 1, got ${times}`);
    if (call !== undefined && (!Number.isInteger(call) || call < 1))
      throw new Error(`call must be a whole number ≥ 1, got ${call}`);
    this.#planned.push({ operationId, fault, call, remaining: times });
  }

  /**
   * The next fault of the given kind planned for this call (the `call`-th of the operation),
   * counting it as used. With `targetedOnly`, only a fault planned for exactly this call counts:
   * a lost answer planned for "the next call" waits for a call GitHub carries out, while one
   * planned for the `call`-th hits it whatever its answer (a 404 can be lost on the way too).
   */
  take<K extends Fault['kind']>(
    operationId: string,
    kind: K,
    call: number,
    targetedOnly = false,
  ): Extract<Fault, { kind: K }> | undefined {
    const planned = this.#planned.find(
      (p) =>
        p.remaining > 0 &&
        p.fault.kind === kind &&
        (p.operationId === operationId || p.operationId === '*') &&
        (p.call === undefined ? !targetedOnly : p.call === call),
    );
    if (!planned) return undefined;
    planned.remaining--;
    return planned.fault as Extract<Fault, { kind: K }>;
  }
}

/** The answer GitHub gives for a failure; `who` names the caller as rate-limit messages do. */
export function failureAnswer(failure: InjectedFailure, who: string, now: Date): ApiAnswer {
  if (!('rateLimit' in failure)) {
    const message = failure.message ?? (failure.status >= 500 ? 'Server Error' : 'Injected failure');
    return {
      status: failure.status,
      body: { message, documentation_url: 'https://docs.github.com/rest', status: String(failure.status) },
    };
  }
  const status = failure.status ?? 403;
  const wait = failure.retryAfterSeconds ?? 60;
  if (failure.rateLimit === 'secondary') {
    return {
      status,
      headers: { 'retry-after': String(wait) },
      body: {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        documentation_url:
          'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits',
        status: String(status),
      },
    };
  }
  return {
    status,
    headers: {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-used': '5000',
      'x-ratelimit-reset': String(Math.ceil(now.getTime() / 1000) + wait),
      'x-ratelimit-resource': 'core',
    },
    body: {
      message: `API rate limit exceeded for ${who}.`,
      documentation_url:
        'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-primary-rate-limits',
      status: String(status),
    },
  };
}
