import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { startHttpTarget, type HttpTarget } from '../support/http-target.ts';
import {
  imageOf,
  startDeployStand,
  NAMESPACE,
  REPOSITORY,
  type DeployStand,
} from '../support/deploy-stand.ts';
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
      interval: '100ms',
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

  test('names each bad input as the user wrote it, all in one run, and changes nothing', async () => {
    const result = await run('ghcr.io/octo-org/api:1.1.0', {
      'health-timeout': 'soon',
      interval: '5ms',
      strategy: 'blue-grean',
      'expect-json': 'version',
    });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    const lines = result.errors[0]!.split('\n');
    expect(lines[0]).toBe('4 inputs are invalid: strategy, health-timeout, interval, expect-json.');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        /^- Input 'strategy' is invalid: 'blue-grean' is not a strategy\. Use one of rolling, blue-green, canary\.$/,
      ),
      expect.stringMatching(/^- Input 'health-timeout' is invalid: 'soon' is not a duration\./),
      expect.stringMatching(
        /^- Input 'interval' is invalid: '5ms' is shorter than 100 ms, which would hammer the service\. Set 'interval' to at least '100ms'/,
      ),
      expect.stringMatching(/^- Input 'expect-json' is invalid: 'version' is not 'path=value'\./),
    ]);
    expect(result.errors[0]).not.toMatch(/Input 'timeout'/);
    // The outputs documented as always set are set; nothing reached GitHub or the cluster.
    expect(result.outputs.status).toBe('failure');
    expect(stand.github.state.seeded(REPOSITORY).deployments.size).toBe(0);
    expect(imageOf(stand.kube.state.deployment(NAMESPACE, 'api'))).toBe('ghcr.io/octo-org/api:1.0.0');
  });

  test('a bad health-timeout alone is reported under its own name', async () => {
    const result = await run('ghcr.io/octo-org/api:1.1.0', { 'health-timeout': '0s' });
    expect(result.errors).toEqual([
      "Input 'health-timeout' is invalid: '0s' must be longer than zero. Set 'health-timeout' to a positive duration such as '5s'.",
    ]);
    expect(result.outputs.status).toBe('failure');
  });
});
