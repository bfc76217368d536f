/**
 * What a user sees when the kubeconfig does not lead to a Kubernetes API server that takes the
 * credentials: each case is a real local server, and the bundled deploy action reports the real
 * cause — before it creates a GitHub Deployment or changes anything in a cluster.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { stringify } from 'yaml';
import {
  imageOf,
  startDeployStand,
  NAMESPACE,
  REPOSITORY,
  type DeployStand,
} from '../support/deploy-stand.ts';
import { startHttpTarget, type HttpTarget, type TargetAnswer } from '../support/http-target.ts';
import { runAction } from '../support/runner.ts';
import { testCertificates } from '../support/tls.ts';

let stand: DeployStand;
const targets: HttpTarget[] = [];

beforeEach(async () => {
  stand = await startDeployStand();
});
afterEach(async () => {
  await Promise.all(targets.splice(0).map((target) => target.close()));
  stand.github.assertNoViolations();
  await stand.close();
});

/** A kubeconfig as a user writes one by hand, for a server that is not the test cluster. */
function kubeconfigFor(server: string, cluster: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'prod', cluster: { server, ...cluster } }],
    users: [{ name: 'ci', user: { token: 'kube-token-5d1c0e9b7a' } }],
    contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'ci', namespace: NAMESPACE } }],
    'current-context': 'prod',
  });
}

function deploy(inputs: Record<string, string>) {
  return runAction('actions/deploy', {
    inputs: {
      environment: 'staging',
      deployment: 'api',
      image: 'ghcr.io/octo-org/api:1.1.0',
      token: 'test-token',
      ...inputs,
    },
    env: stand.env,
  });
}

function githubDeployments(): number {
  return stand.github.state.seeded(REPOSITORY).deployments.size;
}

const LOGIN_PAGE =
  '<!DOCTYPE html><html><head><title>Sign in</title></head><body><form action="/login">Corporate SSO</form></body></html>';

describe('a kubeconfig server that is not a Kubernetes API server', () => {
  test.each<[string, (path: string) => TargetAnswer]>([
    [
      'a web site answering 200 with HTML (a wrong URL)',
      () => ({ status: 200, body: LOGIN_PAGE, headers: { 'content-type': 'text/html; charset=utf-8' } }),
    ],
    [
      'a proxy redirecting to its login page',
      (path) =>
        path.startsWith('/login')
          ? { status: 200, body: LOGIN_PAGE, headers: { 'content-type': 'text/html' } }
          : { status: 302, body: '', headers: { location: '/login?next=%2Fversion' } },
    ],
    [
      'a proxy refusing with an HTML 403 page',
      () => ({ status: 403, body: LOGIN_PAGE, headers: { 'content-type': 'text/html' } }),
    ],
  ])('%s is reported as not a Kubernetes API server', async (_case, answer) => {
    const certificates = testCertificates();
    const site = await startHttpTarget((request) => answer(request.path), certificates);
    targets.push(site);
    const run = await deploy({
      kubeconfig: kubeconfigFor(site.url, {
        'certificate-authority-data': Buffer.from(certificates.ca).toString('base64'),
      }),
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(
      new RegExp(`^The kubeconfig server ${site.url} is not a Kubernetes API server: `),
    );
    expect(run.errors[0]).toContain('login page');
    expect(run.errors[0]).not.toContain('<html');
    expect(run.outputs.status).toBe('failure');
    expect(site.requests.length).toBeGreaterThan(0);
    expect(githubDeployments()).toBe(0);
  });
});

describe('a plain-HTTP server in the kubeconfig', () => {
  test('is refused before anything is sent, and the message says how to allow it', async () => {
    const server = await startHttpTarget(() => ({ body: { gitVersion: 'v1.31.0' } }));
    targets.push(server);
    const run = await deploy({ kubeconfig: kubeconfigFor(server.url) });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(
        new RegExp(`^The kubeconfig server ${server.url} uses plain HTTP, which is refused\\. `),
      ),
    ]);
    expect(run.errors[0]).toContain("adding 'insecure-skip-tls-verify: true' to that cluster");
    expect(run.errors[0]).not.toMatch(/VPN/);
    // client-node refuses http:// before it opens a connection: the token never crossed the wire.
    expect(server.requests).toEqual([]);
    expect(run.outputs.status).toBe('failure');
    expect(githubDeployments()).toBe(0);
  });

  test('is used when the cluster entry allows it with insecure-skip-tls-verify', async () => {
    const server = await startHttpTarget(() => ({
      status: 200,
      body: LOGIN_PAGE,
      headers: { 'content-type': 'text/html' },
    }));
    targets.push(server);
    const run = await deploy({
      kubeconfig: kubeconfigFor(server.url, { 'insecure-skip-tls-verify': true }),
    });
    expect(run.exitCode).toBe(1);
    // Allowed through, it reaches the server, which is then judged on what it answers.
    expect(server.requests.map((r) => r.path)).toContain('/version');
    expect(run.errors[0]).toMatch(/is not a Kubernetes API server/);
  });
});

describe('credentials the Kubernetes API server refuses', () => {
  test('a bad token is reported as refused credentials (401), not as an unreachable cluster', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
    const run = await deploy({ kubeconfig: stand.kube.kubeconfig({ token: 'expired-token-0c9e1f' }) });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(
        /^The Kubernetes API server at https:\/\/127\.0\.0\.1:\d+ refused the credentials \(HTTP 401 Unauthorized\) while reading the server version/,
      ),
    ]);
    expect(run.errors[0]).toContain('Refresh the kubeconfig secret');
    expect(run.masks).toContain('expired-token-0c9e1f');
    expect(run.stdout.replaceAll('::add-mask::expired-token-0c9e1f', '')).not.toContain(
      'expired-token-0c9e1f',
    );
    expect(stand.kube.requests.at(-1)).toMatchObject({ path: '/version', status: 401 });
    expect(run.outputs.status).toBe('failure');
    expect(githubDeployments()).toBe(0);
    expect(imageOf(stand.kube.state.deployment(NAMESPACE, 'api'))).toBe('ghcr.io/octo-org/api:1.0.0');
  });
});

describe('an empty namespace input', () => {
  test("deploys into the kubeconfig context's namespace, as kubectl does", async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
    const run = await deploy({ kubeconfig: stand.kube.kubeconfig({ namespace: NAMESPACE }), namespace: '' });
    expect(run.errors).toEqual([]);
    expect(run.outputs.status).toBe('success');
    expect(run.log).toContainEqual(expect.stringContaining(`namespace ${NAMESPACE})`));
    expect(imageOf(stand.kube.state.deployment(NAMESPACE, 'api'))).toBe('ghcr.io/octo-org/api:1.1.0');
  });

  test("a context without a namespace means 'default'", async () => {
    const kubeconfig = stand.kube.kubeconfig().replace(/\n\s+namespace: default/, '');
    expect(kubeconfig).not.toContain('namespace:');
    const run = await deploy({ kubeconfig, namespace: '' });
    expect(run.exitCode).toBe(1);
    // Nothing named api lives in 'default': the error names the namespace it looked in.
    expect(run.errors.at(-1)).toMatch(/default\/api/);
  });
});
