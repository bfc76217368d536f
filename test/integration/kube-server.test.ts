import { afterEach, describe, expect, test } from '@jest/globals';
import {
  ApiException,
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type V1DaemonSet,
  type V1Deployment,
  type V1ManagedFieldsEntry,
  type V1Pod,
  type V1StatefulSet,
  type V1Status,
  type V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IPod } from 'kubernetes-models/v1/Pod';
import https from 'node:https';
import { daemonSetStatus, statefulSetStatus } from '../../src/kubernetes/rollout-status.ts';
import { startKubeServer, type KubeServer, type KubeServerOptions } from '../support/kube-server/server.ts';

const servers: KubeServer[] = [];

afterEach(async () => {
  const closing = servers.splice(0);
  for (const server of closing) expect(server.controllerErrors).toEqual([]);
  await Promise.all(closing.map((s) => s.close()));
});

interface Cluster {
  readonly server: KubeServer;
  readonly kc: KubeConfig;
  readonly apps: AppsV1Api;
  readonly core: CoreV1Api;
}

async function cluster(options: KubeServerOptions = {}): Promise<Cluster> {
  const server = await startKubeServer(options);
  servers.push(server);
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig());
  return { server, kc, apps: kc.makeApiClient(AppsV1Api), core: kc.makeApiClient(CoreV1Api) };
}

function deployment(
  name: string,
  image: string,
  spec: Partial<NonNullable<V1Deployment['spec']>> = {},
): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
      ...spec,
    },
  };
}

const smp = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

/** kubectl's rollout-status rule for Deployments (polymorphichelpers/rollout_status.go), on the wire object. */
function rolloutDone(d: IDeployment): boolean {
  const status = d.status ?? {};
  const replicas = d.spec?.replicas ?? 1;
  return (
    (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (status.updatedReplicas ?? 0) === replicas &&
    (status.replicas ?? 0) === (status.updatedReplicas ?? 0) &&
    (status.availableReplicas ?? 0) === (status.updatedReplicas ?? 0)
  );
}

function progressing(d: IDeployment): { reason?: string; status?: string; message?: string } | undefined {
  return d.status?.conditions?.find((c) => c.type === 'Progressing');
}

interface WatchEvent<T> {
  readonly type: string;
  readonly object: T;
}

/**
 * Watches `path` with client-node's Watch until `until` holds for an event; resolves with every
 * event seen. Watch objects are the wire JSON, typed with kubernetes-models' interfaces.
 */
async function watchUntil<T>(
  kc: KubeConfig,
  path: string,
  query: Record<string, string>,
  until: (event: WatchEvent<T>) => boolean,
  timeoutMs = 10_000,
): Promise<WatchEvent<T>[]> {
  const events: WatchEvent<T>[] = [];
  let controller: AbortController | undefined;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      controller?.abort();
      outcome();
    };
    const timer = setTimeout(() => {
      finish(() => {
        reject(new Error(`no matching event on ${path} within ${timeoutMs} ms (saw ${events.length})`));
      });
    }, timeoutMs);
    new Watch(kc)
      .watch(
        path,
        query,
        (type: string, object: T) => {
          events.push({ type, object });
          if (until({ type, object })) {
            finish(() => {
              resolve(events);
            });
          }
        },
        (error: unknown) => {
          finish(() => {
            reject(error instanceof Error ? error : new Error(`the watch on ${path} ended`));
          });
        },
      )
      .then(
        (started) => {
          controller = started;
          if (settled) started.abort();
        },
        (error: unknown) => {
          finish(() => {
            reject(error instanceof Error ? error : new Error(String(error)));
          });
        },
      );
  });
}

/** Watches one Deployment until `until` holds; from `resourceVersion` when given (no event missed). */
function watchDeployment(
  kc: KubeConfig,
  name: string,
  until: (d: IDeployment) => boolean,
  resourceVersion?: string,
): Promise<WatchEvent<IDeployment>[]> {
  return watchUntil<IDeployment>(
    kc,
    '/apis/apps/v1/namespaces/default/deployments',
    { fieldSelector: `metadata.name=${name}`, ...(resourceVersion ? { resourceVersion } : {}) },
    (e) => e.type !== 'DELETED' && until(e.object),
  );
}

/** The API's answer to a request that must fail: its HTTP code and Status body. */
async function failure(request: Promise<unknown>): Promise<{ code: number; status: V1Status }> {
  try {
    await request;
  } catch (error) {
    if (error instanceof ApiException && typeof error.body === 'string') {
      return { code: error.code, status: JSON.parse(error.body) as V1Status };
    }
    throw error;
  }
  throw new Error('the request succeeded');
}

/** A GET over plain node:https, for what client-node does not surface (401 bodies, discovery). */
async function rawGet(
  server: KubeServer,
  path: string,
  token = server.token,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      `${server.url}${path}`,
      { ca: server.ca, headers: { authorization: `Bearer ${token}` } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as unknown });
        });
      },
    );
    request.on('error', reject);
  });
}

const revision = 'deployment.kubernetes.io/revision';

