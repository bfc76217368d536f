/**
 * The dashboard's ETag cache over real HTTP to the GitHub API test server: answers reused for
 * GitHub's max-age, then asked for conditionally, 304s turned back into the cached answer,
 * changes and writes making a repository's answers stale, keys kept apart by installation and
 * media type, and the memory bound (least recently used first).
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { EtagCache, maxAgeMs, repositoryOf } from '../../app/dashboard/etag-cache.ts';
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
  test("reuses an answer for GitHub's max-age, then asks conditionally; a write or a change is read in full", async () => {
    const octokit = await start(['octo-org/web']);
    let clock = 1_000_000;
    const cache = new EtagCache({ now: () => clock });
    cache.attach(octokit, 1);
    cache.attach(octokit, 1); // attaching twice does not wrap twice
    const list = () => octokit.rest.repos.listDeployments({ owner: 'octo-org', repo: 'web', per_page: 100 });
    const first = await list();
    const second = await list(); // within the test server's (GitHub's) max-age=60: no request
    expect(second.data).toEqual(first.data);
    clock += 61_000;
    const third = await list(); // stale: a conditional request, answered 304
    expect(third.status).toBe(200);
    expect(third.data).toEqual(first.data);
    expect(await list()).toEqual(third); // the 304 made it fresh again
    // A write through an attached Octokit makes the repository's answers stale at once.
    await octokit.rest.repos.createDeployment({
      owner: 'octo-org',
      repo: 'web',
      ref: 'main',
      environment: 'staging',
      required_contexts: [],
    });
    const changed = await list();
    expect(changed.data).toHaveLength(1);
    expect(conditional('/repos/octo-org/web/deployments?')).toEqual([undefined, '304', '200']);
    expect(cache.stats).toMatchObject({ fresh: 2, notModified: 1, full: 2, entries: 1 });
    expect(server.callsTo('repos/create-deployment')[0]?.ifNoneMatch).toBeUndefined();
  });

  test("a change the App hears of makes that repository's answers stale, not the others'", async () => {
    const octokit = await start(['octo-org/web', 'octo-org/api']);
    const cache = new EtagCache();
    cache.attach(octokit, 1);
    const read = async () => {
      await octokit.rest.repos.get({ owner: 'octo-org', repo: 'web' });
      await octokit.rest.repos.get({ owner: 'octo-org', repo: 'api' });
    };
    await read();
    await read();
    cache.invalidate('OCTO-ORG/Web');
    await read();
    expect(conditional('/repos/octo-org/web')).toEqual([undefined, '304']);
    expect(conditional('/repos/octo-org/api')).toEqual([undefined]);
  });

  test('keeps installations and media types apart', async () => {
    const octokit = await start(['octo-org/web']);
    // The same reads under another installation's key (its Octokit, its token).
    const other = installationClient();
    const cache = new EtagCache({ maxFreshMs: 0 });
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
    const probe = new EtagCache({ maxFreshMs: 0 });
    probe.attach(measuring, 9);
    await measuring.rest.repos.get({ owner: 'octo-org', repo: 'a' });
    const one = probe.stats.bytes;
    // Room for two answers, not three (the three differ by a letter).
    const cache = new EtagCache({ maxBytes: Math.floor(one * 2.5), maxFreshMs: 0 });
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
    expect(() => new EtagCache({ maxBytes: 0 })).toThrow('positive size');
  });

  test('reads the reuse time from Cache-Control, and which repository a URL reads', () => {
    expect(maxAgeMs('private, max-age=60, s-maxage=60')).toBe(60_000);
    expect(maxAgeMs('no-cache, max-age=60')).toBe(0);
    expect(maxAgeMs(undefined)).toBe(0);
    expect(repositoryOf('http://127.0.0.1:9/api/v3/repos/Octo-Org/Web/deployments?per_page=1')).toBe(
      'octo-org/web',
    );
    expect(repositoryOf('https://api.github.com/user/installations')).toBeUndefined();
  });
});
