import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claim, type GitRefsApi } from '../../src/github/environment-refs.ts';
import {
  imageOf,
  startDeployStand,
  NAMESPACE,
  REPOSITORY,
  type DeployStand,
} from '../support/deploy-stand.ts';
import { runAction } from '../support/runner.ts';

const [OWNER = '', REPO = ''] = REPOSITORY.split('/');
/** The runner harness's GITHUB_RUN_ID. */
const RUN_ID = '1658821493';
const OLD_IMAGE = 'ghcr.io/octo-org/api:1.0.0';
const NEW_IMAGE = 'ghcr.io/octo-org/api:1.1.0';

let stand: DeployStand;
let workspaces: string[] = [];

beforeEach(async () => {
  stand = await startDeployStand();
  await stand.seedDeployment('api', OLD_IMAGE);
});
afterEach(async () => {
  stand.github.assertNoViolations();
  await stand.close();
  for (const dir of workspaces) rmSync(dir, { recursive: true, force: true });
  workspaces = [];
});

/** `.github/rollgate.yml` committed on the default branch, where the App reads it. */
function configure(yaml: string): void {
  stand.github.state.addCommit(REPOSITORY, { files: { '.github/rollgate.yml': yaml }, message: 'Gates' });
}

const userOctokit = () => new Octokit({ baseUrl: stand.github.url, auth: 'test-token' });

/** An Octokit with an installation token of the Rollgate App. */
function appOctokit(): Octokit {
  const installation = stand.github.state.installApp(OWNER);
  return new Octokit({
    baseUrl: stand.github.url,
    auth: stand.github.state.issueInstallationToken(installation),
  });
}

function deploy(
  inputs: Record<string, string> = {},
  options: { event?: { name: string; payload: unknown }; workspace?: string } = {},
) {
  return runAction('actions/deploy', {
    inputs: {
      environment: 'production',
      namespace: NAMESPACE,
      kubeconfig: stand.kube.kubeconfig(),
      token: 'test-token',
      deployment: 'api',
      image: NEW_IMAGE,
      timeout: '60s',
      ...inputs,
    },
    env: stand.env,
    ...options,
  });
}

function liveImage(): string | undefined {
  return imageOf(stand.kube.state.deployment(NAMESPACE, 'api'));
}

const today = new Date();
const day = (offset: number) => new Date(today.getTime() + offset * 86_400_000).toISOString().slice(0, 10);

