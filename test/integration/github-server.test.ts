import { afterEach, describe, expect, test } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { loadApiDescription } from '../support/github-server/openapi.ts';
import {
  implementedOperationIds,
  startGitHubServer,
  type GitHubServer,
  type GitHubServerOptions,
} from '../support/github-server/server.ts';
import { protectionRuleEventProblems } from '../support/protection-rule-event.ts';

const repo = { owner: 'octo-org', repo: 'web' };
/** Octokit treats a three-part token as a JWT and sends it as `bearer`, as an App authenticates. */
const appJwt = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjQyNDI0Mn0.c2lnbmF0dXJl';
const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const started: { server: GitHubServer; violationsExpected: boolean }[] = [];

async function start(
  options: GitHubServerOptions & { violationsExpected?: boolean } = {},
): Promise<{ server: GitHubServer; octokit: Octokit }> {
  const server = await startGitHubServer(options);
  started.push({ server, violationsExpected: options.violationsExpected ?? false });
  server.state.addRepository('octo-org/web', {
    files: { 'README.md': '# web\n', 'src/app.ts': 'export {};\n' },
  });
  return { server, octokit: client(server, 'test-token') };
}

function client(server: GitHubServer, auth: string, baseUrl = server.url): Octokit {
  return new Octokit({ baseUrl, auth, log: quiet });
}

/** An Octokit acting as the App's installation, with a token the server issued. */
async function installationClient(server: GitHubServer): Promise<Octokit> {
  const app = client(server, appJwt);
  const { data: installation } = await app.rest.apps.getRepoInstallation(repo);
  const { data: token } = await app.rest.apps.createInstallationAccessToken({
    installation_id: installation.id,
  });
  return client(server, token.token);
}

/** A request past Octokit's types, as plain JavaScript or a wrong cast would send it. */
function untypedRequest(
  octokit: Octokit,
  route: string,
  parameters: Record<string, unknown>,
): Promise<unknown> {
  return octokit.request(route, parameters);
}

interface Failure {
  readonly status: number;
  readonly data: { message?: string; errors?: unknown[] };
  readonly headers: Record<string, string | number | undefined>;
}

/** The error answer of a request that must fail. */
async function failure(request: Promise<unknown>): Promise<Failure> {
  try {
    await request;
  } catch (error) {
    if (error instanceof Error && 'status' in error && 'response' in error) {
      const response = error.response as { data: Failure['data']; headers: Failure['headers'] } | undefined;
      return { status: Number(error.status), data: response?.data ?? {}, headers: response?.headers ?? {} };
    }
    throw error;
  }
  throw new Error('the request succeeded, but it should have failed');
}

afterEach(async () => {
  const servers = started.splice(0);
  await Promise.all(servers.map(({ server }) => server.close()));
  for (const { server, violationsExpected } of servers) {
    if (!violationsExpected) server.assertNoViolations();
  }
});

describe('GitHub API test server: deployments', () => {
  test('creates a deployment with GitHub defaults and serves it back through get, list and the call log', async () => {
    const { server, octokit } = await start();
    const main = server.state.resolveRef(server.state.seeded('octo-org/web'), 'main');
    const created = await octokit.rest.repos.createDeployment({
      ...repo,
      ref: 'main',
      environment: 'staging',
      required_contexts: [],
      payload: '{"image":"web:1.4.2"}',
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      sha: main,
      ref: 'main',
      task: 'deploy',
      environment: 'staging',
      original_environment: 'staging',
      production_environment: false,
      transient_environment: false,
      payload: { image: 'web:1.4.2' },
      creator: { login: 'octocat' },
      performed_via_github_app: null,
    });
    const id = 'id' in created.data ? created.data.id : 0;
    const fetched = await octokit.rest.repos.getDeployment({ ...repo, deployment_id: id });
    expect(fetched.data).toEqual(created.data);
    await octokit.rest.repos.createDeployment({ ...repo, ref: 'main', required_contexts: [] });
    const staging = await octokit.rest.repos.listDeployments({ ...repo, environment: 'staging' });
    expect(staging.data.map((d) => d.id)).toEqual([id]);
    const production = await octokit.rest.repos.listDeployments({ ...repo, environment: 'production' });
    expect(production.data[0]?.production_environment).toBe(true);
    expect(server.callsTo('repos/create-deployment')).toHaveLength(2);
    expect(server.callsTo('repos/create-deployment')[0]).toMatchObject({
      method: 'POST',
      path: '/repos/octo-org/web/deployments',
      status: 201,
      actor: 'octocat',
      body: { ref: 'main', environment: 'staging' },
    });
    const environments = await octokit.rest.repos.getAllEnvironments(repo);
    expect(environments.data.environments?.map((e) => e.name)).toEqual(['production', 'staging']);
  });

  test('marks the earlier successful staging deployment inactive when a new one succeeds, but never production', async () => {
    const { octokit } = await start();
    const deploy = async (environment: string): Promise<number> => {
      const { data } = await octokit.rest.repos.createDeployment({
        ...repo,
        ref: 'main',
        environment,
        required_contexts: [],
      });
      return 'id' in data ? data.id : 0;
    };
    const states = async (deployment_id: number): Promise<string[]> =>
      (await octokit.rest.repos.listDeploymentStatuses({ ...repo, deployment_id })).data.map((s) => s.state);

    const first = await deploy('staging');
    await octokit.rest.repos.createDeploymentStatus({ ...repo, deployment_id: first, state: 'success' });
    const firstProduction = await deploy('production');
    await octokit.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: firstProduction,
      state: 'success',
    });

    const second = await deploy('staging');
    await octokit.rest.repos.createDeploymentStatus({ ...repo, deployment_id: second, state: 'in_progress' });
    expect(await states(first)).toEqual(['success']);
    const status = await octokit.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: second,
      state: 'success',
      log_url: 'https://ci.example.com/runs/7',
      environment_url: 'https://staging.example.com',
    });
    expect(status.data).toMatchObject({
      state: 'success',
      log_url: 'https://ci.example.com/runs/7',
      target_url: 'https://ci.example.com/runs/7',
      environment: 'staging',
    });
    expect(await states(first)).toEqual(['inactive', 'success']);
    expect(await states(second)).toEqual(['success', 'in_progress']);

    await octokit.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: await deploy('production'),
      state: 'success',
    });
    expect(await states(firstProduction)).toEqual(['success']);

    const third = await deploy('staging');
    await octokit.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: third,
      state: 'success',
      auto_inactive: false,
    });
    expect(await states(second)).toEqual(['success', 'in_progress']);
  });

  test("answers 409 with GitHub's message when a required commit status context is not success", async () => {
    const { server, octokit } = await start();
    server.state.addCommitStatus('octo-org/web', 'main', { context: 'ci/build', state: 'failure' });
    server.state.addCommitStatus('octo-org/web', 'main', { context: 'lint', state: 'success' });

    const conflict = await failure(octokit.rest.repos.createDeployment({ ...repo, ref: 'main' }));
    expect(conflict.status).toBe(409);
    expect(conflict.data.message).toBe('Conflict: Commit status checks failed for main.');
    expect(conflict.data.errors).toEqual([
      {
        contexts: [
          { context: 'lint', state: 'success' },
          { context: 'ci/build', state: 'failure' },
        ],
        resource: 'Deployment',
        field: 'required_contexts',
        code: 'invalid',
      },
    ]);
    const missing = await failure(
      octokit.rest.repos.createDeployment({ ...repo, ref: 'main', required_contexts: ['security'] }),
    );
    expect(missing.status).toBe(409);
    const onlyLint = await octokit.rest.repos.createDeployment({
      ...repo,
      ref: 'main',
      required_contexts: ['lint'],
    });
    expect(onlyLint.status).toBe(201);
    const unchecked = await octokit.rest.repos.createDeployment({
      ...repo,
      ref: 'main',
      required_contexts: [],
    });
    expect(unchecked.status).toBe(201);
    expect((await octokit.rest.repos.listDeployments(repo)).data).toHaveLength(2);
  });

  test('answers 202 and merges the default branch into a branch that is behind it, creating no deployment', async () => {
    const { server, octokit } = await start();
    const state = server.state;
    const feature = state.addCommit('octo-org/web', {
      branch: 'feature',
      files: { 'src/feature.ts': 'x\n' },
    });
    const main = state.addCommit('octo-org/web', { files: { 'CHANGELOG.md': '1.0\n' } });

    const merged = await octokit.rest.repos.createDeployment({
      ...repo,
      ref: 'feature',
      required_contexts: [],
    });
    expect(merged.status).toBe(202);
    expect(merged.data).toEqual({ message: 'Auto-merged main into feature on deployment.' });
    expect((await octokit.rest.repos.listDeployments(repo)).data).toEqual([]);
    const head = await octokit.rest.repos.getCommit({ ...repo, ref: 'feature' });
    expect(head.data.parents.map((p) => p.sha)).toEqual([feature, main]);
    expect(head.data.files?.map((f) => f.filename)).toEqual(['CHANGELOG.md']);

    const deployed = await octokit.rest.repos.createDeployment({
      ...repo,
      ref: 'feature',
      required_contexts: [],
    });
    expect(deployed.status).toBe(201);
    state.addCommit('octo-org/web', { files: { 'CHANGELOG.md': '1.1\n' } });
    const withoutMerge = await octokit.rest.repos.createDeployment({
      ...repo,
      ref: 'feature',
      auto_merge: false,
      required_contexts: [],
    });
    expect(withoutMerge.status).toBe(201);
  });

  test('deletes an inactive deployment but refuses an active one while the environment has others', async () => {
    const { octokit } = await start();
    const ids: number[] = [];
    for (let i = 0; i < 2; i++) {
      const { data } = await octokit.rest.repos.createDeployment({
        ...repo,
        ref: 'main',
        required_contexts: [],
      });
      ids.push('id' in data ? data.id : 0);
    }
    const [older = 0] = ids;
    const refused = await failure(octokit.rest.repos.deleteDeployment({ ...repo, deployment_id: older }));
    expect(refused.status).toBe(422);
    expect(refused.data.message).toMatch(/cannot delete an active deployment/);
    await octokit.rest.repos.createDeploymentStatus({ ...repo, deployment_id: older, state: 'inactive' });
    const deleted = await octokit.rest.repos.deleteDeployment({ ...repo, deployment_id: older });
    expect(deleted.status).toBe(204);
    expect((await failure(octokit.rest.repos.getDeployment({ ...repo, deployment_id: older }))).status).toBe(
      404,
    );
  });

  test('pages through deployments with the Link header Octokit follows', async () => {
    const { octokit } = await start();
    for (let i = 0; i < 5; i++) {
      await octokit.rest.repos.createDeployment({
        ...repo,
        ref: 'main',
        task: `deploy:${i}`,
        required_contexts: [],
      });
    }
    const firstPage = await octokit.rest.repos.listDeployments({ ...repo, per_page: 2 });
    expect(firstPage.data.map((d) => d.task)).toEqual(['deploy:4', 'deploy:3']);
    expect(firstPage.headers.link).toContain('rel="next"');
    const all = await octokit.paginate(octokit.rest.repos.listDeployments, { ...repo, per_page: 2 });
    expect(all.map((d) => d.task)).toEqual(['deploy:4', 'deploy:3', 'deploy:2', 'deploy:1', 'deploy:0']);
  });
});

