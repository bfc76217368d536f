import type { HealthProber } from './probe.ts';
import type { HealthCheckSpec } from './spec.ts';
import { redactUrl } from './redact.ts';
import { judgeResponse, percentile } from './verdict.ts';

/** Time as the check sees it: injected so that deadlines and backoff are testable without sleeping. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** What happened to one URL over the whole check. */
export interface UrlReport {
  readonly url: string;
  readonly healthy: boolean;
  readonly attempts: number;
  readonly lastStatus: number | undefined;
  readonly lastError: string | undefined;
  /** Why it is unhealthy (undefined when healthy). */
  readonly reason: string | undefined;
  readonly latencyP50Ms: number | undefined;
  readonly latencyP95Ms: number | undefined;
  readonly durationMs: number;
}

export interface HealthReport {
  readonly healthy: boolean;
  readonly attempts: number;
  readonly latencyP50Ms: number | undefined;
  readonly latencyP95Ms: number | undefined;
  readonly durationMs: number;
  readonly urls: readonly UrlReport[];
}

/** Progress a person sees in the log, one line per attempt. */
export type AttemptListener = (url: string, attempt: number, outcome: string, ok: boolean) => void;

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Probes every URL in parallel until each has `consecutiveSuccesses` good answers in a row or
 * the overall deadline passes. Failures back off the interval by `backoff` up to `maxIntervalMs`;
 * a success returns to the base interval. Latency is judged on the p95 of all answers of a URL.
 */
export async function runHealthCheck(
  spec: HealthCheckSpec,
  prober: HealthProber,
  clock: Clock = systemClock,
  onAttempt: AttemptListener = () => undefined,
): Promise<HealthReport> {
  const started = clock.now();
  const deadline = started + spec.deadlineMs;
  const reports = await Promise.all(
    spec.urls.map((url) => checkUrl(url, spec, prober, clock, deadline, onAttempt)),
  );
  const samples = reports.flatMap((r) => r.samples);
  return {
    healthy: reports.every((r) => r.report.healthy),
    attempts: reports.reduce((sum, r) => sum + r.report.attempts, 0),
    latencyP50Ms: roundOrUndefined(percentile(samples, 50)),
    latencyP95Ms: roundOrUndefined(percentile(samples, 95)),
    durationMs: Math.round(clock.now() - started),
    urls: reports.map((r) => r.report),
  };
}

async function checkUrl(
  url: URL,
  spec: HealthCheckSpec,
  prober: HealthProber,
  clock: Clock,
  deadline: number,
  onAttempt: AttemptListener,
): Promise<{ report: UrlReport; samples: number[] }> {
  const started = clock.now();
  const samples: number[] = [];
  let attempts = 0;
  let streak = 0;
  let failures = 0;
  let lastStatus: number | undefined;
  let lastError: string | undefined;
  let lastFailure = 'no attempt finished';
  const label = displayUrl(url);

  for (;;) {
    attempts++;
    const timeoutMs = Math.min(spec.timeoutMs, Math.max(1, deadline - clock.now()));
    const outcome = await prober.probe({
      url,
      method: spec.method,
      headers: spec.headers,
      timeoutMs,
      maxRedirects: spec.maxRedirects,
    });
    let failure: string | undefined;
    if (outcome.kind === 'error') {
      lastError = outcome.error;
      lastStatus = undefined;
      failure = outcome.error;
    } else {
      samples.push(outcome.latencyMs);
      lastStatus = outcome.status;
      lastError = undefined;
      const verdict = judgeResponse(spec, outcome);
      if (!verdict.ok) failure = verdict.reason;
    }
    const shown =
      outcome.kind === 'error' ? outcome.error : `${outcome.status} in ${Math.round(outcome.latencyMs)} ms`;
    onAttempt(
      label,
      attempts,
      failure === undefined || failure === shown ? shown : `${shown}: ${failure}`,
      failure === undefined,
    );

    if (failure === undefined) {
      streak++;
      failures = 0;
      if (streak >= spec.consecutiveSuccesses) break;
    } else {
      // An attempt cut short by the overall deadline says nothing new; keep the real failure before it.
      const cutShort =
        timeoutMs < spec.timeoutMs && outcome.kind === 'error' && outcome.error.startsWith('timed out');
      if (!cutShort || failures === 0) lastFailure = failure;
      failures++;
      streak = 0;
    }
    // The first failure waits the base interval; each further failure in a row waits longer.
    const wait =
      failures === 0
        ? spec.intervalMs
        : Math.min(spec.maxIntervalMs, Math.round(spec.intervalMs * spec.backoff ** (failures - 1)));
    if (clock.now() + wait >= deadline) {
      const report: UrlReport = {
        url: label,
        healthy: false,
        attempts,
        lastStatus,
        lastError,
        reason: `deadline of ${spec.deadlineMs} ms exceeded after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${streak > 0 ? `${streak} of ${spec.consecutiveSuccesses} consecutive successes` : lastFailure}`,
        latencyP50Ms: roundOrUndefined(percentile(samples, 50)),
        latencyP95Ms: roundOrUndefined(percentile(samples, 95)),
        durationMs: Math.round(clock.now() - started),
      };
      return { report, samples };
    }
    await clock.sleep(wait);
  }

  const p95 = percentile(samples, 95);
  const overBudget = spec.maxLatencyMs !== undefined && p95 !== undefined && p95 > spec.maxLatencyMs;
  return {
    report: {
      url: label,
      healthy: !overBudget,
      attempts,
      lastStatus,
      lastError,
      reason: overBudget
        ? `p95 latency ${Math.ceil(p95)} ms is over max-latency-ms ${String(spec.maxLatencyMs)}`
        : undefined,
      latencyP50Ms: roundOrUndefined(percentile(samples, 50)),
      latencyP95Ms: roundOrUndefined(p95),
      durationMs: Math.round(clock.now() - started),
    },
    samples,
  };
}

/** The URL as shown in logs and summaries: credentials and secret query values are never printed. */
export function displayUrl(url: URL): string {
  return redactUrl(url.href);
}

function roundOrUndefined(value: number | undefined): number | undefined {
  return value === undefined ? undefined : Math.round(value);
}
