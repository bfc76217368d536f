import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  imageOf,
  startDeployStand,
  NAMESPACE,
  REPOSITORY,
  type DeployStand,
} from '../support/deploy-stand.ts';
import { startHttpTarget } from '../support/http-target.ts';
import { runAction } from '../support/runner.ts';

const action = 'actions/deploy';
let stand: DeployStand;

beforeEach(async () => {
  stand = await startDeployStand();
});
afterEach(async () => {
  stand.github.assertNoViolations();
  await stand.close();
});

function deploy(inputs: Record<string, string>, env: Record<string, string> = {}) {
  return runAction(action, {
    inputs: {
      environment: 'staging',
      namespace: NAMESPACE,
      kubeconfig: stand.kube.kubeconfig(),
      token: 'test-token',
      'environment-url': 'https://staging.example.com',
      ...inputs,
    },
    env: { ...stand.env, ...env },
  });
}

function revisions(): Record<string, string | undefined> {
  return Object.fromEntries(
    stand.kube.state
      .replicaSets(NAMESPACE, 'api')
      .map((rs) => [imageOf(rs) ?? '', rs.metadata.annotations?.['deployment.kubernetes.io/revision']]),
  );
}

/** `spec.replicas` of the api Deployments (plain and colours) that exist. */
function replicas(): Record<string, number | undefined> {
  return Object.fromEntries(
    ['api', 'api-blue', 'api-green']
      .map((name) => [name, stand.kube.state.deployment(NAMESPACE, name)] as const)
      .filter(([, d]) => d !== undefined)
      .map(([name, d]) => [name, d?.spec?.replicas]),
  );
}

/** Pods of the api that are not terminating, counted by colour (`none` for the plain Deployment's). */
function podsByColour(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const pod of stand.kube.state.pods(NAMESPACE, 'app=api')) {
    if (pod.metadata.deletionTimestamp !== undefined) continue;
    const colour = pod.metadata.labels?.['rollgate.dev/color'] ?? 'none';
    counts[colour] = (counts[colour] ?? 0) + 1;
  }
  return counts;
}

function statuses(deploymentId: string): string[] {
  const repo = stand.github.state.seeded(REPOSITORY);
  const deployment = repo.deployments.get(Number(deploymentId));
  return (deployment?.statuses ?? []).map((s) => s.state);
}

describe('deploy action, rolling', () => {
  test('rolls out a new image and records the GitHub Deployment with its statuses and both URLs', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
    const run = await deploy({ deployment: 'api', image: 'ghcr.io/octo-org/api:1.1.0' });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      status: 'success',
      revision: '2',
      'previous-revision': '1',
      'environment-url': 'https://staging.example.com',
    });
    const api = stand.kube.state.deployment(NAMESPACE, 'api');
    expect(imageOf(api)).toBe('ghcr.io/octo-org/api:1.1.0');
    expect(api?.metadata.annotations).toMatchObject({
      'rollgate.dev/version': '1.1.0',
      'rollgate.dev/sha': stand.sha,
      'rollgate.dev/deployment-id': run.outputs['deployment-id'],
    });
    expect(api?.metadata.annotations?.['kubernetes.io/change-cause']).toContain('rollgate deploy 1.1.0');
    expect(revisions()).toEqual({ 'ghcr.io/octo-org/api:1.0.0': '1', 'ghcr.io/octo-org/api:1.1.0': '2' });

    const created = stand.github.callsTo('repos/create-deployment');
    expect(created).toHaveLength(1);
    expect(created[0]?.body).toMatchObject({
      ref: stand.sha,
      environment: 'staging',
      task: 'deploy',
      auto_merge: false,
      payload: { version: '1.1.0' },
    });
    const statusCalls = stand.github
      .callsTo('repos/create-deployment-status')
      .map((c) => c.body as Record<string, string>);
    expect(statusCalls.map((b) => b.state)).toEqual(['in_progress', 'success']);
    expect(statusCalls[0]?.log_url).toBe('https://github.com/octo-org/hello-service/actions/runs/1658821493');
    expect(statusCalls[1]).toMatchObject({
      environment_url: 'https://staging.example.com',
      log_url: statusCalls[0]?.log_url,
    });
    expect(statuses(run.outputs['deployment-id']!)).toEqual(['in_progress', 'success']);
    expect(run.summary).toContain('Deployed: 1.1.0 → staging');
    expect(run.summary).toMatch(/\| applied \|.*\n\| progressing \|.*\n\| available \|/);
    expect(run.masks).toContain('test-token');
  });
});