describe('Deployment rollouts (built-in controller)', () => {
  test('rolls out a new Deployment until kubectl rollout-status conditions hold, with ReplicaSet and pods as a cluster shows them', async () => {
    const { server, kc, apps, core } = await cluster();
    const started = server.clock.now();
    const rollout = watchDeployment(kc, 'web', rolloutDone, server.state.resourceVersion);
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', 'nginx:1.27'),
    });
    // The controller has not seen it yet: no observedGeneration in the create response.
    expect(created.metadata?.generation).toBe(1);
    expect(created.status?.observedGeneration).toBeUndefined();
    expect(created.spec?.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
    });

    const events = await rollout;
    // Done on the cluster's own clock well before the progress deadline (600 s) could have fired.
    expect(server.clock.now() - started).toBeLessThan(600_000);
    const done = events.at(-1)!.object;
    expect(done.metadata?.annotations?.[revision]).toBe('1');
    expect(done.status).toMatchObject({
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(done.status?.unavailableReplicas).toBeUndefined();
    expect(done.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
    expect(events.some((e) => progressing(e.object)?.reason === 'NewReplicaSetCreated')).toBe(true);

    const [rs, ...others] = (
      await apps.listNamespacedReplicaSet({ namespace: 'default', labelSelector: 'app=web' })
    ).items;
    expect(others).toEqual([]);
    const hash = rs!.metadata?.labels?.['pod-template-hash'];
    expect(hash).toMatch(/^[4-9bcdf]{6,10}$/);
    expect(rs!.metadata?.name).toBe(`web-${hash}`);
    expect(rs!.spec?.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.spec?.template?.metadata?.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.metadata?.annotations).toEqual({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    expect(rs!.metadata?.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'Deployment',
        name: 'web',
        uid: created.metadata?.uid,
        controller: true,
      }),
    ]);

    const pods = (
      await core.listNamespacedPod({ namespace: 'default', labelSelector: `pod-template-hash=${hash}` })
    ).items;
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.metadata?.name).toMatch(new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
      expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: 'ReplicaSet',
        uid: rs!.metadata?.uid,
      });
      expect(pod.spec?.containers[0]).toMatchObject({
        name: 'app',
        image: 'nginx:1.27',
        imagePullPolicy: 'IfNotPresent',
      });
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(pod.status?.containerStatuses?.[0]).toMatchObject({
        ready: true,
        restartCount: 0,
        started: true,
      });
    }
    expect(server.requests.some((r) => r.watch && r.query.fieldSelector === 'metadata.name=web')).toBe(true);
  });

  test('rolls a new image out through a second ReplicaSet at revision 2 within maxSurge and maxUnavailable', async () => {
    const { server, kc, apps } = await cluster();
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'nginx:1.27') });
    await server.waitForIdle();
    const rollout = watchDeployment(
      kc,
      'web',
      (d) => d.metadata?.generation === 2 && rolloutDone(d),
      server.state.resourceVersion,
    );

    const patched = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } } } },
      },
      smp,
    );
    expect(patched.metadata?.generation).toBe(2);
    expect(patched.status?.observedGeneration).toBe(1);

    const events = await rollout;
    expect(events.map((e) => progressing(e.object)?.reason)).toContain('ReplicaSetUpdated');
    // 3 replicas at 25 %: maxSurge rounds up to 1, maxUnavailable down to 0.
    for (const { object } of events) {
      expect(object.status?.replicas ?? 0).toBeLessThanOrEqual(4);
      expect(object.status?.availableReplicas ?? 0).toBeGreaterThanOrEqual(3);
    }
    expect(events.at(-1)!.object.metadata?.annotations?.[revision]).toBe('2');

    const replicaSets = server.state.replicaSets('default', 'web');
    expect(replicaSets.map((rs) => [rs.metadata.annotations?.[revision], rs.spec?.replicas])).toEqual([
      ['1', 0],
      ['2', 3],
    ]);
    const newHash = replicaSets[1]!.metadata.labels?.['pod-template-hash'];
    expect(newHash).not.toBe(replicaSets[0]!.metadata.labels?.['pod-template-hash']);
    await server.waitForIdle();
    expect(
      server.state.pods('default', 'app=web').map((p) => p.metadata.labels?.['pod-template-hash']),
    ).toEqual([newHash, newHash, newHash]);
  });

  test('rolling back to the first template re-uses its ReplicaSet as revision 3 (kubectl rollout undo)', async () => {
    const { server, kc, apps } = await cluster();
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'nginx:1.27') });
    await server.waitForIdle();
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:1.28' }],
      },
      jsonPatch,
    );
    await server.waitForIdle();

    const list = await apps.listNamespacedReplicaSet({ namespace: 'default', labelSelector: 'app=web' });
    const first = list.items.find((rs) => rs.metadata?.annotations?.[revision] === '1')!;
    const template = structuredClone(first.spec!.template!);
    delete template.metadata!.labels!['pod-template-hash'];
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: [{ op: 'replace', path: '/spec/template', value: template }],
      },
      jsonPatch,
    );
    const events = await watchDeployment(kc, 'web', (d) => d.metadata?.generation === 3 && rolloutDone(d));
    expect(events.at(-1)!.object.metadata?.annotations?.[revision]).toBe('3');

    const after = server.state.replicaSets('default', 'web');
    expect(after).toHaveLength(2);
    const reused = after.find((rs) => rs.metadata.name === first.metadata?.name)!;
    expect(reused.metadata.annotations?.[revision]).toBe('3');
    expect(reused.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
    expect(reused.spec?.replicas).toBe(3);
    expect(after.find((rs) => rs !== reused)?.spec?.replicas).toBe(0);
  });

  test('reports CrashLoopBackOff with rising restarts, then ProgressDeadlineExceeded after progressDeadlineSeconds', async () => {
    const { server, kc, apps } = await cluster();
    const started = server.clock.now();
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', 'registry.example.com/web:1.0-crashloop', {
        replicas: 2,
        progressDeadlineSeconds: 10,
      }),
    });
    const pods = await watchUntil<IPod>(
      kc,
      '/api/v1/namespaces/default/pods',
      { labelSelector: 'app=web' },
      (e) => (e.object.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2,
    );
    const crashed = pods.at(-1)!.object.status!.containerStatuses![0]!;
    expect(crashed.ready).toBe(false);
    expect(crashed.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(crashed.state?.waiting?.message).toMatch(
      /^back-off \d+s restarting failed container=app pod=web-/,
    );
    expect(crashed.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(pods.at(-1)!.object.status?.phase).toBe('Running');

    const events = await watchDeployment(
      kc,
      'web',
      (d) => progressing(d)?.reason === 'ProgressDeadlineExceeded',
    );
    // Not before the deadline of 10 s on the cluster's clock.
    expect(server.clock.now() - started).toBeGreaterThanOrEqual(10_000);
    const failed = events.at(-1)!.object;
    expect(progressing(failed)).toMatchObject({
      status: 'False',
      message: expect.stringMatching(/^ReplicaSet "web-[a-z0-9]+" has timed out progressing\.$/) as unknown,
    });
    expect(failed.status?.availableReplicas).toBeUndefined();
    expect(failed.status?.unavailableReplicas).toBe(2);
  });

  test('reports ErrImagePull and then ImagePullBackOff when the image cannot be pulled', async () => {
    const { kc, apps } = await cluster();
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', 'registry.example.com/team/does-not-exist:1.0', { replicas: 1 }),
    });
    const events = await watchUntil<IPod>(
      kc,
      '/api/v1/namespaces/default/pods',
      { labelSelector: 'app=web' },
      (e) => e.object.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff',
    );
    const reasons = events.map((e) => e.object.status?.containerStatuses?.[0]?.state?.waiting?.reason);
    expect(reasons.indexOf('ErrImagePull')).toBeGreaterThan(reasons.indexOf('ContainerCreating'));
    expect(reasons.indexOf('ImagePullBackOff')).toBeGreaterThan(reasons.indexOf('ErrImagePull'));
    const last = events.at(-1)!.object;
    expect(last.status?.phase).toBe('Pending');
    expect(last.status?.containerStatuses?.[0]?.state?.waiting?.message).toBe(
      'Back-off pulling image "registry.example.com/team/does-not-exist:1.0"',
    );
  });

  test('follows a test-supplied behaviour rule over the image rule (config error, never ready)', async () => {
    const { server, apps } = await cluster({
      containerBehaviour: ({ name }) => (name === 'sidecar' ? 'config-error' : undefined),
    });
    const body = deployment('web', 'nginx:never-ready', { replicas: 1 });
    body.spec!.template.spec!.containers.push({ name: 'sidecar', image: 'envoy:1.30' });
    await apps.createNamespacedDeployment({ namespace: 'default', body });
    await server.waitForIdle();
    const [pod] = server.state.pods('default', 'app=web');
    const statuses = pod?.status?.containerStatuses ?? [];
    expect(
      statuses.map((s) => [s.name, s.ready, s.state?.running ? 'running' : s.state?.waiting?.reason]),
    ).toEqual([
      ['app', false, 'running'],
      ['sidecar', false, 'CreateContainerConfigError'],
    ]);
    expect(pod?.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [app sidecar]',
    });
  });

  test('Recreate removes every old pod before the first new pod is created', async () => {
    const { server, kc, apps } = await cluster();
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', 'nginx:1.27', { strategy: { type: 'Recreate' } }),
    });
    await server.waitForIdle();
    const oldPods = new Set(server.state.pods('default').map((p) => p.metadata.name));
    const podEvents = watchUntil<IPod>(
      kc,
      '/api/v1/namespaces/default/pods',
      { labelSelector: 'app=web', resourceVersion: server.state.resourceVersion },
      (e) => e.type === 'ADDED',
    );
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } } } },
      },
      smp,
    );
    const events = await podEvents;
    const deletedBeforeNew = events.filter((e) => e.type === 'DELETED').map((e) => e.object.metadata?.name);
    expect(new Set(deletedBeforeNew)).toEqual(oldPods);
    await watchDeployment(kc, 'web', (d) => d.metadata?.generation === 2 && rolloutDone(d));
  });

  test('a paused Deployment keeps its pods until resumed, with Progressing Unknown DeploymentPaused', async () => {
    const { server, kc, apps } = await cluster();
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'nginx:1.27') });
    await server.waitForIdle();
    await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: {
          spec: { paused: true, template: { spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } } },
        },
      },
      smp,
    );
    await server.waitForIdle();
    const paused = server.state.deployment('default', 'web')!;
    expect(paused.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'Unknown',
      reason: 'DeploymentPaused',
    });
    expect(paused.status?.observedGeneration).toBe(2);
    expect(server.state.replicaSets('default', 'web')).toHaveLength(1);

    await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'default', body: { spec: { paused: false } } },
      mergePatch,
    );
    await watchDeployment(kc, 'web', (d) => d.metadata?.generation === 3 && rolloutDone(d));
    expect(server.state.replicaSets('default', 'web')).toHaveLength(2);
  });

  test('deletes zero-sized ReplicaSets beyond revisionHistoryLimit and waits for minReadySeconds before counting pods available', async () => {
    const { server, apps } = await cluster();
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', 'nginx:1', { replicas: 1, revisionHistoryLimit: 1, minReadySeconds: 5 }),
    });
    await server.waitForIdle();
    const readyAt = server.state
      .pods('default')[0]!
      .status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime;
    const availableAt = server.state
      .deployment('default', 'web')!
      .status?.conditions?.find((c) => c.type === 'Available')?.lastTransitionTime;
    expect(Date.parse(availableAt!) - Date.parse(readyAt!)).toBeGreaterThanOrEqual(5000);
    for (const image of ['nginx:2', 'nginx:3']) {
      await apps.patchNamespacedDeployment(
        {
          name: 'web',
          namespace: 'default',
          body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }],
        },
        jsonPatch,
      );
      await server.waitForIdle();
    }
    expect(
      server.state.replicaSets('default', 'web').map((rs) => rs.metadata.annotations?.[revision]),
    ).toEqual(['2', '3']);
  });

  test('deleting a Deployment garbage-collects its ReplicaSets and pods', async () => {
    const { server, apps } = await cluster();
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'nginx:1.27') });
    await server.waitForIdle();
    const status = await apps.deleteNamespacedDeployment({ name: 'web', namespace: 'default' });
    expect(status).toMatchObject({
      status: 'Success',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
    });
    await server.waitForIdle();
    expect(server.state.replicaSets('default')).toEqual([]);
    expect(server.state.pods('default')).toEqual([]);
  });

  test('a replica change scales the current ReplicaSet without a new revision', async () => {
    const { server, kc, apps } = await cluster();
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'nginx:1.27') });
    await server.waitForIdle();
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'default', body: { spec: { replicas: 5 } } },
      mergePatch,
    );
    const events = await watchDeployment(kc, 'web', (d) => d.metadata?.generation === 2 && rolloutDone(d));
    expect(events.at(-1)!.object.status?.availableReplicas).toBe(5);
    const [rs, ...others] = server.state.replicaSets('default', 'web');
    expect(others).toEqual([]);
    expect(rs?.spec?.replicas).toBe(5);
    expect(rs?.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '5',
      'deployment.kubernetes.io/max-replicas': '7',
    });
  });
});

