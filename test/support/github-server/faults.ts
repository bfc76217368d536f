/**
 * Failures a test plans for the next calls of an operation: server errors, GitHub's primary and
 * secondary rate limits (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api),
 * or a rewrite of the response body (to prove the response validation, or mimic a GitHub quirk).
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
export type LostAnswer = { readonly kind: 'lost' } | { readonly kind: 'timeout'; readonly delayMs: number };

type Fault =
  | { readonly kind: 'failure'; readonly failure: InjectedFailure }
  | { readonly kind: 'rewrite'; readonly rewrite: ResponseRewrite }
  | { readonly kind: 'after'; readonly after: LostAnswer };

interface PlannedFault {
  readonly operationId: string;
  readonly fault: Fault;
  remaining: number;
}

/** Planned faults, consumed in the order they were planned. `'*'` matches every operation. */
export class FaultPlan {
  readonly #planned: PlannedFault[] = [];

  add(operationId: string, fault: Fault, times: number): void {
    if (!Number.isInteger(times) || times < 1)
      throw new Error(`times must be a whole number ≥ 1, got ${times}`);
    this.#planned.push({ operationId, fault, remaining: times });
  }

  /** The next fault planned for this operation of the given kind, counting it as used. */
  take<K extends Fault['kind']>(operationId: string, kind: K): Extract<Fault, { kind: K }> | undefined {
    const planned = this.#planned.find(
      (p) =>
        p.remaining > 0 && p.fault.kind === kind && (p.operationId === operationId || p.operationId === '*'),
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
