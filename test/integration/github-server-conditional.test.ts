/**
 * The GitHub API test server answers conditional requests as GitHub does: an ETag on every
 * successful GET, 304 Not Modified (no body) when `If-None-Match` names the current tag, a new
 * tag once the data changes, and a 304 that does not count against `x-ratelimit-remaining`
 * (docs.github.com, REST API best practices, "Use conditional requests if appropriate").
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { startGitHubServer, type GitHubServer } from '../support/github-server/server.ts';

let server: GitHubServer;
let token: string;

afterEach(async () => {
  server.assertNoViolations();
  await server.close();
});

async function start(): Promise<void> {
  server = await startGitHubServer();
  server.state.addRepository('octo-org/web', { files: { 'README.md': '# web\n' } });
  const installation = server.state.installApp('octo-org');
  token = server.state.issueInstallationToken(installation);
}

async function get(path: string, headers: Record<string, string> = {}, auth = true): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    headers: {
      accept: 'application/vnd.github+json',
      ...(auth ? { authorization: `token ${token}` } : {}),
      ...headers,
    },
  });
}

const remaining = (response: Response): number => Number(response.headers.get('x-ratelimit-remaining'));

describe('GitHub API test server: conditional requests', () => {
  test('a GET carries an ETag; If-None-Match with it is answered 304, free of the rate limit', async () => {
    await start();
    const first = await get('/repos/octo-org/web/deployments');
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^W\/"[0-9a-f]{32}"$/);
    expect(await first.json()).toEqual([]);
    const before = remaining(first);
    expect(before).toBe(4999);
    expect(first.headers.get('cache-control')).toBe('private, max-age=60, s-maxage=60');

    const again = await get('/repos/octo-org/web/deployments', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('cache-control')).toBe('private, max-age=60, s-maxage=60');
    expect(remaining(again)).toBe(before);
    // Weak comparison: the strong form of the same tag matches too.
    expect((await get('/repos/octo-org/web/deployments', { 'if-none-match': etag.slice(2) })).status).toBe(
      304,
    );

    const plain = await get('/repos/octo-org/web/deployments');
    expect(plain.status).toBe(200);
    expect(remaining(plain)).toBe(before - 1);
    const calls = server.callsTo('repos/list-deployments');
    expect(calls.map((c) => c.status)).toEqual([200, 304, 304, 200]);
    expect(calls[1]?.ifNoneMatch).toBe(etag);
  });

  test('a change gives a new ETag: the old one is answered in full', async () => {
    await start();
    const first = await get('/repos/octo-org/web/deployments');
    const etag = first.headers.get('etag') ?? '';
    const created = await fetch(`${server.url}/repos/octo-org/web/deployments`, {
      method: 'POST',
      headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ref: 'main', environment: 'staging', required_contexts: [] }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBeNull();

    const changed = await get('/repos/octo-org/web/deployments', { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(((await changed.json()) as unknown[]).length).toBe(1);
  });

  test('a 304 to an anonymous request counts; other paths have their own tags', async () => {
    await start();
    server.state.addRepository('octo-org/public-site', { files: { 'README.md': '# site\n' } });
    const first = await get('/repos/octo-org/public-site', {}, false);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=60, s-maxage=60');
    const etag = first.headers.get('etag') ?? '';
    const again = await get('/repos/octo-org/public-site', { 'if-none-match': etag }, false);
    expect(again.status).toBe(304);
    expect(remaining(again)).toBe(remaining(first) - 1);
    const other = await get('/repos/octo-org/web', { 'if-none-match': etag });
    expect(other.status).toBe(200);
  });
});