describe('GitHub API test server: git refs, commits and statuses', () => {
  test('creates a ref once, answers 422 "Reference already exists" the second time, and updates only fast-forward', async () => {
    const { server, octokit } = await start();
    const main = server.state.resolveRef(server.state.seeded('octo-org/web'), 'main') ?? '';
    const created = await octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/release/1.x', sha: main });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      ref: 'refs/heads/release/1.x',
      object: { type: 'commit', sha: main },
    });

    const again = await failure(
      octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/release/1.x', sha: main }),
    );
    expect(again.status).toBe(422);
    expect(again.data.message).toBe('Reference already exists');
    const fetched = await octokit.rest.git.getRef({ ...repo, ref: 'heads/release/1.x' });
    expect(fetched.data.object.sha).toBe(main);

    const next = server.state.addCommit('octo-org/web', { branch: 'other', message: 'Diverge' });
    const unrelated = server.state.addCommit('octo-org/web', { branch: 'lonely', parents: [] });
    const forward = await octokit.rest.git.updateRef({ ...repo, ref: 'heads/release/1.x', sha: next });
    expect(forward.data.object.sha).toBe(next);
    const rewind = await failure(
      octokit.rest.git.updateRef({ ...repo, ref: 'heads/release/1.x', sha: unrelated }),
    );
    expect(rewind.data.message).toBe('Update is not a fast forward');
    await octokit.rest.git.updateRef({ ...repo, ref: 'heads/release/1.x', sha: unrelated, force: true });

    const matching = await octokit.rest.git.listMatchingRefs({ ...repo, ref: 'heads/release' });
    expect(matching.data.map((r) => r.ref)).toEqual(['refs/heads/release/1.x']);
    expect((await octokit.rest.git.deleteRef({ ...repo, ref: 'heads/release/1.x' })).status).toBe(204);
    expect((await failure(octokit.rest.git.getRef({ ...repo, ref: 'heads/release/1.x' }))).status).toBe(404);
  });

  test('combines commit statuses into failure, pending and success and compares two branches', async () => {
    const { server, octokit } = await start();
    const sha = server.state.addCommit('octo-org/web', {
      branch: 'feature',
      files: { 'src/app.ts': 'export const version = 2;\n', 'README.md': null },
    });
    const combined = async () =>
      (await octokit.rest.repos.getCombinedStatusForRef({ ...repo, ref: 'feature' })).data;
    expect((await combined()).state).toBe('pending');
    await octokit.rest.repos.createCommitStatus({ ...repo, sha, state: 'failure', context: 'ci/build' });
    expect((await combined()).state).toBe('failure');
    await octokit.rest.repos.createCommitStatus({ ...repo, sha, state: 'pending', context: 'ci/build' });
    await octokit.rest.repos.createCommitStatus({ ...repo, sha, state: 'success', context: 'lint' });
    expect((await combined()).state).toBe('pending');
    const done = await octokit.rest.repos.createCommitStatus({
      ...repo,
      sha,
      state: 'success',
      context: 'ci/build',
    });
    expect(done.data).toMatchObject({ state: 'success', context: 'ci/build', creator: { login: 'octocat' } });
    expect(await combined()).toMatchObject({ state: 'success', sha, total_count: 2 });

    const comparison = await octokit.rest.repos.compareCommitsWithBasehead({
      ...repo,
      basehead: 'main...feature',
    });
    expect(comparison.data).toMatchObject({ status: 'ahead', ahead_by: 1, behind_by: 0, total_commits: 1 });
    expect(comparison.data.commits.map((c) => c.sha)).toEqual([sha]);
    expect(comparison.data.files?.map((f) => [f.filename, f.status, f.additions, f.deletions])).toEqual([
      ['README.md', 'removed', 0, 1],
      ['src/app.ts', 'modified', 1, 1],
    ]);
  });

  test('serves a pull request with its head, base and change counts', async () => {
    const { server, octokit } = await start();
    server.state.addCommit('octo-org/web', { branch: 'feature', files: { 'src/a.ts': 'a\nb\n' } });
    const head = server.state.addCommit('octo-org/web', { branch: 'feature', files: { 'src/b.ts': 'c\n' } });
    const pull = server.state.addPullRequest('octo-org/web', {
      head: 'feature',
      title: 'Add a and b',
      user: 'mona',
    });
    const { data } = await octokit.rest.pulls.get({ ...repo, pull_number: pull.number });
    expect(data).toMatchObject({
      number: pull.number,
      title: 'Add a and b',
      state: 'open',
      user: { login: 'mona' },
      head: { ref: 'feature', sha: head, label: 'octo-org:feature' },
      base: { ref: 'main' },
      commits: 2,
      additions: 3,
      deletions: 0,
      changed_files: 2,
      merged: false,
    });
  });
});