describe('patch content types', () => {
  test('strategic merge patch merges containers and env by name and honours $patch: delete', async () => {
    const { server, apps } = await cluster();
    const body = deployment('web', 'nginx:1.27', { replicas: 1 });
    body.spec!.template.spec!.containers = [
      {
        name: 'app',
        image: 'nginx:1.27',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
      },
      { name: 'sidecar', image: 'envoy:1.30' },
    ];
    await apps.createNamespacedDeployment({ namespace: 'default', body });
    const patched = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'app',
                    env: [
                      { name: 'B', value: 'changed' },
                      { name: 'C', value: '3' },
                    ],
                  },
                  { name: 'sidecar', $patch: 'delete' },
                ],
              },
            },
          },
        },
      },
      smp,
    );
    const containers = patched.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => c.name)).toEqual(['app']);
    expect(containers[0]?.image).toBe('nginx:1.27');
    expect(containers[0]?.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'changed' },
      { name: 'C', value: '3' },
    ]);
    expect(server.requests.at(-1)).toMatchObject({
      method: 'PATCH',
      contentType: PatchStrategy.StrategicMergePatch,
    });
  });

  test('merge patch replaces lists wholesale and removes fields set to null', async () => {
    const { apps } = await cluster();
    const body = deployment('web', 'nginx:1.27', { replicas: 1 });
    body.metadata!.annotations = { team: 'payments', owner: 'ops' };
    await apps.createNamespacedDeployment({ namespace: 'default', body });
    const patched = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: {
          metadata: { annotations: { owner: null } },
          spec: { template: { spec: { containers: [{ name: 'web', image: 'httpd:2.4' }] } } },
        },
      },
      mergePatch,
    );
    // The controller may have added its revision annotation meanwhile: look at ours only.
    expect(patched.metadata?.annotations?.team).toBe('payments');
    expect(patched.metadata?.annotations).not.toHaveProperty('owner');
    expect(patched.spec?.template.spec?.containers.map((c) => [c.name, c.image])).toEqual([
      ['web', 'httpd:2.4'],
    ]);
    expect(patched.metadata?.generation).toBe(2);
  });

  test('JSON patch applies test, add, replace and remove, and answers 422 when a test fails', async () => {
    const { apps } = await cluster();
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'nginx:1.27') });
    const patched = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: 'default',
        body: [
          { op: 'test', path: '/spec/replicas', value: 3 },
          { op: 'add', path: '/metadata/annotations', value: { 'example.com/a': 'x', 'example.com/b': 'y' } },
          { op: 'remove', path: '/metadata/annotations/example.com~1b' },
          { op: 'replace', path: '/spec/replicas', value: 5 },
        ],
      },
      jsonPatch,
    );
    expect(patched.spec?.replicas).toBe(5);
    expect(patched.metadata?.annotations).toEqual({ 'example.com/a': 'x' });

    const refused = await failure(
      apps.patchNamespacedDeployment(
        { name: 'web', namespace: 'default', body: [{ op: 'test', path: '/spec/replicas', value: 3 }] },
        jsonPatch,
      ),
    );
    expect(refused.code).toBe(422);
    expect(refused.status).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
      details: {
        causes: [
          { reason: 'UnexpectedServerResponse', message: 'testing value /spec/replicas failed: test failed' },
        ],
      },
    });
  });

  test('server-side apply creates a missing Deployment, updates it, and records the field manager', async () => {
    const { server, kc } = await cluster();
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const manifest = deployment('api', 'api:1.0', { replicas: 2 });
    const created = await objects.patch(
      manifest,
      undefined,
      undefined,
      'rollgate',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(created.metadata?.generation).toBe(1);
    expect(server.requests.filter((r) => r.method === 'PATCH').map((r) => r.status)).toEqual([201]);

    const updated = await objects.patch(
      deployment('api', 'api:1.1', { replicas: 2 }),
      undefined,
      undefined,
      'rollgate',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(updated.metadata?.generation).toBe(2);
    expect(updated.metadata?.managedFields).toEqual([
      expect.objectContaining({
        manager: 'rollgate',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        fieldsType: 'FieldsV1',
      }),
    ]);
    const fields = JSON.stringify(updated.metadata?.managedFields?.[0]?.fieldsV1);
    expect(fields).toContain('"f:containers":{"k:{\\"name\\":\\"app\\"}"');
    expect(server.state.deployment('default', 'api')?.spec?.template.spec?.containers[0]?.image).toBe(
      'api:1.1',
    );

    const dryRun = await objects.patch(
      deployment('api', 'api:2.0', { replicas: 2 }),
      undefined,
      'All',
      'rollgate',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(dryRun.spec?.template.spec?.containers[0]?.image).toBe('api:2.0');
    expect(server.state.deployment('default', 'api')?.spec?.template.spec?.containers[0]?.image).toBe(
      'api:1.1',
    );
    // Discovery was read to map Deployment to its path.
    expect(server.requests.some((r) => r.path === '/apis/apps/v1')).toBe(true);
  });

  test('server-side apply without a fieldManager is refused with 422, as the API server validates PatchOptions', async () => {
    const { kc } = await cluster();
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const refused = await failure(
      objects.patch(
        deployment('api', 'api:1.0'),
        undefined,
        undefined,
        undefined,
        undefined,
        PatchStrategy.ServerSideApply,
      ),
    );
    expect(refused.code).toBe(422);
    expect(refused.status).toMatchObject({
      reason: 'Invalid',
      message:
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      details: {
        group: 'meta.k8s.io',
        kind: 'PatchOptions',
        causes: [
          {
            reason: 'FieldValueRequired',
            message: 'Required value: is required for apply patch',
            field: 'fieldManager',
          },
        ],
      },
    });
  });

  test('answers 415 UnsupportedMediaType for a patch sent as application/json', async () => {
    const { apps } = await cluster();
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'nginx:1.27') });
    const refused = await failure(
      apps.patchNamespacedDeployment(
        { name: 'web', namespace: 'default', body: { spec: { replicas: 1 } } },
        setHeaderOptions('Content-Type', 'application/json'),
      ),
    );
    expect(refused.code).toBe(415);
    expect(refused.status).toMatchObject({
      kind: 'Status',
      reason: 'UnsupportedMediaType',
      code: 415,
      message: expect.stringContaining('application/strategic-merge-patch+json') as unknown,
    });
  });
});

