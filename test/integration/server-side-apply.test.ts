import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { AppsV1Api, KubeConfig, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageOf, startDeployStand, NAMESPACE, type DeployStand } from '../support/deploy-stand.ts';
import { runAction } from '../support/runner.ts';

let stand: DeployStand;
let workspace: string;

beforeEach(async () => {
  stand = await startDeployStand();
  workspace = mkdtempSync(join(tmpdir(), 'rollgate-ssa-'));
});
afterEach(async () => {
  stand.github.assertNoViolations();
  expect(stand.kube.controllerErrors).toEqual([]);
  await stand.close();
  rmSync(workspace, { recursive: true, force: true });
});

function client(): AppsV1Api {
  const kc = new KubeConfig();
  kc.loadFromString(stand.kube.kubeconfig());
  return kc.makeApiClient(AppsV1Api);
}

/** The manifest a user keeps in the repository: `api` with `replicas` and an image. */
function writeManifest(replicas: number): void {
  writeFileSync(
    join(workspace, 'api.yaml'),
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: { name: api, labels: { app: api } }',
      'spec:',
      `  replicas: ${replicas}`,
      '  selector: { matchLabels: { app: api } }',
      '  template:',
      '    metadata: { labels: { app: api } }',
      '    spec: { containers: [{ name: app, image: "ghcr.io/octo-org/api:1.0.0", ports: [{ containerPort: 8080 }] }] }',
      '',
    ].join('\n'),
  );
}

function deploy(inputs: Record<string, string>) {
  return runAction('actions/deploy', {
    inputs: {
      environment: 'staging',
      namespace: NAMESPACE,
      kubeconfig: stand.kube.kubeconfig(),
      token: 'test-token',
      ...inputs,
    },
    env: stand.env,
    workspace,
  });
}

function createAutoscaler(min: number, max: number): void {
  stand.kube.state.create({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'api', namespace: NAMESPACE },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
      minReplicas: min,
      maxReplicas: max,
    },
  });
}

/** Managers of `spec.replicas` as `manager/operation[/subresource]`. */
function replicasOwners(): string[] {
  return (stand.kube.state.deployment(NAMESPACE, 'api')?.metadata.managedFields ?? [])
    .filter(
      (e) => (e.fieldsV1 as { 'f:spec'?: Record<string, unknown> } | undefined)?.['f:spec']?.['f:replicas'],
    )
    .map((e) => [e.manager, e.operation, e.subresource].filter(Boolean).join('/'));
}

/** Records every spec.replicas the Deployment `api` has while `during` runs. */
async function replicasSeen(during: () => Promise<unknown>): Promise<number[]> {
  const kc = new KubeConfig();
  kc.loadFromString(stand.kube.kubeconfig());
  const seen: number[] = [];
  const watch = await new Watch(kc).watch(
    `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`,
    { fieldSelector: 'metadata.name=api' },
    (_type: string, object: IDeployment) => {
      if (seen.at(-1) !== object.spec?.replicas) seen.push(object.spec?.replicas ?? -1);
    },
    () => undefined,
  );
  try {
    await during();
  } finally {
    watch.abort();
  }
  return seen;
}