describe('GitHub API test server: checks, comments and permissions', () => {
  test('lets the App create, complete and list check runs, and refuses a user token with 403', async () => {
    const { server, octokit } = await start();
    const sha = server.state.resolveRef(server.state.seeded('octo-org/web'), 'main') ?? '';
    const refused = await failure(
      octokit.rest.checks.create({ ...repo, name: 'rollgate/deploy', head_sha: sha }),
    );
    expect(refused.status).toBe(403);

    const app = await installationClient(server);
    const created = await app.rest.checks.create({
      ...repo,
      name: 'rollgate/deploy',
      head_sha: sha,
      status: 'in_progress',
      output: { title: 'Deploying', summary: 'Rolling out web:1.4.2' },
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      status: 'in_progress',
      conclusion: null,
      completed_at: null,
      app: { slug: 'rollgate' },
      output: { title: 'Deploying', summary: 'Rolling out web:1.4.2', text: null },
    });
    const updated = await app.rest.checks.update({
      ...repo,
      check_run_id: created.data.id,
      conclusion: 'success',
      output: { title: 'Deployed', summary: 'web:1.4.2 is live' },
    });
    expect(updated.data).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      output: { title: 'Deployed' },
    });
    expect(updated.data.completed_at).not.toBeNull();

    await app.rest.checks.create({ ...repo, name: 'rollgate/deploy', head_sha: sha });
    await app.rest.checks.create({ ...repo, name: 'rollgate/verify', head_sha: sha });
    const latest = await octokit.rest.checks.listForRef({ ...repo, ref: 'main' });
    expect(latest.data.total_count).toBe(2);
    expect(latest.data.check_runs.map((r) => [r.name, r.status])).toEqual([
      ['rollgate/verify', 'queued'],
      ['rollgate/deploy', 'queued'],
    ]);
    const all = await octokit.rest.checks.listForRef({ ...repo, ref: 'main', filter: 'all' });
    expect(all.data.total_count).toBe(3);
    const fetched = await octokit.rest.checks.get({ ...repo, check_run_id: created.data.id });
    expect(fetched.data.conclusion).toBe('success');
    expect(server.callsTo('checks/create').map((c) => c.actor)).toEqual([
      'octocat',
      'rollgate[bot]',
      'rollgate[bot]',
      'rollgate[bot]',
    ]);
  });

  test('comments on a pull request, edits the comment, reacts to it once per content and deletes it', async () => {
    const { server, octokit } = await start();
    server.state.addCommit('octo-org/web', { branch: 'feature' });
    const pull = server.state.addPullRequest('octo-org/web', { head: 'feature' });
    const app = await installationClient(server);

    const comment = await app.rest.issues.createComment({
      ...repo,
      issue_number: pull.number,
      body: 'Deploying…',
    });
    expect(comment.status).toBe(201);
    expect(comment.data).toMatchObject({
      body: 'Deploying…',
      user: { login: 'rollgate[bot]', type: 'Bot' },
      author_association: 'NONE',
      performed_via_github_app: { slug: 'rollgate' },
    });
    expect(comment.data.html_url).toMatch(
      new RegExp(`/pull/${pull.number}#issuecomment-${comment.data.id}$`),
    );
    const comment_id = comment.data.id;
    await app.rest.issues.updateComment({ ...repo, comment_id, body: 'Deployed ✅' });

    const first = await octokit.rest.reactions.createForIssueComment({
      ...repo,
      comment_id,
      content: 'rocket',
    });
    const again = await octokit.rest.reactions.createForIssueComment({
      ...repo,
      comment_id,
      content: 'rocket',
    });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.data.id).toBe(first.data.id);
    await app.rest.reactions.createForIssueComment({ ...repo, comment_id, content: 'eyes' });
    const rockets = await octokit.rest.reactions.listForIssueComment({
      ...repo,
      comment_id,
      content: 'rocket',
    });
    expect(rockets.data.map((r) => r.user?.login)).toEqual(['octocat']);

    const fetched = await octokit.rest.issues.getComment({ ...repo, comment_id });
    expect(fetched.data.body).toBe('Deployed ✅');
    expect(fetched.data.reactions).toMatchObject({ total_count: 2, rocket: 1, eyes: 1, '+1': 0 });
    const listed = await octokit.rest.issues.listComments({ ...repo, issue_number: pull.number });
    expect(listed.data.map((c) => c.id)).toEqual([comment_id]);

    expect((await app.rest.issues.deleteComment({ ...repo, comment_id })).status).toBe(204);
    expect((await failure(octokit.rest.issues.getComment({ ...repo, comment_id }))).status).toBe(404);
    const nowhere = await failure(
      octokit.rest.issues.createComment({ ...repo, issue_number: 999, body: 'x' }),
    );
    expect(nowhere.status).toBe(404);
  });

  test("reports a collaborator's role and GitHub's legacy permission for it", async () => {
    const { server, octokit } = await start();
    server.state.addCollaborator('octo-org/web', 'maintainer', 'maintain');
    server.state.addCollaborator('octo-org/web', 'triager', 'triage');
    server.state.addCollaborator('octo-org/web', 'admin', 'admin');
    server.state.user('outsider');
    const level = async (username: string) =>
      (await octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username })).data;

    expect(await level('maintainer')).toMatchObject({
      permission: 'write',
      role_name: 'maintain',
      user: { login: 'maintainer', permissions: { admin: false, maintain: true, push: true } },
    });
    expect(await level('triager')).toMatchObject({ permission: 'read', role_name: 'triage' });
    expect(await level('admin')).toMatchObject({ permission: 'admin', role_name: 'admin' });
    expect(await level('outsider')).toMatchObject({ permission: 'read', role_name: 'read' });
    const unknown = await failure(
      octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username: 'ghost' }),
    );
    expect(unknown.status).toBe(404);
  });
});