/** Server-side apply of `manifest` as `manager` (force and dryRun as given). */
function apply(
  kc: KubeConfig,
  manifest: V1Deployment,
  manager: string,
  options: { force?: boolean; dryRun?: boolean } = {},
) {
  return KubernetesObjectApi.makeApiClient(kc).patch(
    manifest,
    undefined,
    options.dryRun ? 'All' : undefined,
    manager,
    options.force ?? false,
    PatchStrategy.ServerSideApply,
  );
}

/** The managers of `field` (a fieldsV1 path such as ['f:spec', 'f:replicas']) in managedFields. */
function ownersOf(
  entries:
    readonly Pick<V1ManagedFieldsEntry, 'manager' | 'operation' | 'subresource' | 'fieldsV1'>[] | undefined,
  field: readonly string[],
): string[] {
  return (entries ?? [])
    .filter((entry) => {
      let node: unknown = entry.fieldsV1;
      for (const element of field) node = (node as Record<string, unknown> | undefined)?.[element];
      return node !== undefined;
    })
    .map((e) => `${e.manager ?? ''}/${e.operation ?? ''}${e.subresource ? `/${e.subresource}` : ''}`);
}

function autoscaler(name: string, target: string, min: number, max: number): V2HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target },
      minReplicas: min,
      maxReplicas: max,
    },
  };
}

describe('field managers and server-side apply conflicts', () => {
  test('an update records its manager per field; an apply changing one of those fields is refused with 409 listing field and manager, as kube-apiserver answers', async () => {
    const { server, kc, apps } = await cluster();
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', 'nginx:1.27'),
      fieldManager: 'ops',
    });
    expect(created.metadata?.managedFields).toEqual([
      expect.objectContaining({
        manager: 'ops',
        operation: 'Update',
        apiVersion: 'apps/v1',
        fieldsType: 'FieldsV1',
      }),
    ]);
    // Defaults are part of what the creating request set (they are applied when it is decoded).
    expect(ownersOf(created.metadata?.managedFields, ['f:spec', 'f:replicas'])).toEqual(['ops/Update']);
    expect(ownersOf(created.metadata?.managedFields, ['f:spec', 'f:progressDeadlineSeconds'])).toEqual([
      'ops/Update',
    ]);

    // conflict.go: one conflict in one line; details carry only the causes.
    const one = await failure(apply(kc, deployment('web', 'nginx:1.27', { replicas: 5 }), 'rollgate'));
    expect(one.code).toBe(409);
    expect(one.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "ops" using apps/v1: .spec.replicas',
      reason: 'Conflict',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "ops" using apps/v1',
            field: '.spec.replicas',
          },
        ],
      },
      code: 409,
    });
    const two = await failure(
      apply(kc, deployment('web', 'nginx:1.28', { replicas: 5 }), 'rollgate', { dryRun: true }),
    );
    expect(two.status.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "ops" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="app"].image',
    );
    expect(two.status.details?.causes?.map((c) => c.field)).toEqual([
      '.spec.replicas',
      '.spec.template.spec.containers[name="app"].image',
    ]);
    const unchanged = server.state.deployment('default', 'web');
    expect(unchanged?.spec?.replicas).toBe(3);
    expect(unchanged?.spec?.template.spec?.containers[0]?.image).toBe('nginx:1.27');

    // The same value is no conflict: both managers own the field.
    const shared = await apply(kc, deployment('web', 'nginx:1.27'), 'rollgate');
    expect(ownersOf(shared.metadata?.managedFields, ['f:spec', 'f:replicas'])).toEqual([
      'rollgate/Apply',
      'ops/Update',
    ]);

    // force=true takes the field: the other manager loses it and keeps the rest.
    const forced = await apply(kc, deployment('web', 'nginx:1.27', { replicas: 5 }), 'rollgate', {
      force: true,
    });
    expect(forced.spec?.replicas).toBe(5);
    expect(ownersOf(forced.metadata?.managedFields, ['f:spec', 'f:replicas'])).toEqual(['rollgate/Apply']);
    expect(ownersOf(forced.metadata?.managedFields, ['f:spec', 'f:progressDeadlineSeconds'])).toEqual([
      'ops/Update',
    ]);
    // An update never conflicts: it takes the fields it changes.
    const scaled = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'default', body: { spec: { replicas: 2 } }, fieldManager: 'ops' },
      mergePatch,
    );
    expect(ownersOf(scaled.metadata?.managedFields, ['f:spec', 'f:replicas'])).toEqual(['ops/Update']);
  });

  test('an apply that leaves out a field it applied before removes it (back to its default) unless another manager owns it', async () => {
    const { kc } = await cluster();
    await apply(kc, deployment('web', 'nginx:1.27', { replicas: 4 }), 'rollgate');
    const withoutReplicas = deployment('web', 'nginx:1.27');
    delete withoutReplicas.spec?.replicas;
    const pruned = await apply(kc, withoutReplicas, 'rollgate');
    expect(pruned.spec?.replicas).toBe(1);

    // The documented hand-over: another manager co-owns the value first, then the field stays.
    await apply(kc, deployment('web', 'nginx:1.27', { replicas: 4 }), 'rollgate');
    await apply(
      kc,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'default' },
        spec: { replicas: 4 },
      } as V1Deployment,
      'handover-to-hpa',
    );
    const kept = await apply(kc, withoutReplicas, 'rollgate');
    expect(kept.spec?.replicas).toBe(4);
    expect(ownersOf(kept.metadata?.managedFields, ['f:spec', 'f:replicas'])).toEqual([
      'handover-to-hpa/Apply',
    ]);
  });
});

