/**
 * deploy/rbac's Role is least privilege for the deploy, health-check and rollback actions: every
 * request they make against the Kubernetes API test server across their strategies and workload
 * kinds is one the Role allows, and every verb on every resource the Role grants is one of them.
 *
 * A request becomes RBAC's attributes as the apiserver derives them (k8s.io/apiserver
 * pkg/endpoints/request/requestinfo.go; https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb):
 * POST create, PUT update, PATCH patch, DELETE delete (deletecollection without a name), GET get
 * with a name and list or watch (`watch=true`) without one.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { validate as validateRole } from 'kubernetes-models/_schemas/IoK8sApiRbacV1Role';
import { validate as validateRoleBinding } from 'kubernetes-models/_schemas/IoK8sApiRbacV1RoleBinding';
import { validate as validateServiceAccount } from 'kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount';
import { parseAllDocuments } from 'yaml';
import { startDeployStand, NAMESPACE, type DeployStand } from '../support/deploy-stand.ts';
import { startHttpTarget } from '../support/http-target.ts';
import type { KubeRequest } from '../support/kube-server/server.ts';
import { repositoryRoot, runAction, type ActionRun } from '../support/runner.ts';

/** What RBAC decides on: `apps/deployments get`, `/pods list` (core group empty), subresources as `pods/log`. */
interface Attributes {
  readonly group: string;
  readonly resource: string;
  readonly verb: string;
  readonly namespace: string | undefined;
}

/** requestinfo.go's reading of a resource request; undefined for the non-resource (discovery) paths. */
function attributesOf(request: KubeRequest): Attributes | undefined {
  const segments = request.path.split('/').filter(Boolean);
  let rest: string[];
  let group: string;
  if (segments[0] === 'api' && segments.length > 2) {
    group = '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length > 3) {
    group = segments[1]!;
    rest = segments.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  // `namespaces/NAME/RESOURCE…` is a namespaced request; `namespaces/NAME` alone is the Namespace itself.
  if (rest[0] === 'namespaces' && rest.length > 2) {
    namespace = rest[1];
    rest = rest.slice(2);
  } else if (rest[0] === 'namespaces') namespace = rest[1];
  const [resource = '', name, subresource] = rest;
  const watch = ['true', '1'].includes(request.query.watch ?? '');
  const verbs: Record<string, string> = {
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: 'delete',
    GET: 'get',
  };
  let verb = verbs[request.method] ?? request.method.toLowerCase();
  if (name === undefined && verb === 'get') verb = watch ? 'watch' : 'list';
  if (name === undefined && verb === 'delete') verb = 'deletecollection';
  return {
    group,
    resource: subresource === undefined ? resource : `${resource}/${subresource}`,
    verb,
    namespace,
  };
}

const IMAGE = 'ghcr.io/octo-org/shop';
const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: "${IMAGE}:latest" }] }
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { selector: { app: web }, ports: [{ port: 80 }] }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db }
spec:
  replicas: 2
  serviceName: db
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec: { containers: [{ name: db, image: "${IMAGE}:latest" }] }
---
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent }
spec:
  selector: { matchLabels: { app: agent } }
  template:
    metadata: { labels: { app: agent } }
    spec: { containers: [{ name: agent, image: "${IMAGE}:latest" }] }
`;

const queue = `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: queue }
spec:
  replicas: 2
  serviceName: queue
  selector: { matchLabels: { app: queue } }
  template:
    metadata: { labels: { app: queue } }
    spec: { containers: [{ name: queue, image: "${IMAGE}:latest" }] }
