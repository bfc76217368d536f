import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installFakeDocker, type FakeDocker } from '../support/fake-docker.ts';
import { runAction } from '../support/runner.ts';
import {
  deploymentEvent,
  HEAD_SHA,
  inputsOf,
  MERGE_SHA,
  pullRequest,
  workflowOf,
} from '../support/workflow-steps.ts';

/**
 * The pull-request images template, run as a runner would on a pull request: its `run:` step, then
 * the bundled build action with the `with:` the template gives it and GITHUB_SHA the merge commit
 * (docs.github.com, "Events that trigger workflows", pull_request). What docker is asked to push
 * must include the tag the deploy-on-event template rolls out for a Deployment of the head commit.
 */
const scratch = mkdtempSync(join(tmpdir(), 'rollgate-template-images-'));
let docker: FakeDocker;
beforeAll(() => {
  docker = installFakeDocker();
});
afterAll(() => {
  docker.remove();
  rmSync(scratch, { recursive: true, force: true });
});

/** A checked-out npm project with a Dockerfile, whose `npm ci` and `npm test` run offline. */
function project(): string {
  const dir = mkdtempSync(join(scratch, 'workspace-'));
  const manifest = { name: 'shop-api', version: '1.2.0', scripts: { test: 'node -e 0' } };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({
      name: 'shop-api',
      version: '1.2.0',
      lockfileVersion: 3,
      requires: true,
      packages: { '': { name: 'shop-api', version: '1.2.0' } },
    }),
  );
  writeFileSync(join(dir, 'Dockerfile'), 'FROM node:24-alpine\nCOPY . .\n');
  return dir;
}

async function buildPullRequest(context: Record<string, unknown>): Promise<{
  exitCode: number;
  buildx: string[];
  log: readonly string[];
}> {
  const job = workflowOf('rollgate-pull-request-images.yml').jobs.image!;
  const { inputs } = inputsOf(job, 'OWNER/rollgate/actions/build@', context, 'image job');
  const before = docker.invocations().length;
  const event = (context.github as { event: unknown }).event;
  const run = await runAction('actions/build', {
    inputs,
    workspace: project(),
    event: { name: 'pull_request', payload: event },
    env: {
      PATH: `${docker.binDir}:${process.env.PATH ?? ''}`,
      GITHUB_SHA: MERGE_SHA,
      GITHUB_REF: 'refs/pull/7/merge',
      GITHUB_REPOSITORY: 'Acme-Corp/Shop-API',
      npm_config_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    },
    timeoutMs: 120_000,
  });
  const buildx = docker
    .invocations()
    .slice(before)
    .find((args) => args[0] === 'buildx' && args[1] === 'build');
  return { exitCode: run.exitCode, buildx: buildx ?? [], log: run.log };
}

const tagsOf = (args: readonly string[]): string[] =>
  args.flatMap((arg, index) => (args[index - 1] === '--tag' ? [arg] : []));

describe('pull-request images, built by the bundled build action', () => {
  test('a pull request of this repository pushes the head’s sha-<short sha>, the image deploy-on-event rolls out for it', async () => {
    const { exitCode, buildx, log } = await buildPullRequest(pullRequest('Acme-Corp/Shop-API'));
    expect({ exitCode, log: exitCode === 0 ? [] : log }).toEqual({ exitCode: 0, log: [] });
    expect(buildx).toContain('--push');

    const events = workflowOf('rollgate-deploy-on-event.yml');
    const deployed = inputsOf(
      events.jobs.deploy!,
      'OWNER/rollgate@',
      deploymentEvent('deploy', 'staging'),
      'deploy job',
    );
    // The deploy action gives an image without tag the deployment's sha-<short sha>
    // (actions/deploy/action.yml, 'image'); the Deployment /deploy creates is of the head.
    expect(tagsOf(buildx)).toContain(`${deployed.inputs.image}:sha-${HEAD_SHA.slice(0, 7)}`);
    expect(tagsOf(buildx)).toContain(`ghcr.io/acme-corp/shop-api:${HEAD_SHA.slice(0, 7)}`);
  });

  test('a pull request from a fork is built and tested but loaded, not pushed', async () => {
    const { exitCode, buildx } = await buildPullRequest(pullRequest('mallory/Shop-API'));
    expect(exitCode).toBe(0);
    expect(buildx).toContain('--load');
    expect(buildx).not.toContain('--push');
  });
});