describe('HorizontalPodAutoscalers (autoscaling/v2)', () => {
  test('are created with their defaults, validated, read, listed and deleted, and served in discovery', async () => {
    const { server, kc } = await cluster();
    const autoscaling = kc.makeApiClient(AutoscalingV2Api);
    const created = await autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace: 'default',
      body: autoscaler('web', 'web', 2, 6),
    });
    expect(created.spec.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ]);
    expect(created.status).toMatchObject({ desiredReplicas: 0 });
    const read = await autoscaling.readNamespacedHorizontalPodAutoscaler({
      name: 'web',
      namespace: 'default',
    });
    expect(read.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
    const listed = await autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: 'default' });
    expect(listed.items.map((h) => h.metadata?.name)).toEqual(['web']);

    const invalid = await failure(
      autoscaling.createNamespacedHorizontalPodAutoscaler({
        namespace: 'default',
        body: autoscaler('bad', 'web', 3, 1),
      }),
    );
    expect(invalid.code).toBe(422);
    expect(invalid.status.message).toBe(
      'HorizontalPodAutoscaler.autoscaling "bad" is invalid: spec.maxReplicas: Invalid value: 1: must be greater than or equal to `minReplicas`',
    );

    await autoscaling.deleteNamespacedHorizontalPodAutoscaler({ name: 'web', namespace: 'default' });
    expect((await autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: 'default' })).items).toEqual(
      [],
    );

    const resources = (await rawGet(server, '/apis/autoscaling/v2')).body as {
      resources: { name: string }[];
    };
    expect(resources.resources.map((r) => r.name)).toEqual([
      'horizontalpodautoscalers',
      'horizontalpodautoscalers/status',
    ]);
    expect((await rawGet(server, '/apis')).body).toMatchObject({
      groups: [
        { name: 'apps' },
        { name: 'autoscaling', preferredVersion: { groupVersion: 'autoscaling/v2' } },
      ],
    });
  });

  test('the controller scales its target into [minReplicas, maxReplicas] through the scale subresource as kube-controller-manager, which then owns spec.replicas', async () => {
    const { server, kc } = await cluster();
    await apply(kc, deployment('web', 'nginx:1.27', { replicas: 2 }), 'rollgate');
    const autoscaling = kc.makeApiClient(AutoscalingV2Api);
    await autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace: 'default',
      body: autoscaler('web', 'web', 4, 10),
    });
    await server.waitForIdle();
    const scaled = server.state.deployment('default', 'web');
    expect(scaled?.spec?.replicas).toBe(4);
    expect(scaled?.status?.availableReplicas).toBe(4);
    expect(scaled?.metadata.managedFields).toContainEqual(
      expect.objectContaining({
        manager: 'kube-controller-manager',
        operation: 'Update',
        apiVersion: 'apps/v1',
        subresource: 'scale',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      }),
    );
    expect(ownersOf(scaled?.metadata.managedFields, ['f:spec', 'f:replicas'])).toEqual([
      'kube-controller-manager/Update/scale',
    ]);
    const hpa = await autoscaling.readNamespacedHorizontalPodAutoscalerStatus({
      name: 'web',
      namespace: 'default',
    });
    expect(hpa.status).toMatchObject({ currentReplicas: 4, desiredReplicas: 4 });
    expect(hpa.status?.conditions?.find((c) => c.type === 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'FailedGetResourceMetric',
    });

    const refused = await failure(apply(kc, deployment('web', 'nginx:1.27', { replicas: 2 }), 'rollgate'));
    expect(refused.status.message).toBe(
      'Apply failed with 1 conflict: conflict with "kube-controller-manager" with subresource "scale" using apps/v1: .spec.replicas',
    );
  });
});

describe('errors as Status objects', () => {
  test('404 NotFound names the resource and the object', async () => {
    const { apps } = await cluster();
    const missing = await failure(apps.readNamespacedDeployment({ name: 'nope', namespace: 'default' }));
    expect(missing).toEqual({
      code: 404,
      status: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'deployments.apps "nope" not found',
        reason: 'NotFound',
        details: { name: 'nope', group: 'apps', kind: 'deployments' },
        code: 404,
      },
    });
    const noNamespace = await failure(
      apps.createNamespacedDeployment({ namespace: 'missing', body: deployment('web', 'nginx:1.27') }),
    );
    expect(noNamespace.status).toMatchObject({ code: 404, message: 'namespaces "missing" not found' });
  });

  test('409 AlreadyExists for a second create and Conflict for a stale resourceVersion', async () => {
    const { apps } = await cluster();
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('web', 'nginx:1.27'),
    });
    const again = await failure(
      apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'nginx:1.27') }),
    );
    expect(again.status).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'deployments.apps "web" already exists',
    });

    await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'default', body: { spec: { replicas: 2 } } },
      mergePatch,
    );
    const stale = await failure(
      apps.replaceNamespacedDeployment({ name: 'web', namespace: 'default', body: created }),
    );
    expect(stale.status).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  test('422 Invalid lists each field cause', async () => {
    const { apps } = await cluster();
    const body = deployment('web', '');
    body.spec!.selector = { matchLabels: { app: 'other' } };
    const invalid = await failure(apps.createNamespacedDeployment({ namespace: 'default', body }));
    expect(invalid.code).toBe(422);
    expect(invalid.status.reason).toBe('Invalid');
    expect(invalid.status.message).toMatch(
      /^Deployment\.apps "web" is invalid: \[spec\.template\.metadata\.labels: /,
    );
    expect(invalid.status.details?.causes?.map((c) => [c.reason, c.field])).toEqual([
      ['FieldValueInvalid', 'spec.template.metadata.labels'],
      ['FieldValueRequired', 'spec.template.spec.containers[0].image'],
    ]);

    const badStrategy = await failure(
      apps.createNamespacedDeployment({
        namespace: 'default',
        body: deployment('web', 'nginx:1', { strategy: { type: 'Rolling' } }),
      }),
    );
    expect(badStrategy.status.details?.causes).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'spec.strategy.type',
        message: 'Unsupported value: "Rolling": supported values: "Recreate", "RollingUpdate"',
      },
    ]);
  });

  test('401 Unauthorized for a wrong bearer token', async () => {
    const { server } = await cluster();
    const kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig({ token: 'wrong' }));
    await expect(kc.makeApiClient(CoreV1Api).listNamespace()).rejects.toMatchObject({ code: 401 });
    expect(server.requests.at(-1)).toMatchObject({ path: '/api/v1/namespaces', status: 401 });
    expect(await rawGet(server, '/apis/apps/v1', 'wrong')).toEqual({
      status: 401,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      },
    });
  });
});

describe('watches', () => {
  test('a client resumes from its last resourceVersion after the server ends the watch, missing nothing', async () => {
    const { server, kc, apps } = await cluster({ watchTimeoutMs: 150 });
    const list = await apps.listNamespacedDeployment({ namespace: 'default' });
    let version = list.metadata?.resourceVersion ?? '';
    const seen: string[] = [];
    const versions: string[] = [];
    let resumed: () => void = () => undefined;
    const resumedOnce = new Promise<void>((resolve) => {
      resumed = resolve;
    });
    // Follows the watch like an informer: on a clean end, watch again from the last version seen.
    const following: { stopped: boolean; current?: AbortController } = { stopped: false };
    const deleted = new Promise<void>((resolve, reject) => {
      const follow = (): void => {
        versions.push(version);
        if (versions.length === 2) resumed();
        void new Watch(kc)
          .watch(
            '/apis/apps/v1/namespaces/default/deployments',
            { resourceVersion: version, allowWatchBookmarks: true },
            (type: string, object: IDeployment) => {
              version = object.metadata?.resourceVersion ?? version;
              seen.push(type === 'BOOKMARK' ? type : `${type} ${object.metadata?.name ?? ''}`);
              if (type !== 'DELETED') return;
              following.stopped = true;
              following.current?.abort();
              resolve();
            },
            (error: unknown) => {
              if (following.stopped) return;
              if (error) reject(error instanceof Error ? error : new Error('the watch failed'));
              else follow();
            },
          )
          .then((controller) => {
            following.current = controller;
          });
      };
      follow();
    });
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('a', 'nginx:1', { replicas: 1 }),
    });
    await server.waitForIdle();
    // The server ends the first watch after 150 ms; the client comes back from where it was.
    await resumedOnce;
    await apps.deleteNamespacedDeployment({ name: 'a', namespace: 'default' });
    await deleted;
    const changes = seen.filter((s) => s !== 'BOOKMARK');
    expect(changes[0]).toBe('ADDED a');
    expect(changes.at(-1)).toBe('DELETED a');
    expect(changes.filter((s) => s.startsWith('ADDED'))).toHaveLength(1);
    expect(seen).toContain('BOOKMARK');
    expect(versions[1]).not.toBe(versions[0]);
    expect(server.requests.filter((r) => r.watch).map((r) => r.query.resourceVersion)).toEqual(versions);
  });

  test('a watch from a compacted resourceVersion gets an ERROR event with a 410 Expired Status', async () => {
    const { server, kc, apps } = await cluster();
    const old =
      (await apps.listNamespacedDeployment({ namespace: 'default' })).metadata?.resourceVersion ?? '';
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'nginx:1') });
    server.state.compact();
    const events = await watchUntil<V1Status>(
      kc,
      '/apis/apps/v1/namespaces/default/deployments',
      { resourceVersion: old },
      (e) => e.type === 'ERROR',
    );
    expect(events).toHaveLength(1);
    expect(events[0]!.object).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Expired',
      code: 410,
      message: expect.stringMatching(new RegExp(`^too old resource version: ${old} \\(\\d+\\)$`)) as unknown,
    });
  });

  test('a label-selector watch sees a pod leave its selection as DELETED', async () => {
    const { server, kc, core } = await cluster();
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'p', labels: { tier: 'web' } },
        spec: { containers: [{ name: 'c', image: 'busybox:1' }] },
      },
    });
    const events = watchUntil<IPod>(
      kc,
      '/api/v1/namespaces/default/pods',
      { labelSelector: 'tier=web' },
      (e) => e.type === 'DELETED',
    );
    await server.waitForIdle();
    await core.patchNamespacedPod(
      { name: 'p', namespace: 'default', body: { metadata: { labels: { tier: 'db' } } } },
      mergePatch,
    );
    const seen = await events;
    expect(seen[0]?.type).toBe('ADDED');
    expect(seen.at(-1)?.object.metadata?.labels).toEqual({ tier: 'web' });
  });
});

