import { describe, expect, test } from '@jest/globals';
import { displayUrl, runHealthCheck, type Clock, type HealthReport } from '../../src/health/check.ts';
import type { HealthProber, ProbeOutcome, ProbeRequest } from '../../src/health/probe.ts';
import type { HealthCheckSpec } from '../../src/health/spec.ts';

/**
 * Virtual time: `sleep` parks the caller until `run` advances the clock to its wake-up time.
 * Several sleepers (one per URL) wake in time order, so parallel checks see one shared timeline.
 */
class VirtualClock implements Clock {
  #now = 0;
  readonly #timers: { at: number; wake: () => void }[] = [];
  /** Every wait the check asked for, in order. */
  readonly sleeps: number[] = [];

  now(): number {
    return this.#now;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((wake) => this.#timers.push({ at: this.#now + ms, wake }));
  }

  /** Time passing inside a probe (its latency), without counting as a wait of the check. */
  elapse(ms: number): void {
    this.#now += ms;
  }

  /** Drives `work` to completion, jumping from one wake-up to the next instead of sleeping. */
  async run<T>(work: Promise<T>): Promise<T> {
    const progress = { settled: false };
    const tracked = work.finally(() => {
      progress.settled = true;
    });
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (progress.settled) return tracked;
      this.#timers.sort((a, b) => a.at - b.at);
      const next = this.#timers.shift();
      if (next === undefined) throw new Error('the check is waiting on something other than the clock');
      this.#now = Math.max(this.#now, next.at);
      next.wake();
    }
  }
}

interface Call extends Omit<ProbeRequest, 'url'> {
  readonly url: string;
  readonly at: number;
}

/** What one attempt returns; `takesMs` is time spent inside the probe. */
type Step = (ProbeOutcome & { readonly takesMs?: number }) | 'ok' | 'fail';

const ok = (latencyMs = 10): ProbeOutcome => ({
  kind: 'response',
  status: 200,
  body: 'ok',
  latencyMs,
  url: '',
});
const fail = (status = 503, latencyMs = 10): ProbeOutcome => ({
  kind: 'response',
  status,
  body: 'down',
  latencyMs,
  url: '',
});
const refused = {
  kind: 'error',
  error: 'connection refused (ECONNREFUSED): nothing listens on that port',
  latencyMs: 1,
} as const satisfies ProbeOutcome;

/** A prober that plays a script per URL (the last step repeats) and records every request. */
class ScriptedProber implements HealthProber {
  readonly calls: Call[] = [];
  closed = false;
  readonly #scripts: Map<string, readonly Step[]>;
  readonly #clock: VirtualClock;

  constructor(clock: VirtualClock, scripts: Record<string, readonly Step[]>) {
    this.#clock = clock;
    this.#scripts = new Map(Object.entries(scripts));
  }