describe('GitHub API test server: releases, contents, environments and the App', () => {
  test('finds a release by tag and takes the newest full release as the latest', async () => {
    const { server, octokit } = await start();
    const day = (n: number) => new Date(Date.UTC(2025, 0, n));
    server.state.addRelease('octo-org/web', { tag: 'v1.0.0', createdAt: day(1) });
    server.state.addRelease('octo-org/web', { tag: 'v1.1.0', name: 'Faster rollouts', createdAt: day(5) });
    server.state.addRelease('octo-org/web', { tag: 'v1.2.0-rc.1', prerelease: true, createdAt: day(9) });
    server.state.addRelease('octo-org/web', { tag: 'v2.0.0', draft: true, createdAt: day(10) });

    const byTag = await octokit.rest.repos.getReleaseByTag({ ...repo, tag: 'v1.1.0' });
    expect(byTag.data).toMatchObject({ tag_name: 'v1.1.0', name: 'Faster rollouts', draft: false });
    const latest = await octokit.rest.repos.getLatestRelease(repo);
    expect(latest.data.tag_name).toBe('v1.1.0');
    expect((await failure(octokit.rest.repos.getReleaseByTag({ ...repo, tag: 'v2.0.0' }))).status).toBe(404);
    const listed = await octokit.rest.repos.listReleases(repo);
    expect(listed.data.map((r) => r.tag_name)).toEqual(['v2.0.0', 'v1.2.0-rc.1', 'v1.1.0', 'v1.0.0']);
    const tag = await octokit.rest.git.getRef({ ...repo, ref: 'tags/v1.0.0' });
    expect(tag.data.ref).toBe('refs/tags/v1.0.0');
  });

  test("returns a seeded file base64-encoded, and raw as Probot's config loader asks for it", async () => {
    const { server, octokit } = await start();
    const config = 'environments:\n  staging:\n    auto-deploy: true\n';
    server.state.addFile('octo-org/web', '.github/rollgate.yml', config);

    const { data } = await octokit.rest.repos.getContent({ ...repo, path: '.github/rollgate.yml' });
    if (Array.isArray(data) || data.type !== 'file') throw new Error('expected a file');
    expect(data).toMatchObject({ name: 'rollgate.yml', path: '.github/rollgate.yml', encoding: 'base64' });
    expect(Buffer.from(data.content, 'base64').toString('utf8')).toBe(config);

    const raw = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
      ...repo,
      path: '.github/rollgate.yml',
      mediaType: { format: 'raw' },
    });
    expect(raw.data).toBe(config);
    server.state.addFile('octo-org/web', '.github/workflows/deploy.yml', 'on: deployment\n');
    const directory = await octokit.rest.repos.getContent({ ...repo, path: '.github' });
    expect(Array.isArray(directory.data) ? directory.data.map((e) => [e.path, e.type]) : []).toEqual([
      ['.github/rollgate.yml', 'file'],
      ['.github/workflows', 'dir'],
    ]);
    const missing = await failure(octokit.rest.repos.getContent({ ...repo, path: '.github/missing.yml' }));
    expect(missing.status).toBe(404);
  });

  test('creates an environment with protection rules and lists it', async () => {
    const { server, octokit } = await start();
    const reviewer = server.state.user('release-manager');
    const { data } = await octokit.rest.repos.createOrUpdateEnvironment({
      ...repo,
      environment_name: 'production',
      wait_timer: 30,
      reviewers: [{ type: 'User', id: reviewer.id }],
      deployment_branch_policy: { protected_branches: true, custom_branch_policies: false },
    });
    expect(data.protection_rules?.map((rule) => rule.type)).toEqual([
      'wait_timer',
      'required_reviewers',
      'branch_policy',
    ]);
    const fetched = await octokit.rest.repos.getEnvironment({ ...repo, environment_name: 'production' });
    expect(fetched.data).toEqual(data);
    expect(
      (await failure(octokit.rest.repos.getEnvironment({ ...repo, environment_name: 'qa' }))).status,
    ).toBe(404);
  });

  test('answers the App JWT on /app endpoints and issues installation tokens that act as the bot', async () => {
    const { server, octokit } = await start({
      app: { id: 99, slug: 'rollgate-test', name: 'Rollgate Test' },
    });
    const app = client(server, appJwt);
    expect((await app.rest.apps.getAuthenticated()).data).toMatchObject({ id: 99, slug: 'rollgate-test' });
    expect((await failure(octokit.rest.apps.getAuthenticated())).status).toBe(401);
    const { data: installation } = await app.rest.apps.getRepoInstallation(repo);
    expect(installation).toMatchObject({
      app_id: 99,
      account: { login: 'octo-org' },
      target_type: 'Organization',
    });
    const token = await app.rest.apps.createInstallationAccessToken({ installation_id: installation.id });
    expect(token.status).toBe(201);
    expect(token.data.token).toMatch(/^ghs_/);
    expect(Date.parse(token.data.expires_at)).toBeGreaterThan(Date.now());
    const bot = client(server, token.data.token);
    const deployment = await bot.rest.repos.createDeployment({ ...repo, ref: 'main', required_contexts: [] });
    expect(deployment.data).toMatchObject({
      creator: { login: 'rollgate-test[bot]' },
      performed_via_github_app: { id: 99 },
    });
  });

  test('accepts the /api/v3 prefix Probot uses for a GitHub Enterprise host', async () => {
    const { server } = await start();
    const enterprise = client(server, 'test-token', `http://${server.host}/api/v3`);
    const { data } = await enterprise.rest.repos.get(repo);
    expect(data).toMatchObject({ full_name: 'octo-org/web', default_branch: 'main', visibility: 'public' });
    expect(server.calls.at(-1)?.path).toBe('/repos/octo-org/web');
  });
});