describe('deploy action, gates of a push pipeline', () => {
  test('a lock refuses the deploy, even from the lock holder: nothing changes in the cluster, no Deployment is created, the summary has the checklist', async () => {
    configure('environments:\n  production:\n    production: true\n');
    const git = userOctokit().rest.git as unknown as GitRefsApi;
    const locked = await claim(git, { owner: OWNER, repo: REPO }, 'lock', 'production', {
      holder: 'octocat',
      reason: 'incident 42',
      since: new Date().toISOString(),
      pullRequest: 7,
    });
    expect(locked.taken).toBe(true);

    const run = await deploy();
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe('failure');
    expect(run.errors.at(-1)).toMatch(/`production` refuses this deploy, so nothing was changed/);
    expect(run.errors.at(-1)).toMatch(/lock\*\*: locked by @octocat: `incident 42`/);
    expect(run.errors.at(-1)).toMatch(/runs `\/unlock production`.*`gates: ignore`/);
    expect(run.summary).toContain('### Gates of `production`: refused');
    expect(run.summary).toMatch(/- ❌ \*\*lock\*\*: locked by @octocat/);
    expect(liveImage()).toBe(OLD_IMAGE);
    expect(stand.github.callsTo('repos/create-deployment')).toHaveLength(0);
    expect(stand.github.callsTo('repos/create-deployment-status')).toHaveLength(0);
    // The workflow writes nothing, not even the legacy-branch migration the App would do.
    expect(stand.github.callsTo('git/create-ref')).toHaveLength(1);
  }, 120_000);

  test('an active freeze refuses the deploy; the file at the default branch counts, not the checkout', async () => {
    configure(
      `environments:\n  production:\n    freezes:\n      - { from: ${day(-1)}, to: ${day(1)}, reason: Holiday freeze }\n`,
    );
    const workspace = mkdtempSync(join(tmpdir(), 'rollgate-gates-'));
    workspaces.push(workspace);
    mkdirSync(join(workspace, '.github'));
    writeFileSync(join(workspace, '.github/rollgate.yml'), 'environments:\n  production: {}\n');

    const run = await deploy({}, { workspace });
    expect(run.exitCode).toBe(1);
    expect(run.errors.at(-1)).toMatch(/`production` is not open to this deploy yet, so nothing was changed/);
    expect(run.errors.at(-1)).toMatch(/freeze\*\*: frozen: `Holiday freeze`/);
    expect(run.summary).toMatch(/- ⏳ \*\*freeze\*\*: frozen: `Holiday freeze` \(`[\d-]+ to [\d-]+ UTC`\)/);
    expect(run.summary).toMatch(/- ✅ \*\*lock\*\*: not locked/);
    expect(liveImage()).toBe(OLD_IMAGE);
    expect(stand.github.callsTo('repos/create-deployment')).toHaveLength(0);
  }, 120_000);

  test('gates: ignore deploys through a freeze and the summary logs the bypass by the actor', async () => {
    configure(`environments:\n  production:\n    freezes:\n      - { from: ${day(-1)}, to: ${day(1)} }\n`);
    const run = await deploy({ gates: 'ignore' });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs.status).toBe('success');
    expect(liveImage()).toBe(NEW_IMAGE);
    expect(run.summary).toContain('### Gates bypassed');
    expect(run.summary).toMatch(
      /`gates: ignore`: @octocat ran this deploy without checking the lock or the gates/,
    );
    expect(run.warnings.join('\n')).toMatch(/gates: ignore/);
    const created = stand.github.callsTo('repos/create-deployment');
    expect(created).toHaveLength(1);
    expect(created[0]?.body).toMatchObject({
      payload: { workflow_gates: { enforced: false, bypassed_by: 'octocat' } },
    });
  }, 120_000);

  test('an environment the configuration does not name deploys, and the log says there was nothing to enforce', async () => {
    configure('environments:\n  staging: {}\n');
    const run = await deploy();
    expect(run.errors).toEqual([]);
    expect(run.outputs.status).toBe('success');
    expect(run.log.join('\n')).toMatch(
      /configures no environment `production`: no gate to enforce besides the lock/,
    );
    expect(run.summary).toContain('### Gates of `production`: passed');
    expect(stand.github.callsTo('repos/create-deployment')[0]?.body).toMatchObject({
      payload: {
        workflow_gates: { enforced: true, verdict: 'pass', gates: [{ gate: 'lock', state: 'passed' }] },
      },
    });
  }, 120_000);

  test("checks on the sha must have succeeded, this run's own jobs aside", async () => {
    configure('environments:\n  production:\n    requires:\n      checks: success\n');
    const checks = appOctokit().rest.checks;
    const base = { owner: OWNER, repo: REPO, head_sha: stand.sha };
    // The deploy job itself, still running: GitHub Actions links it to this run.
    await checks.create({
      ...base,
      name: 'deploy',
      status: 'in_progress',
      details_url: `https://github.com/${REPOSITORY}/actions/runs/${RUN_ID}/job/5`,
    });
    const lint = await checks.create({ ...base, name: 'lint', status: 'completed', conclusion: 'failure' });
    const refused = await deploy();
    expect(refused.exitCode).toBe(1);
    expect(refused.errors.at(-1)).toMatch(
      /❌ \*\*checks\*\*: 1 of 1 check on `[0-9a-f]{7}` did not succeed: `lint` \(failure\)/,
    );
    expect(liveImage()).toBe(OLD_IMAGE);

    await checks.update({ owner: OWNER, repo: REPO, check_run_id: lint.data.id, conclusion: 'success' });
    const run = await deploy();
    expect(run.errors).toEqual([]);
    expect(run.summary).toMatch(/✅ \*\*checks\*\*: the 1 check on `[0-9a-f]{7}` succeeded/);
    expect(liveImage()).toBe(NEW_IMAGE);
  }, 180_000);

  test('a read the token may not make fails the deploy closed, naming the permissions', async () => {
    configure('environments:\n  production:\n    requires:\n      checks: success\n');
    stand.github.failNext('checks/list-for-ref', {
      status: 403,
      message: 'Resource not accessible by integration',
    });
    const run = await deploy();
    expect(run.exitCode).toBe(1);
    expect(run.errors.at(-1)).toMatch(
      /GitHub refused a read the gates of production need: Resource not accessible by integration \(HTTP 403\), so nothing was changed\..*checks: read/,
    );
    expect(liveImage()).toBe(OLD_IMAGE);
    expect(stand.github.callsTo('repos/create-deployment')).toHaveLength(0);
  }, 120_000);

  test('the root action refuses a locked environment too', async () => {
    configure('environments:\n  production: {}\n');
    const git = userOctokit().rest.git as unknown as GitRefsApi;
    await claim(git, { owner: OWNER, repo: REPO }, 'lock', 'production', {
      holder: 'monalisa',
      reason: '',
      since: new Date().toISOString(),
      pullRequest: undefined,
    });
    const run = await runAction('.', {
      inputs: {
        environment: 'production',
        namespace: NAMESPACE,
        kubeconfig: stand.kube.kubeconfig(),
        token: 'test-token',
        deployment: 'api',
        image: NEW_IMAGE,
      },
      env: stand.env,
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe('failure');
    expect(run.errors.at(-1)).toMatch(/❌ \*\*lock\*\*: locked by @monalisa; a workflow holds no lock/);
    expect(run.summary).toContain('### Gates of `production`: refused');
    expect(liveImage()).toBe(OLD_IMAGE);
    expect(stand.github.callsTo('repos/create-deployment')).toHaveLength(0);
  }, 120_000);

  test('an unknown gates value is an input error, before anything changes', async () => {
    const run = await deploy({ gates: 'skip' });
    expect(run.exitCode).toBe(1);
    expect(run.errors.at(-1)).toMatch(/Input 'gates' is invalid: 'skip' is neither enforce nor ignore/);
    expect(liveImage()).toBe(OLD_IMAGE);
  }, 120_000);
});

const APPROVALS = 'environments:\n  production:\n    requires:\n      approvals: 2\n';

describe('deploy action, approvals in a workflow', () => {
  test("a deployment event of the App's Deployment whose gates passed with 2 approvals deploys", async () => {
    configure(APPROVALS);
    const octokit = appOctokit();
    const { data } = await octokit.rest.repos.createDeployment({
      owner: OWNER,
      repo: REPO,
      ref: stand.sha,
      environment: 'production',
      auto_merge: false,
      required_contexts: [],
      payload: {
        comment_id: 31,
        version: '1.1.0',
        gates: {
          version: 1,
          environment: 'production',
          sha: stand.sha,
          branch: 'main',
          requester: 'monalisa',
          verdict: 'pass',
          approvals: { needed: 2, counted: 2, by: [{ login: 'hubot' }, { login: 'sre-sam' }] },
        },
      },
    });
    if (!('id' in data)) throw new Error('no deployment created');

    const run = await deploy(
      { environment: '' },
      { event: { name: 'deployment', payload: { deployment: data } } },
    );
    expect(run.errors).toEqual([]);
    expect(run.outputs).toMatchObject({ status: 'success', 'deployment-id': String(data.id) });
    expect(run.summary).toMatch(
      /- ✅ \*\*approvals\*\*: 2 of 2 approvals counted by Rollgate for Deployment \d+/,
    );
    expect(liveImage()).toBe(NEW_IMAGE);
  }, 120_000);

  test("a Deployment made with a person's token carries no approval, whatever its payload says", async () => {
    configure(APPROVALS);
    const deployment = await stand.createGitHubDeployment('production', 'deploy', {
      gates: { environment: 'production', sha: stand.sha, verdict: 'pass', approvals: { counted: 2 } },
    });
    const run = await deploy({ environment: '' }, { event: { name: 'deployment', payload: { deployment } } });
    expect(run.exitCode).toBe(1);
    expect(run.errors.at(-1)).toMatch(/approvals\*\*: 2 approvals needed: a workflow cannot collect them/);
    expect(liveImage()).toBe(OLD_IMAGE);
  }, 120_000);

  test("the protection rule's check run for this run satisfies approvals; without it, approvals refuse", async () => {
    configure(APPROVALS);
    const refused = await deploy();
    expect(refused.exitCode).toBe(1);
    expect(refused.errors.at(-1)).toMatch(
      /❌ \*\*approvals\*\*: 2 approvals needed: a workflow cannot collect them/,
    );
    expect(refused.errors.at(-1)).toMatch(/`\/deploy production` in a pull request.*protection rule/);
    expect(liveImage()).toBe(OLD_IMAGE);
    expect(stand.github.callsTo('repos/create-deployment')).toHaveLength(0);

    const checks = appOctokit().rest.checks;
    const create = (externalId: string) =>
      checks.create({
        owner: OWNER,
        repo: REPO,
        name: 'rollgate / production',
        head_sha: stand.sha,
        external_id: externalId,
        status: 'completed',
        conclusion: 'success',
        output: { title: 'Approved', summary: 'The protection rule approved this run.' },
      });
    await create('protection:999');
    const otherRun = await deploy();
    expect(otherRun.exitCode).toBe(1);

    await create(`protection:${RUN_ID}`);
    const run = await deploy();
    expect(run.errors).toEqual([]);
    expect(run.outputs.status).toBe('success');
    expect(run.summary).toMatch(
      /✅ \*\*approvals\*\*: Rollgate's deployment protection rule approved this workflow run/,
    );
    expect(liveImage()).toBe(NEW_IMAGE);
  }, 180_000);

  test('a Deployment made by another App with a forged passing verdict is refused by the approvals gate; named by app-slug, that App is trusted', async () => {
    // Another App on the repository (deployments: write) writes the App's decision record itself.
    await restartWithApp('ci-helper');
    configure(APPROVALS);
    const deployment = await forgedDeployment();
    const event = { name: 'deployment', payload: { deployment } };

    const refused = await deploy({ environment: '' }, { event });
    expect(refused.exitCode).toBe(1);
    expect(refused.errors.at(-1)).toMatch(
      /❌ \*\*approvals\*\*: 2 approvals needed: a workflow cannot collect them, and a Deployment made by `ci-helper`, not by `rollgate`: its approval is not counted/,
    );
    expect(refused.warnings.join('\n')).toContain(
      'a Deployment made by `ci-helper`, not by `rollgate`: its approval is not counted',
    );
    expect(refused.summary).toContain('### Gates of `production`: refused');
    expect(refused.summary).toMatch(/Deployment made by `ci-helper`, not by `rollgate`/);
    expect(liveImage()).toBe(OLD_IMAGE);
    expect(stand.github.callsTo('repos/create-deployment-status')).toHaveLength(0);

    // Slugs compare case-insensitively.
    const run = await deploy({ environment: '', 'app-slug': 'CI-Helper' }, { event });
    expect(run.errors).toEqual([]);
    expect(run.outputs).toMatchObject({ status: 'success', 'deployment-id': String(deployment.id) });
    expect(run.summary).toMatch(
      /✅ \*\*approvals\*\*: 2 of 2 approvals counted by Rollgate for Deployment \d+/,
    );
    expect(liveImage()).toBe(NEW_IMAGE);
  }, 180_000);

  test("the Rollgate App's Deployment approves nothing when app-slug names another App", async () => {
    configure(APPROVALS);
    const deployment = await forgedDeployment();
    const run = await deploy(
      { environment: '', 'app-slug': 'acme-rollgate' },
      { event: { name: 'deployment', payload: { deployment } } },
    );
    expect(run.exitCode).toBe(1);
    expect(run.errors.at(-1)).toMatch(
      /a Deployment made by `rollgate`, not by `acme-rollgate`: its approval is not counted/,
    );
    expect(liveImage()).toBe(OLD_IMAGE);
  }, 120_000);

  test('a protection-rule check run made by another App approves nothing; made by the named App it does', async () => {
    await restartWithApp('ci-helper');
    configure(APPROVALS);
    await appOctokit().rest.checks.create({
      owner: OWNER,
      repo: REPO,
      name: 'rollgate / production',
      head_sha: stand.sha,
      external_id: `protection:${RUN_ID}`,
      status: 'completed',
      conclusion: 'success',
      output: { title: 'Approved', summary: 'The protection rule approved this run.' },
    });
    const refused = await deploy();
    expect(refused.exitCode).toBe(1);
    expect(refused.errors.at(-1)).toMatch(
      /2 approvals needed: a workflow cannot collect them, and a check run made by `ci-helper`, not by `rollgate`: its approval is not counted/,
    );
    expect(refused.summary).toMatch(/check run made by `ci-helper`, not by `rollgate`/);
    expect(liveImage()).toBe(OLD_IMAGE);
    expect(stand.github.callsTo('repos/create-deployment')).toHaveLength(0);

    const run = await deploy({ 'app-slug': 'ci-helper' });
    expect(run.errors).toEqual([]);
    expect(run.summary).toMatch(
      /✅ \*\*approvals\*\*: Rollgate's deployment protection rule approved this workflow run/,
    );
    expect(liveImage()).toBe(NEW_IMAGE);
  }, 180_000);

  test('a malformed app-slug is an input error of both actions, before anything changes', async () => {
    configure(APPROVALS);
    const run = await deploy({ 'app-slug': 'rollgate[bot]' });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe('failure');
    expect(run.errors.at(-1)).toMatch(
      /Input 'app-slug' is invalid: 'rollgate\[bot\]' is the App's bot account; its slug is 'rollgate'.*https:\/\/github.com\/apps\/<slug>/s,
    );
    expect(liveImage()).toBe(OLD_IMAGE);
    expect(stand.github.callsTo('repos/create-deployment')).toHaveLength(0);

    const root = await runAction('.', {
      inputs: {
        environment: 'production',
        namespace: NAMESPACE,
        kubeconfig: stand.kube.kubeconfig(),
        token: 'test-token',
        deployment: 'api',
        image: NEW_IMAGE,
        'app-slug': 'Acme Rollgate',
      },
      env: stand.env,
    });
    expect(root.exitCode).toBe(1);
    expect(root.errors.at(-1)).toMatch(
      /Input 'app-slug' is invalid: 'Acme Rollgate' is not a GitHub App slug/,
    );
    expect(liveImage()).toBe(OLD_IMAGE);
  }, 120_000);
});

/** Replaces the stand by one whose GitHub App (every installation token's) is `slug`. */
async function restartWithApp(slug: string): Promise<void> {
  await stand.close();
  stand = await startDeployStand({}, { app: { slug, name: slug } });
  await stand.seedDeployment('api', OLD_IMAGE);
}

/** A Deployment made with the stand App's installation token, whose payload says its gates passed with 2 approvals. */
async function forgedDeployment(): Promise<Record<string, unknown> & { id: number }> {
  const { data } = await appOctokit().rest.repos.createDeployment({
    owner: OWNER,
    repo: REPO,
    ref: stand.sha,
    environment: 'production',
    auto_merge: false,
    required_contexts: [],
    payload: {
      gates: {
        version: 1,
        environment: 'production',
        sha: stand.sha,
        branch: 'main',
        requester: 'monalisa',
        verdict: 'pass',
        approvals: { needed: 2, counted: 2, by: [{ login: 'hubot' }, { login: 'sre-sam' }] },
      },
    },
  });
  if (!('id' in data)) throw new Error('no deployment created');
  return data;
}
