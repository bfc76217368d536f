/**
 * What the App may send to GitHub, and when: GitHub's stated secondary limits as numbers, and the
 * retry decision for a failed request. Pure functions over plain data; the Octokit hook in
 * `limiter.ts` and the budgets in `budget.ts` / `redis-budget.ts` carry them out.
 *
 * Sources:
 * - https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits
 *   "no more than 80 content-generating requests per minute and no more than 500 content-generating
 *   requests per hour"; "No more than 100 concurrent requests are allowed".
 * - https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api
 *   "make requests serially instead of concurrently"; on a rate-limit error: "If the retry-after
 *   response header is present, you should not retry your request until after that many seconds
 *   has elapsed. If the x-ratelimit-remaining header is 0, you should not make another request until
 *   after the time specified by the x-ratelimit-reset header [UTC epoch seconds]. Otherwise, wait for
 *   at least one minute before retrying", with exponentially longer waits and an error after a few.
 */

/** Content-creating requests one installation may make: GitHub's secondary limits. */
export interface WriteLimits {
  readonly perMinute: number;
  readonly perHour: number;
}

export const GITHUB_WRITE_LIMITS: WriteLimits = { perMinute: 80, perHour: 500 };

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
/**
 * A token comes back one window *and two seconds* after it was spent: two writes admitted
 * exactly 60 s apart can reach GitHub less than 60 s apart (the first one travelled or waited
 * on a busy event loop longer). It costs a sustained rate of 80 per 62 s instead of per 60 s.
 */
export const WINDOW_MARGIN_MS = 2_000;

/**
 * Requests of one installation in flight at once. GitHub allows 100 concurrent requests; reads
 * stay well below that and writes go one at a time ("serially").
 */
export const MAX_CONCURRENT_REQUESTS = 10;

/** GitHub's wait when a secondary limit answers without `retry-after`: "at least one minute". */
export const SECONDARY_LIMIT_DEFAULT_WAIT_MS = MINUTE_MS;

/** Attempts after the first: for rate limits (GitHub: "throw an error after a specific number"). */
export const MAX_RATE_LIMIT_RETRIES = 3;
/** Attempts after the first for an idempotent request that met a 5xx or a dropped connection. */
export const MAX_SERVER_ERROR_RETRIES = 3;
/** A wait longer than this is not waited out inside a webhook handler: the request fails. */
export const MAX_RETRY_WAIT_MS = 15 * MINUTE_MS;

/**
 * Mutative requests count against the content-creating budget. GitHub does not list which
 * endpoints "generate content"; its best practices pause between "POST, PATCH, PUT, or DELETE
 * requests", so every one of them is counted.
 */
export function isWrite(method: string): boolean {
  return method === 'POST' || method === 'PATCH' || method === 'PUT' || method === 'DELETE';
}

/**
 * How urgent a write is: 0 for what a Deployment waits on (git trees, commits and refs under
 * `refs/rollgate/`, the Deployment itself), 1 for reactions (the 👀 a user waits to see), 2 for
 * the rest. Known from the route alone, so handlers need not say.
 */
export function writeClass(method: string, url: string): number {
  if (method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/deployments$/.test(url)) return 0;
  if (/^\/repos\/[^/]+\/[^/]+\/git\/(commits|refs|trees)\b/.test(url)) return 0;
  if (/\/reactions$/.test(url)) return 1;
  return 2;
}

/**
 * Methods whose repetition leaves GitHub as one request would (RFC 9110 §9.2.2: GET, HEAD,
 * OPTIONS, PUT, DELETE). A POST or PATCH whose answer was lost may have been carried out:
 * repeating it can create a second Deployment or comment, so the handler reconciles instead.
 */
export function isIdempotent(method: string): boolean {
  return (
    method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || method === 'PUT' || method === 'DELETE'
  );
}

/** What came back from one attempt, reduced to what the retry decision needs. */
export type AttemptFailure =
  | {
      readonly kind: 'response';
      readonly status: number;
      /** Lower-case header names. */
      readonly headers: Readonly<Record<string, string | number | undefined>>;
      readonly message: string;
    }
  | { readonly kind: 'connection' };

export type RetryDecision =
  | { readonly retry: false; readonly reason: string }
  | {
      readonly retry: true;
      readonly afterMs: number;
      /** A rate limit: every request of the installation waits, not only this one. */
      readonly pauseInstallation: boolean;
      readonly reason: string;
    };

