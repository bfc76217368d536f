/**
 * The dashboard's ETag cache over real HTTP to the GitHub API test server: reads made
 * conditional, 304s turned back into the cached answer, keys kept apart by installation and
 * media type, writes left alone, and the memory bound (least recently used first).
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { EtagCache } from '../../app/dashboard/etag-cache.ts';
import { startGitHubServer, type GitHubServer } from '../support/github-server/server.ts';

let server: GitHubServer;
afterEach(async () => {
  server.assertNoViolations();
  await server.close();
});

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** A server holding `repositories`, and an Octokit of the App's installation on their owner. */
async function start(repositories: readonly string[]): Promise<Octokit> {
  server = await startGitHubServer();
  for (const name of repositories)
    server.state.addRepository(name, { files: { 'README.md': `# ${name}\n` } });
  return installationClient();
}

function installationClient(): Octokit {
  const installation = [...server.state.installations.values()][0] ?? server.state.installApp('octo-org');
  return new Octokit({
    baseUrl: server.url,
    auth: server.state.issueInstallationToken(installation),
    log: quiet,
  });
}

const conditional = (path: string): (string | undefined)[] =>
  server.calls.filter((c) => c.path.startsWith(path)).map((c) => c.ifNoneMatch && c.status.toString());

describe('the ETag cache', () => {
  test('a repeated read is conditional and returns the cached answer; a change is read in full', async () => {
    const octokit = await start(['octo-org/web']);
    const cache = new EtagCache();
    cache.attach(octokit, 1);
    cache.attach(octokit, 1); // attaching twice does not wrap twice
    const list = () => octokit.rest.repos.listDeployments({ owner: 'octo-org', repo: 'web', per_page: 100 });
    const first = await list();
    const second = await list();
    expect(second.status).toBe(200);
    expect(second.data).toEqual(first.data);
    await octokit.rest.repos.createDeployment({
      owner: 'octo-org',
      repo: 'web',
      ref: 'main',
      environment: 'staging',
      required_contexts: [],
    });
    const third = await list();
    expect(third.data).toHaveLength(1);
    expect(conditional('/repos/octo-org/web/deployments?')).toEqual([undefined, '304', '200']);
    expect(cache.stats).toMatchObject({ notModified: 1, full: 2, entries: 1 });
    // The POST was not conditional and not cached.
    expect(server.callsTo('repos/create-deployment')[0]?.ifNoneMatch).toBeUndefined();
  });

  test('keeps installations and media types apart', async () => {
    const octokit = await start(['octo-org/web']);
    // The same reads under another installation's key (its Octokit, its token).
    const other = installationClient();
    const cache = new EtagCache();
    cache.attach(octokit, 1);
    cache.attach(other, 2);
    await octokit.rest.repos.get({ owner: 'octo-org', repo: 'web' });
    await octokit.rest.repos.get({
      owner: 'octo-org',
      repo: 'web',
      headers: { accept: 'application/vnd.github.raw+json' },
    });
    await other.rest.repos.get({ owner: 'octo-org', repo: 'web' });
    await octokit.rest.repos.get({ owner: 'octo-org', repo: 'web' });
    expect(conditional('/repos/octo-org/web')).toEqual([undefined, undefined, undefined, '304']);
  });

  test('stays within its size, dropping the least recently used answer first', async () => {
    const names = ['octo-org/a', 'octo-org/b', 'octo-org/c'];
    const measuring = await start(names);
    const probe = new EtagCache();
    probe.attach(measuring, 9);
    await measuring.rest.repos.get({ owner: 'octo-org', repo: 'a' });
    const one = probe.stats.bytes;
    // Room for two answers, not three (the three differ by a letter).
    const cache = new EtagCache(Math.floor(one * 2.5));
    const reader = installationClient();
    cache.attach(reader, 1);
    const get = (repo: string) => reader.rest.repos.get({ owner: 'octo-org', repo });
    await get('a');
    await get('b');
    await get('c'); // a goes
    expect(cache.stats.entries).toBe(2);
    expect(cache.stats.bytes).toBeLessThanOrEqual(Math.floor(one * 2.5));
    await get('b'); // b is the most recently used now: c goes next
    await get('a'); // read in full again
    await get('b');
    await get('c'); // c was dropped for a
    expect(conditional('/repos/octo-org/a')).toEqual([undefined, undefined, undefined]);
    expect(conditional('/repos/octo-org/b')).toEqual([undefined, '304', '304']);
    expect(conditional('/repos/octo-org/c')).toEqual([undefined, undefined]);
  });

  test('refuses a size that is no positive number', () => {
    expect(() => new EtagCache(0)).toThrow('positive size');
  });
});