describe('deploy action, failures roll back', () => {
  test('rolls back to the previous revision at once when the new pods crash-loop', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
    const run = await deploy({
      deployment: 'api',
      image: 'ghcr.io/octo-org/api:1.1.0-crashloop',
      timeout: '60s',
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ status: 'rolled-back', revision: '2', 'previous-revision': '1' });
    expect(run.errors.at(-1)).toMatch(
      /Deploying 1\.1\.0-crashloop to staging failed: api: api-[a-z0-9]+-[a-z0-9]+\/app: CrashLoopBackOff.*It was reverted: rolled back to revision 1 \(version 1\.0\.0\)/,
    );
    // The real controller re-uses the old ReplicaSet and gives it the next revision: 1, 2 → undo → 3.
    expect(revisions()).toEqual({
      'ghcr.io/octo-org/api:1.0.0': '3',
      'ghcr.io/octo-org/api:1.1.0-crashloop': '2',
    });
    expect(imageOf(stand.kube.state.deployment(NAMESPACE, 'api'))).toBe('ghcr.io/octo-org/api:1.0.0');

    const failed = statuses(run.outputs['deployment-id']!);
    expect(failed).toEqual(['in_progress', 'failure']);
    const description =
      stand.github
        .callsTo('repos/create-deployment-status')
        .map((c) => c.body as Record<string, string>)
        .find((b) => b.state === 'failure')?.description ?? '';
    expect(description).toContain('CrashLoopBackOff');
    expect(description).toContain('rolled back to revision 1 (version 1.0.0)');
    const deployments = stand.github
      .callsTo('repos/create-deployment')
      .map((c) => c.body as Record<string, unknown>);
    expect(deployments.map((d) => d.task)).toEqual(['deploy', 'deploy:rollback']);
    expect(deployments[1]).toMatchObject({
      payload: { version: '1.0.0', rolled_back_from: '1.1.0-crashloop' },
    });
    expect(run.summary).toContain('Deploy failed and was rolled back');
    expect(run.summary).toMatch(/\*\*Pods:\*\*\n\n- api-.*CrashLoopBackOff/);
    expect(run.summary).toContain('**Now running:** rolled back to revision 1 (version 1.0.0).');
  });

  test('fails fast on an image that cannot be pulled', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
    const run = await deploy({
      deployment: 'api',
      image: 'ghcr.io/octo-org/api:1.1.0-pullfail',
      timeout: '60s',
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.status).toBe('rolled-back');
    expect(run.errors.at(-1)).toMatch(/(ErrImagePull|ImagePullBackOff)/);
    expect(Number(run.outputs['duration-ms'])).toBeLessThan(30_000);
  });

  test('fails when the progress deadline passes, as kubectl rollout status does', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0', { progressDeadlineSeconds: 10 });
    const run = await deploy({
      deployment: 'api',
      image: 'ghcr.io/octo-org/api:1.1.0-never-ready',
      timeout: '60s',
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors.at(-1)).toContain('api: deployment "api" exceeded its progress deadline');
    expect(run.outputs.status).toBe('rolled-back');
    expect(revisions()['ghcr.io/octo-org/api:1.0.0']).toBe('3');
  });

  test('leaves the failed version in place when auto-rollback is off', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
    const run = await deploy({
      deployment: 'api',
      image: 'ghcr.io/octo-org/api:1.1.0-crashloop',
      'auto-rollback': 'false',
    });
    expect(run.outputs.status).toBe('failure');
    expect(imageOf(stand.kube.state.deployment(NAMESPACE, 'api'))).toBe(
      'ghcr.io/octo-org/api:1.1.0-crashloop',
    );
    expect(stand.github.callsTo('repos/create-deployment')).toHaveLength(1);
  });
});

