/**
 * Secrets are masked wherever they hide: for each shape of kubeconfig a user passes (a token,
 * a client key, an exec plugin with secret environment values, an auth-provider, the same as
 * base64, a KUBECONFIG file), the bundled action registers every secret — in each form a log
 * could show it — with the runner before it prints a single line, and no log line holds one.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startDeployStand, NAMESPACE, type DeployStand } from '../support/deploy-stand.ts';
import { startHttpTarget } from '../support/http-target.ts';
import { runAction, type ActionRun } from '../support/runner.ts';
import { testCertificates } from '../support/tls.ts';

let stand: DeployStand;
const scratch = mkdtempSync(join(tmpdir(), 'rollgate-masking-'));

beforeAll(() => {
  testCertificates();
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});
beforeEach(async () => {
  stand = await startDeployStand();
  await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
});
afterEach(async () => {
  stand.github.assertNoViolations();
  await stand.close();
});

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** A kubeconfig for the test cluster with `user` as its user entry. */
function kubeconfigWith(user: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'test',
        cluster: {
          server: stand.kube.url,
          'certificate-authority-data': b64(stand.kube.ca),
        },
      },
    ],
    users: [{ name: 'ci', user }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'ci', namespace: NAMESPACE } }],
    'current-context': 'test',
  });
}

/** An exec credential plugin, as `aws eks get-token` or `gke-gcloud-auth-plugin` would be. */
function execPlugin(): string {
  const path = join(scratch, `exec-plugin-${Math.random().toString(36).slice(2)}.cjs`);
  writeFileSync(
    path,
    `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: ${JSON.stringify(stand.kube.token)} } }));\n`,
  );
  return path;
}

interface Shape {
  /** The inputs and environment of the run. */
  readonly given: () => { kubeconfig: string; env?: Record<string, string> };
  /** Every value that must never show in the log (each form of each secret). */
  readonly secrets: () => string[];
}

const CLIENT_KEY = () => testCertificates().key;
/** The base64 lines of the PEM body: each is masked, since the runner masks line by line. */
const pemBodyLines = (pem: string): string[] =>
  pem
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('-----'));

const shapes: Record<string, Shape> = {
  'a bearer token': {
    given: () => ({ kubeconfig: kubeconfigWith({ token: stand.kube.token }) }),
    secrets: () => [stand.kube.token, b64(stand.kube.token)],
  },
  'a client key and certificate': {
    given: () => ({
      kubeconfig: kubeconfigWith({
        'client-certificate-data': b64(testCertificates().cert),
        'client-key-data': b64(CLIENT_KEY()),
      }),
    }),
    secrets: () => [b64(CLIENT_KEY()), ...pemBodyLines(CLIENT_KEY())],
  },
  'an exec plugin with secret environment values': {
    given: () => ({
      kubeconfig: kubeconfigWith({
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: process.execPath,
          args: [execPlugin(), '--role-token=exec-arg-secret-31a9'],
          env: [
            { name: 'AWS_SECRET_ACCESS_KEY', value: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
            { name: 'AWS_SESSION_TOKEN', value: 'exec-session-token-4b8e2f' },
          ],
        },
      }),
    }),
    secrets: () => [
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'exec-session-token-4b8e2f',
      'exec-arg-secret-31a9',
    ],
  },
  'an auth-provider': {
    given: () => ({
      kubeconfig: kubeconfigWith({
        'auth-provider': {
          name: 'oidc',
          config: {
            'client-id': 'rollgate',
            'client-secret': 'oidc-client-secret-8c2d',
            'id-token': 'oidc-id-token-1f7a6e',
            'refresh-token': 'oidc-refresh-token-9b0c',
            'idp-issuer-url': 'https://127.0.0.1:1/issuer',
          },
        },
      }),
    }),
    secrets: () => ['oidc-client-secret-8c2d', 'oidc-id-token-1f7a6e', 'oidc-refresh-token-9b0c'],
  },
  'base64 of a kubeconfig with a token and a password': {
    given: () => ({
      kubeconfig: b64(
        kubeconfigWith({ token: stand.kube.token, username: 'deployer', password: 'hunter2-pw' }),
      ),
    }),
    secrets: () => {
      const blob = b64(
        kubeconfigWith({ token: stand.kube.token, username: 'deployer', password: 'hunter2-pw' }),
      );
      return [blob, stand.kube.token, 'hunter2-pw', b64('deployer:hunter2-pw')];
    },
  },
  'a KUBECONFIG file': {
    given: () => {
      const path = join(scratch, `kubeconfig-${Math.random().toString(36).slice(2)}`);
      writeFileSync(path, kubeconfigWith({ token: stand.kube.token }));
      return { kubeconfig: '', env: { KUBECONFIG: path } };
    },
    secrets: () => [stand.kube.token, b64(stand.kube.token)],
  },
};