describe('GitHub API test server: what Rollgate relies on', () => {
  test("refuses a commit on git's empty-tree SHA, and builds one from a blob and a tree it created", async () => {
    const { octokit } = await start();
    const empty = await failure(
      octokit.rest.git.createCommit({
        ...repo,
        message: 'lock',
        tree: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
        parents: [],
      }),
    );
    expect(empty).toMatchObject({ status: 422, data: { message: 'Tree SHA does not exist' } });

    const { data: blob } = await octokit.rest.git.createBlob({ ...repo, content: '{"holder":"a"}\n' });
    const { data: tree } = await octokit.rest.git.createTree({
      ...repo,
      tree: [
        { path: 'holder.json', mode: '100644', type: 'blob', sha: blob.sha },
        { path: 'notes/why.md', mode: '100644', type: 'blob', content: 'because\n' },
      ],
    });
    expect(tree.tree.map((entry) => [entry.path, entry.type])).toEqual([
      ['holder.json', 'blob'],
      ['notes', 'tree'],
    ]);
    const { data: commit } = await octokit.rest.git.createCommit({
      ...repo,
      message: 'lock',
      tree: tree.sha,
      parents: [],
    });
    expect(commit.tree.sha).toBe(tree.sha);
    const { data: recursive } = await octokit.rest.git.getTree({
      ...repo,
      tree_sha: tree.sha,
      recursive: '1',
    });
    expect(recursive.tree.map((entry) => entry.path)).toEqual(['holder.json', 'notes', 'notes/why.md']);
    const notes = tree.tree.find((entry) => entry.path === 'notes')?.sha ?? '';
    const { data: subtree } = await octokit.rest.git.getTree({ ...repo, tree_sha: notes });
    expect(subtree.tree.map((entry) => entry.path)).toEqual(['why.md']);
    expect(
      (
        await failure(
          octokit.rest.git.createTree({
            ...repo,
            tree: [{ path: 'x', mode: '100644', type: 'blob', sha: 'f'.repeat(40) }],
          }),
        )
      ).status,
    ).toBe(422);
    expect((await failure(octokit.rest.git.getTree({ ...repo, tree_sha: 'f'.repeat(40) }))).status).toBe(404);
  });

  test("creates refs in any namespace with two slashes, and gives GitHub's 422 reasons for the rest", async () => {
    const { server, octokit } = await start();
    const main = server.state.resolveRef(server.state.seeded('octo-org/web'), 'main') ?? '';
    const custom = await octokit.rest.git.createRef({
      ...repo,
      ref: 'refs/rollgate/lock/staging',
      sha: main,
    });
    expect(custom.status).toBe(201);
    const listed = await octokit.rest.git.listMatchingRefs({ ...repo, ref: 'rollgate/' });
    expect(listed.data.map((ref) => ref.ref)).toEqual(['refs/rollgate/lock/staging']);
    expect((await octokit.rest.git.getRef({ ...repo, ref: 'rollgate/lock/staging' })).data.object.sha).toBe(
      main,
    );

    const reasons = await Promise.all(
      [
        { ref: 'refs/rollgate/lock/staging', sha: main },
        { ref: 'refs/rollgate', sha: main },
        { ref: 'rollgate/lock/x', sha: main },
        { ref: 'refs/rollgate/lock/x..y', sha: main },
        { ref: 'refs/rollgate/lock/x.lock', sha: main },
        { ref: 'refs/rollgate/lock/y', sha: 'f'.repeat(40) },
      ].map(async (body) => (await failure(octokit.rest.git.createRef({ ...repo, ...body }))).data.message),
    );
    expect(reasons).toEqual([
      'Reference already exists',
      'Reference name must contain at least three slash-separated components.',
      'Reference name must contain at least three slash-separated components.',
      'refs/rollgate/lock/x..y is not a valid ref name.',
      'refs/rollgate/lock/x.lock is not a valid ref name.',
      'Object does not exist',
    ]);
    // A path `{ref}` is relative to refs/: GitHub reads `refs/rollgate/…` there as refs/refs/rollgate/….
    const prefixed = await failure(
      octokit.rest.git.updateRef({ ...repo, ref: 'refs/rollgate/lock/staging', sha: main }),
    );
    expect(prefixed.data.message).toBe('Reference does not exist');
  });

  test('a ruleset refuses branch and tag changes with "Repository rule violations found", other namespaces never', async () => {
    const { server, octokit } = await start();
    const main = server.state.resolveRef(server.state.seeded('octo-org/web'), 'main') ?? '';
    server.state.addRuleset('octo-org/web', {
      name: 'release branches',
      target: 'branch',
      include: ['refs/heads/rollgate/**', '~DEFAULT_BRANCH'],
      rules: ['creation', 'deletion', 'non_fast_forward'],
    });
    const created = await failure(
      octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/rollgate/lock/staging', sha: main }),
    );
    expect(created).toMatchObject({
      status: 422,
      data: {
        message:
          'Repository rule violations found\n\nCannot create ref due to creations being restricted.\n\n',
      },
    });
    const deleted = await failure(octokit.rest.git.deleteRef({ ...repo, ref: 'heads/main' }));
    expect(deleted.data.message).toBe(
      'Repository rule violations found\n\nCannot delete this protected ref.\n\n',
    );
    expect(
      (await octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/feature/x', sha: main })).status,
    ).toBe(201);
    expect(
      (await octokit.rest.git.createRef({ ...repo, ref: 'refs/rollgate/lock/staging', sha: main })).status,
    ).toBe(201);
    expect((await octokit.rest.git.deleteRef({ ...repo, ref: 'rollgate/lock/staging' })).status).toBe(204);
  });

  test('records the create, push and delete webhooks of branches and tags, and none for other refs', async () => {
    const { server } = await start();
    const bot = await installationClient(server);
    const main = server.state.resolveRef(server.state.seeded('octo-org/web'), 'main') ?? '';
    const next = server.state.addCommit('octo-org/web', { branch: 'side' });
    for (const ref of [
      'refs/heads/topic',
      'refs/tags/v9',
      'refs/rollgate/deploying/staging',
      'refs/pull/1/x',
    ]) {
      await bot.rest.git.createRef({ ...repo, ref, sha: main });
    }
    await bot.rest.git.updateRef({ ...repo, ref: 'heads/topic', sha: next });
    await bot.rest.git.updateRef({ ...repo, ref: 'rollgate/deploying/staging', sha: next });
    await bot.rest.git.deleteRef({ ...repo, ref: 'heads/topic' });
    await bot.rest.git.deleteRef({ ...repo, ref: 'rollgate/deploying/staging' });
    expect(
      server.state.seeded('octo-org/web').refEvents.map((e) => `${e.event} ${e.ref} ${e.actor}`),
    ).toEqual([
      'create refs/heads/topic rollgate[bot]',
      'push refs/heads/topic rollgate[bot]',
      'create refs/tags/v9 rollgate[bot]',
      'push refs/tags/v9 rollgate[bot]',
      'push refs/heads/topic rollgate[bot]',
      'delete refs/heads/topic rollgate[bot]',
      'push refs/heads/topic rollgate[bot]',
    ]);
  });

  test('counts check runs as required contexts: skipped and unfinished ones block, neutral passes', async () => {
    const { server, octokit } = await start();
    const bot = await installationClient(server);
    const sha = server.state.resolveRef(server.state.seeded('octo-org/web'), 'main') ?? '';
    await bot.rest.checks.create({ ...repo, name: 'build (0)', head_sha: sha, conclusion: 'success' });
    await bot.rest.checks.create({ ...repo, name: 'lint', head_sha: sha, conclusion: 'neutral' });
    const skipped = await bot.rest.checks.create({
      ...repo,
      name: 'e2e',
      head_sha: sha,
      conclusion: 'skipped',
    });
    await bot.rest.checks.create({ ...repo, name: 'rollgate / staging', head_sha: sha, status: 'queued' });

    const refused = await failure(
      octokit.rest.repos.createDeployment({ ...repo, ref: 'main', auto_merge: false }),
    );
    expect(refused.status).toBe(409);
    expect(refused.data.errors).toEqual([
      expect.objectContaining({
        contexts: [
          { context: 'build (0)', state: 'success' },
          { context: 'lint', state: 'success' },
          { context: 'e2e', state: 'skipped' },
          { context: 'rollgate / staging', state: 'pending' },
        ],
      }),
    ]);
    await bot.rest.checks.update({ ...repo, check_run_id: skipped.data.id, conclusion: 'success' });
    const runs = await bot.rest.checks.listForRef({ ...repo, ref: sha, check_name: 'rollgate / staging' });
    await bot.rest.checks.update({
      ...repo,
      check_run_id: runs.data.check_runs[0]?.id ?? 0,
      conclusion: 'neutral',
    });
    const created = await octokit.rest.repos.createDeployment({ ...repo, ref: 'main', auto_merge: false });
    expect(created.status).toBe(201);
  });

  test('creates deployments only of commits that exist', async () => {
    const { octokit } = await start();
    const unknown = 'c0ffee'.padEnd(40, '0');
    const refused = await failure(
      octokit.rest.repos.createDeployment({ ...repo, ref: unknown, required_contexts: [] }),
    );
    expect(refused).toMatchObject({ status: 422, data: { message: `No ref found for: ${unknown}` } });
    const branch = await failure(
      octokit.rest.repos.createDeployment({ ...repo, ref: 'gone', required_contexts: [] }),
    );
    expect(branch.data.message).toBe('No ref found for: gone');
  });

  test('scopes installation tokens to their installation and its selected repositories', async () => {
    const { server } = await start();
    server.state.addRepository('octo-org/api');
    server.state.addRepository('other-org/secret', { private: true, installApp: false });
    server.state.addRepository('other-org/open', { installApp: false });
    const bot = await installationClient(server);
    expect((await bot.rest.repos.get({ owner: 'octo-org', repo: 'api' })).status).toBe(200);
    expect((await failure(bot.rest.repos.get({ owner: 'other-org', repo: 'secret' }))).status).toBe(404);
    expect((await bot.rest.repos.get({ owner: 'other-org', repo: 'open' })).status).toBe(200);
    const write = await failure(
      bot.rest.issues.createComment({ owner: 'other-org', repo: 'open', issue_number: 1, body: 'hi' }),
    );
    expect(write).toMatchObject({ status: 403, data: { message: 'Resource not accessible by integration' } });

    const app = client(server, appJwt);
    const { data: installation } = await app.rest.apps.getRepoInstallation(repo);
    const { data: narrow } = await app.rest.apps.createInstallationAccessToken({
      installation_id: installation.id,
      repositories: ['web'],
    });
    const narrowBot = client(server, narrow.token);
    expect((await narrowBot.rest.repos.get(repo)).status).toBe(200);
    const outside = await failure(
      narrowBot.rest.git.createRef({
        owner: 'octo-org',
        repo: 'api',
        ref: 'refs/rollgate/lock/x',
        sha: 'f'.repeat(40),
      }),
    );
    expect(outside.status).toBe(403);

    server.state.installApp('octo-org', { repositories: ['api'] });
    const selected = await installationClient(server);
    expect((await selected.rest.repos.get({ owner: 'octo-org', repo: 'api' })).status).toBe(200);
    expect(
      (
        await failure(
          selected.rest.git.createRef({ ...repo, ref: 'refs/rollgate/lock/x', sha: 'f'.repeat(40) }),
        )
      ).status,
    ).toBe(403);
  });

  test('refuses comments over 65,536 characters and check-run output over 65,535 characters or bytes', async () => {
    // Output over the description's maxLength is a request that breaks it: recorded as a violation too.
    const { server } = await start({ violationsExpected: true });
    server.state.addCommit('octo-org/web', { branch: 'feature' });
    const pull = server.state.addPullRequest('octo-org/web', { head: 'feature' });
    const bot = await installationClient(server);
    const long = await failure(
      bot.rest.issues.createComment({ ...repo, issue_number: pull.number, body: 'x'.repeat(65_537) }),
    );
    expect(long.status).toBe(422);
    expect(long.data.errors).toEqual([
      expect.objectContaining({ message: 'Body is too long (maximum is 65536 characters)' }),
    ]);
    expect(
      (await bot.rest.issues.createComment({ ...repo, issue_number: pull.number, body: 'x'.repeat(65_536) }))
        .status,
    ).toBe(201);

    const sha = server.state.resolveRef(server.state.seeded('octo-org/web'), 'main') ?? '';
    const chars = await failure(
      bot.rest.checks.create({
        ...repo,
        name: 'c',
        head_sha: sha,
        output: { title: 't', summary: 'x'.repeat(65_536) },
      }),
    );
    expect(chars.data.message).toBe(
      'Invalid request.\n\nOnly 65535 characters are allowed; 65536 were supplied.',
    );
    const bytes = await failure(
      bot.rest.checks.create({
        ...repo,
        name: 'c',
        head_sha: sha,
        output: { title: 't', summary: 's', text: 'é'.repeat(40_000) },
      }),
    );
    expect(bytes.data.errors).toEqual([
      expect.objectContaining({ field: 'text', message: 'text exceeds a maximum bytesize of 65535' }),
    ]);
    const fits = await bot.rest.checks.create({
      ...repo,
      name: 'c',
      head_sha: sha,
      output: { title: 't', summary: 'x'.repeat(65_535) },
    });
    expect(fits.status).toBe(201);
    expect(server.state.seeded('octo-org/web').checkRuns.size).toBe(1);
    expect(server.violations.map((v) => v.operationId)).toEqual(['checks/create']);
  });

  test('returns a file over 1 MB without its content unless asked for the raw media type', async () => {
    const { server, octokit } = await start();
    const big = 'a'.repeat(1024 * 1024 + 1);
    server.state.addFile('octo-org/web', 'data/big.txt', big);
    const { data } = await octokit.rest.repos.getContent({ ...repo, path: 'data/big.txt' });
    expect(data).toMatchObject({ type: 'file', size: big.length, content: '', encoding: 'none' });
    const raw = await octokit.rest.repos.getContent({
      ...repo,
      path: 'data/big.txt',
      mediaType: { format: 'raw' },
    });
    expect(raw.data).toBe(big);
    const { data: small } = await octokit.rest.repos.getContent({ ...repo, path: 'README.md' });
    expect(small).toMatchObject({ encoding: 'base64' });
  });

  test('loses the answer of a chosen call after carrying it out: a dropped connection or a 502', async () => {
    const { server, octokit } = await start();
    const main = server.state.resolveRef(server.state.seeded('octo-org/web'), 'main') ?? '';
    server.loseAnswer('git/create-ref', { call: 2, as: 502 });
    server.loseAnswer('repos/create-deployment');
    await octokit.rest.git.createRef({ ...repo, ref: 'refs/rollgate/a/one', sha: main });
    const second = await failure(
      octokit.rest.git.createRef({ ...repo, ref: 'refs/rollgate/a/two', sha: main }),
    );
    expect(second.status).toBe(502);
    await expect(
      octokit.rest.repos.createDeployment({ ...repo, ref: 'main', required_contexts: [] }),
    ).rejects.toThrow();
    // Both writes happened although neither answer arrived.
    expect(server.state.seeded('octo-org/web').refs.has('refs/rollgate/a/two')).toBe(true);
    expect(server.state.seeded('octo-org/web').deployments.size).toBe(1);
    expect(server.calls.map((call) => [call.operationId, call.status, call.lostAnswer])).toEqual([
      ['git/create-ref', 201, undefined],
      ['git/create-ref', 201, 502],
      ['repos/create-deployment', 201, 'socket'],
    ]);
    expect(
      (await octokit.rest.git.createRef({ ...repo, ref: 'refs/rollgate/a/three', sha: main })).status,
    ).toBe(201);
  });
});

describe('GitHub API test server: checking requests and responses against the description', () => {
  test('rejects a deployment status whose state is not in the enum, and records the violation', async () => {
    const { server, octokit } = await start({ violationsExpected: true });
    const { data } = await octokit.rest.repos.createDeployment({
      ...repo,
      ref: 'main',
      required_contexts: [],
    });
    const deployment_id = 'id' in data ? data.id : 0;

    const rejected = await failure(
      untypedRequest(octokit, 'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
        ...repo,
        deployment_id,
        state: 'bogus',
      }),
    );
    expect(rejected.status).toBe(422);
    expect(rejected.data.message).toMatch(
      /^Invalid request\.\n\nFor 'properties\/state', "bogus" is not one of/,
    );
    expect(server.violations).toEqual([
      expect.objectContaining({
        kind: 'request',
        operationId: 'repos/create-deployment-status',
        status: 422,
        problems: [expect.stringContaining('"bogus" is not one of')],
      }),
    ]);
    expect((await octokit.rest.repos.listDeploymentStatuses({ ...repo, deployment_id })).data).toEqual([]);
    expect(() => {
      server.assertNoViolations();
    }).toThrow(/1 violation\(s\):\n- request: POST \/repos\/octo-org\/web\/deployments\/\d+\/statuses/);
  });

  test('rejects a deployment without ref, a misspelt body key and an undeclared query parameter', async () => {
    const { server, octokit } = await start({ violationsExpected: true });
    const noBody = await failure(untypedRequest(octokit, 'POST /repos/{owner}/{repo}/deployments', repo));
    expect(noBody.status).toBe(422);
    expect(noBody.data.message).toBe(`Invalid request.\n\nFor 'links/0/schema', nil is not an object.`);
    const noRef = await failure(
      untypedRequest(octokit, 'POST /repos/{owner}/{repo}/deployments', { ...repo, task: 'deploy' }),
    );
    expect(noRef.data.message).toBe(`Invalid request.\n\n"ref" wasn't supplied.`);
    // Octokit's types let an unknown key through; GitHub would ignore it and deploy to production.
    const misspelt = await failure(
      octokit.request('POST /repos/{owner}/{repo}/deployments', {
        ...repo,
        ref: 'main',
        enviroment: 'staging',
      }),
    );
    expect(misspelt.data.message).toContain('"enviroment" is not a permitted key.');
    const query = await failure(
      untypedRequest(octokit, 'GET /repos/{owner}/{repo}/deployments', { ...repo, enviroment: 'staging' }),
    );
    expect(query.status).toBe(422);
    expect(server.violations.map((v) => [v.kind, v.operationId])).toEqual([
      ['request', 'repos/create-deployment'],
      ['request', 'repos/create-deployment'],
      ['request', 'repos/create-deployment'],
      ['request', 'repos/list-deployments'],
    ]);
    expect(server.state.seeded('octo-org/web').deployments.size).toBe(0);
  });

  test('catches a response body that breaks the description and answers 500 instead', async () => {
    const { server, octokit } = await start({ violationsExpected: true });
    const { data } = await octokit.rest.repos.createDeployment({
      ...repo,
      ref: 'main',
      required_contexts: [],
    });
    const deployment_id = 'id' in data ? data.id : 0;
    server.rewriteNextResponse('repos/get-deployment', (body) => ({
      ...(body as object),
      id: String(deployment_id),
      creator: { login: 'octocat' },
    }));

    const broken = await failure(octokit.rest.repos.getDeployment({ ...repo, deployment_id }));
    expect(broken.status).toBe(500);
    expect(server.violations).toHaveLength(1);
    expect(server.violations[0]).toMatchObject({ kind: 'response', operationId: 'repos/get-deployment' });
    expect(server.violations[0]?.problems).toEqual(
      expect.arrayContaining(['/id must be integer', "/creator must have required property 'id'"]),
    );
    expect((await octokit.rest.repos.getDeployment({ ...repo, deployment_id })).status).toBe(200);
    expect(server.violations).toHaveLength(1);
  });

  test('records a route outside the description and an operation the server does not implement', async () => {
    const { server, octokit } = await start({ violationsExpected: true });
    expect((await failure(octokit.request('GET /repos/{owner}/{repo}/deployment-queue', repo))).status).toBe(
      404,
    );
    expect((await failure(octokit.rest.repos.listBranches(repo))).status).toBe(501);
    expect(server.violations.map((v) => [v.kind, v.operationId, v.status])).toEqual([
      ['unknown-route', undefined, 404],
      ['not-implemented', 'repos/list-branches', 501],
    ]);
  });

  test('answers planned server errors and rate limits with the headers GitHub sends', async () => {
    const { server, octokit } = await start();
    server.failNext('repos/get', { status: 500 }, 2);
    expect((await failure(octokit.rest.repos.get(repo))).status).toBe(500);
    expect((await failure(octokit.rest.repos.get(repo))).status).toBe(500);
    expect((await octokit.rest.repos.get(repo)).status).toBe(200);

    server.failNext('repos/get', { rateLimit: 'primary', retryAfterSeconds: 120 });
    const primary = await failure(octokit.rest.repos.get(repo));
    expect(primary.status).toBe(403);
    expect(primary.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(primary.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000 + 100);
    expect(primary.data.message).toMatch(/^API rate limit exceeded for user ID \d+\.$/);

    server.failNext('*', { rateLimit: 'secondary', status: 429, retryAfterSeconds: 5 });
    const secondary = await failure(octokit.rest.repos.listDeployments(repo));
    expect(secondary.status).toBe(429);
    expect(secondary.headers['retry-after']).toBe('5');
    expect(server.calls.map((c) => c.status)).toEqual([500, 500, 200, 403, 429]);
  });

  test('fails, or loses the answer of, only the chosen call of an operation', async () => {
    const { server, octokit } = await start();
    const main = server.state.resolveRef(server.state.seeded('octo-org/web'), 'main') ?? '';
    server.failNext('repos/get', { status: 500 }, { call: 3 });
    server.failNext('git/create-ref', { rateLimit: 'secondary', retryAfterSeconds: 2 }, { call: 2 });
    server.loseNextAnswer('git/create-ref', { kind: 'timeout', delayMs: 10 }, { call: 3 });
    server.rewriteNextResponse('repos/get', (body) => ({ ...(body as object), description: 'x' }), {
      call: 4,
    });
    expect((await octokit.rest.repos.get(repo)).status).toBe(200);
    expect((await octokit.rest.repos.get(repo)).status).toBe(200);
    expect((await failure(octokit.rest.repos.get(repo))).status).toBe(500);
    expect((await octokit.rest.repos.get(repo)).data.description).toBe('x');
    expect((await octokit.rest.repos.get(repo)).data.description).not.toBe('x');

    await octokit.rest.git.createRef({ ...repo, ref: 'refs/rollgate/a/one', sha: main });
    const limited = await failure(
      octokit.rest.git.createRef({ ...repo, ref: 'refs/rollgate/a/two', sha: main }),
    );
    expect([limited.status, limited.headers['retry-after']]).toEqual([403, '2']);
    const timedOut = await failure(
      octokit.rest.git.createRef({ ...repo, ref: 'refs/rollgate/a/three', sha: main }),
    );
    expect(timedOut.status).toBe(502);
    // The refused call was not carried out; the one whose answer was lost was.
    const refs = server.state.seeded('octo-org/web').refs;
    expect([refs.has('refs/rollgate/a/two'), refs.has('refs/rollgate/a/three')]).toEqual([false, true]);
    expect(server.calls.map((c) => [c.operationId, c.call, c.status])).toEqual([
      ['repos/get', 1, 200],
      ['repos/get', 2, 200],
      ['repos/get', 3, 500],
      ['repos/get', 4, 200],
      ['repos/get', 5, 200],
      ['git/create-ref', 1, 201],
      ['git/create-ref', 2, 403],
      ['git/create-ref', 3, 502],
    ]);
    expect(() => {
      server.failNext('repos/get', { status: 500 }, { call: 0 });
    }).toThrow(/call must be a whole number ≥ 1/);
  });

  test('implements every operation Rollgate needs under its real operationId', () => {
    const { operations } = loadApiDescription();
    expect(implementedOperationIds.filter((id) => !operations.has(id))).toEqual([]);
    expect(implementedOperationIds).toEqual(
      expect.arrayContaining([
        'repos/create-deployment',
        'repos/list-deployments',
        'repos/get-deployment',
        'repos/delete-deployment',
        'repos/create-deployment-status',
        'repos/list-deployment-statuses',
        'repos/get-deployment-status',
        'checks/create',
        'checks/update',
        'checks/get',
        'checks/list-for-ref',
        'issues/create-comment',
        'issues/update-comment',
        'issues/list-comments',
        'issues/get-comment',
        'issues/delete-comment',
        'reactions/create-for-issue-comment',
        'reactions/list-for-issue-comment',
        'repos/get-collaborator-permission-level',
        'pulls/get',
        'repos/get-commit',
        'repos/compare-commits',
        'repos/compare-commits-with-basehead',
        'repos/get-combined-status-for-ref',
        'repos/create-commit-status',
        'repos/get-release-by-tag',
        'repos/get-latest-release',
        'repos/list-releases',
        'git/create-ref',
        'git/get-ref',
        'git/update-ref',
        'git/delete-ref',
        'git/list-matching-refs',
        'git/create-blob',
        'git/create-tree',
        'git/get-tree',
        'git/create-commit',
        'git/get-commit',
        'repos/get-content',
        'repos/get-all-environments',
        'repos/get-environment',
        'repos/create-or-update-environment',
        'apps/create-installation-access-token',
        'apps/get-repo-installation',
        'apps/get-authenticated',
        'teams/get-membership-for-user-in-org',
        'actions/review-custom-gates-for-run',
      ]),
    );
  });
});

describe('GitHub API test server: what the approval gates need', () => {
  /** An Octokit acting as the App's installation on `owner`, with a token the server issued. */
  async function botOf(server: GitHubServer, owner: string, name: string): Promise<Octokit> {
    const app = client(server, appJwt);
    const { data: installation } = await app.rest.apps.getRepoInstallation({ owner, repo: name });
    const { data: token } = await app.rest.apps.createInstallationAccessToken({
      installation_id: installation.id,
    });
    return client(server, token.token);
  }

  test("answers a team member's role and state, and 404 for a non-member or an unknown team", async () => {
    const { server } = await start();
    server.state.addTeam('octo-org', 'sre', [
      { login: 'alice', role: 'maintainer' },
      { login: 'bob', state: 'pending' },
    ]);
    const bot = await installationClient(server);
    const membership = (username: string, team_slug = 'sre') =>
      bot.rest.teams.getMembershipForUserInOrg({ org: 'octo-org', team_slug, username });
    expect((await membership('alice')).data).toMatchObject({ role: 'maintainer', state: 'active' });
    expect((await membership('ALICE')).data.state).toBe('active');
    expect((await membership('bob')).data).toMatchObject({ role: 'member', state: 'pending' });
    expect((await failure(membership('carol'))).status).toBe(404);
    expect((await failure(membership('alice', 'dba'))).status).toBe(404);
  });

  test('refuses team membership with 403 to an installation that did not grant "Members: read"', async () => {
    const { server } = await start();
    server.state.addTeam('octo-org', 'sre', [{ login: 'alice' }]);
    const { members: _members, ...withoutMembers } = server.state.app.permissions;
    server.state.installApp('octo-org', { permissions: withoutMembers });
    const bot = await installationClient(server);
    const refused = await failure(
      bot.rest.teams.getMembershipForUserInOrg({ org: 'octo-org', team_slug: 'sre', username: 'alice' }),
    );
    expect(refused).toMatchObject({
      status: 403,
      data: { message: 'Resource not accessible by integration' },
    });
    expect(refused.headers['x-accepted-github-permissions']).toBe('members=read');
  });

  test('builds the deployment_protection_rule payload from a waiting run, valid against the webhook schema', async () => {
    const { server } = await start();
    const sha = server.state.addCommit('octo-org/web', { branch: 'feature', message: 'Add feature' });
    server.state.addPullRequest('octo-org/web', { head: 'feature' });
    const payload = server.state.requestProtectionRule('octo-org/web', {
      environment: 'production',
      ref: 'feature',
      event: 'pull_request',
      actor: 'alice',
    });
    expect(protectionRuleEventProblems(payload)).toEqual([]);
    expect(protectionRuleEventProblems({ ...payload, deployment: { id: 'x' } })).not.toEqual([]);
    const callback = String(payload.deployment_callback_url);
    expect(callback).toMatch(
      new RegExp(`^${server.url}/repos/octo-org/web/actions/runs/\\d+/deployment_protection_rule$`),
    );
    expect(payload).toMatchObject({
      action: 'requested',
      environment: 'production',
      event: 'pull_request',
      deployment: { sha, ref: 'feature', task: 'deploy', payload: {}, creator: { login: 'alice' } },
      pull_requests: [{ number: 1, head: { sha } }],
      sender: { login: 'alice' },
    });
    // GitHub's own Deployment of the job shows in the Deployments API beside the App's.
    const { data: deployments } = await client(server, 'test-token').rest.repos.listDeployments(repo);
    expect(deployments.map((d) => [d.environment, d.sha, d.creator?.login])).toEqual([
      ['production', sha, 'alice'],
    ]);
  });

  test('records an approval: the rule answered, the deployment queued; a second answer is refused with 422', async () => {
    const { server } = await start();
    const payload = server.state.requestProtectionRule('octo-org/web', { environment: 'production' });
    const runId = Number(/\/runs\/(\d+)\//.exec(String(payload.deployment_callback_url))?.[1]);
    const bot = await installationClient(server);
    const review = (body: { state?: 'approved' | 'rejected'; comment?: string; environment_name?: string }) =>
      bot.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule', {
        ...repo,
        run_id: runId,
        environment_name: 'production',
        ...body,
      } as never);
    expect(server.state.protectionRuleOf('octo-org/web', runId)).toEqual({
      state: 'waiting',
      comment: null,
      reports: [],
    });
    expect((await review({ comment: 'Checking the gates' })).status).toBe(204);
    expect(
      (await review({ state: 'approved', comment: 'All gates passed', environment_name: 'Production' }))
        .status,
    ).toBe(204);
    expect(server.state.protectionRuleOf('octo-org/web', runId)).toEqual({
      state: 'approved',
      comment: 'All gates passed',
      reports: ['Checking the gates'],
    });
    const deploymentId = (payload.deployment as { id: number }).id;
    const { data: statuses } = await bot.rest.repos.listDeploymentStatuses({
      ...repo,
      deployment_id: deploymentId,
    });
    expect(statuses.map((s) => s.state)).toEqual(['queued']);
    const again = await failure(review({ state: 'rejected', comment: 'Too late' }));
    expect(again.status).toBe(422);
    expect((await failure(review({ comment: 'a report after the answer' }))).status).toBe(422);
    expect(server.state.protectionRuleOf('octo-org/web', runId).state).toBe('approved');
  });

  test('records a rejection: the deployment and the run fail', async () => {
    const { server } = await start();
    const payload = server.state.requestProtectionRule('octo-org/web', { environment: 'staging' });
    const runId = Number(/\/runs\/(\d+)\//.exec(String(payload.deployment_callback_url))?.[1]);
    const bot = await installationClient(server);
    await bot.rest.actions.reviewCustomGatesForRun({
      ...repo,
      run_id: runId,
      environment_name: 'staging',
      state: 'rejected',
      comment: 'Outside the deploy window',
    });
    expect(server.state.protectionRuleOf('octo-org/web', runId)).toEqual({
      state: 'rejected',
      comment: 'Outside the deploy window',
      reports: [],
    });
    expect(server.state.workflowRun('octo-org/web', runId)).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
    });
    const deploymentId = (payload.deployment as { id: number }).id;
    const { data: statuses } = await bot.rest.repos.listDeploymentStatuses({
      ...repo,
      deployment_id: deploymentId,
    });
    expect(statuses.map((s) => s.state)).toEqual(['failure']);
  });

  test('refuses a 1,025-character comment, the 11th status report, an unknown run and an environment with no rule', async () => {
    const { server } = await start();
    const payload = server.state.requestProtectionRule('octo-org/web', { environment: 'production' });
    const runId = Number(/\/runs\/(\d+)\//.exec(String(payload.deployment_callback_url))?.[1]);
    const bot = await installationClient(server);
    const report = (comment: string, run_id = runId, environment_name = 'production') =>
      bot.rest.actions.reviewCustomGatesForRun({ ...repo, run_id, environment_name, comment });
    const long = await failure(report('x'.repeat(1025)));
    expect(long.status).toBe(422);
    expect(long.data.message).toMatch(/1024 characters/);
    expect((await report('é'.repeat(1024))).status).toBe(204);
    for (let n = 2; n <= 10; n += 1) expect((await report(`report ${n}`)).status).toBe(204);
    expect((await failure(report('report 11'))).status).toBe(422);
    expect(server.state.protectionRuleOf('octo-org/web', runId).reports).toHaveLength(10);
    expect((await failure(report('hello', runId + 1000))).status).toBe(404);
    expect((await failure(report('hello', runId, 'staging'))).status).toBe(422);
  });

  test("lets only the rule's App answer: another installation's token and a user token are refused", async () => {
    const { server } = await start();
    server.state.addRepository('other-org/site');
    const payload = server.state.requestProtectionRule('octo-org/web', { environment: 'production' });
    const runId = Number(/\/runs\/(\d+)\//.exec(String(payload.deployment_callback_url))?.[1]);
    const approve = (octokit: Octokit) =>
      octokit.rest.actions.reviewCustomGatesForRun({
        ...repo,
        run_id: runId,
        environment_name: 'production',
        state: 'approved',
        comment: 'ok',
      });
    const other = await botOf(server, 'other-org', 'site');
    expect(await failure(approve(other))).toMatchObject({
      status: 403,
      data: { message: 'Resource not accessible by integration' },
    });
    expect((await failure(approve(client(server, 'test-token')))).status).toBe(403);
    const { deployments: _deployments, ...withoutDeployments } = server.state.app.permissions;
    server.state.installApp('octo-org', { permissions: withoutDeployments });
    const narrowed = await failure(approve(await installationClient(server)));
    expect(narrowed.headers['x-accepted-github-permissions']).toBe('deployments=write');
    expect(server.state.protectionRuleOf('octo-org/web', runId).state).toBe('waiting');
  });
});
