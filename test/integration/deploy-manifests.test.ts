/**
 * The App's Kubernetes manifests (deploy/app): the Deployment and Service pass a server-side dry
 * run against the Kubernetes API test server (schema and the apiserver's semantic validation) and
 * roll out there; the kinds that server does not serve (PodDisruptionBudget, Secret) are checked
 * against the OpenAPI schemas of kubernetes-models. The pieces must fit one another: selectors,
 * ports, probes on /ping, the Secret's keys, and an environment the App accepts.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import { validate as validatePodDisruptionBudget } from 'kubernetes-models/_schemas/IoK8sApiPolicyV1PodDisruptionBudget';
import { validate as validateSecret } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Secret';
import { parse } from 'yaml';
import { readAppConfig } from '../../app/server/config.ts';
import { startKubeServer, type KubeServer } from '../support/kube-server/server.ts';
import { repositoryRoot } from '../support/runner.ts';

const NAMESPACE = 'rollgate';
const directory = join(repositoryRoot, 'deploy/app');
const text = (file: string): string => readFileSync(join(directory, file), 'utf8');
/** One manifest file, typed by the caller (its kind is checked by the tests below). */
const manifest = (file: string): unknown => parse(text(file));

const deployment = manifest('deployment.yaml') as IDeployment;
const service = manifest('service.yaml') as IService;
const budget = manifest('pod-disruption-budget.yaml') as IPodDisruptionBudget;
const secret = manifest('secret.example.yaml') as ISecret;
const pod = deployment.spec!.template.spec!;
const container = pod.containers[0]!;

interface Answer {
  readonly status: number;
  readonly body: { readonly message?: string; readonly [field: string]: unknown };
}