function statefulSet(
  name: string,
  image: string,
  spec: Partial<NonNullable<V1StatefulSet['spec']>> = {},
): V1StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 3,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
      ...spec,
    },
  };
}

function daemonSet(
  name: string,
  image: string,
  spec: Partial<NonNullable<V1DaemonSet['spec']>> = {},
): V1DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, labels: { app: name }, annotations: { 'kubernetes.io/change-cause': image } },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
      ...spec,
    },
  };
}

function imageOfPod(pod: IPod | V1Pod): string | undefined {
  return pod.spec?.containers[0]?.image;
}

/** A pod's name and image, ordered by name: what `kubectl get pods` shows of a StatefulSet. */
function podImages(server: KubeServer, selector: string): [string, string | undefined][] {
  return server.state
    .pods('default', selector)
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p): [string, string | undefined] => [p.metadata.name ?? '', imageOfPod(p)])
    .sort(([a], [b]) => a.localeCompare(b));
}

async function revisionsOf(apps: AppsV1Api, selector: string): Promise<[string, number][]> {
  const list = await apps.listNamespacedControllerRevision({ namespace: 'default', labelSelector: selector });
  return list.items
    .map((r): [string, number] => [r.metadata?.name ?? '', r.revision])
    .sort((a, b) => a[1] - b[1]);
}

/** Watches pods of `selector` until `until` holds on the events so far. */
function watchPods(
  kc: KubeConfig,
  selector: string,
  until: (events: readonly WatchEvent<IPod>[]) => boolean,
  resourceVersion: string,
): Promise<WatchEvent<IPod>[]> {
  const seen: WatchEvent<IPod>[] = [];
  return watchUntil<IPod>(
    kc,
    '/api/v1/namespaces/default/pods',
    { labelSelector: selector, resourceVersion },
    (e) => {
      seen.push(e);
      return until(seen);
    },
  );
}

