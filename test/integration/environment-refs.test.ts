import { afterEach, describe, expect, test } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import {
  EnvironmentRefError,
  claim,
  readEnvironmentRefs,
  readLockHolder,
  recordDeployment,
  release,
  type LockHolder,
} from '../../src/github/environment-refs.ts';
import { startGitHubServer, type GitHubServer } from '../support/github-server/server.ts';

const repo = { owner: 'octo-org', repo: 'web' };
const FULL_NAME = 'octo-org/web';
/** Octokit treats a three-part token as a JWT and sends it as `bearer`, as an App authenticates. */
const appJwt = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjQyNDI0Mn0.c2lnbmF0dXJl';
const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const started: GitHubServer[] = [];

/** A server with one repository, and an Octokit acting as the App's installation (whose branches fire webhooks). */
async function start(): Promise<{ server: GitHubServer; git: Octokit['rest']['git'] }> {
  const server = await startGitHubServer();
  started.push(server);
  server.state.addRepository(FULL_NAME, { files: { 'README.md': '# web\n' } });
  const app = new Octokit({ baseUrl: server.url, auth: appJwt, log: quiet });
  const { data: installation } = await app.rest.apps.getRepoInstallation(repo);
  const { data: token } = await app.rest.apps.createInstallationAccessToken({
    installation_id: installation.id,
  });
  const octokit = new Octokit({ baseUrl: server.url, auth: token.token, log: quiet });
  return { server, git: octokit.rest.git };
}

function holder(who: string, since = new Date().toISOString()): LockHolder {
  return { holder: who, reason: `deploy for ${who}`, since, pullRequest: 7 };
}

/** The refs of the repository that are neither the default branch nor tags seeded by the test. */
function refsOf(server: GitHubServer): string[] {
  return [...server.state.seeded(FULL_NAME).refs.keys()].filter((ref) => ref !== 'refs/heads/main').sort();
}