/** What the runner's log shows: stdout and stderr without the mask commands themselves. */
function printed(run: ActionRun): string {
  return [
    ...run.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')),
    run.stderr,
    run.summary,
  ].join('\n');
}

/** The masks registered before the first line that is not a mask command. */
function masksBeforeFirstLine(run: ActionRun): string[] {
  const lines = run.stdout.split('\n');
  const first = lines.findIndex((line) => line !== '' && !line.startsWith('::add-mask::'));
  return lines.slice(0, first < 0 ? lines.length : first).map((line) => line.slice('::add-mask::'.length));
}

describe('every kubeconfig secret is masked before the first line', () => {
  test.each(Object.keys(shapes))('%s', async (name) => {
    const shape = shapes[name]!;
    const { kubeconfig, env } = shape.given();
    const run = await runAction('actions/deploy', {
      inputs: {
        environment: 'staging',
        deployment: 'api',
        image: 'ghcr.io/octo-org/api:1.1.0',
        kubeconfig,
        token: 'github-token-5e0f',
      },
      env: { ...stand.env, ...env },
    });
    const early = masksBeforeFirstLine(run);
    for (const secret of shape.secrets()) {
      expect(early).toContain(secret);
      expect(printed(run)).not.toContain(secret);
    }
    expect(early).toContain('github-token-5e0f');
    // The shapes the test cluster accepts deploy as usual; the others fail on the credentials.
    expect(['success', 'failure']).toContain(run.outputs.status);
  });

  test('a multi-line secret is masked line by line, never as one value the runner cannot match', async () => {
    const run = await runAction('actions/deploy', {
      inputs: {
        environment: 'staging',
        deployment: 'api',
        image: 'ghcr.io/octo-org/api:1.1.0',
        kubeconfig: kubeconfigWith({ 'client-key-data': b64(CLIENT_KEY()) }),
        token: '',
      },
      env: stand.env,
    });
    expect(run.masks.every((mask) => !mask.includes('\n'))).toBe(true);
    expect(run.masks.some((mask) => mask.startsWith('-----BEGIN'))).toBe(false);
    for (const line of pemBodyLines(CLIENT_KEY())) expect(run.masks).toContain(line);
  });
});

describe('secrets in URLs', () => {
  test('a ?token= query value of a health-check URL is masked before anything is printed', async () => {
    const service = await startHttpTarget(() => ({ status: 503, body: 'warming up' }));
    try {
      const url = `${service.url}/healthz?token=url-token-6d2e1a&region=eu`;
      const run = await runAction('actions/health-check', {
        inputs: { url, deadline: '300ms', interval: '100ms' },
      });
      expect(run.exitCode).toBe(1);
      expect(masksBeforeFirstLine(run)).toContain('url-token-6d2e1a');
      expect(printed(run)).not.toContain('url-token-6d2e1a');
      // The log still tells which URL failed, with the secret starred out.
      expect(run.log.join('\n')).toContain('/healthz?token=***&region=eu');
      expect(run.outputs.healthy).toBe('false');
    } finally {
      await service.close();
    }
  });
});