describe('StatefulSets and DaemonSets (built-in controllers)', () => {
  test('a StatefulSet starts web-0, web-1, web-2 in order, each Ready before the next, with a ControllerRevision and kubectl-complete status', async () => {
    const { server, kc, apps } = await cluster();
    const events = watchPods(
      kc,
      'app=web',
      (seen) => seen.filter((e) => e.type === 'ADDED').length === 3,
      server.state.resourceVersion,
    );
    const created = await apps.createNamespacedStatefulSet({
      namespace: 'default',
      body: statefulSet('web', 'nginx:1.27'),
    });
    expect(created.spec?.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    expect(created.spec?.podManagementPolicy).toBe('OrderedReady');
    expect(created.status).toEqual({ replicas: 0, availableReplicas: 0 });

    const seen = await events;
    const added = seen.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata?.name);
    expect(added).toEqual(['web-0', 'web-1', 'web-2']);
    // web-1 was created only after web-0 reported Ready.
    const web1 = seen.findIndex((e) => e.type === 'ADDED' && e.object.metadata?.name === 'web-1');
    const web0Ready = seen.findIndex(
      (e) =>
        e.object.metadata?.name === 'web-0' &&
        e.object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    expect(web0Ready).toBeGreaterThanOrEqual(0);
    expect(web0Ready).toBeLessThan(web1);
    await server.waitForIdle();

    const [history, ...more] = (
      await apps.listNamespacedControllerRevision({ namespace: 'default', labelSelector: 'app=web' })
    ).items;
    expect(more).toEqual([]);
    const hash = history!.metadata?.labels?.['controller.kubernetes.io/hash'];
    expect(history!.metadata?.name).toBe(`web-${hash}`);
    expect(history!.revision).toBe(1);
    expect(history!.metadata?.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'StatefulSet',
        name: 'web',
        uid: created.metadata?.uid,
        controller: true,
      }),
    ]);
    expect(history!.data).toMatchObject({ spec: { template: { $patch: 'replace' } } });

    const sts = await apps.readNamespacedStatefulSet({ name: 'web', namespace: 'default' });
    expect(sts.status).toMatchObject({
      observedGeneration: 1,
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      currentRevision: history!.metadata?.name,
      updateRevision: history!.metadata?.name,
    });
    expect(statefulSetStatus(sts)).toEqual({
      phase: 'complete',
      message: 'partitioned roll out complete: 3 new pods have been updated...',
    });
    const web0 = server.state.pods('default', 'app=web').find((p) => p.metadata.name === 'web-0');
    expect(web0?.metadata.labels).toEqual({
      app: 'web',
      'controller-revision-hash': history!.metadata?.name,
      'statefulset.kubernetes.io/pod-name': 'web-0',
      'apps.kubernetes.io/pod-index': '0',
    });
    expect(web0?.spec).toMatchObject({ hostname: 'web-0', subdomain: 'web' });
  });

  test('a template change rolls pods in reverse ordinal order to revision 2; undo re-uses revision 1 as revision 3', async () => {
    const { server, kc, apps } = await cluster();
    await apps.createNamespacedStatefulSet({ namespace: 'default', body: statefulSet('web', 'nginx:1.27') });
    await server.waitForIdle();
    const first = (await revisionsOf(apps, 'app=web'))[0]?.[0];
    const deletions = watchPods(
      kc,
      'app=web',
      (seen) => seen.filter((e) => e.type === 'DELETED').length === 3,
      server.state.resourceVersion,
    );
    await apps.patchNamespacedStatefulSet(
      {
        name: 'web',
        namespace: 'default',
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } } } },
      },
      smp,
    );
    const order = (await deletions).filter((e) => e.type === 'DELETED').map((e) => e.object.metadata?.name);
    expect(order).toEqual(['web-2', 'web-1', 'web-0']);
    await server.waitForIdle();
    const revisions = await revisionsOf(apps, 'app=web');
    expect(revisions.map(([, n]) => n)).toEqual([1, 2]);
    const second = revisions[1]![0];
    const sts = await apps.readNamespacedStatefulSet({ name: 'web', namespace: 'default' });
    expect(sts.status).toMatchObject({ currentRevision: second, updateRevision: second, updatedReplicas: 3 });
    expect(podImages(server, 'app=web')).toEqual([
      ['web-0', 'nginx:1.28'],
      ['web-1', 'nginx:1.28'],
      ['web-2', 'nginx:1.28'],
    ]);

    // kubectl rollout undo: the strategic merge patch stored in revision 1.
    const [history] = (
      await apps.listNamespacedControllerRevision({ namespace: 'default', labelSelector: 'app=web' })
    ).items.filter((r) => r.metadata?.name === first);
    await apps.patchNamespacedStatefulSet(
      { name: 'web', namespace: 'default', body: history!.data as object },
      smp,
    );
    await server.waitForIdle();
    expect(await revisionsOf(apps, 'app=web')).toEqual([
      [second, 2],
      [first, 3],
    ]);
    expect(podImages(server, 'app=web').map(([, image]) => image)).toEqual([
      'nginx:1.27',
      'nginx:1.27',
      'nginx:1.27',
    ]);
  });

  test('partition keeps ordinals below it at the current revision; OnDelete replaces a pod only when it is deleted', async () => {
    const { server, apps, core } = await cluster();
    await apps.createNamespacedStatefulSet({
      namespace: 'default',
      body: statefulSet('web', 'nginx:1.27', {
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } },
      }),
    });
    await apps.createNamespacedStatefulSet({
      namespace: 'default',
      body: statefulSet('db', 'postgres:16', { replicas: 2, updateStrategy: { type: 'OnDelete' } }),
    });
    await server.waitForIdle();
    const image = (to: string) => ({
      spec: { template: { spec: { containers: [{ name: 'app', image: to }] } } },
    });
    await apps.patchNamespacedStatefulSet(
      { name: 'web', namespace: 'default', body: image('nginx:1.28') },
      smp,
    );
    await apps.patchNamespacedStatefulSet(
      { name: 'db', namespace: 'default', body: image('postgres:17') },
      smp,
    );
    await server.waitForIdle();

    expect(podImages(server, 'app=web')).toEqual([
      ['web-0', 'nginx:1.27'],
      ['web-1', 'nginx:1.27'],
      ['web-2', 'nginx:1.28'],
    ]);
    const web = await apps.readNamespacedStatefulSet({ name: 'web', namespace: 'default' });
    expect(web.status?.updatedReplicas).toBe(1);
    expect(web.status?.currentRevision).not.toBe(web.status?.updateRevision);
    expect(statefulSetStatus(web)).toEqual({
      phase: 'complete',
      message: 'partitioned roll out complete: 1 new pods have been updated...',
    });

    expect(podImages(server, 'app=db').map(([, i]) => i)).toEqual(['postgres:16', 'postgres:16']);
    const db = await apps.readNamespacedStatefulSet({ name: 'db', namespace: 'default' });
    expect(statefulSetStatus(db)).toEqual({
      phase: 'unawaitable',
      message: 'rollout status is only available for RollingUpdate strategy type',
    });
    await core.deleteNamespacedPod({ name: 'db-1', namespace: 'default' });
    await server.waitForIdle();
    expect(podImages(server, 'app=db')).toEqual([
      ['db-0', 'postgres:16'],
      ['db-1', 'postgres:17'],
    ]);
  });

  test('an updated pod that crash-loops halts the rollout; a reverted template stays stuck until that pod is deleted (forced rollback)', async () => {
    const { server, apps, core } = await cluster();
    await apps.createNamespacedStatefulSet({ namespace: 'default', body: statefulSet('web', 'nginx:1.27') });
    await server.waitForIdle();
    const first = (await revisionsOf(apps, 'app=web'))[0]?.[0];
    await apps.patchNamespacedStatefulSet(
      {
        name: 'web',
        namespace: 'default',
        body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:crashloop' }] } } } },
      },
      smp,
    );
    await server.waitForIdle();
    server.clock.advance(30);
    await server.waitForIdle();
    expect(podImages(server, 'app=web').map(([, i]) => i)).toEqual([
      'nginx:1.27',
      'nginx:1.27',
      'nginx:crashloop',
    ]);
    const web2 = server.state.pods('default', 'app=web').find((p) => p.metadata.name === 'web-2');
    expect(web2?.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    const stuck = await apps.readNamespacedStatefulSet({ name: 'web', namespace: 'default' });
    expect(statefulSetStatus(stuck)).toEqual({
      phase: 'waiting',
      message: 'Waiting for 1 pods to be ready...',
    });

    const [history] = (
      await apps.listNamespacedControllerRevision({ namespace: 'default', labelSelector: 'app=web' })
    ).items.filter((r) => r.metadata?.name === first);
    await apps.patchNamespacedStatefulSet(
      { name: 'web', namespace: 'default', body: history!.data as object },
      smp,
    );
    await server.waitForIdle();
    expect(podImages(server, 'app=web').map(([, i]) => i)).toEqual([
      'nginx:1.27',
      'nginx:1.27',
      'nginx:crashloop',
    ]);

    await core.deleteNamespacedPod({ name: 'web-2', namespace: 'default' });
    await server.waitForIdle();
    expect(podImages(server, 'app=web').map(([, i]) => i)).toEqual([
      'nginx:1.27',
      'nginx:1.27',
      'nginx:1.27',
    ]);
    const healed = await apps.readNamespacedStatefulSet({ name: 'web', namespace: 'default' });
    expect(healed.status).toMatchObject({ readyReplicas: 3, currentRevision: first, updateRevision: first });
  });

  test('a DaemonSet runs one pod pinned to every node, rolls nodes one at a time and copies its annotations to the revision', async () => {
    const { server, kc, apps } = await cluster();
    const created = await apps.createNamespacedDaemonSet({
      namespace: 'default',
      body: daemonSet('agent', 'fluent-bit:3.0'),
    });
    expect(created.spec?.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    expect(created.status).toEqual({
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    });
    await server.waitForIdle();
    const pods = server.state.pods('default', 'app=agent');
    expect(pods.map((p) => p.spec?.nodeName).sort()).toEqual([
      'rollgate-node',
      'rollgate-node-2',
      'rollgate-node-3',
    ]);
    const [history] = (
      await apps.listNamespacedControllerRevision({ namespace: 'default', labelSelector: 'app=agent' })
    ).items;
    const hash = history!.metadata?.labels?.['controller-revision-hash'];
    expect(history!.metadata?.name).toBe(`agent-${hash}`);
    expect(history!.metadata?.annotations).toEqual({ 'kubernetes.io/change-cause': 'fluent-bit:3.0' });
    for (const pod of pods) {
      expect(pod.metadata.labels).toEqual({
        app: 'agent',
        'controller-revision-hash': hash,
        'pod-template-generation': '1',
      });
      expect(pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual({
        nodeSelectorTerms: [
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: [pod.spec?.nodeName] }] },
        ],
      });
    }
    let ds = await apps.readNamespacedDaemonSet({ name: 'agent', namespace: 'default' });
    expect(ds.status).toEqual({
      observedGeneration: 1,
      currentNumberScheduled: 3,
      numberMisscheduled: 0,
      desiredNumberScheduled: 3,
      numberReady: 3,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
    });
    expect(daemonSetStatus(ds)).toEqual({
      phase: 'complete',
      message: 'daemon set "agent" successfully rolled out',
    });

    // maxUnavailable 1: at no point are two nodes without an available pod.
    const statuses = watchUntil<IDaemonSet>(
      kc,
      '/apis/apps/v1/namespaces/default/daemonsets',
      { fieldSelector: 'metadata.name=agent', resourceVersion: server.state.resourceVersion },
      (e) =>
        e.object.metadata?.generation === 2 &&
        (e.object.status?.updatedNumberScheduled ?? 0) === 3 &&
        (e.object.status?.numberAvailable ?? 0) === 3,
    );
    await apps.patchNamespacedDaemonSet(
      {
        name: 'agent',
        namespace: 'default',
        body: {
          metadata: { annotations: { 'kubernetes.io/change-cause': 'fluent-bit:3.1' } },
          spec: { template: { spec: { containers: [{ name: 'app', image: 'fluent-bit:3.1' }] } } },
        },
      },
      smp,
    );
    for (const { object } of await statuses)
      expect(object.status?.numberAvailable ?? 0).toBeGreaterThanOrEqual(2);
    await server.waitForIdle();
    expect(await revisionsOf(apps, 'app=agent')).toHaveLength(2);
    expect(server.state.pods('default', 'app=agent').map(imageOfPod)).toEqual([
      'fluent-bit:3.1',
      'fluent-bit:3.1',
      'fluent-bit:3.1',
    ]);
    ds = await apps.readNamespacedDaemonSet({ name: 'agent', namespace: 'default' });
    expect(ds.status?.observedGeneration).toBe(2);
  });

  test('a crash-looping DaemonSet image stops after one node; undo to the revision replaces the broken pod without help', async () => {
    const { server, apps } = await cluster();
    await apps.createNamespacedDaemonSet({
      namespace: 'default',
      body: daemonSet('agent', 'fluent-bit:3.0'),
    });
    await server.waitForIdle();
    await apps.patchNamespacedDaemonSet(
      {
        name: 'agent',
        namespace: 'default',
        body: {
          spec: { template: { spec: { containers: [{ name: 'app', image: 'fluent-bit:crashloop' }] } } },
        },
      },
      smp,
    );
    await server.waitForIdle();
    server.clock.advance(30);
    await server.waitForIdle();
    expect(server.state.pods('default', 'app=agent').map(imageOfPod).sort()).toEqual([
      'fluent-bit:3.0',
      'fluent-bit:3.0',
      'fluent-bit:crashloop',
    ]);
    const ds = await apps.readNamespacedDaemonSet({ name: 'agent', namespace: 'default' });
    expect(daemonSetStatus(ds)).toEqual({
      phase: 'waiting',
      message: 'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...',
    });
    const revisions = (
      await apps.listNamespacedControllerRevision({ namespace: 'default', labelSelector: 'app=agent' })
    ).items.sort((a, b) => a.revision - b.revision);
    await apps.patchNamespacedDaemonSet(
      { name: 'agent', namespace: 'default', body: revisions[0]!.data as object },
      smp,
    );
    await server.waitForIdle();
    expect(server.state.pods('default', 'app=agent').map(imageOfPod)).toEqual([
      'fluent-bit:3.0',
      'fluent-bit:3.0',
      'fluent-bit:3.0',
    ]);
    expect(await revisionsOf(apps, 'app=agent')).toEqual([
      [revisions[1]!.metadata?.name, 2],
      [revisions[0]!.metadata?.name, 3],
    ]);
  });

  test('a nodeSelector limits a DaemonSet to the nodes whose labels match', async () => {
    const { server, apps } = await cluster({ nodes: ['edge-a', 'edge-b'] });
    await apps.createNamespacedDaemonSet({
      namespace: 'default',
      body: daemonSet('agent', 'fluent-bit:3.0', {
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': 'edge-b' },
            containers: [{ name: 'app', image: 'fluent-bit:3.0' }],
          },
        },
      }),
    });
    await server.waitForIdle();
    expect(server.state.pods('default', 'app=agent').map((p) => p.spec?.nodeName)).toEqual(['edge-b']);
    const ds = await apps.readNamespacedDaemonSet({ name: 'agent', namespace: 'default' });
    expect(ds.status?.desiredNumberScheduled).toBe(1);
  });
});