async function scaleAs(manager: string, replicas: number): Promise<void> {
  await client().patchNamespacedDeployment(
    { name: 'api', namespace: NAMESPACE, body: { spec: { replicas } }, fieldManager: manager },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  await stand.kube.waitForIdle();
}

describe('server-side apply never takes fields from other managers silently', () => {
  test('a manifest setting replicas that another manager owns fails before anything changes, naming field, manager and fix', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
    await scaleAs('ops-console', 5);
    writeManifest(2);
    const before = stand.kube.requests.length;

    const run = await deploy({ manifests: 'api.yaml', image: 'ghcr.io/octo-org/api:1.1.0' });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      `Applying deployment ${NAMESPACE}/api would take a field from another field manager: .spec.replicas (owned by "ops-console" using apps/v1). ` +
        'Server-side apply does not take fields from other managers (ops-console) unless forced, so that Rollgate does not silently undo what they set; nothing was changed. ' +
        "Remove the field from the manifest to leave it to ops-console, or set 'force-conflicts: true' to take it over.",
    ]);
    const writes = stand.kube.requests.slice(before).filter((r) => r.method !== 'GET');
    expect(writes.map((r) => [r.method, r.query.dryRun, r.query.force, r.status])).toEqual([
      ['PATCH', 'All', 'false', 409],
    ]);
    const api = stand.kube.state.deployment(NAMESPACE, 'api');
    expect(api?.spec?.replicas).toBe(5);
    expect(imageOf(api)).toBe('ghcr.io/octo-org/api:1.0.0');
    expect(stand.github.callsTo('repos/create-deployment')).toHaveLength(0);
  });

  test('with force-conflicts: true the apply takes the field, and the log says what it took from whom', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
    await scaleAs('ops-console', 5);
    writeManifest(2);

    const run = await deploy({
      manifests: 'api.yaml',
      image: 'ghcr.io/octo-org/api:1.1.0',
      'force-conflicts': 'true',
    });
    expect(run.errors).toEqual([]);
    expect(run.outputs.status).toBe('success');
    expect(run.log).toContain(
      `force-conflicts: deployment ${NAMESPACE}/api takes over .spec.replicas (owned by "ops-console" using apps/v1)`,
    );
    const api = stand.kube.state.deployment(NAMESPACE, 'api');
    expect(api?.spec?.replicas).toBe(2);
    expect(imageOf(api)).toBe('ghcr.io/octo-org/api:1.1.0');
    expect(replicasOwners()).toEqual(['rollgate/Apply']);
    const applies = stand.kube.requests.filter((r) => r.contentType === 'application/apply-patch+yaml');
    expect(applies.map((r) => [r.query.dryRun, r.query.force, r.status])).toEqual([
      ['All', 'false', 409],
      ['All', 'true', 200],
      [undefined, 'true', 200],
    ]);
  });

  test('a field another manager set to the same value is shared, not a conflict', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
    await scaleAs('ops-console', 2);
    writeManifest(2);
    const run = await deploy({ manifests: 'api.yaml', image: 'ghcr.io/octo-org/api:1.1.0' });
    expect(run.errors).toEqual([]);
    expect(replicasOwners()).toEqual(['rollgate/Apply', 'ops-console/Update']);
  });
});