/** Proves the refs never became branches or tags, and that GitHub would have sent no webhook for them. */
function expectNoBranchOrTagWritten(server: GitHubServer): void {
  for (const call of server.callsTo('git/create-ref')) {
    expect((call.body as { ref: string }).ref).toMatch(/^refs\/rollgate\//);
  }
  expect(refsOf(server).filter((ref) => /^refs\/(heads|tags)\//.test(ref))).toEqual([]);
  expect(server.state.seeded(FULL_NAME).refEvents).toEqual([]);
}

afterEach(async () => {
  const servers = started.splice(0);
  await Promise.all(servers.map((server) => server.close()));
  for (const server of servers) server.assertNoViolations();
});

describe('environment refs against the GitHub API test server', () => {
  test('a lock is a ref under refs/rollgate/ on a real tree holding its record, and fires no webhook', async () => {
    const { server, git } = await start();
    const result = await claim(git, repo, 'lock', 'Staging', holder('monalisa'));
    expect(result.taken).toBe(true);

    expect(refsOf(server)).toEqual(['refs/rollgate/lock/staging']);
    const repository = server.state.seeded(FULL_NAME);
    const commit = repository.commits.get(repository.refs.get('refs/rollgate/lock/staging') ?? '');
    expect(commit?.tree.get('README.md')).toContain('Rollgate environment lock');
    const { data: tree } = await git.getTree({ ...repo, tree_sha: result.taken ? result.tree : '' });
    expect(tree.tree.map((entry) => entry.path)).toEqual(['README.md']);

    const refs = await readEnvironmentRefs(git, repo);
    expect(await readLockHolder(git, repo, refs.locks.get('staging') ?? '')).toMatchObject({
      holder: 'monalisa',
      reason: 'deploy for monalisa',
      pullRequest: 7,
    });
    expect(server.callsTo('git/list-matching-refs').map((call) => call.params.ref)).toEqual([
      'rollgate/',
      'heads/rollgate/',
    ]);
    expectNoBranchOrTagWritten(server);
  });

  test('of simultaneous deploys to `staging` and `Staging`, exactly one takes the marker', async () => {
    const { server, git } = await start();
    const results = await Promise.all(
      ['Staging', 'staging', 'STAGING', 'staging'].map((environment, index) =>
        claim(git, repo, 'deploying', environment, holder(`user${index}`)),
      ),
    );
    expect(results.filter((result) => result.taken)).toHaveLength(1);
    const winner = results.find((result) => result.taken)?.holder.holder;
    for (const result of results.filter((r) => !r.taken)) expect(result.holder.holder).toBe(winner);
    expect(refsOf(server)).toEqual(['refs/rollgate/deploying/staging']);
    expectNoBranchOrTagWritten(server);
  });

  test('an abandoned marker is taken over by exactly one of two replicas at once', async () => {
    const { server, git } = await start();
    const longAgo = new Date(Date.now() - 45 * 60_000).toISOString();
    const abandoned = await claim(git, repo, 'deploying', 'production', holder('hubot', longAgo));
    if (!abandoned.taken) throw new Error('the first claim must succeed');
    const options = { staleAfterMs: 30 * 60_000 };
    const [a, b] = await Promise.all([
      claim(git, repo, 'deploying', 'production', holder('monalisa'), options),
      claim(git, repo, 'deploying', 'production', holder('octocat'), options),
    ]);
    expect([a.taken, b.taken].filter(Boolean)).toHaveLength(1);
    const winner = a.taken ? a : b;
    const loser = a.taken ? b : a;
    if (!winner.taken || loser.taken) throw new Error('one winner, one loser');
    expect(winner.tookOver?.holder).toBe('hubot');
    expect(loser.holder.holder).toBe(winner.holder.holder);
    // The takeover moved the ref by fast-forward from the abandoned commit: nothing was forced.
    expect(server.state.seeded(FULL_NAME).commits.get(winner.sha)?.parents).toEqual([abandoned.sha]);
    for (const call of server.callsTo('git/update-ref')) expect(call.body).toMatchObject({ force: false });
    expect(server.callsTo('git/update-ref').filter((call) => call.status === 200)).toHaveLength(1);
  });

  test('a /lock that lands while a deploy takes its marker wins, and the marker is given back', async () => {
    const { server, git } = await start();
    // The lock is created right after the marker (as a /lock handled by another replica would be).
    server.rewriteNextResponse('git/create-ref', (body) => {
      const repository = server.state.seeded(FULL_NAME);
      const marker = repository.refs.get('refs/rollgate/deploying/staging') ?? '';
      const commit = repository.commits.get(marker);
      if (commit) {
        repository.commits.set('f'.repeat(40), {
          ...commit,
          sha: 'f'.repeat(40),
          message: `rollgate lock staging\n\n${JSON.stringify(holder('hubot'))}`,
        });
        repository.refs.set('refs/rollgate/lock/staging', 'f'.repeat(40));
      }
      return body;
    });
    const result = await claim(git, repo, 'deploying', 'staging', holder('monalisa'));
    expect(result).toMatchObject({ taken: false, by: 'lock', holder: { holder: 'hubot' } });
    expect(refsOf(server)).toEqual(['refs/rollgate/lock/staging']);
  });

  test('a final status releases only the marker of its own deployment', async () => {
    const { server, git } = await start();
    const taken = await claim(git, repo, 'deploying', 'staging', holder('monalisa'));
    if (!taken.taken) throw new Error('not taken');
    const recorded = await recordDeployment(git, repo, 'staging', taken, 1001);
    expect(recorded).toBeDefined();
    expect(await readLockHolder(git, repo, recorded ?? '')).toMatchObject({ deploymentId: 1001 });

    expect(await release(git, repo, 'deploying', 'Staging', { deploymentId: 999 })).toBe(false);
    expect(await release(git, repo, 'deploying', 'staging', { sha: taken.sha })).toBe(false);
    expect(refsOf(server)).toEqual(['refs/rollgate/deploying/staging']);
    expect(await release(git, repo, 'deploying', 'staging', { deploymentId: 1001 })).toBe(true);
    expect(refsOf(server)).toEqual([]);
    expect(await release(git, repo, 'deploying', 'staging', { deploymentId: 1001 })).toBe(false);
  });

  test("a ruleset that restricts every branch's creation does not touch refs/rollgate/", async () => {
    const { server, git } = await start();
    server.state.addRuleset(FULL_NAME, {
      name: 'no new branches',
      target: 'branch',
      include: ['~ALL'],
      rules: ['creation', 'deletion'],
    });
    const result = await claim(git, repo, 'lock', 'production', holder('monalisa'));
    expect(result.taken).toBe(true);
    expect(await release(git, repo, 'lock', 'production')).toBe(true);
    expectNoBranchOrTagWritten(server);
  });

  test("any 422 but 'Reference already exists' ends the command with GitHub's reason, tried once", async () => {
    const { server, git } = await start();
    server.failNext('git/create-ref', { status: 422, message: 'Reference update failed' });
    const error = await claim(git, repo, 'lock', 'staging', holder('monalisa')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentRefError);
    expect((error as EnvironmentRefError).render()).toMatch(
      /^GitHub refused to create `refs\/rollgate\/lock\/staging`: Reference update failed\./,
    );
    expect(server.callsTo('git/create-ref')).toHaveLength(1);
    expect(refsOf(server)).toEqual([]);
  });

  test('a claim whose answer was lost after GitHub created the ref finds it its own when retried', async () => {
    const { server, git } = await start();
    server.loseAnswer('git/create-ref', { as: 'socket' });
    const claimant = holder('monalisa');
    await expect(claim(git, repo, 'deploying', 'staging', claimant)).rejects.toThrow();
    expect(refsOf(server)).toEqual(['refs/rollgate/deploying/staging']);
    const retried = await claim(git, repo, 'deploying', 'staging', claimant);
    expect(retried).toMatchObject({ taken: true, holder: { holder: 'monalisa' } });
    expect(retried.sha).toBe(server.state.seeded(FULL_NAME).refs.get('refs/rollgate/deploying/staging'));
  });

  test('rollgate/* branches of earlier versions are moved to refs/rollgate/ on first read', async () => {
    const { server, git } = await start();
    const record = JSON.stringify(holder('hubot'));
    const legacy = server.state.addCommit(FULL_NAME, {
      branch: 'rollgate/lock/Production',
      message: `rollgate lock Production\n\n${record}`,
    });
    const refs = await readEnvironmentRefs(git, repo);
    expect(refs.locks.get('production')).toBe(legacy);
    expect(refsOf(server)).toEqual(['refs/rollgate/lock/production']);
    expect(await readLockHolder(git, repo, legacy)).toMatchObject({ holder: 'hubot' });
    // Deleting the old branch is the one branch event left; nothing is created as a branch.
    expect(server.state.seeded(FULL_NAME).refEvents.map((e) => [e.event, e.ref])).toEqual([
      ['delete', 'refs/heads/rollgate/lock/Production'],
      ['push', 'refs/heads/rollgate/lock/Production'],
    ]);
    const migrated = new Set<string>();
    await readEnvironmentRefs(git, repo, { migrated });
    await readEnvironmentRefs(git, repo, { migrated });
    expect(server.callsTo('git/list-matching-refs')).toHaveLength(5);
  });
});