describe('core resources and discovery', () => {
  test('Services are created with an allocated clusterIP that survives replace, patch and list, and can be deleted', async () => {
    const { core } = await cluster();
    const created = await core.createNamespacedService({
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    expect(created.spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }],
    });
    const ip = created.spec?.clusterIP;
    expect(ip).toMatch(/^10\.96\.\d+\.\d+$/);
    const replaced = await core.replaceNamespacedService({
      name: 'web',
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: { selector: { app: 'web', track: 'green' }, ports: [{ port: 80 }] },
      },
    });
    expect(replaced.spec?.clusterIP).toBe(ip);
    const patched = await core.patchNamespacedService(
      { name: 'web', namespace: 'default', body: { spec: { selector: { track: 'blue' } } } },
      smp,
    );
    expect(patched.spec?.selector).toEqual({ app: 'web', track: 'blue' });
    expect(
      (await core.listNamespacedService({ namespace: 'default' })).items.map((s) => s.metadata?.name),
    ).toEqual(['web']);
    await core.deleteNamespacedService({ name: 'web', namespace: 'default' });
    expect((await failure(core.readNamespacedService({ name: 'web', namespace: 'default' }))).code).toBe(404);
  });

  test('Namespaces are created, read and listed with their defaults', async () => {
    const { core } = await cluster();
    await core.createNamespace({ body: { metadata: { name: 'shop' } } });
    const shop = await core.readNamespace({ name: 'shop' });
    expect(shop.status?.phase).toBe('Active');
    expect(shop.metadata?.labels).toEqual({ 'kubernetes.io/metadata.name': 'shop' });
    const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    expect(names).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system', 'shop']);
  });

  test('ReplicaSets and pods list by label selector, and watches filter by field selector', async () => {
    const { server, kc, apps, core } = await cluster();
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('a', 'nginx:1', { replicas: 2 }),
    });
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: deployment('b', 'nginx:1', { replicas: 1 }),
    });
    await server.waitForIdle();
    expect(
      (await apps.listNamespacedReplicaSet({ namespace: 'default', labelSelector: 'app in (a)' })).items,
    ).toHaveLength(1);
    expect(
      (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=a' })).items,
    ).toHaveLength(2);
    expect(
      (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app!=a' })).items,
    ).toHaveLength(1);
    expect(
      (await core.listPodForAllNamespaces({ fieldSelector: 'status.phase=Running' })).items,
    ).toHaveLength(3);
    const events = await watchUntil<IDeployment>(
      kc,
      '/apis/apps/v1/namespaces/default/deployments',
      { fieldSelector: 'metadata.name=b' },
      () => true,
    );
    expect(events.map((e) => e.object.metadata?.name)).toEqual(['b']);
    const status = await apps.readNamespacedDeploymentStatus({ name: 'a', namespace: 'default' });
    expect(status.status?.availableReplicas).toBe(2);
  });

  test('discovery serves the APIResourceLists that KubernetesObjectApi maps kinds with', async () => {
    const { server, kc } = await cluster();
    const { body } = await rawGet(server, '/apis/apps/v1');
    expect(body).toMatchObject({ kind: 'APIResourceList', groupVersion: 'apps/v1' });
    const resources = (body as { resources: { name: string; kind: string; namespaced: boolean }[] })
      .resources;
    expect(resources.map((r) => r.name)).toEqual([
      'controllerrevisions',
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/status',
      'replicasets',
      'replicasets/status',
      'statefulsets',
      'statefulsets/status',
    ]);
    expect((await rawGet(server, '/apis')).body).toMatchObject({
      kind: 'APIGroupList',
      groups: [{ name: 'apps' }, { name: 'autoscaling' }],
    });
    expect((await rawGet(server, '/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });

    const objects = KubernetesObjectApi.makeApiClient(kc);
    const namespace = await objects.read({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'default' },
    });
    expect(namespace.metadata?.name).toBe('default');
    await objects.create(deployment('web', 'nginx:1'));
    const listed = await objects.list('apps/v1', 'Deployment', 'default');
    expect(listed.items.map((d) => d.metadata?.name)).toEqual(['web']);
    expect(
      server.requests.filter((r) => r.path === '/api/v1' || r.path === '/apis/apps/v1').length,
    ).toBeGreaterThan(0);
  });
});