describe('deploy action, blue-green', () => {
  async function seedBlueGreen(): Promise<void> {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0', { replicas: 2 });
    stand.kube.state.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: NAMESPACE },
      spec: { selector: { app: 'api' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
  }

  test('switches the Service to the new colour once it is up and healthy, keeping the old one', async () => {
    await seedBlueGreen();
    const target = await startHttpTarget(() => ({ body: 'ok' }));
    try {
      const first = await deploy({
        deployment: 'api',
        image: 'ghcr.io/octo-org/api:1.1.0',
        strategy: 'blue-green',
        'health-url': target.url,
      });
      expect(first.errors).toEqual([]);
      expect(first.outputs.status).toBe('success');
      expect(stand.kube.state.service(NAMESPACE, 'api')?.spec?.selector).toEqual({
        app: 'api',
        'rollgate.dev/color': 'blue',
      });
      expect(imageOf(stand.kube.state.deployment(NAMESPACE, 'api-blue'))).toBe('ghcr.io/octo-org/api:1.1.0');
      // The plain Deployment serves nothing once the Service selects a colour.
      expect(replicas()).toEqual({ api: 0, 'api-blue': 2 });

      const second = await deploy({
        deployment: 'api',
        image: 'ghcr.io/octo-org/api:1.2.0',
        strategy: 'blue-green',
        'health-url': target.url,
      });
      expect(second.outputs.status).toBe('success');
      expect(stand.kube.state.service(NAMESPACE, 'api')?.spec?.selector?.['rollgate.dev/color']).toBe(
        'green',
      );
      // The old colour stays up for an instant switch back; nothing else has pods.
      expect(stand.kube.state.deployment(NAMESPACE, 'api-blue')?.status?.availableReplicas).toBe(2);
      expect(replicas()).toEqual({ api: 0, 'api-blue': 2, 'api-green': 2 });
      expect(second.summary).toMatch(/\| switched \|.*service api → green/);
    } finally {
      await target.close();
    }
  });

  test('switches back to the old colour when the new one fails its health check under traffic', async () => {
    await seedBlueGreen();
    const ok = await startHttpTarget(() => ({ body: 'ok' }));
    await deploy({
      deployment: 'api',
      image: 'ghcr.io/octo-org/api:1.1.0',
      strategy: 'blue-green',
      'health-url': ok.url,
    });
    await ok.close();
    // Healthy while blue serves, broken once the Service points at green.
    const target = await startHttpTarget(() =>
      stand.kube.state.service(NAMESPACE, 'api')?.spec?.selector?.['rollgate.dev/color'] === 'green'
        ? { status: 503 }
        : { body: 'ok' },
    );
    try {
      const run = await deploy({
        deployment: 'api',
        image: 'ghcr.io/octo-org/api:1.2.0',
        strategy: 'blue-green',
        'health-url': target.url,
        'health-deadline': '1s',
      });
      expect(run.exitCode).toBe(1);
      expect(run.outputs.status).toBe('rolled-back');
      expect(stand.kube.state.service(NAMESPACE, 'api')?.spec?.selector?.['rollgate.dev/color']).toBe('blue');
      expect(run.errors.at(-1)).toContain('switched service api back to api-blue');
      expect(run.summary).toMatch(/\| switched \|[\s\S]*\| rolled back \|/);
      // The failed colour is scaled to zero: only the live colour has pods.
      expect(replicas()).toEqual({ api: 0, 'api-blue': 2, 'api-green': 0 });
      await stand.kube.waitForIdle();
      expect(podsByColour()).toEqual({ blue: 2 });
    } finally {
      await target.close();
    }
  });

  test('a first switch that fails its health check goes back to the plain Deployment and scales the colour to zero', async () => {
    await seedBlueGreen();
    const target = await startHttpTarget(() =>
      stand.kube.state.service(NAMESPACE, 'api')?.spec?.selector?.['rollgate.dev/color'] === 'blue'
        ? { status: 503 }
        : { body: 'ok' },
    );
    try {
      const run = await deploy({
        deployment: 'api',
        image: 'ghcr.io/octo-org/api:1.1.0',
        strategy: 'blue-green',
        'health-url': target.url,
        'health-deadline': '1s',
      });
      expect(run.outputs.status).toBe('rolled-back');
      expect(stand.kube.state.service(NAMESPACE, 'api')?.spec?.selector).toEqual({ app: 'api' });
      expect(replicas()).toEqual({ api: 2, 'api-blue': 0 });
      await stand.kube.waitForIdle();
      expect(podsByColour()).toEqual({ none: 2 });
    } finally {
      await target.close();
    }
  });

  test('a colour whose pods crash-loop never takes traffic and is scaled to zero', async () => {
    await seedBlueGreen();
    const run = await deploy({
      deployment: 'api',
      image: 'ghcr.io/octo-org/api:1.1.0-crashloop',
      strategy: 'blue-green',
      timeout: '60s',
    });
    expect(run.outputs.status).toBe('failure');
    expect(run.errors.at(-1)).toContain('CrashLoopBackOff');
    expect(stand.kube.state.service(NAMESPACE, 'api')?.spec?.selector).toEqual({ app: 'api' });
    expect(replicas()).toEqual({ api: 2, 'api-blue': 0 });
    const blue = stand.kube.state.replicaSets(NAMESPACE, 'api-blue');
    expect(blue.map((rs) => rs.metadata.annotations?.['rollgate.dev/outcome'])).toEqual(['failed']);
  });
});

describe('deploy action, canary', () => {
  test('grows the canary step by step, checks health at each, then promotes and removes the canary', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0', { replicas: 4 });
    const seen: string[] = [];
    const target = await startHttpTarget(() => {
      seen.push(
        `${stand.kube.state.deployment(NAMESPACE, 'api-canary')?.spec?.replicas ?? 0}/${stand.kube.state.deployment(NAMESPACE, 'api')?.spec?.replicas ?? 0}`,
      );
      return { body: 'ok' };
    });
    try {
      const run = await deploy({
        deployment: 'api',
        image: 'ghcr.io/octo-org/api:1.1.0',
        strategy: 'canary',
        'canary-steps': '25,50,100',
        'health-url': target.url,
      });
      expect(run.errors).toEqual([]);
      expect(run.outputs.status).toBe('success');
      expect(seen.slice(0, 2)).toEqual(['1/3', '2/2']);
      expect(stand.kube.state.deployment(NAMESPACE, 'api-canary')).toBeUndefined();
      const api = stand.kube.state.deployment(NAMESPACE, 'api');
      expect(api?.spec?.replicas).toBe(4);
      expect(imageOf(api)).toBe('ghcr.io/octo-org/api:1.1.0');
      expect(run.summary).toMatch(
        /\| canary \|.*25 %: 1 canary, 3 stable[\s\S]*\| canary \|.*50 %: 2 canary, 2 stable[\s\S]*\| promoted \|/,
      );
    } finally {
      await target.close();
    }
  });

  test('aborts at 50 % when the health check fails there, removing the canary and restoring the stable replicas', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0', { replicas: 4 });
    const target = await startHttpTarget(() =>
      (stand.kube.state.deployment(NAMESPACE, 'api-canary')?.spec?.replicas ?? 0) >= 2
        ? { status: 500, body: 'errors rising' }
        : { body: 'ok' },
    );
    try {
      const run = await deploy({
        deployment: 'api',
        image: 'ghcr.io/octo-org/api:1.1.0',
        strategy: 'canary',
        'canary-steps': '25,50,100',
        'health-url': target.url,
        'health-deadline': '1s',
      });
      expect(run.exitCode).toBe(1);
      expect(run.outputs.status).toBe('rolled-back');
      expect(run.errors.at(-1)).toContain('removed the canary at 50 %');
      expect(stand.kube.state.deployment(NAMESPACE, 'api-canary')).toBeUndefined();
      const api = stand.kube.state.deployment(NAMESPACE, 'api');
      expect(api?.spec?.replicas).toBe(4);
      expect(imageOf(api)).toBe('ghcr.io/octo-org/api:1.0.0');
    } finally {
      await target.close();
    }
  });
});

