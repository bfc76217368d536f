/**
 * Writes that survive a lost answer. A POST that failed (5xx, a dropped connection, a timeout,
 * a secondary rate limit) may still have been carried out by GitHub, so it is never simply sent
 * again: the write's own evidence is read back first (a Deployment by its `payload.comment_id`,
 * a check run by its `external_id`, a reply by its hidden marker). Only when that read shows the
 * write did not happen is it sent once more, and only for failures that say "try again".
 */

/** GitHub's secondary limit asks for a pause (`retry-after`); longer than this is not waited for. */
const LONGEST_WAIT_MS = 5_000;

interface HttpFailure {
  readonly status?: number;
  readonly response?: { readonly headers?: Readonly<Record<string, string | undefined>> };
}

/** How long to wait before sending a write again after `error`, or undefined when it must not be. */
export function retryDelay(error: unknown): number | undefined {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as HttpFailure;
  const status = failure.status;
  // Octokit reports a dropped connection or a timeout as status 500 (`@octokit/request`).
  if (status === undefined || status >= 500) return 0;
  if (status !== 403 && status !== 429) return undefined;
  const after = Number(failure.response?.headers?.['retry-after']);
  if (!Number.isFinite(after)) return undefined;
  const ms = after * 1000;
  return ms <= LONGEST_WAIT_MS ? ms : undefined;
}

/** The clock a reconciled write waits on; tests and production pass the real one. */
export type Sleep = (ms: number) => Promise<void>;

const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Carries out `write`; after a failure, `find` says whether GitHub did it anyway (its result, or
 * undefined). Sends the write once more only when it did not happen and the failure allows it.
 */
export async function reconciledWrite<T>(
  write: () => Promise<T>,
  find: () => Promise<T | undefined>,
  sleep: Sleep = realSleep,
): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const found = await find();
    if (found !== undefined) return found;
    const delay = retryDelay(error);
    if (delay === undefined) throw error;
    await sleep(delay);
    try {
      return await write();
    } catch (again) {
      const late = await find();
      if (late !== undefined) return late;
      throw again;
    }
  }
}
