import { describe, expect, test } from '@jest/globals';
import {
  GITHUB_WRITE_LIMITS,
  HOUR_MS,
  MINUTE_MS,
  WINDOW_MARGIN_MS,
  rateLimitWait,
  retryDecision,
  writeClass,
  writeWait,
  type AttemptFailure,
} from '../../app/limits/policy.ts';

const NOW = 1_800_000_000_000;
const response = (status: number, headers: Record<string, string> = {}, message = ''): AttemptFailure => ({
  kind: 'response',
  status,
  headers,
  message,
});

describe('retryDecision', () => {
  const rows: [string, string, AttemptFailure, number, boolean, number | undefined][] = [
    // method, why, failure, retries so far, retried?, after ms
    [
      'POST',
      'a secondary limit with retry-after: GitHub did not act',
      response(403, { 'retry-after': '3' }),
      0,
      true,
      3000,
    ],
    ['PATCH', 'a 429 with retry-after', response(429, { 'retry-after': '1' }), 0, true, 1000],
    [
      'GET',
      'the second retry-after waits twice as long',
      response(403, { 'retry-after': '2' }),
      1,
      true,
      4000,
    ],
    ['POST', 'rate limited three times already', response(403, { 'retry-after': '1' }), 3, false, undefined],
    [
      'GET',
      'the quota spent: until x-ratelimit-reset',
      response(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 30) }),
      0,
      true,
      30_000,
    ],
    [
      'POST',
      'a secondary limit naming no time: a minute',
      response(403, {}, 'You have exceeded a secondary rate limit.'),
      0,
      true,
      MINUTE_MS,
    ],
    [
      'GET',
      'a 403 that is a missing permission',
      response(403, {}, 'Resource not accessible by integration'),
      0,
      false,
      undefined,
    ],
    ['POST', 'a 500 on a POST: it may have been carried out', response(500), 0, false, undefined],
    ['PATCH', 'a 502 on a PATCH', response(502), 0, false, undefined],
    ['POST', 'a dropped connection on a POST', { kind: 'connection' }, 0, false, undefined],
    ['GET', 'a 503 on a GET', response(503), 0, true, 500],
    ['GET', 'a dropped connection on a GET, second retry', { kind: 'connection' }, 1, true, 1000],
    ['PUT', 'a 500 on an idempotent PUT', response(500), 0, true, 500],
    ['DELETE', 'a 500 on a DELETE', response(500), 2, true, 2000],
    ['GET', 'a GET that failed four times', response(500), 3, false, undefined],
    ['GET', 'a 404 is an answer, not a failure to retry', response(404), 0, false, undefined],
    [
      'POST',
      'a wait longer than a handler waits',
      response(403, { 'retry-after': '3600' }),
      0,
      false,
      undefined,
    ],
  ];
  test.each(rows)('%s after %s', (method, _why, failure, retries, retried, afterMs) => {
    const decision = retryDecision(method, failure, retries, NOW);
    expect(decision.retry).toBe(retried);
    if (decision.retry) expect(decision.afterMs).toBe(afterMs);
  });

  test('only a rate limit pauses the whole installation', () => {
    expect(rateLimitWait(response(500), NOW)).toBeUndefined();
    expect(retryDecision('GET', response(429, { 'retry-after': '1' }), 0, NOW)).toMatchObject({
      pauseInstallation: true,
    });
    expect(retryDecision('GET', response(503), 0, NOW)).toMatchObject({ pauseInstallation: false });
  });
});

describe('writeWait: GitHub’s 80 a minute and 500 an hour, as sliding windows', () => {
  const minute = MINUTE_MS + WINDOW_MARGIN_MS;
  const rows: [string, number[], number][] = [
    ['nothing spent: go now', [], 0],
    ['79 in the last second: the 80th goes now', Array.from({ length: 79 }, () => NOW - 500), 0],
    [
      '80 in the last second: wait until the oldest comes back',
      Array.from({ length: 80 }, () => NOW - 500),
      minute - 500,
    ],
    [
      '80 spread over the minute: the oldest is about to come back',
      Array.from({ length: 80 }, (_, i) => NOW - 60_000 + i * 700),
      minute - 60_000,
    ],
    [
      '80 that are more than a minute (and its margin) old: go now',
      Array.from({ length: 80 }, () => NOW - minute),
      0,
    ],
    [
      '500 in the hour: wait for the oldest of the hour',
      Array.from({ length: 500 }, (_, i) => NOW - HOUR_MS + 1000 + i * 7000),
      WINDOW_MARGIN_MS + 1000,
    ],
  ];
  test.each(rows)('%s', (_why, spent, wait) => {
    expect(writeWait(spent, NOW, GITHUB_WRITE_LIMITS)).toBe(wait);
  });

  test('a bucket of 80 never lets more than 80 into any minute, however the writes come', () => {
    const spent: number[] = [];
    for (let t = NOW; t < NOW + 5 * MINUTE_MS; t += 37) {
      if (writeWait(spent, t, GITHUB_WRITE_LIMITS) === 0) spent.push(t);
    }
    for (const start of spent)
      expect(spent.filter((t) => t >= start && t < start + MINUTE_MS).length).toBeLessThanOrEqual(80);
    // …and it lets the first 80 through at once: a single command is not spaced out.
    expect((spent[79] ?? Infinity) - NOW).toBeLessThan(80 * 37 + 1);
  });
});

describe('writeWait with tokens kept free for announced claims', () => {
  const minute = MINUTE_MS + WINDOW_MARGIN_MS;
  const spent = (count: number): number[] => Array.from({ length: count }, () => NOW - 500);
  test.each([
    ['70 spent, 9 kept: the 71st goes now (9 stay free)', 70, 9, 0],
    ['71 spent, 9 kept: the 72nd would leave 8, it waits for the window', 71, 9, minute - 500],
    ['0 spent, 80 kept: every token is spoken for, wait a window', 0, 80, minute],
    ['0 spent, 200 kept: more than the limit is kept, wait a window', 0, 200, minute],
  ])('%s', (_why, count, keep, wait) => {
    expect(writeWait(spent(count), NOW, GITHUB_WRITE_LIMITS, keep)).toBe(wait);
  });

  test('the hour keeps as many free', () => {
    const hour = Array.from({ length: 495 }, (_, i) => NOW - HOUR_MS + 10_000 + i * 7000);
    expect(writeWait(hour, NOW, GITHUB_WRITE_LIMITS, 4)).toBe(0);
    expect(writeWait(hour, NOW, GITHUB_WRITE_LIMITS, 5)).toBeGreaterThan(0);
  });
});

describe('writeClass: what a Deployment waits on goes first when the budget runs short', () => {
  test.each([
    ['POST', '/repos/{owner}/{repo}/deployments', 0],
    ['POST', '/repos/octo-org/hello/deployments', 0],
    ['POST', '/repos/{owner}/{repo}/git/commits', 0],
    ['POST', '/repos/{owner}/{repo}/git/refs', 0],
    ['PATCH', '/repos/{owner}/{repo}/git/refs/{ref}', 0],
    ['DELETE', '/repos/{owner}/{repo}/git/refs/{ref}', 0],
    ['POST', '/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions', 1],
    ['POST', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses', 2],
    ['POST', '/repos/{owner}/{repo}/check-runs', 2],
    ['POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 2],
    ['PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 2],
    ['POST', '/repos/{owner}/{repo}/git/trees', 0],
  ])('%s %s → %d', (method, url, expected) => {
    expect(writeClass(method, url)).toBe(expected);
  });
});