describe('deploy action, manifests', () => {
  test('applies every document of the matched files by server-side apply with the image substituted', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'rollgate-manifests-'));
    try {
      mkdirSync(join(workspace, 'k8s'));
      writeFileSync(
        join(workspace, 'k8s', 'api.yaml'),
        [
          'apiVersion: apps/v1',
          'kind: Deployment',
          'metadata: { name: web }',
          'spec:',
          '  replicas: 2',
          '  selector: { matchLabels: { app: web } }',
          '  template:',
          '    metadata: { labels: { app: web } }',
          '    spec: { containers: [{ name: web, image: "ghcr.io/octo-org/web:latest" }] }',
          '---',
          'apiVersion: v1',
          'kind: Service',
          'metadata: { name: web }',
          'spec: { selector: { app: web }, ports: [{ port: 80 }] }',
          '',
        ].join('\n'),
      );
      const run = await runAction(action, {
        inputs: {
          environment: 'staging',
          namespace: NAMESPACE,
          manifests: 'k8s/*.yaml',
          image: 'ghcr.io/octo-org/web:2.0.0',
          kubeconfig: stand.kube.kubeconfig(),
          token: '',
        },
        env: stand.env,
        workspace,
      });
      expect(run.errors).toEqual([]);
      expect(run.outputs.status).toBe('success');
      expect(imageOf(stand.kube.state.deployment(NAMESPACE, 'web'))).toBe('ghcr.io/octo-org/web:2.0.0');
      expect(stand.kube.state.service(NAMESPACE, 'web')).toBeDefined();
      const applies = stand.kube.requests.filter(
        (r) => r.method === 'PATCH' && r.contentType === 'application/apply-patch+yaml',
      );
      expect(applies.every((r) => r.query.fieldManager === 'rollgate')).toBe(true);
      expect(applies.filter((r) => r.query.dryRun === 'All')).toHaveLength(2);
      expect(stand.github.calls).toHaveLength(0);
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });
});

