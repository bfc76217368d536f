import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { startDeployStand, NAMESPACE, type DeployStand } from '../support/deploy-stand.ts';
import { runAction } from '../support/runner.ts';

let stand: DeployStand;

beforeEach(async () => {
  stand = await startDeployStand();
});
afterEach(async () => {
  await stand.close();
});

function check(inputs: Record<string, string>) {
  return runAction('actions/health-check', {
    inputs: { namespace: NAMESPACE, kubeconfig: stand.kube.kubeconfig(), deadline: '20s', ...inputs },
  });
}

describe('health-check action: Kubernetes readiness', () => {
  test('is healthy when the Deployment is rolled out and available', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
    const run = await check({ deployment: 'api' });
    expect(run.errors).toEqual([]);
    expect(run.outputs.healthy).toBe('true');
    expect(run.summary).toMatch(/\| api \| yes \| ✅ deployment "api" successfully rolled out \|/);
  });

  test('is unhealthy at once when the new pods crash-loop, naming the pod and reason', async () => {
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.1.0-crashloop');
    const run = await check({ deployment: 'api' });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.healthy).toBe('false');
    expect(run.errors.at(-1)).toMatch(/deployment api: api-[a-z0-9]+-[a-z0-9]+\/app: CrashLoopBackOff/);
    expect(Number(run.outputs['duration-ms'])).toBeLessThan(20_000);
  });

  test('names a Deployment that does not exist', async () => {
    const run = await check({ deployment: 'nope' });
    expect(run.exitCode).toBe(1);
    expect(run.errors.at(-1)).toContain('deployments.apps "nope" not found');
  });
});
