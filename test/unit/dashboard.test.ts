/**
 * The dashboard's pure parts: its settings, the sealed cookies, what a webhook tells open pages,
 * which deployment an environment's row shows, and the escaping of what GitHub holds.
 */
import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readDashboardConfig, webUrlOf } from '../../app/dashboard/config.ts';
import { environmentRow, newestPerEnvironment } from '../../app/dashboard/environments.ts';
import { eventFromWebhook } from '../../app/dashboard/events.ts';
import { escapeHtml, overviewPage } from '../../app/dashboard/page.ts';
import { cookie, open, readCookies, seal } from '../../app/dashboard/session.ts';
import { StartupError } from '../../app/server/config.ts';
import type { GitHubDeployment } from '../../src/github/deployments.ts';

const KEY = randomBytes(32).toString('base64');
const on = { GITHUB_CLIENT_ID: 'Iv23liabc', GITHUB_CLIENT_SECRET: 'shh', ROLLGATE_SESSION_KEY: KEY };

describe('the dashboard settings', () => {
  test('the dashboard is off without GITHUB_CLIENT_ID, whatever else is set', () => {
    expect(readDashboardConfig({ GITHUB_CLIENT_SECRET: 'shh' }, 'https://api.github.com')).toBeUndefined();
    expect(readDashboardConfig({ GITHUB_CLIENT_ID: '  ' }, 'https://api.github.com')).toBeUndefined();
  });

  test.each([
    ['no session key', { ROLLGATE_SESSION_KEY: undefined }, /ROLLGATE_SESSION_KEY is not\./],
    ['a 16-byte key', { ROLLGATE_SESSION_KEY: randomBytes(16).toString('base64') }, /decodes to 16 byte/],
    ['a key that is not base64', { ROLLGATE_SESSION_KEY: `${'x'.repeat(40)}!!` }, /not 32 bytes of base64/],
    ['no client secret', { GITHUB_CLIENT_SECRET: undefined }, /GITHUB_CLIENT_SECRET is not/],
    ['a plain-http public URL', { ROLLGATE_DASHBOARD_URL: 'http://rollgate.example.com' }, /is not https/],
    ['a public URL that is no URL', { ROLLGATE_DASHBOARD_URL: 'rollgate' }, /is not a URL/],
  ])('refuses %s with a StartupError that says what to do', (_name, change, message) => {
    const read = (): unknown => readDashboardConfig({ ...on, ...change }, 'https://api.github.com');
    expect(read).toThrow(StartupError);
    expect(read).toThrow(message);
  });

  test('reads the settings, the web host beside the API host', () => {
    const config = readDashboardConfig(
      { ...on, ROLLGATE_DASHBOARD_URL: 'https://rollgate.example.com/dashboard' },
      'https://ghe.example.com/api/v3',
    );
    expect(config).toMatchObject({
      clientId: 'Iv23liabc',
      clientSecret: 'shh',
      webUrl: 'https://ghe.example.com',
      apiUrl: 'https://ghe.example.com/api/v3',
      publicUrl: 'https://rollgate.example.com',
    });
    expect(config?.sessionKey.length).toBe(32);
    expect(
      readDashboardConfig(
        { ...on, ROLLGATE_DASHBOARD_URL: 'http://127.0.0.1:3000' },
        'https://api.github.com',
      )?.publicUrl,
    ).toBe('http://127.0.0.1:3000');
  });

  test.each([
    ['https://api.github.com', 'https://github.com'],
    ['https://ghe.example.com/api/v3', 'https://ghe.example.com'],
    ['http://127.0.0.1:4567/api/v3', 'http://127.0.0.1:4567'],
  ])('the web host of the API at %s is %s', (api, web) => {
    expect(webUrlOf(api)).toBe(web);
  });
});

describe('sealed cookies', () => {
  const key = randomBytes(32);
  const now = 1_000_000;

  test('open what they sealed, before it expires', () => {
    expect(
      open(key, 'rollgate_session', seal(key, 'rollgate_session', { token: 't' }, now + 1), now),
    ).toEqual({
      token: 't',
    });
  });

  test('do not show the sealed value', () => {
    expect(seal(key, 'rollgate_session', { token: 'ghu_secret' }, now + 1)).not.toMatch(/ghu_|secret/);
  });

  test.each([
    ['expired', (s: string) => s, 'rollgate_session', randomBytes(0), now + 1],
    [
      'changed in one character',
      (s: string) => `${s.slice(0, 20)}${s[20] === 'A' ? 'B' : 'A'}${s.slice(21)}`,
      'rollgate_session',
      randomBytes(0),
      now,
    ],
    ['cut short', (s: string) => s.slice(0, 30), 'rollgate_session', randomBytes(0), now],
    ['empty', () => '', 'rollgate_session', randomBytes(0), now],
    ['sealed for another cookie', (s: string) => s, 'rollgate_sign_in', randomBytes(0), now],
    ['sealed with another key', (s: string) => s, 'rollgate_session', randomBytes(32), now],
  ])('refuse a cookie %s', (_name, change, name, otherKey, at) => {
    const sealed = change(seal(key, 'rollgate_session', { token: 't' }, now + 1));
    expect(open(otherKey.length === 32 ? otherKey : key, name, sealed, at)).toBeUndefined();
  });

  test('are set HttpOnly and SameSite=Lax, Secure when asked', () => {
    expect(cookie('a', 'b', { path: '/dashboard', maxAge: 60, secure: true })).toBe(
      'a=b; Path=/dashboard; Max-Age=60; HttpOnly; SameSite=Lax; Secure',
    );
    expect(cookie('a', '', { path: '/', maxAge: 0, secure: false })).toBe(
      'a=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax',
    );
    expect(readCookies('a=1; b=2=3; a=4; junk')).toEqual(
      new Map([
        ['a', '1'],
        ['b', '2=3'],
      ]),
    );
  });
});

