import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { startHttpTarget, type HttpTarget } from '../support/http-target.ts';
import { imageOf, startDeployStand, NAMESPACE, type DeployStand } from '../support/deploy-stand.ts';
import { runAction } from '../support/runner.ts';

let stand: DeployStand;
let service: HttpTarget;
let version = '1.0.0';

beforeEach(async () => {
  stand = await startDeployStand();
  await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
  // The service reports the version its pods run, as a /version endpoint would.
  version = '1.0.0';
  service = await startHttpTarget(() => ({ body: { status: 'ok', version } }));
});
afterEach(async () => {
  await service.close();
  stand.github.assertNoViolations();
  await stand.close();
});

function run(image: string, inputs: Record<string, string> = {}) {
  return runAction('.', {
    inputs: {
      environment: 'production',
      namespace: NAMESPACE,
      deployment: 'api',
      image,
      kubeconfig: stand.kube.kubeconfig(),
      token: 'test-token',
      url: `${service.url}/version`,
      deadline: '1s',
      interval: '50ms',
      ...inputs,
    },
    env: stand.env,
  });
}

describe('root action: deploy, verify, roll back in one step', () => {
  test('deploys and verifies with the health-check inputs', async () => {
    version = '1.1.0';
    const result = await run('ghcr.io/octo-org/api:1.1.0', { 'expect-json': 'version=1.1.0' });
    expect(result.errors).toEqual([]);
    expect(result.outputs.status).toBe('success');
    expect(result.summary).toMatch(/\| healthy \|/);
  });

  test('rolls back when the new version answers but fails the JSON expectation', async () => {
    const result = await run('ghcr.io/octo-org/api:1.1.0', { 'expect-json': 'version=1.1.0' });
    expect(result.exitCode).toBe(1);
    expect(result.outputs.status).toBe('rolled-back');
    expect(result.errors.at(-1)).toContain(`JSON path 'version' is "1.0.0", expected 1.1.0`);
    expect(imageOf(stand.kube.state.deployment(NAMESPACE, 'api'))).toBe('ghcr.io/octo-org/api:1.0.0');
  });
});