`;

let stand: DeployStand;
let workspace: string;
const runs: { readonly what: string; readonly run: ActionRun }[] = [];

function kubeInputs(action: string): Record<string, string> {
  const inputs = { namespace: NAMESPACE, kubeconfig: stand.kube.kubeconfig() };
  // The health check reports to no GitHub Deployment: it takes no token.
  return action === 'actions/health-check' ? inputs : { ...inputs, token: 'test-token' };
}

async function act(what: string, action: string, inputs: Record<string, string>): Promise<ActionRun> {
  const run = await runAction(action, {
    inputs: { ...kubeInputs(action), ...inputs },
    env: stand.env,
    workspace,
  });
  runs.push({ what, run });
  return run;
}

beforeAll(async () => {
  stand = await startDeployStand();
  workspace = mkdtempSync(join(tmpdir(), 'rollgate-rbac-'));
  writeFileSync(join(workspace, 'shop.yaml'), manifests);
  writeFileSync(join(workspace, 'queue.yaml'), queue);
  const healthy = await startHttpTarget(() => ({ body: 'ok' }));
  try {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0', { replicas: 2 });
    await stand.seedDeployment('cart', 'ghcr.io/octo-org/cart:1.0.0', { replicas: 4 });
    stand.kube.state.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: NAMESPACE },
      spec: { selector: { app: 'api' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    const deploy = 'actions/deploy';
    await act('rolling deploy', deploy, {
      environment: 'staging',
      deployment: 'api',
      image: 'ghcr.io/octo-org/api:1.1.0',
    });
    await act('rolling deploy that crash-loops and is rolled back', deploy, {
      environment: 'staging',
      deployment: 'api',
      image: 'ghcr.io/octo-org/api:1.2.0-crashloop',
      timeout: '60s',
    });
    await act('blue-green deploy', deploy, {
      environment: 'staging',
      deployment: 'api',
      image: 'ghcr.io/octo-org/api:1.3.0',
      strategy: 'blue-green',
      'health-url': healthy.url,
    });
    await act('canary deploy', deploy, {
      environment: 'staging',
      deployment: 'cart',
      image: 'ghcr.io/octo-org/cart:1.1.0',
      strategy: 'canary',
      'canary-steps': '50,100',
      'health-url': healthy.url,
    });
    await act('manifests deploy 1.0.0', deploy, {
      environment: 'staging',
      manifests: 'shop.yaml',
      image: `${IMAGE}:1.0.0`,
    });
    await act('manifests deploy 1.1.0', deploy, {
      environment: 'staging',
      manifests: 'shop.yaml',
      image: `${IMAGE}:1.1.0`,
    });
    await act('rollback of a StatefulSet and a DaemonSet', 'actions/rollback', {
      environment: 'staging',
      deployment: 'statefulset/db\ndaemonset/agent',
    });
    // A StatefulSet of its own: applying manifests to a workload Rollgate has rolled back meets a
    // server-side apply conflict with Rollgate's own earlier update of the image.
    await act('manifests deploy of a StatefulSet 1.0.0', deploy, {
      environment: 'staging',
      manifests: 'queue.yaml',
      image: `${IMAGE}:1.0.0`,
    });
    await act('manifests deploy whose StatefulSet crash-loops', deploy, {
      environment: 'staging',
      manifests: 'queue.yaml',
      image: `${IMAGE}:crashloop`,
      timeout: '60s',
    });
    await act('health check of a Deployment', 'actions/health-check', { deployment: 'web', deadline: '20s' });
    await act('rollback of a Deployment', 'actions/rollback', { environment: 'staging', deployment: 'cart' });
  } finally {
    await healthy.close();
  }
}, 300_000);

afterAll(async () => {
  await stand.close();
  rmSync(workspace, { recursive: true, force: true });
});

interface Rule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

const documents = parseAllDocuments(
  readFileSync(join(repositoryRoot, 'deploy/rbac/deployer.yaml'), 'utf8'),
).map((d) => d.toJS() as { kind: string });
const serviceAccount = documents.find((d) => d.kind === 'ServiceAccount') as IServiceAccount;
const role = documents.find((d) => d.kind === 'Role') as IRole;
const binding = documents.find((d) => d.kind === 'RoleBinding') as IRoleBinding;
const rules = (role.rules ?? []) as readonly Rule[];

function allows(rule: Rule, request: Attributes): boolean {
  return (
    rule.apiGroups.includes(request.group) &&
    rule.resources.includes(request.resource) &&
    rule.verbs.includes(request.verb)
  );
}

const key = (a: { group: string; resource: string; verb: string }): string =>
  `${a.group === '' ? 'core' : a.group} ${a.resource} ${a.verb}`;

/** The paths system:discovery opens to every authenticated user (its nonResourceURLs). */
const DISCOVERY = [/^\/api\/?$/, /^\/api\/.+/, /^\/apis\/?$/, /^\/apis\/.+/, /^\/version\/?$/];

describe('deploy/rbac: the actions’ ServiceAccount, Role and RoleBinding', () => {
  test('are valid by their OpenAPI schemas and bind the Role to the ServiceAccount in its namespace', () => {
    expect(documents.map((d) => d.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding']);
    for (const [document, validate] of [
      [serviceAccount, validateServiceAccount],
      [role, validateRole],
      [binding, validateRoleBinding],
    ] as const) {
      expect(validate(document)).toBe(true);
    }
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: role.metadata!.name,
    });
    expect(binding.subjects).toEqual([
      {
        kind: 'ServiceAccount',
        name: serviceAccount.metadata!.name,
        namespace: serviceAccount.metadata!.namespace,
      },
    ]);
    expect(new Set([serviceAccount, role, binding].map((d) => d.metadata!.namespace))).toEqual(
      new Set(['shop']),
    );
  });

  test('grant no wildcard, no resource names, nothing cluster-wide', () => {
    for (const rule of role.rules ?? []) {
      expect([...rule.apiGroups!, ...rule.resources!, ...rule.verbs]).not.toContain('*');
      expect(rule.resourceNames).toBeUndefined();
      expect(rule.nonResourceURLs).toBeUndefined();
    }
  });

  test('the matcher refuses what no rule grants', () => {
    const ask = (group: string, resource: string, verb: string): boolean =>
      rules.some((rule) => allows(rule, { group, resource, verb, namespace: NAMESPACE }));
    expect(ask('apps', 'deployments', 'patch')).toBe(true);
    expect(ask('', 'secrets', 'get')).toBe(false);
    expect(ask('', 'pods', 'create')).toBe(false);
    expect(ask('apps', 'deployments', 'deletecollection')).toBe(false);
  });
});

describe('deploy/rbac against what the actions do', () => {
  test('the runs took the paths they were meant to', () => {
    const outcome = Object.fromEntries(
      runs.map(({ what, run }) => [what, run.outputs.status ?? `exit ${run.exitCode}`]),
    );
    expect(outcome).toEqual({
      'rolling deploy': 'success',
      'rolling deploy that crash-loops and is rolled back': 'rolled-back',
      'blue-green deploy': 'success',
      'canary deploy': 'success',
      'manifests deploy 1.0.0': 'success',
      'manifests deploy 1.1.0': 'success',
      'manifests deploy of a StatefulSet 1.0.0': 'success',
      'manifests deploy whose StatefulSet crash-loops': 'rolled-back',
      'health check of a Deployment': 'exit 0',
      'rollback of a Deployment': 'exit 0',
      'rollback of a StatefulSet and a DaemonSet': 'exit 0',
    });
    // The canary was removed after promotion, and the StatefulSet's stuck pod deleted on its rollback.
    expect(stand.kube.state.deployment(NAMESPACE, 'cart-canary')).toBeUndefined();
    const stuck = runs.find((r) => r.what === 'manifests deploy whose StatefulSet crash-loops')!.run;
    expect(stuck.summary).toMatch(/deleting stuck pod queue-\d/);
  });

  const resourceRequests = (): Attributes[] =>
    stand.kube.requests.map(attributesOf).filter((a): a is Attributes => a !== undefined);

  test('every request is in the deploy namespace or a discovery path', () => {
    expect([...new Set(resourceRequests().map((a) => a.namespace))]).toEqual([NAMESPACE]);
    const other = stand.kube.requests
      .filter((r) => attributesOf(r) === undefined)
      .filter((r) => !DISCOVERY.some((pattern) => pattern.test(r.path)));
    expect(other).toEqual([]);
  });

  test('the Role allows every request the actions made', () => {
    const refused = resourceRequests().filter((request) => !rules.some((rule) => allows(rule, request)));
    expect([...new Set(refused.map(key))]).toEqual([]);
  });

  test('the Role grants nothing the actions did not use', () => {
    const used = new Set(resourceRequests().map(key));
    const granted = rules.flatMap((rule) =>
      rule.apiGroups.flatMap((group) =>
        rule.resources.flatMap((resource) => rule.verbs.map((verb) => key({ group, resource, verb }))),
      ),
    );
    expect(granted.filter((grant) => !used.has(grant))).toEqual([]);
    expect(new Set(granted)).toEqual(used);
  });
});