const repository = { full_name: 'octo-org/app' };
const deploymentPayload = {
  id: 7,
  environment: 'staging',
  sha: 'a'.repeat(40),
  created_at: '2026-01-01T00:00:00Z',
  payload: { version: 'v2', requester: 'monalisa' },
  creator: { login: 'rollgate[bot]' },
};

describe('what a webhook tells open pages', () => {
  test.each([
    [
      'a deployment status',
      'deployment_status',
      {
        repository,
        deployment: deploymentPayload,
        deployment_status: { state: 'success', updated_at: '2026-01-01T00:01:00Z' },
      },
      {
        kind: 'deployment_status',
        repository: 'octo-org/app',
        environment: 'staging',
        deploymentId: 7,
        version: 'v2',
        sha: 'a'.repeat(40),
        state: 'success',
        since: '2026-01-01T00:01:00Z',
        by: 'monalisa',
      },
    ],
    [
      'a new deployment with a payload in a string, without a requester',
      'deployment',
      { repository, deployment: { ...deploymentPayload, payload: '{"version":"v3"}' } },
      {
        kind: 'deployment',
        version: 'v3',
        state: undefined,
        since: '2026-01-01T00:00:00Z',
        by: 'rollgate[bot]',
      },
    ],
    ['an unrelated webhook', 'issue_comment', { repository, deployment: deploymentPayload }, undefined],
    [
      'a status without a state',
      'deployment_status',
      { repository, deployment: deploymentPayload, deployment_status: {} },
      undefined,
    ],
    [
      'a deployment without an id',
      'deployment',
      { repository, deployment: { ...deploymentPayload, id: '7' } },
      undefined,
    ],
    ['no repository', 'deployment', { deployment: deploymentPayload }, undefined],
    ['a payload that is not an object', 'deployment', 'nonsense', undefined],
  ])('%s', (_name, name, payload, expected) => {
    const event = eventFromWebhook(name, payload);
    if (expected === undefined) expect(event).toBeUndefined();
    else expect(event).toMatchObject(expected);
  });
});

function deployment(
  id: number,
  environment: string,
  fields: Partial<GitHubDeployment> = {},
): GitHubDeployment {
  return {
    id,
    environment,
    sha: `${id}`.padStart(40, '0'),
    task: 'deploy',
    payload: { version: `v${id}` },
    created_at: `2026-01-01T00:00:${String(id).padStart(2, '0')}Z`,
    creator: { login: 'rollgate[bot]' },
    ...fields,
  } as GitHubDeployment;
}

describe("an environment's row", () => {
  test.each([
    [
      'the newest deployment',
      [deployment(1, 'staging'), deployment(3, 'staging'), deployment(2, 'staging')],
      3,
    ],
    [
      'a Rollgate deployment over a newer one of a workflow job',
      [deployment(4, 'staging'), deployment(5, 'staging', { payload: {} })],
      4,
    ],
    ['a workflow job’s deployment when Rollgate made none', [deployment(6, 'staging', { payload: {} })], 6],
    [
      'names that differ in case only as one environment',
      [deployment(1, 'Staging'), deployment(2, 'staging')],
      2,
    ],
  ])('shows %s', (_name, deployments, id) => {
    const newest = newestPerEnvironment(deployments);
    expect(newest.size).toBe(1);
    expect(newest.get('staging')?.id).toBe(id);
  });

  test('says what is live, since when, by whom, and who holds the lock', () => {
    const d = deployment(9, 'production', { payload: { version: 'v9', requester: 'octocat' } });
    const status = { state: 'success', updated_at: '2026-01-02T00:00:00Z' } as Parameters<
      typeof environmentRow
    >[2];
    const lock = { holder: 'hubot', reason: 'freeze', since: '2026-01-03T00:00:00Z', pullRequest: undefined };
    expect(environmentRow('production', d, status, lock)).toEqual({
      environment: 'production',
      deploymentId: 9,
      version: 'v9',
      sha: d.sha,
      state: 'success',
      since: '2026-01-02T00:00:00Z',
      by: 'octocat',
      lock: { holder: 'hubot', since: '2026-01-03T00:00:00Z' },
    });
    expect(environmentRow('qa', undefined, undefined, undefined)).toMatchObject({
      deploymentId: undefined,
      state: undefined,
      by: undefined,
    });
  });
});

describe('the page', () => {
  test('escapes what GitHub holds', () => {
    expect(escapeHtml(`<img src=x onerror="a('b')">&`)).toBe(
      '&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;',
    );
    const html = overviewPage('nonce', [
      {
        fullName: 'octo-org/app',
        rows: [
          {
            ...environmentRow(
              '<script>x</script>',
              deployment(1, 'x', { payload: { version: '"><b>v</b>', requester: '<i>me</i>' } }),
              undefined,
              undefined,
            ),
          },
        ],
      },
    ]);
    expect(html).not.toMatch(/<script>x|<b>v|<i>me/);
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;b&gt;v&lt;/b&gt;');
  });
});