describe('a Deployment a HorizontalPodAutoscaler scales keeps the HPA’s replica count', () => {
  test('the deploy leaves spec.replicas out of what it applies: the HPA’s count survives and still belongs to it', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0', { replicas: 2 });
    createAutoscaler(4, 8);
    await stand.kube.waitForIdle();
    expect(stand.kube.state.deployment(NAMESPACE, 'api')?.spec?.replicas).toBe(4);
    writeManifest(2);

    const seen = await replicasSeen(() =>
      deploy({ manifests: 'api.yaml', image: 'ghcr.io/octo-org/api:1.1.0' }),
    );
    const api = stand.kube.state.deployment(NAMESPACE, 'api');
    expect(imageOf(api)).toBe('ghcr.io/octo-org/api:1.1.0');
    expect(api?.spec?.replicas).toBe(4);
    expect(api?.status?.updatedReplicas).toBe(4);
    expect(seen).toEqual([4]);
    expect(replicasOwners()).toEqual(['kube-controller-manager/Update/scale']);
    const applies = stand.kube.requests.filter((r) => r.contentType === 'application/apply-patch+yaml');
    expect(applies.length).toBeGreaterThan(0);
    expect(applies.every((r) => !r.body.includes('replicas'))).toBe(true);
  });

  test('replicas Rollgate applied before an HPA arrived are handed over at the live count, never reset to the default', async () => {
    writeManifest(4);
    const first = await deploy({ manifests: 'api.yaml', image: 'ghcr.io/octo-org/api:1.0.0' });
    expect(first.outputs.status).toBe('success');
    expect(replicasOwners()).toEqual(['rollgate/Apply']);
    // Already at its minimum: the HPA writes nothing, so only Rollgate owns the field.
    createAutoscaler(4, 8);
    await stand.kube.waitForIdle();
    expect(replicasOwners()).toEqual(['rollgate/Apply']);

    let second: Awaited<ReturnType<typeof deploy>> | undefined;
    const seen = await replicasSeen(async () => {
      second = await deploy({ manifests: 'api.yaml', image: 'ghcr.io/octo-org/api:1.1.0' });
    });
    expect(second?.errors).toEqual([]);
    expect(second?.log).toContain(
      `deployment ${NAMESPACE}/api: spec.replicas is left to HorizontalPodAutoscaler api (4 replicas now)`,
    );
    expect(seen).toEqual([4]);
    expect(replicasOwners()).toEqual(['handover-to-hpa/Apply']);
    expect(imageOf(stand.kube.state.deployment(NAMESPACE, 'api'))).toBe('ghcr.io/octo-org/api:1.1.0');
    // Two deploys, each a bundled action run.
  }, 180_000);

  test('a canary takes its share of the live count and leaves the stable replicas to the HPA', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0', { replicas: 2 });
    createAutoscaler(4, 8);
    await stand.kube.waitForIdle();
    const canaries: number[] = [];
    const seen = await replicasSeen(async () => {
      const run = await runAction('actions/deploy', {
        inputs: {
          environment: 'staging',
          namespace: NAMESPACE,
          kubeconfig: stand.kube.kubeconfig(),
          token: 'test-token',
          deployment: 'api',
          image: 'ghcr.io/octo-org/api:1.1.0',
          strategy: 'canary',
          'canary-steps': '50,100',
        },
        env: stand.env,
      });
      expect(run.errors).toEqual([]);
      expect(run.summary).toMatch(
        /\| canary \|.*50 %: 2 canary, 4 stable \(scaled by HorizontalPodAutoscaler api\)/,
      );
      canaries.push(
        ...stand.kube.requests
          .filter((r) => r.contentType === 'application/apply-patch+yaml' && r.path.endsWith('/api-canary'))
          .map((r) => (JSON.parse(r.body) as IDeployment).spec?.replicas ?? 0),
      );
    });
    expect(canaries).toEqual([2]);
    expect(seen).toEqual([4]);
    const api = stand.kube.state.deployment(NAMESPACE, 'api');
    expect(api?.spec?.replicas).toBe(4);
    expect(imageOf(api)).toBe('ghcr.io/octo-org/api:1.1.0');
    expect(stand.kube.state.deployment(NAMESPACE, 'api-canary')).toBeUndefined();
  });

  test('a blue-green colour starts at the live count the HPA set, not the replicas in the spec it was made from', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0', { replicas: 2 });
    stand.kube.state.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: NAMESPACE },
      spec: { selector: { app: 'api' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    createAutoscaler(3, 8);
    await stand.kube.waitForIdle();
    const run = await runAction('actions/deploy', {
      inputs: {
        environment: 'staging',
        namespace: NAMESPACE,
        kubeconfig: stand.kube.kubeconfig(),
        token: 'test-token',
        deployment: 'api',
        image: 'ghcr.io/octo-org/api:1.1.0',
        strategy: 'blue-green',
      },
      env: stand.env,
    });
    expect(run.errors).toEqual([]);
    expect(stand.kube.state.deployment(NAMESPACE, 'api-blue')?.status?.availableReplicas).toBe(3);
    expect(stand.kube.state.service(NAMESPACE, 'api')?.spec?.selector?.['rollgate.dev/color']).toBe('blue');
  });
});
