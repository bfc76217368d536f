import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import {
  imageOf,
  startDeployStand,
  NAMESPACE,
  REPOSITORY,
  type DeployStand,
} from '../support/deploy-stand.ts';
import { runAction } from '../support/runner.ts';

let stand: DeployStand;
/** Images whose containers crash-loop from now on, whatever their tag says (a dependency went away). */
let broken: Set<string>;

beforeEach(async () => {
  broken = new Set();
  stand = await startDeployStand({
    containerBehaviour: ({ image }) => (broken.has(image) ? 'crashloop' : undefined),
  });
  await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
});
afterEach(async () => {
  stand.github.assertNoViolations();
  await stand.close();
});

/** Deploys `tag` of the api image from its own commit, as a release workflow would; returns the commit. */
async function deploy(tag: string, expected: string): Promise<string> {
  const sha = stand.github.state.addCommit(REPOSITORY, { message: `Release ${tag}` });
  const run = await runAction('actions/deploy', {
    inputs: {
      environment: 'production',
      namespace: NAMESPACE,
      deployment: 'api',
      image: `ghcr.io/octo-org/api:${tag}`,
      kubeconfig: stand.kube.kubeconfig(),
      token: 'test-token',
      timeout: '60s',
    },
    env: { ...stand.env, GITHUB_SHA: sha },
  });
  expect(run.outputs.status).toBe(expected);
  return sha;
}

/** `rollgate.dev/outcome` of the ReplicaSet of each image, as `kubectl get rs -o yaml` shows it. */
function outcomes(): Record<string, string | undefined> {
  return Object.fromEntries(
    stand.kube.state
      .replicaSets(NAMESPACE, 'api')
      .map((rs) => [imageOf(rs)?.split(':').at(-1) ?? '', rs.metadata.annotations?.['rollgate.dev/outcome']]),
  );
}

/** The GitHub Deployments of production, oldest first, with their newest state. */
function gitHubDeployments(): {
  task: string;
  sha: string;
  state: string | undefined;
  description: string;
}[] {
  return [...stand.github.state.seeded(REPOSITORY).deployments.values()]
    .filter((d) => d.environment === 'production')
    .sort((a, b) => a.id - b.id)
    .map((d) => ({
      task: d.task,
      sha: d.sha,
      state: d.statuses.at(-1)?.state,
      description: d.statuses.at(-1)?.description ?? '',
    }));
}

function rollback(inputs: Record<string, string>, env: Record<string, string> = {}) {
  return runAction('actions/rollback', {
    inputs: {
      environment: 'production',
      namespace: NAMESPACE,
      deployment: 'api',
      kubeconfig: stand.kube.kubeconfig(),
      token: 'test-token',
      ...inputs,
    },
    env: { ...stand.env, ...env },
  });
}

function image(): string | undefined {
  return imageOf(stand.kube.state.deployment(NAMESPACE, 'api'));
}

describe('rollback action', () => {
  beforeEach(async () => {
    await deploy('1.1.0', 'success');
    await deploy('1.2.0', 'success');
  });

  test('returns to the previous revision and records a deploy:rollback Deployment', async () => {
    const run = await rollback({ reason: 'p99 latency doubled' });
    expect(run.errors).toEqual([]);
    expect(run.outputs).toMatchObject({ revision: '2', 'rolled-back-to': '1.1.0 (revision 2)' });
    expect(image()).toBe('ghcr.io/octo-org/api:1.1.0');
    // kubectl's controller numbering: the re-used ReplicaSet of revision 2 becomes revision 4.
    expect(
      stand.kube.state.deployment(NAMESPACE, 'api')?.metadata.annotations?.[
        'deployment.kubernetes.io/revision'
      ],
    ).toBe('4');
    const created = stand.github.callsTo('repos/create-deployment').at(-1)?.body as Record<string, unknown>;
    expect(created).toMatchObject({
      task: 'deploy:rollback',
      environment: 'production',
      payload: { reason: 'p99 latency doubled', version: '1.1.0', rolled_back_from: '1.2.0' },
    });
    const states = stand.github
      .callsTo('repos/create-deployment-status')
      .slice(-2)
      .map((c) => (c.body as Record<string, string>).state);
    expect(states).toEqual(['in_progress', 'success']);
    expect(run.summary).toContain('Rolled back production to 1.1.0 (revision 2)');
  });

  test('returns to a named version', async () => {
    const run = await rollback({ 'to-version': '1.0.0' });
    expect(run.errors).toEqual([]);
    expect(image()).toBe('ghcr.io/octo-org/api:1.0.0');
    expect(run.outputs['rolled-back-to']).toBe('1.0.0 (revision 1)');
  });

  test('returns to a given revision', async () => {
    const run = await rollback({ 'to-revision': '1' });
    expect(image()).toBe('ghcr.io/octo-org/api:1.0.0');
    expect(run.outputs.revision).toBe('1');
  });

  test('carries out a deploy:rollback deployment event from the App, adopting its Deployment', async () => {
    const deployment = await stand.createGitHubDeployment('production', 'deploy:rollback', {
      version: '1.0.0',
    });
    const created = stand.github.callsTo('repos/create-deployment').length;

    const run = await runAction('actions/rollback', {
      inputs: {
        namespace: NAMESPACE,
        deployment: 'api',
        kubeconfig: stand.kube.kubeconfig(),
        token: 'test-token',
      },
      env: { ...stand.env, GITHUB_EVENT_NAME: 'deployment' },
      event: {
        name: 'deployment',
        payload: { action: 'created', deployment, repository: { full_name: REPOSITORY } },
      },
    });
    expect(run.errors).toEqual([]);
    expect(image()).toBe('ghcr.io/octo-org/api:1.0.0');
    expect(run.outputs['deployment-id']).toBe(String(deployment.id));
    expect(stand.github.callsTo('repos/create-deployment')).toHaveLength(created);
    const states = stand.github
      .callsTo('repos/create-deployment-status')
      .filter((c) => c.params.deployment_id === String(deployment.id))
      .map((c) => (c.body as Record<string, string>).state);
    expect(states).toEqual(['in_progress', 'success']);
  });

  test('names a version that is not in the history and changes nothing', async () => {
    const run = await rollback({ 'to-version': '0.9.0' });
    expect(run.exitCode).toBe(1);
    expect(run.errors.at(-1)).toContain(
      'Version 0.9.0 is not in the rollout history of deployment api. The versions kept are 1.0.0, 1.1.0, 1.2.0.',
    );
    expect(image()).toBe('ghcr.io/octo-org/api:1.2.0');
    expect(
      stand.github.callsTo('repos/create-deployment').map((c) => (c.body as { task: string }).task),
    ).not.toContain('deploy:rollback');
  });
});

