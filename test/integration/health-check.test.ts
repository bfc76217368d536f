import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort, startHttpTarget, type HttpTarget } from '../support/http-target.ts';
import { runAction } from '../support/runner.ts';
import { testCertificates } from '../support/tls.ts';

const action = 'actions/health-check';
const fast = { interval: '100ms', timeout: '2s' };
const targets: HttpTarget[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'rollgate-health-test-'));

async function target(...args: Parameters<typeof startHttpTarget>): Promise<HttpTarget> {
  const started = await startHttpTarget(...args);
  targets.push(started);
  return started;
}

afterEach(async () => {
  await Promise.all(targets.splice(0).map((t) => t.close()));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('health-check action (bundled, through the runner)', () => {
  test('becomes healthy after three failures and reports attempts, latencies and a JSON report', async () => {
    const service = await target(({ count }) =>
      count <= 3 ? { status: 503, body: 'warming up' } : { body: { status: 'ok', version: '1.4.2' } },
    );
    const runnerTemp = mkdtempSync(join(scratch, 'temp-'));
    const run = await runAction(action, {
      inputs: {
        url: `${service.url}/healthz`,
        ...fast,
        'consecutive-successes': '2',
        'expect-json': 'status=ok',
        'expect-body': '/"version":"1\\.\\d+\\.\\d+"/',
      },
      env: { RUNNER_TEMP: runnerTemp },
    });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs.healthy).toBe('true');
    expect(run.outputs.attempts).toBe('5');
    expect(Number(run.outputs['latency-p95-ms'])).toBeGreaterThanOrEqual(
      Number(run.outputs['latency-p50-ms']),
    );
    expect(service.requests).toHaveLength(5);
    const report = JSON.parse(readFileSync(run.outputs.report!, 'utf8')) as {
      healthy: boolean;
      urls: { attempts: number; lastStatus: number }[];
    };
    expect(report).toMatchObject({ healthy: true, urls: [{ attempts: 5, lastStatus: 200 }] });
    expect(run.summary).toContain('Health check passed');
    expect(run.summary).toMatch(/\| `http:\/\/127\.0\.0\.1:\d+\/healthz` \| 5 \| 200 \|/);
    expect(run.log.filter((l) => l.startsWith('✗'))).toHaveLength(3);
  });

  test('fails when the deadline passes, naming the deadline and the last failure', async () => {
    const service = await target(() => ({ status: 503, body: 'down' }));
    const run = await runAction(action, { inputs: { url: service.url, ...fast, deadline: '600ms' } });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.healthy).toBe('false');
    expect(run.errors.at(-1)).toMatch(
      /Health check failed: 1 of 1 check\(s\) unhealthy .*deadline of 600 ms exceeded after \d+ attempts: expected status 200-299, got 503/,
    );
    expect(Number(run.outputs['duration-ms'])).toBeLessThan(2000);
    expect(run.summary).toContain('Health check failed');
  });

  test('judges the status against the expected list of codes and ranges', async () => {
    const service = await target(() => ({ status: 204, body: '' }));
    const run = await runAction(action, {
      inputs: { url: service.url, ...fast, deadline: '300ms', 'expected-status': '200,301-302' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors.join('\n')).toContain('expected status 200, 301-302, got 204');
    const ok = await runAction(action, { inputs: { url: service.url, ...fast, 'expected-status': '2xx' } });
    expect(ok.outputs.healthy).toBe('true');
  });

  test('fails when the body does not match the regular expression', async () => {
    const service = await target(() => ({ body: { version: '1.4.2' } }));
    const run = await runAction(action, {
      inputs: { url: service.url, ...fast, deadline: '300ms', 'expect-body': '/"version":"2\\.\\d+/' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors.join('\n')).toContain('body does not match /"version":"2\\.\\d+/');
  });

  test('fails when a JSON path holds another value', async () => {
    const service = await target(() => ({ body: { checks: [{ name: 'db', status: 'down' }] } }));
    const run = await runAction(action, {
      inputs: {
        url: service.url,
        ...fast,
        deadline: '300ms',
        'expect-json': 'checks[0].name=db\nchecks[0].status=up',
      },
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors.join('\n')).toContain(`JSON path 'checks[0].status' is "down", expected up`);
  });

  test('fails when p95 latency is over max-latency-ms', async () => {
    const service = await target(() => ({ body: 'ok', delayMs: 120 }));
    const run = await runAction(action, {
      inputs: { url: service.url, ...fast, 'consecutive-successes': '3', 'max-latency-ms': '60' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.healthy).toBe('false');
    expect(Number(run.outputs['latency-p95-ms'])).toBeGreaterThanOrEqual(120);
    expect(run.errors.join('\n')).toMatch(/p95 latency \d+ ms is over max-latency-ms 60/);
  });

  test('names a self-signed certificate as a TLS error', async () => {
    const certs = testCertificates();
    const service = await target(() => ({ body: 'ok' }), {
      cert: certs.selfSignedCert,
      key: certs.selfSignedKey,
    });
    const run = await runAction(action, { inputs: { url: service.url, ...fast, deadline: '2s' } });
    expect(run.exitCode).toBe(1);
    expect(run.errors.join('\n')).toContain(
      'TLS error: the certificate is self-signed (DEPTH_ZERO_SELF_SIGNED_CERT)',
    );
    expect(run.summary).toContain('no response');
  });

  test('is healthy over HTTPS with a certificate the runner trusts, following a redirect', async () => {
    const certs = testCertificates();
    const service = await target(
      ({ path }) => (path === '/' ? { status: 302, headers: { location: '/healthz' } } : { body: 'ready' }),
      { cert: certs.cert, key: certs.key },
    );
    const caFile = join(scratch, 'ca.pem');
    writeFileSync(caFile, certs.ca);
    const run = await runAction(action, {
      inputs: { url: `${service.url}/`, ...fast, 'expect-body': 'ready' },
      env: { NODE_EXTRA_CA_CERTS: caFile },
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs.healthy).toBe('true');
    expect(service.requests.map((r) => r.path)).toEqual(['/', '/healthz']);
  });

  test('names a refused connection', async () => {
    const port = await closedPort();
    const run = await runAction(action, {
      inputs: { url: `http://127.0.0.1:${port}/healthz`, ...fast, deadline: '300ms' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors.join('\n')).toContain('connection refused (ECONNREFUSED)');
  });

  test('checks two URLs in parallel and fails when one of them is unhealthy', async () => {
    const good = await target(() => ({ body: 'ok' }));
    const bad = await target(() => ({ status: 500, body: 'boom' }));
    const run = await runAction(action, {
      inputs: { url: `${good.url}/a\n${bad.url}/b`, ...fast, deadline: '400ms' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.healthy).toBe('false');
    expect(run.errors[0]).toContain(`${bad.url}/b: deadline of 400 ms exceeded`);
    expect(run.errors.join('\n')).not.toContain(`${good.url}/a:`);
    expect(run.summary).toContain('✅ healthy');
    expect(run.summary).toContain('❌ deadline');
    expect(good.requests).toHaveLength(1);
  });

  test('sends the headers and masks their values', async () => {
    const service = await target(({ headers }) =>
      headers.authorization === 'Bearer s3cr3t-value' ? { body: 'ok' } : { status: 401 },
    );
    const run = await runAction(action, {
      inputs: {
        url: service.url,
        ...fast,
        method: 'HEAD',
        headers: 'Authorization: Bearer s3cr3t-value\nX-Probe: rollgate',
      },
    });
    expect(run.outputs.healthy).toBe('true');
    expect(service.requests[0]?.method).toBe('HEAD');
    expect(run.masks).toContain('Bearer s3cr3t-value');
    expect(run.stdout.replaceAll('::add-mask::Bearer s3cr3t-value', '')).not.toContain('s3cr3t');
    expect(run.summary).not.toContain('s3cr3t');
  });

  test.each([
    ['url', { url: 'not a url' }, /Input 'url' is invalid: 'not a url' is not a URL\. Write absolute URLs/],
    [
      'expected-status',
      { 'expected-status': '200-199' },
      /Input 'expected-status' is invalid: '200-199' is not a status code or range\. Use codes from 100 to 599/,
    ],
    [
      'timeout',
      { timeout: '-5s' },
      /Input 'timeout' is invalid: '-5s' is not a duration\. Write a non-negative number with a unit/,
    ],
    [
      'expect-json',
      { 'expect-json': 'status' },
      /Input 'expect-json' is invalid: 'status' is not 'path=value'/,
    ],
    [
      'consecutive-successes',
      { 'consecutive-successes': '0' },
      /Input 'consecutive-successes' is invalid: '0' is not a whole number from 1 to 1000/,
    ],
  ])('rejects a bad %s input, says how to fix it and probes nothing', async (_name, inputs, message) => {
    const service = await target(() => ({ body: 'ok' }));
    const run = await runAction(action, { inputs: { url: service.url, ...inputs } });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(message);
    expect(service.requests).toHaveLength(0);
    expect(run.outputs).toEqual({ healthy: 'false' });
  });
});