/**
 * The wait GitHub asks for when `failure` is a rate-limit answer (403 or 429), or undefined when
 * it is not one: `retry-after` first, then `x-ratelimit-reset` when the quota is spent, then a
 * minute for a secondary limit that named no time.
 */
export function rateLimitWait(failure: AttemptFailure, nowMs: number): number | undefined {
  if (failure.kind !== 'response' || (failure.status !== 403 && failure.status !== 429)) return undefined;
  const retryAfter = Number(failure.headers['retry-after']);
  if (failure.headers['retry-after'] !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0)
    return retryAfter * 1000;
  if (String(failure.headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(failure.headers['x-ratelimit-reset']);
    if (Number.isFinite(reset)) return Math.max(0, reset * 1000 - nowMs);
  }
  if (/secondary rate limit/i.test(failure.message) || failure.status === 429)
    return SECONDARY_LIMIT_DEFAULT_WAIT_MS;
  // A 403 that is not a limit (a missing permission): not GitHub asking to wait.
  return undefined;
}

/**
 * Whether to try `method` again after `failure`, the `retries`-th retry already spent.
 * A rate-limit answer means GitHub did not act, so every method is retried after the wait it
 * asks for. A 5xx or a dropped connection leaves a write's fate unknown: only idempotent
 * requests are retried, with exponential backoff (0.5 s, 1 s, 2 s).
 */
export function retryDecision(
  method: string,
  failure: AttemptFailure,
  retries: number,
  nowMs: number,
): RetryDecision {
  const limited = rateLimitWait(failure, nowMs);
  if (limited !== undefined) {
    if (retries >= MAX_RATE_LIMIT_RETRIES)
      return { retry: false, reason: `still rate limited after ${retries} retries` };
    // GitHub: wait exponentially longer when a limit keeps answering.
    const afterMs = limited * 2 ** retries;
    if (afterMs > MAX_RETRY_WAIT_MS)
      return {
        retry: false,
        reason: `GitHub asks to wait ${Math.ceil(afterMs / 1000)} s, longer than a handler waits`,
      };
    return { retry: true, afterMs, pauseInstallation: true, reason: 'rate limited' };
  }
  const serverSide = failure.kind === 'connection' || failure.status >= 500;
  if (!serverSide) return { retry: false, reason: 'a client error is not retried' };
  if (!isIdempotent(method))
    return { retry: false, reason: `${method} is not idempotent: it may have been carried out` };
  if (retries >= MAX_SERVER_ERROR_RETRIES) return { retry: false, reason: `failed ${retries + 1} times` };
  return { retry: true, afterMs: 500 * 2 ** retries, pauseInstallation: false, reason: 'server error' };
}

/**
 * The sliding-window budget of content-creating requests: each write spends a token of the
 * minute's 80 and of the hour's 500, and each token comes back one window after it was spent.
 * A command's writes go at full speed while tokens last (a token bucket whose refill is the
 * window itself), and no 60 s or 3600 s window ever holds more than the limit — which a bucket
 * of 80 refilling at 80/min would break (up to 160 in a minute).
 *
 * `spent` holds the times (ms, ascending) of the writes of the last hour. `keepFree` tokens of
 * each window are left for others (the claims commands have announced, `limiter.ts`): the write
 * may take a token only if that many stay free after it. Returns 0 when a write may go now,
 * otherwise how long until enough tokens come back.
 */
export function writeWait(
  spent: readonly number[],
  nowMs: number,
  limits: WriteLimits,
  keepFree = 0,
): number {
  const hourMs = HOUR_MS + WINDOW_MARGIN_MS;
  const minuteMs = MINUTE_MS + WINDOW_MARGIN_MS;
  const perHour = limits.perHour - keepFree;
  const perMinute = limits.perMinute - keepFree;
  // Every token is spoken for: wait for one window, or for the claims to be made (the caller rechecks).
  if (perMinute <= 0 || perHour <= 0) return minuteMs;
  const hour = spent.filter((t) => t > nowMs - hourMs);
  if (hour.length >= perHour) return (hour[hour.length - perHour] ?? nowMs) + hourMs - nowMs;
  const minute = hour.filter((t) => t > nowMs - minuteMs);
  if (minute.length >= perMinute) return (minute[minute.length - perMinute] ?? nowMs) + minuteMs - nowMs;
  return 0;
}
