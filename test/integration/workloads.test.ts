import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDeployStand, NAMESPACE, REPOSITORY, type DeployStand } from '../support/deploy-stand.ts';
import { runAction, type ActionRun } from '../support/runner.ts';

let stand: DeployStand;
let workspace: string;

beforeEach(async () => {
  stand = await startDeployStand();
  workspace = mkdtempSync(join(tmpdir(), 'rollgate-workloads-'));
});
afterEach(async () => {
  stand.github.assertNoViolations();
  expect(stand.kube.controllerErrors).toEqual([]);
  await stand.close();
  rmSync(workspace, { recursive: true, force: true });
});

const IMAGE = 'ghcr.io/octo-org/shop';

const web = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: "${IMAGE}:latest" }] }
`;

const db = (updateStrategy = '') => `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db }
spec:
  replicas: 3
  serviceName: db
  selector: { matchLabels: { app: db } }
${updateStrategy}  template:
    metadata: { labels: { app: db } }
    spec: { containers: [{ name: db, image: "${IMAGE}:latest" }] }
`;

const agent = `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent }
spec:
  selector: { matchLabels: { app: agent } }
  template:
    metadata: { labels: { app: agent } }
    spec: { containers: [{ name: agent, image: "${IMAGE}:latest" }] }
`;

function manifests(...documents: string[]): void {
  writeFileSync(join(workspace, 'shop.yaml'), documents.join('---\n'));
}

function deploy(version: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
  return runAction('actions/deploy', {
    inputs: {
      environment: 'staging',
      namespace: NAMESPACE,
      manifests: 'shop.yaml',
      image: `${IMAGE}:${version}`,
      kubeconfig: stand.kube.kubeconfig(),
      token: 'test-token',
      ...inputs,
    },
    env: stand.env,
    workspace,
  });
}

function rollback(inputs: Record<string, string>): Promise<ActionRun> {
  return runAction('actions/rollback', {
    inputs: {
      environment: 'staging',
      namespace: NAMESPACE,
      kubeconfig: stand.kube.kubeconfig(),
      token: 'test-token',
      ...inputs,
    },
    env: stand.env,
  });
}

/** Name → image of the pods of `app`, terminating ones left out: what `kubectl get pods` shows. */
function images(app: string): Record<string, string | undefined> {
  return Object.fromEntries(
    stand.kube.state
      .pods(NAMESPACE, `app=${app}`)
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => [p.metadata.name ?? '', p.spec?.containers[0]?.image]),
  );
}

/** The ControllerRevisions of `app` as `kubectl rollout history` numbers them: revision → image. */
function history(app: string): Record<number, string | undefined> {
  return Object.fromEntries(
    stand.kube.state.controllerRevisions(NAMESPACE, `app=${app}`).map((r) => {
      const data = r.data as { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } };
      return [r.revision, data.spec?.template?.spec?.containers?.[0]?.image];
    }),
  );
}

function statuses(deploymentId: string | undefined): string[] {
  const deployment = stand.github.state.seeded(REPOSITORY).deployments.get(Number(deploymentId));
  return (deployment?.statuses ?? []).map((s) => s.state);
}

describe('manifests with StatefulSets and DaemonSets', () => {
  test('a deploy of a Deployment, a StatefulSet and a DaemonSet waits for all three and reports each', async () => {
    manifests(web, db(), agent);
    const first = await deploy('1.0.0');
    expect(first.errors).toEqual([]);
    expect(first.outputs.status).toBe('success');

    const run = await deploy('1.1.0');
    expect(run.errors).toEqual([]);
    expect(run.outputs.status).toBe('success');
    // Nothing was left to wait for when the step ended: every pod runs the new image, ready.
    const sts = stand.kube.state.get('apps/v1', 'StatefulSet', NAMESPACE, 'db');
    expect(sts?.status).toMatchObject({ replicas: 3, readyReplicas: 3, updatedReplicas: 3 });
    const ds = stand.kube.state.get('apps/v1', 'DaemonSet', NAMESPACE, 'agent');
    expect(ds?.status).toMatchObject({
      desiredNumberScheduled: 3,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
    });
    expect(images('db')).toEqual({
      'db-0': `${IMAGE}:1.1.0`,
      'db-1': `${IMAGE}:1.1.0`,
      'db-2': `${IMAGE}:1.1.0`,
    });
    expect(Object.values(images('agent'))).toEqual([`${IMAGE}:1.1.0`, `${IMAGE}:1.1.0`, `${IMAGE}:1.1.0`]);
    expect(Object.values(images('web'))).toEqual([`${IMAGE}:1.1.0`, `${IMAGE}:1.1.0`]);
    expect(history('db')).toEqual({ 1: `${IMAGE}:1.0.0`, 2: `${IMAGE}:1.1.0` });
    expect(history('agent')).toEqual({ 1: `${IMAGE}:1.0.0`, 2: `${IMAGE}:1.1.0` });

    expect(run.summary).toContain('web, statefulset/db, daemonset/agent → 1.1.0');
    expect(run.summary).toContain('deployment "web" successfully rolled out');
    expect(run.summary).toContain(
      'statefulset/db: partitioned roll out complete: 3 new pods have been updated...',
    );
    expect(run.summary).toContain('daemon set "agent" successfully rolled out');
    expect(run.log.some((line) => line.startsWith('statefulset/db: Waiting for'))).toBe(true);
    expect(run.log.some((line) => line.startsWith('Waiting for daemon set "agent" rollout to finish'))).toBe(
      true,
    );
    // The DaemonSet controller copied the traceability annotations onto the new revision.
    const revision = stand.kube.state
      .controllerRevisions(NAMESPACE, 'app=agent')
      .find((r) => r.revision === 2);
    expect(revision?.metadata.annotations?.['rollgate.dev/version']).toBe('1.1.0');
  });

  test('a crash-looping StatefulSet image fails fast and is rolled back through its ControllerRevision', async () => {
    manifests(web, db());
    expect((await deploy('1.0.0')).outputs.status).toBe('success');

    const run = await deploy('crashloop');
    expect(run.exitCode).not.toBe(0);
    expect(run.outputs.status).toBe('rolled-back');
    expect(run.errors.join('\n')).toMatch(/statefulset\/db: db-2\/db: CrashLoopBackOff/);
    // Failed at the first crash, not at the 10 minute timeout.
    expect(Number(run.outputs['duration-ms'])).toBeLessThan(60_000);
    expect(run.summary).toContain('statefulset/db → revision 1');
    expect(run.summary).toMatch(/rolled back statefulset "db" to revision 1, deleting stuck pod db-2/);

    // kubectl's numbering: the template of revision 1 is restored as revision 3.
    expect(history('db')).toEqual({ 2: `${IMAGE}:crashloop`, 3: `${IMAGE}:1.0.0` });
    await stand.kube.waitForIdle();
    expect(images('db')).toEqual({
      'db-0': `${IMAGE}:1.0.0`,
      'db-1': `${IMAGE}:1.0.0`,
      'db-2': `${IMAGE}:1.0.0`,
    });
    const sts = stand.kube.state.get('apps/v1', 'StatefulSet', NAMESPACE, 'db');
    const status = sts?.status as {
      currentRevision?: string;
      updateRevision?: string;
      readyReplicas?: number;
    };
    expect(status.readyReplicas).toBe(3);
    expect(status.currentRevision).toBe(status.updateRevision);
    // The Deployment of the same manifests went back too.
    expect(Object.values(images('web'))).toEqual([`${IMAGE}:1.0.0`, `${IMAGE}:1.0.0`]);

    expect(statuses(run.outputs['deployment-id'])).toEqual(['in_progress', 'failure']);
    const created = stand.github.callsTo('repos/create-deployment').map((c) => c.body as { task?: string });
    expect(created.at(-1)?.task).toBe('deploy:rollback');
  });

  test('a DaemonSet whose image cannot be pulled fails fast and goes back to the previous revision on every node', async () => {
    manifests(agent);
    expect((await deploy('1.0.0')).outputs.status).toBe('success');

    const run = await deploy('pullfail');
    expect(run.outputs.status).toBe('rolled-back');
    expect(run.errors.join('\n')).toMatch(
      /daemonset\/agent: agent-[a-z0-9]{5}\/agent: (ErrImagePull|ImagePullBackOff)/,
    );
    expect(Number(run.outputs['duration-ms'])).toBeLessThan(60_000);
    expect(run.summary).toContain('rolled back daemonset "agent" to revision 1 (version 1.0.0)');
    expect(history('agent')).toEqual({ 2: `${IMAGE}:pullfail`, 3: `${IMAGE}:1.0.0` });
    await stand.kube.waitForIdle();
    expect(Object.values(images('agent'))).toEqual([`${IMAGE}:1.0.0`, `${IMAGE}:1.0.0`, `${IMAGE}:1.0.0`]);
    const ds = stand.kube.state.get('apps/v1', 'DaemonSet', NAMESPACE, 'agent');
    expect(ds?.status).toMatchObject({ updatedNumberScheduled: 3, numberAvailable: 3 });
  });

  test('an OnDelete StatefulSet is applied and said to be unawaitable, without failing the deploy', async () => {
    manifests(db('  updateStrategy: { type: OnDelete }\n'));
    expect((await deploy('1.0.0')).outputs.status).toBe('success');

    const run = await deploy('1.1.0');
    expect(run.errors).toEqual([]);
    expect(run.outputs.status).toBe('success');
    const said =
      'statefulset/db cannot be awaited: rollout status is only available for RollingUpdate strategy type (its updateStrategy is OnDelete: pods change only when someone deletes them)';
    expect(run.log).toContain(said);
    expect(run.summary).toContain(said);
    await stand.kube.waitForIdle();
    expect(Object.values(images('db'))).toEqual([`${IMAGE}:1.0.0`, `${IMAGE}:1.0.0`, `${IMAGE}:1.0.0`]);
    expect(history('db')).toEqual({ 1: `${IMAGE}:1.0.0`, 2: `${IMAGE}:1.1.0` });
  });
});

describe('rollback action with StatefulSet and DaemonSet targets', () => {
  test('statefulset/NAME and daemonset/NAME go back with kubectl rollout undo (previous revision, to-version)', async () => {
    manifests(db(), agent);
    for (const version of ['1.0.0', '1.1.0', '1.2.0'])
      expect((await deploy(version)).outputs.status).toBe('success');

    const sts = await rollback({ deployment: 'statefulset/db' });
    expect(sts.errors).toEqual([]);
    expect(sts.outputs).toMatchObject({ revision: '2', 'rolled-back-to': 'revision 2' });
    expect(images('db')).toEqual({
      'db-0': `${IMAGE}:1.1.0`,
      'db-1': `${IMAGE}:1.1.0`,
      'db-2': `${IMAGE}:1.1.0`,
    });
    expect(history('db')).toEqual({ 1: `${IMAGE}:1.0.0`, 3: `${IMAGE}:1.2.0`, 4: `${IMAGE}:1.1.0` });

    const ds = await rollback({ deployment: 'daemonset/agent', 'to-version': '1.0.0' });
    expect(ds.errors).toEqual([]);
    expect(ds.outputs).toMatchObject({ revision: '1', 'rolled-back-to': '1.0.0 (revision 1)' });
    expect(Object.values(images('agent'))).toEqual([`${IMAGE}:1.0.0`, `${IMAGE}:1.0.0`, `${IMAGE}:1.0.0`]);
    expect(ds.summary).toContain('| daemonset/agent | 3 | 1 | 1.0.0 | rolled back |');
  });

  test('a kind without rollout history, or a version a StatefulSet cannot know, is refused before anything changes', async () => {
    manifests(db());
    for (const version of ['1.0.0', '1.1.0']) expect((await deploy(version)).outputs.status).toBe('success');
    const before = stand.kube.state.resourceVersion;

    const job = await rollback({ deployment: 'job/migrate' });
    expect(job.exitCode).not.toBe(0);
    expect(job.errors.join('\n')).toContain(
      "Input 'deployment' is invalid: 'job/migrate' names 'job', which has no rollout history to go back to.",
    );
    const version = await rollback({ deployment: 'sts/db', 'to-version': '1.0.0' });
    expect(version.errors.join('\n')).toContain(
      'Version 1.0.0 is not in the rollout history of statefulset/db.',
    );
    expect(version.errors.join('\n')).toContain('keeps no annotations on its ControllerRevisions');
    expect(stand.kube.state.resourceVersion).toBe(before);
    expect(stand.github.callsTo('repos/create-deployment')).toHaveLength(2);
  });
});