/** A request to the API server as `kubectl --raw` sends it. */
function api(kube: KubeServer, method: string, path: string, body: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${kube.url}${path}`,
      {
        method,
        ca: kube.ca,
        headers: { authorization: `Bearer ${kube.token}`, 'content-type': 'application/json' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'],
          });
        });
      },
    );
    request.once('error', reject);
    request.end(JSON.stringify(body));
  });
}

const paths = {
  Deployment: `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`,
  Service: `/api/v1/namespaces/${NAMESPACE}/services`,
};

/** `16Mi`, `1Gi`, `134217728` → bytes. */
function bytes(quantity: string | number | undefined): number {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(String(quantity));
  if (!match) throw new Error(`not a memory quantity: ${String(quantity)}`);
  const units: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
  const unit = match[2] === undefined ? 1 : (units[match[2]] ?? 1);
  return Number(match[1]) * unit;
}

describe('deploy/app on the Kubernetes API test server', () => {
  let kube: KubeServer;
  beforeAll(async () => {
    kube = await startKubeServer({ namespaces: [NAMESPACE] });
  });
  afterAll(async () => {
    await kube.close();
  });

  test.each([
    ['Deployment', deployment],
    ['Service', service],
  ] as const)('the %s passes a server-side dry run and nothing is stored', async (kind, object) => {
    const answer = await api(kube, 'POST', `${paths[kind]}?dryRun=All&fieldManager=kubectl`, object);
    expect(answer.body.message).toBeUndefined();
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ kind, metadata: { name: 'rollgate-app', namespace: NAMESPACE } });
    expect(kube.state.get(object.apiVersion, kind, NAMESPACE, 'rollgate-app')).toBeUndefined();
  });

  test('a Deployment whose selector misses its pods is refused by the same dry run', async () => {
    const broken = structuredClone(deployment);
    broken.spec!.template.metadata!.labels = { 'app.kubernetes.io/name': 'something-else' };
    const answer = await api(kube, 'POST', `${paths.Deployment}?dryRun=All`, broken);
    expect(answer.status).toBe(422);
    expect(answer.body.message).toContain('`selector` does not match template `labels`');
  });

  test('created for real, the Deployment rolls out two available replicas behind the Service', async () => {
    expect((await api(kube, 'POST', paths.Deployment, deployment)).status).toBe(201);
    expect((await api(kube, 'POST', paths.Service, service)).status).toBe(201);
    await kube.waitForIdle();
    expect(kube.state.deployment(NAMESPACE, 'rollgate-app')?.status).toMatchObject({
      replicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    });
    const selector = Object.entries(service.spec!.selector!)
      .map(([key, value]) => `${key}=${value}`)
      .join(',');
    const serving = kube.state
      .pods(NAMESPACE, selector)
      .filter((p) => p.metadata.deletionTimestamp === undefined);
    expect(serving).toHaveLength(2);
  });
});

describe('deploy/app: the kinds the test server does not serve, by their OpenAPI schemas', () => {
  test.each([
    ['PodDisruptionBudget', budget, validatePodDisruptionBudget],
    ['Secret', secret, validateSecret],
  ] as const)('the %s is valid', (kind, object, validate) => {
    expect(object.kind).toBe(kind);
    const valid = validate(object);
    expect(Reflect.get(validate, 'errors') ?? null).toBeNull();
    expect(valid).toBe(true);
  });

  test('the schema check catches a broken PodDisruptionBudget', () => {
    expect(validatePodDisruptionBudget({ ...budget, spec: { minAvailable: [1] } })).toBe(false);
  });
});

describe('deploy/app: the pieces fit', () => {
  const podLabels = deployment.spec!.template.metadata!.labels!;

  test('two replicas; the Service and the PodDisruptionBudget select exactly the App’s pods', () => {
    expect(deployment.spec!.replicas).toBe(2);
    expect(deployment.spec!.selector.matchLabels).toEqual(podLabels);
    expect(service.spec!.selector).toEqual(podLabels);
    expect(budget.spec!.selector!.matchLabels).toEqual(podLabels);
    // One pod may go during a drain; one always answers.
    expect(budget.spec!.minAvailable).toBe(1);
    expect(budget.spec!.maxUnavailable).toBeUndefined();
  });

  test('the probes ask /ping on the port the App listens on', () => {
    const port = container.ports!.find((p) => p.name === 'http');
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    expect(port?.containerPort).toBe(Number(env.PORT));
    expect(env.HOST).toBe('0.0.0.0');
    for (const probe of [container.readinessProbe, container.livenessProbe])
      expect(probe?.httpGet).toEqual({ path: '/ping', port: 'http' });
    expect(service.spec!.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
  });

  test('the secrets come from the rollgate-app Secret, REDIS_URL optional, and the example has exactly those keys', () => {
    const references = (container.env ?? [])
      .filter((e) => e.valueFrom?.secretKeyRef !== undefined)
      .map((e) => {
        expect(e.valueFrom!.secretKeyRef!.key).toBe(e.name);
        return e.valueFrom!.secretKeyRef!;
      });
    expect(references).toEqual([
      { name: 'rollgate-app', key: 'APP_ID' },
      { name: 'rollgate-app', key: 'PRIVATE_KEY' },
      { name: 'rollgate-app', key: 'WEBHOOK_SECRET' },
      { name: 'rollgate-app', key: 'REDIS_URL', optional: true },
    ]);
    expect(Object.keys(secret.stringData ?? {}).sort()).toEqual(references.map((r) => r.key).sort());
    expect(secret.metadata!.name).toBe('rollgate-app');
  });

  test('with real secret values the environment the pod gets starts the App in production mode', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const secretValues: Record<string, string> = {
      APP_ID: '123456',
      PRIVATE_KEY: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      WEBHOOK_SECRET: 'a-webhook-secret',
    };
    const env = Object.fromEntries(
      (container.env ?? []).map((e) => [
        e.name,
        e.value ?? secretValues[e.valueFrom?.secretKeyRef?.key ?? ''],
      ]),
    );
    const config = readAppConfig(env);
    expect(config).toMatchObject({
      mode: 'app',
      appId: 123456,
      host: '0.0.0.0',
      port: 3000,
      logFormat: 'json',
    });
    expect(config.mode === 'app' && config.redisUrl).toBeUndefined();
    // The placeholders of the example Secret are refused, never run with.
    expect(() => readAppConfig({ ...env, ...secret.stringData })).toThrow('APP_ID is');
  });

  test('memory: the request covers the measured peak RSS (~136 MiB), the limit is above it, the comment says so', () => {
    const resources = container.resources!;
    expect(bytes(resources.requests!.memory)).toBeGreaterThanOrEqual(136 * 2 ** 20);
    expect(bytes(resources.limits!.memory)).toBeGreaterThan(bytes(resources.requests!.memory));
    expect(resources.requests!.cpu).toBeDefined();
    expect(text('deployment.yaml')).toMatch(
      /~136 MiB[\s\S]*bench\/app\.bench\.mjs|bench\/app\.bench\.mjs[\s\S]*~136 MiB/,
    );
  });

  test('non-root, no API token, a shutdown grace above the App’s drain', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    // ROLLGATE_SHUTDOWN_GRACE_MS defaults to 25 s (app/server/config.ts).
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(25);
  });

  test('the kustomization lists every manifest but the example Secret', () => {
    const kustomization = manifest('kustomization.yaml') as { resources: string[] };
    const files = readdirSync(directory).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(
      files.filter((f) => f !== 'secret.example.yaml').sort(),
    );
  });
});