describe('deploy action: bad inputs change nothing and say what to fix', () => {
  async function expectRejected(
    inputs: Record<string, string>,
    message: RegExp,
    workspace?: string,
  ): Promise<void> {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
    const before = stand.kube.state.resourceVersion;
    const run = await runAction(action, {
      inputs: {
        environment: 'staging',
        namespace: NAMESPACE,
        kubeconfig: stand.kube.kubeconfig(),
        token: 'test-token',
        ...inputs,
      },
      env: stand.env,
      ...(workspace === undefined ? {} : { workspace }),
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(message);
    expect(
      stand.kube.requests.filter((r) => !['GET'].includes(r.method) && r.query.dryRun !== 'All'),
    ).toEqual([]);
    expect(stand.kube.state.resourceVersion).toBe(before);
    expect(stand.github.callsTo('repos/create-deployment')).toHaveLength(0);
  }

  test('no kubeconfig anywhere', async () => {
    await expectRejected(
      { deployment: 'api', image: 'ghcr.io/octo-org/api:1.1.0', kubeconfig: '' },
      /^No Kubernetes credentials were found\. .*never guesses a cluster\. Pass a kubeconfig/,
    );
  });

  test('an unknown Deployment', async () => {
    await expectRejected(
      { deployment: 'apy', image: 'ghcr.io/octo-org/api:1.1.0' },
      /^Not found while reading deployment shop\/apy: deployments\.apps "apy" not found\./,
    );
  });

  test('a container the Deployment does not have', async () => {
    await expectRejected(
      { deployment: 'api', image: 'ghcr.io/octo-org/api:1.1.0', container: 'worker' },
      /^Input 'container' is invalid: deployment api has no container 'worker'\. Use one of its containers: app\./,
    );
  });

  test('a manifest with a YAML syntax error, named by file and line', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'rollgate-manifests-'));
    try {
      writeFileSync(
        join(workspace, 'broken.yaml'),
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n   labels: {\n',
      );
      await expectRejected(
        { manifests: 'broken.yaml', image: 'ghcr.io/octo-org/api:1.1.0' },
        /^Input 'manifests' is invalid: broken\.yaml:4:9 is not valid YAML: Nested mappings are not allowed/,
        workspace,
      );
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });

  test('an unknown strategy', async () => {
    await expectRejected(
      { deployment: 'api', image: 'ghcr.io/octo-org/api:1.1.0', strategy: 'big-bang' },
      /^Input 'strategy' is invalid: 'big-bang' is not a strategy\. Use one of rolling, blue-green, canary\./,
    );
  });

  test('canary steps out of order', async () => {
    await expectRejected(
      {
        deployment: 'api',
        image: 'ghcr.io/octo-org/api:1.1.0',
        strategy: 'canary',
        'canary-steps': '50,10,100',
      },
      /^Input 'canary-steps' is invalid: the steps are out of order \(50 then 10\)/,
    );
  });

  test('a canary of manifests, which needs one named Deployment', async () => {
    await expectRejected(
      { deployment: 'api', manifests: 'k8s/*.yaml', image: 'ghcr.io/octo-org/api:1.1.0', strategy: 'canary' },
      /^Input 'manifests' is invalid: the canary strategy works on one named Deployment, not on manifests\./,
    );
  });
});

describe('deploy action on a deployment event from the App', () => {
  test('adopts the Deployment, takes environment, sha and version from it, and tags an untagged image with the sha', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
    const deployment = await stand.createGitHubDeployment('staging', 'deploy', {
      version: '1.1.0',
      requester: 'octocat',
    });
    const run = await runAction(action, {
      inputs: {
        namespace: NAMESPACE,
        deployment: 'api',
        image: 'ghcr.io/octo-org/api',
        kubeconfig: stand.kube.kubeconfig(),
        token: 'test-token',
      },
      env: {
        ...stand.env,
        GITHUB_EVENT_NAME: 'deployment',
        GITHUB_SHA: 'ffac537e6cbbf934b08745a378932722df287a53',
      },
      event: {
        name: 'deployment',
        payload: { action: 'created', deployment, repository: { full_name: REPOSITORY } },
      },
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs['deployment-id']).toBe(String(deployment.id));
    expect(imageOf(stand.kube.state.deployment(NAMESPACE, 'api'))).toBe(
      `ghcr.io/octo-org/api:sha-${stand.sha.slice(0, 7)}`,
    );
    expect(
      stand.kube.state.deployment(NAMESPACE, 'api')?.metadata.annotations?.['rollgate.dev/version'],
    ).toBe('1.1.0');
    expect(stand.github.callsTo('repos/create-deployment')).toHaveLength(1);
    expect(statuses(String(deployment.id))).toEqual(['in_progress', 'success']);
  });
});