  probe(request: ProbeRequest): Promise<ProbeOutcome> {
    const href = request.url.href;
    const script = this.#scripts.get(href);
    if (script === undefined || script.length === 0) throw new Error(`no script for ${href}`);
    const attempt = this.calls.filter((c) => c.url === href).length;
    this.calls.push({ ...request, url: href, at: this.#clock.now() });
    const step = script[Math.min(attempt, script.length - 1)]!;
    const outcome: Exclude<Step, string> = step === 'ok' ? ok() : step === 'fail' ? fail() : step;
    if (outcome.takesMs !== undefined) this.#clock.elapse(outcome.takesMs);
    return Promise.resolve(outcome.kind === 'response' ? { ...outcome, url: href } : outcome);
  }

  close(): void {
    this.closed = true;
  }
}

const URL_A = 'https://a.example.com/healthz';
const URL_B = 'https://b.example.com/healthz';

function spec(overrides: Partial<HealthCheckSpec> = {}): HealthCheckSpec {
  return {
    urls: [new URL(URL_A)],
    method: 'GET',
    headers: {},
    expectedStatus: [{ min: 200, max: 299 }],
    expectBody: undefined,
    expectJson: [],
    timeoutMs: 5000,
    intervalMs: 1000,
    maxIntervalMs: 15_000,
    backoff: 1,
    deadlineMs: 600_000,
    consecutiveSuccesses: 1,
    maxLatencyMs: undefined,
    maxRedirects: 5,
    ...overrides,
  };
}

interface Outcome {
  readonly report: HealthReport;
  readonly clock: VirtualClock;
  readonly prober: ScriptedProber;
  readonly attempts: { url: string; attempt: number; outcome: string; ok: boolean }[];
}

async function check(
  overrides: Partial<HealthCheckSpec>,
  scripts: Record<string, readonly Step[]>,
): Promise<Outcome> {
  const clock = new VirtualClock();
  const prober = new ScriptedProber(clock, scripts);
  const attempts: Outcome['attempts'] = [];
  const report = await clock.run(
    runHealthCheck(spec(overrides), prober, clock, (url, attempt, outcome, good) => {
      attempts.push({ url, attempt, outcome, ok: good });
    }),
  );
  return { report, clock, prober, attempts };
}

const failures = (n: number): Step[] => Array.from({ length: n }, () => 'fail');

describe('runHealthCheck: a single URL', () => {
  test('is healthy after one good answer, without waiting', async () => {
    const { report, clock, prober } = await check({}, { [URL_A]: [ok(42)] });
    expect(report).toEqual({
      healthy: true,
      attempts: 1,
      latencyP50Ms: 42,
      latencyP95Ms: 42,
      durationMs: 0,
      urls: [
        {
          url: URL_A,
          healthy: true,
          attempts: 1,
          lastStatus: 200,
          lastError: undefined,
          reason: undefined,
          latencyP50Ms: 42,
          latencyP95Ms: 42,
          durationMs: 0,
        },
      ],
    });
    expect(clock.sleeps).toEqual([]);
    expect(prober.calls).toHaveLength(1);
  });

  test('sends the method, headers and redirect limit of the spec with every probe', async () => {
    const headers = { authorization: 'Bearer t', accept: 'application/json' };
    const { prober } = await check(
      { method: 'HEAD', headers, maxRedirects: 0, timeoutMs: 1234 },
      { [URL_A]: ['fail', 'ok'] },
    );
    expect(prober.calls).toEqual([
      { url: URL_A, method: 'HEAD', headers, timeoutMs: 1234, maxRedirects: 0, at: 0 },
      { url: URL_A, method: 'HEAD', headers, timeoutMs: 1234, maxRedirects: 0, at: 1000 },
    ]);
  });

  test('judges answers against the expectations (a 200 with the wrong body is a failure)', async () => {
    const wrongBody: Step = { kind: 'response', status: 200, body: 'starting', latencyMs: 5, url: '' };
    const { report, attempts } = await check(
      { expectBody: { kind: 'substring', text: 'ready' } },
      { [URL_A]: [wrongBody, { ...wrongBody, body: 'ready' }] },
    );
    expect(report.healthy).toBe(true);
    expect(attempts.map((a) => [a.outcome, a.ok])).toEqual([
      ["200 in 5 ms: body does not contain 'ready'", false],
      ['200 in 5 ms', true],
    ]);
  });

  test('reports each answer to the listener with its status, rounded latency and verdict', async () => {
    const { attempts } = await check({}, { [URL_A]: [fail(503, 12.4), fail(404, 3), ok(7.6)] });
    expect(attempts).toEqual([
      { url: URL_A, attempt: 1, outcome: '503 in 12 ms: expected status 200-299, got 503', ok: false },
      { url: URL_A, attempt: 2, outcome: '404 in 3 ms: expected status 200-299, got 404', ok: false },
      { url: URL_A, attempt: 3, outcome: '200 in 8 ms', ok: true },
    ]);
  });

  test('reports a transport error to the listener as a failed attempt', async () => {
    const { attempts } = await check({}, { [URL_A]: [refused, 'ok'] });
    expect(attempts.map((a) => [a.attempt, a.ok])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(attempts[0]?.outcome).toMatch(
      /^connection refused \(ECONNREFUSED\): nothing listens on that port/,
    );
  });
});

describe('runHealthCheck: waits between attempts', () => {
  test.each([
    {
      name: 'a fixed interval with backoff 1',
      spec: { intervalMs: 1000, backoff: 1, maxIntervalMs: 15_000 },
      script: [...failures(4), 'ok'] as Step[],
      waits: [1000, 1000, 1000, 1000],
    },
    {
      name: 'doubling, capped at max-interval',
      spec: { intervalMs: 1000, backoff: 2, maxIntervalMs: 5000 },
      script: [...failures(6), 'ok'] as Step[],
      waits: [1000, 2000, 4000, 5000, 5000, 5000],
    },
    {
      name: 'the action defaults (2s × 1.5 up to 15s)',
      spec: { intervalMs: 2000, backoff: 1.5, maxIntervalMs: 15_000 },
      script: [...failures(7), 'ok'] as Step[],
      waits: [2000, 3000, 4500, 6750, 10_125, 15_000, 15_000],
    },
    {
      name: 'rounded to whole milliseconds',
      spec: { intervalMs: 1000, backoff: 1.5, maxIntervalMs: 60_000 },
      script: [...failures(5), 'ok'] as Step[],
      waits: [1000, 1500, 2250, 3375, 5063],
    },
    {
      name: 'max-interval equal to interval (no growth)',
      spec: { intervalMs: 500, backoff: 3, maxIntervalMs: 500 },
      script: [...failures(3), 'ok'] as Step[],
      waits: [500, 500, 500],
    },
    {
      name: 'back to the base interval after a success',
      spec: { intervalMs: 1000, backoff: 2, maxIntervalMs: 60_000, consecutiveSuccesses: 2 },
      script: ['fail', 'fail', 'fail', 'ok', 'fail', 'fail', 'ok', 'ok'] as Step[],
      waits: [1000, 2000, 4000, 1000, 1000, 2000, 1000],
    },
    {
      name: 'the base interval between successes in a streak',
      spec: { intervalMs: 750, backoff: 2, maxIntervalMs: 60_000, consecutiveSuccesses: 4 },
      script: ['ok'] as Step[],
      waits: [750, 750, 750],
    },
    {
      name: 'transport errors backing off like bad answers',
      spec: { intervalMs: 100, backoff: 2, maxIntervalMs: 60_000 },
      script: [refused, fail(500), refused, 'ok'] as Step[],
      waits: [100, 200, 400],
    },
  ])('$name', async ({ spec: overrides, script, waits }) => {
    const { report, clock, prober } = await check(overrides, { [URL_A]: script });
    expect(report.healthy).toBe(true);
    expect(clock.sleeps).toEqual(waits);
    expect(report.attempts).toBe(waits.length + 1);
    const starts = prober.calls.map((c) => c.at);
    expect(starts).toEqual(waits.reduce<number[]>((at, wait) => [...at, at.at(-1)! + wait], [0]));
    expect(report.durationMs).toBe(waits.reduce((sum, wait) => sum + wait, 0));
  });
});

describe('runHealthCheck: consecutive successes', () => {
  test.each([
    { needed: 1, script: ['ok'], attempts: 1 },
    { needed: 3, script: ['ok'], attempts: 3 },
    { needed: 3, script: ['ok', 'ok', 'fail', 'ok'], attempts: 6 },
    { needed: 2, script: ['ok', 'fail', 'ok', 'fail', 'ok'], attempts: 6 },
    { needed: 2, script: ['fail', 'fail', 'ok'], attempts: 4 },
  ] as { needed: number; script: Step[]; attempts: number }[])(
    '$needed in a row over $script takes $attempts attempts',
    async ({ needed, script, attempts }) => {
      const { report } = await check({ consecutiveSuccesses: needed }, { [URL_A]: script });
      expect(report.urls[0]).toMatchObject({ healthy: true, attempts, reason: undefined });
    },
  );

  test('a failure resets the streak, so a deadline hit mid-streak reports how far it got', async () => {
    const { report } = await check(
      { consecutiveSuccesses: 3, intervalMs: 1000, deadlineMs: 5000 },
      { [URL_A]: ['ok', 'ok', 'fail', 'ok', 'ok', 'ok'] },
    );
    expect(report.urls[0]).toMatchObject({
      healthy: false,
      attempts: 5,
      lastStatus: 200,
      reason: 'deadline of 5000 ms exceeded after 5 attempts: 2 of 3 consecutive successes',
    });
  });
});

describe('runHealthCheck: deadline', () => {
  test.each([
    { name: 'fixed interval', deadlineMs: 3500, intervalMs: 1000, backoff: 1, starts: [0, 1000, 2000, 3000] },
    {
      name: 'a wait that would end exactly at the deadline',
      deadlineMs: 3000,
      intervalMs: 1000,
      backoff: 1,
      starts: [0, 1000, 2000],
    },
    { name: 'backoff', deadlineMs: 10_000, intervalMs: 1000, backoff: 2, starts: [0, 1000, 3000, 7000] },
    {
      name: 'an interval longer than the deadline',
      deadlineMs: 500,
      intervalMs: 1000,
      backoff: 1,
      starts: [0],
    },
  ])('stops probing before the deadline ($name)', async ({ deadlineMs, intervalMs, backoff, starts }) => {
    const { report, prober } = await check(
      { deadlineMs, intervalMs, backoff, maxIntervalMs: 60_000 },
      { [URL_A]: ['fail'] },
    );
    expect(prober.calls.map((c) => c.at)).toEqual(starts);
    expect(prober.calls.every((c) => c.at < deadlineMs)).toBe(true);
    const n = starts.length;
    expect(report).toMatchObject({ healthy: false, attempts: n, durationMs: starts.at(-1) });
    expect(report.urls[0]).toMatchObject({
      healthy: false,
      attempts: n,
      lastStatus: 503,
      lastError: undefined,
      reason: `deadline of ${deadlineMs} ms exceeded after ${n} attempt${n === 1 ? '' : 's'}: expected status 200-299, got 503`,
    });
  });

  test('names the last transport error when no answer came', async () => {
    const { report } = await check({ deadlineMs: 2500, intervalMs: 1000 }, { [URL_A]: [refused] });
    expect(report.urls[0]).toMatchObject({
      healthy: false,
      attempts: 3,
      lastStatus: undefined,
      lastError: 'connection refused (ECONNREFUSED): nothing listens on that port',
      reason:
        'deadline of 2500 ms exceeded after 3 attempts: connection refused (ECONNREFUSED): nothing listens on that port',
      latencyP50Ms: undefined,
      latencyP95Ms: undefined,
    });
    expect(report.latencyP50Ms).toBeUndefined();
    expect(report.latencyP95Ms).toBeUndefined();
  });

  test('a later answer clears the last error, and a later error clears the last status', async () => {
    const answered = await check({ deadlineMs: 1500 }, { [URL_A]: [refused, fail(502)] });
    expect(answered.report.urls[0]).toMatchObject({ lastStatus: 502, lastError: undefined });
    const erred = await check({ deadlineMs: 1500 }, { [URL_A]: [fail(502), refused] });
    expect(erred.report.urls[0]).toMatchObject({ lastStatus: undefined, lastError: refused.error });
  });

  test('a success that lands after a slow probe still counts', async () => {
    const slow: Step = { ...ok(4000), takesMs: 4000 };
    const { report } = await check({ deadlineMs: 3000, timeoutMs: 5000 }, { [URL_A]: [slow] });
    expect(report).toMatchObject({ healthy: true, attempts: 1, durationMs: 4000 });
  });
});

describe('runHealthCheck: per-request timeout', () => {
  test('is the timeout while the deadline is far, then what remains of the deadline', async () => {
    const slowFailure: Step = { ...fail(503, 4000), takesMs: 4000 };
    const { prober } = await check(
      { timeoutMs: 5000, intervalMs: 1000, backoff: 1, deadlineMs: 12_000 },
      { [URL_A]: [slowFailure] },
    );
    expect(prober.calls.map((c) => [c.at, c.timeoutMs])).toEqual([
      [0, 5000],
      [5000, 5000],
      [10_000, 2000],
    ]);
  });

  test.each([
    { deadlineMs: 20_000, timeoutMs: 5000, expected: 5000 },
    { deadlineMs: 5000, timeoutMs: 5000, expected: 5000 },
    { deadlineMs: 3000, timeoutMs: 5000, expected: 3000 },
    { deadlineMs: 1, timeoutMs: 5000, expected: 1 },
  ])(
    'on the first attempt is min(timeout $timeoutMs, deadline $deadlineMs)',
    async ({ deadlineMs, timeoutMs, expected }) => {
      const { prober } = await check({ deadlineMs, timeoutMs }, { [URL_A]: ['ok'] });
      expect(prober.calls[0]?.timeoutMs).toBe(expected);
    },
  );
});

test('reports the real failure, not the attempt the deadline cut short', async () => {
  const cutShort: Step = { kind: 'error', error: 'timed out after 2000 ms', latencyMs: 2000, takesMs: 2000 };
  const { report } = await check(
    { timeoutMs: 5000, intervalMs: 1000, backoff: 1, deadlineMs: 3500 },
    { [URL_A]: [{ ...fail(503, 500), takesMs: 500 }, cutShort] },
  );
  expect(report.urls[0]?.reason).toMatch(/: expected status 200-299, got 503$/);
});

describe('runHealthCheck: latency budget', () => {
  test.each([
    { name: 'under the budget', latencies: [100], max: 200, healthy: true, p95: 100 },
    { name: 'exactly at the budget', latencies: [200], max: 200, healthy: true, p95: 200 },
    { name: 'over the budget', latencies: [250], max: 200, healthy: false, p95: 250 },
    { name: 'no budget set', latencies: [9000], max: undefined, healthy: true, p95: 9000 },
    {
      name: 'a slow failed answer before the success counts',
      latencies: [900, 100],
      max: 500,
      healthy: false,
      p95: 900,
    },
    {
      name: 'one slow answer in twenty is the p95',
      latencies: [...Array.from({ length: 19 }, () => 100), 900],
      max: 500,
      healthy: true,
      p95: 100,
    },
    {
      name: 'two slow answers in twenty reach the p95',
      latencies: [...Array.from({ length: 18 }, () => 100), 900, 900],
      max: 500,
      healthy: false,
      p95: 900,
    },
  ])('$name', async ({ latencies, max, healthy, p95 }) => {
    const script: Step[] = latencies.map((ms, i) => (i < latencies.length - 1 ? fail(503, ms) : ok(ms)));
    const { report } = await check({ maxLatencyMs: max }, { [URL_A]: script });
    expect(report.healthy).toBe(healthy);
    expect(report.urls[0]).toMatchObject({
      healthy,
      attempts: latencies.length,
      latencyP95Ms: p95,
      reason: healthy ? undefined : `p95 latency ${p95} ms is over max-latency-ms ${String(max)}`,
    });
  });

  test('transport errors are not latency samples', async () => {
    const timedOut: Step = { kind: 'error', error: 'timed out after 5000 ms', latencyMs: 5000 };
    const { report } = await check({ maxLatencyMs: 500 }, { [URL_A]: [timedOut, ok(100)] });
    expect(report).toMatchObject({ healthy: true, latencyP50Ms: 100, latencyP95Ms: 100 });
  });

  test('reports rounded p50 and p95 of the answers', async () => {
    const { report } = await check(
      { consecutiveSuccesses: 4 },
      { [URL_A]: [ok(10.4), ok(20.6), ok(30.5), ok(99.5)] },
    );
    expect(report.urls[0]).toMatchObject({ latencyP50Ms: 21, latencyP95Ms: 100 });
    expect(report).toMatchObject({ latencyP50Ms: 21, latencyP95Ms: 100 });
  });
});

describe('runHealthCheck: several URLs', () => {
  test('probes them in parallel and is healthy when all are', async () => {
    const { report, prober } = await check(
      { urls: [new URL(URL_A), new URL(URL_B)] },
      { [URL_A]: [ok(10)], [URL_B]: ['fail', 'fail', ok(40)] },
    );
    expect(report).toMatchObject({ healthy: true, attempts: 4, durationMs: 2000 });
    expect(report.urls.map((u) => [u.url, u.healthy, u.attempts, u.durationMs])).toEqual([
      [URL_A, true, 1, 0],
      [URL_B, true, 3, 2000],
    ]);
    expect(prober.calls.map((c) => [c.url, c.at])).toEqual([
      [URL_A, 0],
      [URL_B, 0],
      [URL_B, 1000],
      [URL_B, 2000],
    ]);
  });

  test('is unhealthy when any one is, keeping each URL’s own verdict', async () => {
    const { report } = await check(
      { urls: [new URL(URL_A), new URL(URL_B)], deadlineMs: 2500 },
      { [URL_A]: ['ok'], [URL_B]: [refused] },
    );
    expect(report.healthy).toBe(false);
    expect(report.attempts).toBe(1 + 3);
    expect(report.urls.map((u) => [u.url, u.healthy, u.reason])).toEqual([
      [URL_A, true, undefined],
      [URL_B, false, `deadline of 2500 ms exceeded after 3 attempts: ${refused.error}`],
    ]);
  });

  test('is unhealthy when none is, summing the attempts of all', async () => {
    const urls = [URL_A, URL_B, 'http://c.example.com:8080/ready'];
    const { report } = await check(
      { urls: urls.map((u) => new URL(u)), deadlineMs: 3500 },
      Object.fromEntries(urls.map((u) => [u, ['fail'] as Step[]])),
    );
    expect(report).toMatchObject({ healthy: false, attempts: 12, durationMs: 3000 });
    expect(report.urls.map((u) => u.attempts)).toEqual([4, 4, 4]);
  });

  test('computes p50 and p95 over the answers of all URLs together', async () => {
    const { report } = await check(
      { urls: [new URL(URL_A), new URL(URL_B)] },
      { [URL_A]: [ok(10)], [URL_B]: [fail(503, 20), fail(503, 30), ok(40)] },
    );
    expect(report).toMatchObject({ latencyP50Ms: 20, latencyP95Ms: 40 });
    expect(report.urls.map((u) => [u.latencyP50Ms, u.latencyP95Ms])).toEqual([
      [10, 10],
      [30, 40],
    ]);
  });

  test('judges the latency budget per URL', async () => {
    const { report } = await check(
      { urls: [new URL(URL_A), new URL(URL_B)], maxLatencyMs: 100 },
      { [URL_A]: [ok(50)], [URL_B]: [ok(150)] },
    );
    expect(report.healthy).toBe(false);
    expect(report.urls.map((u) => [u.healthy, u.reason])).toEqual([
      [true, undefined],
      [false, 'p95 latency 150 ms is over max-latency-ms 100'],
    ]);
  });
});

describe('credentials in URLs', () => {
  test.each([
    ['https://a.example.com/healthz', 'https://a.example.com/healthz'],
    ['http://10.0.0.1:8080/ready?full=1#x', 'http://10.0.0.1:8080/ready?full=1#x'],
    ['https://deploy:hunter2@a.example.com/healthz', 'https://***@a.example.com/healthz'],
    ['https://deploy@a.example.com/', 'https://***@a.example.com/'],
    ['https://:hunter2@a.example.com/', 'https://***@a.example.com/'],
    ['https://de%20ploy:hun%3Ater2@a.example.com:8443/x', 'https://***@a.example.com:8443/x'],
  ])('displayUrl(%s) is %s', (href, shown) => {
    expect(displayUrl(new URL(href))).toBe(shown);
  });

  test('displayUrl leaves the URL it is given unchanged', () => {
    const url = new URL('https://deploy:hunter2@a.example.com/');
    displayUrl(url);
    expect(url.href).toBe('https://deploy:hunter2@a.example.com/');
  });

  test('are sent to the prober but never appear in the report or the attempt log', async () => {
    const secretUrl = 'https://deploy:hunter2@a.example.com/healthz';
    const { report, prober, attempts } = await check(
      { urls: [new URL(secretUrl)], deadlineMs: 1500 },
      { [secretUrl]: [refused, fail(401)] },
    );
    expect(prober.calls.map((c) => c.url)).toEqual([secretUrl, secretUrl]);
    const shown = JSON.stringify({ report, attempts });
    expect(shown).not.toContain('hunter2');
    expect(shown).not.toContain('deploy');
    expect(report.urls[0]?.url).toBe('https://***@a.example.com/healthz');
    expect(attempts.map((a) => a.url)).toEqual([
      'https://***@a.example.com/healthz',
      'https://***@a.example.com/healthz',
    ]);
  });
});
