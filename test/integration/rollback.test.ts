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

beforeEach(async () => {
  stand = await startDeployStand();
  await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
  for (const version of ['1.1.0', '1.2.0']) {
    const run = await runAction('actions/deploy', {
      inputs: {
        environment: 'production',
        namespace: NAMESPACE,
        deployment: 'api',
        image: `ghcr.io/octo-org/api:${version}`,
        kubeconfig: stand.kube.kubeconfig(),
        token: 'test-token',
      },
      env: stand.env,
    });
    expect(run.outputs.status).toBe('success');
  }
});
afterEach(async () => {
  stand.github.assertNoViolations();
  await stand.close();
});

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
      payload: { reason: 'p99 latency doubled' },
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