describe('rollback action: the previous good version', () => {
  test('after a crash-looping 1.2.0 was rolled back automatically, a rollback without a target leaves 1.1.0 running, at once', async () => {
    const good = await deploy('1.1.0', 'success');
    const failed = await deploy('1.2.0-crashloop', 'rolled-back');
    expect(image()).toBe('ghcr.io/octo-org/api:1.1.0');
    expect(outcomes()).toEqual({ '1.0.0': undefined, '1.1.0': 'success', '1.2.0-crashloop': 'rolled-back' });
    // The automatic rollback is recorded with the commit that runs again, not the one that failed.
    expect(gitHubDeployments().map((d) => [d.task, d.sha, d.state])).toEqual([
      ['deploy', good, 'success'],
      ['deploy', failed, 'failure'],
      ['deploy:rollback', good, 'success'],
    ]);

    const run = await rollback({ reason: 'the 1.2.0 deploy failed' });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(image()).toBe('ghcr.io/octo-org/api:1.1.0');
    expect(run.outputs['rolled-back-to']).toBe('1.1.0 (already running as revision 4)');
    // Nothing to wait for: no rollout to the crash-looping version, no progress deadline.
    expect(Number(run.outputs['duration-ms'])).toBeLessThan(20_000);
    expect(gitHubDeployments().at(-1)).toEqual({
      task: 'deploy:rollback',
      sha: good,
      state: 'success',
      description: 'Already running the previous good version: 1.1.0 (already running as revision 4)',
    });
    expect(run.summary).toContain('| api | 4 | 2 | 1.1.0 | already running |');
  });

  test('passes over a version that failed and was left in place', async () => {
    const good = await deploy('1.1.0', 'success');
    const sha = stand.github.state.addCommit(REPOSITORY, { message: 'Release 1.2.0' });
    const failed = await runAction('actions/deploy', {
      inputs: {
        environment: 'production',
        namespace: NAMESPACE,
        deployment: 'api',
        image: 'ghcr.io/octo-org/api:1.2.0-crashloop',
        kubeconfig: stand.kube.kubeconfig(),
        token: 'test-token',
        'auto-rollback': 'false',
      },
      env: { ...stand.env, GITHUB_SHA: sha },
    });
    expect(failed.outputs.status).toBe('failure');
    expect(outcomes()['1.2.0-crashloop']).toBe('failed');

    const run = await rollback({});
    expect(run.errors).toEqual([]);
    expect(image()).toBe('ghcr.io/octo-org/api:1.1.0');
    expect(run.outputs['rolled-back-to']).toBe('1.1.0 (revision 2)');
    expect(outcomes()).toEqual({ '1.0.0': undefined, '1.1.0': 'success', '1.2.0-crashloop': 'rolled-back' });
    expect(gitHubDeployments().at(-1)).toMatchObject({
      task: 'deploy:rollback',
      sha: good,
      state: 'success',
    });

    // A second rollback does not bring the failed version back, nor walk further back by itself.
    const again = await rollback({});
    expect(again.errors).toEqual([]);
    expect(image()).toBe('ghcr.io/octo-org/api:1.1.0');
  });

  test('a rollback whose target crash-loops fails fast, restores what ran and says what runs now', async () => {
    await deploy('1.1.0', 'success');
    await deploy('1.2.0', 'success');
    broken.add('ghcr.io/octo-org/api:1.1.0');

    const run = await rollback({ reason: 'p99 latency doubled' });
    expect(run.exitCode).toBe(1);
    const message = run.errors.at(-1) ?? '';
    expect(message).toMatch(
      /^Rolling back production failed: api: api-[a-z0-9]+-[a-z0-9]+\/app: CrashLoopBackOff/,
    );
    expect(message).toContain('What runs now: api runs 1.2.0 (revision 3) again.');
    expect(Number(run.outputs['duration-ms'])).toBeLessThan(30_000);
    expect(image()).toBe('ghcr.io/octo-org/api:1.2.0');
    expect(outcomes()).toMatchObject({ '1.1.0': 'failed', '1.2.0': 'success' });
    const recorded = gitHubDeployments().at(-1);
    expect(recorded).toMatchObject({ task: 'deploy:rollback', state: 'failure' });
    expect(recorded?.description).toMatch(/^api runs 1\.2\.0 \(revision 3\) again after: /);
    expect(run.summary).toContain('**Now running:** api runs 1.2.0 (revision 3) again.');
  });
});
