/**
 * The dashboard's CSRF checks: the synchronizer token bound to the session's secret, and the
 * request's source as the browser reports it.
 */
import { describe, expect, test } from '@jest/globals';
import { csrfToken, csrfTokenMatches, newCsrfSecret, sourceProblem } from '../../app/dashboard/csrf.ts';

const ORIGIN = 'https://rollgate.example.com';

describe('the CSRF token', () => {
  test('a token made for the session secret matches it', () => {
    const secret = newCsrfSecret();
    expect(csrfTokenMatches(secret, csrfToken(secret))).toBe(true);
  });

  test('every form gets different bytes for the same secret, and each of them matches', () => {
    const secret = newCsrfSecret();
    const tokens = Array.from({ length: 20 }, () => csrfToken(secret));
    expect(new Set(tokens).size).toBe(20);
    for (const token of tokens) expect(csrfTokenMatches(secret, token)).toBe(true);
    for (const token of tokens) expect(token).not.toContain(secret);
  });

  test("another session's token does not match", () => {
    const mine = newCsrfSecret();
    const theirs = newCsrfSecret();
    expect(csrfTokenMatches(mine, csrfToken(theirs))).toBe(false);
  });

  test('the secret itself, unmasked, is no token', () => {
    const secret = newCsrfSecret();
    expect(csrfTokenMatches(secret, secret)).toBe(false);
  });

  test('a token with any byte changed does not match', () => {
    const secret = newCsrfSecret();
    const token = Buffer.from(csrfToken(secret), 'base64url');
    for (const at of [0, 31, 32, 63]) {
      const changed = Buffer.from(token);
      changed[at] = (changed[at] ?? 0) ^ 1;
      expect(csrfTokenMatches(secret, changed.toString('base64url'))).toBe(false);
    }
  });

  test.each([
    ['missing', undefined],
    ['empty', ''],
    ['not base64url', 'a+b/c=='],
    ['too short', 'AAAA'],
    ['too long', 'A'.repeat(200)],
  ])('a %s token does not match', (_name, token) => {
    expect(csrfTokenMatches(newCsrfSecret(), token)).toBe(false);
  });

  test('the random source is injected: a fixed mask gives a fixed token', () => {
    const zeros = (size: number): Buffer => Buffer.alloc(size);
    const secret = newCsrfSecret(() => Buffer.alloc(32, 7));
    expect(csrfToken(secret, zeros)).toBe(
      Buffer.concat([Buffer.alloc(32), Buffer.alloc(32, 7)]).toString('base64url'),
    );
  });
});

describe("a POST's source", () => {
  test.each([
    ['Sec-Fetch-Site same-origin and our Origin', { 'sec-fetch-site': 'same-origin', origin: ORIGIN }],
    [
      'Sec-Fetch-Site same-origin and Origin null (no-referrer pages)',
      { 'sec-fetch-site': 'same-origin', origin: 'null' },
    ],
    ['Sec-Fetch-Site same-origin alone', { 'sec-fetch-site': 'same-origin' }],
    ['our Origin from a browser without Fetch Metadata', { origin: ORIGIN }],
  ])('is accepted with %s', (_name, headers) => {
    expect(sourceProblem(headers, ORIGIN)).toBeUndefined();
  });

  test.each([
    [
      'a cross-site request',
      { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      /another site/,
    ],
    ['a sibling subdomain', { 'sec-fetch-site': 'same-site', origin: 'https://x.example.com' }, /same-site/],
    ['a typed URL or bookmark', { 'sec-fetch-site': 'none' }, /another site/],
    [
      'a foreign Origin without Fetch Metadata',
      { origin: 'https://evil.example' },
      /came from https:\/\/evil\.example/,
    ],
    [
      'a foreign Origin that claims same-origin',
      { 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' },
      /evil/,
    ],
    ['Origin null alone', { origin: 'null' }, /does not say where it came from/],
    ['no header at all', {}, /does not say where it came from/],
    ['our host on plain http', { origin: 'http://rollgate.example.com' }, /not from https/],
  ])('is refused for %s', (_name, headers, problem) => {
    expect(sourceProblem(headers, ORIGIN)).toMatch(problem);
  });
});
