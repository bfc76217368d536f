import { runDeploy } from '../../src/deploy/run.ts';
import { parseDeploySpec } from '../../src/deploy/spec.ts';
import { renderDeploySummary } from '../../src/deploy/summary.ts';
import { RollgateError } from '../../src/errors.ts';
import { parseDeploymentEvent, type DeploymentEvent } from '../../src/github/deployment-event.ts';
import { createHttpProber } from '../../src/health/probe.ts';
import {
  HEALTH_CHECK_INPUTS,
  healthCheckSecrets,
  parseHealthCheckSpec,
  type HealthCheckSpec,
} from '../../src/health/spec.ts';
import { parseInteger } from '../../src/inputs/scalars.ts';
import { parseImageReference } from '../../src/kubernetes/image.ts';
import { connectFromInput } from '../cluster-connection.ts';
import { connectGitHub } from '../github-client.ts';
import * as core from '../runner-io.ts';

const DEPLOY_INPUTS = [
  'environment',
  'image',
  'manifests',
  'namespace',
  'deployment',
  'container',
  'service',
  'strategy',
  'canary-steps',
  'timeout',
  'kubeconfig',
  'environment-url',
  'health-url',
  'auto-rollback',
  'restart-threshold',
  'force-conflicts',
  'version',
  'token',
  'deployment-id',
  'health-deadline',
] as const;

/**
 * The deploy step, shared by `actions/deploy` and the root action (which adds the health-check
 * inputs): inputs and the deployment event → the engine → outputs, summary, failure.
 */
export async function deployStep(withHealthInputs: boolean): Promise<void> {
  const raw = core.readInputs(DEPLOY_INPUTS);
  if (raw.token !== '') core.setSecret(raw.token);
  const env = process.env;
  const event = parseDeploymentEvent(env.GITHUB_EVENT_NAME ?? '', core.readEventPayload(env));
  if (event?.task === 'deploy:rollback') {
    throw new RollgateError(
      `Deployment ${event.id} is a rollback (task deploy:rollback).`,
      'The deploy action rolls out new versions; rollbacks are carried out by the rollback action.',
      'Run OWNER/rollgate/actions/rollback@v1 for deployment events whose task is deploy:rollback (see workflows-templates/rollgate-deploy-on-event.yml).',
    );
  }
  const payloadImage = typeof event?.payload.image === 'string' ? event.payload.image : '';
  const sha = event?.sha || env.GITHUB_SHA || '';
  const spec = parseDeploySpec({
    ...raw,
    environment: raw.environment || event?.environment || '',
    image: withShaTag(raw.image || payloadImage, sha),
  });
  const health = healthSpec(withHealthInputs, spec.healthUrl, raw['health-deadline']);
  const version = deployVersion(raw.version, event, spec.image, sha);

  const cluster = await connectFromInput(raw.kubeconfig);
  const github = raw.token === '' ? undefined : await connectGitHub(raw.token, env);
  const runUrl = core.workflowRunUrl(env);

  core.info(`Deploying ${version} to ${spec.environment} (${spec.strategy}, namespace ${spec.namespace}).`);
  const outcome = await runDeploy(
    spec,
    {
      version,
      sha,
      ref: event?.ref || env.GITHUB_REF || '',
      actor: env.GITHUB_ACTOR,
      runUrl,
      workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
      event,
      deploymentId:
        raw['deployment-id'] === '' ? undefined : parseInteger('deployment-id', raw['deployment-id'], 1),
      health,
    },
    { cluster, github, createProber: () => createHttpProber(), now: () => performance.now(), log: core.info },
  );

  core.setOutput('deployment-id', outcome.deploymentId ?? '');
  core.setOutput('status', outcome.status);
  core.setOutput('revision', outcome.revision ?? '');
  core.setOutput('previous-revision', outcome.previousRevision ?? '');
  core.setOutput('environment-url', outcome.environmentUrl ?? '');
  core.setOutput('duration-ms', outcome.durationMs);
  core.appendSummary(
    renderDeploySummary(outcome, {
      environment: spec.environment,
      version,
      deploymentUrl:
        outcome.deploymentId === undefined ? undefined : github?.deploymentUrl(outcome.deploymentId),
    }),
  );
  if (outcome.status !== 'success') {
    const after = outcome.reverted === undefined ? '' : ` It was reverted: ${outcome.reverted}.`;
    throw new RollgateError(
      `Deploying ${version} to ${spec.environment} failed: ${outcome.failure ?? 'unknown failure'}.${after}`,
      '',
      'See the job summary for the timeline and the pod reasons; fix the release and deploy again.',
    );
  }
}

/**
 * An image given without tag or digest gets the commit's tag as the build action writes it
 * (`sha-<short sha>`), so a deployment event of a sha needs no glue to name its image.
 */
function withShaTag(image: string, sha: string): string {
  if (image === '' || sha === '') return image;
  const reference = parseImageReference('image', image);
  return reference.tag === undefined && reference.digest === undefined
    ? `${image}:sha-${sha.slice(0, 7)}`
    : image;
}

/** The version recorded: the input, the deployment's payload version, the image tag, or the short sha. */
function deployVersion(
  input: string,
  event: DeploymentEvent | undefined,
  image: string | undefined,
  sha: string,
): string {
  if (input !== '') return input;
  if (typeof event?.payload.version === 'string' && event.payload.version !== '')
    return event.payload.version;
  const tag = image === undefined ? undefined : parseImageReference('image', image).tag;
  return tag ?? sha.slice(0, 7);
}

/**
 * The health check after the rollout: the root action's health-check inputs (its `url` and
 * friends; `health-timeout` is the per-request timeout), or else `health-url` with defaults.
 */
function healthSpec(
  withHealthInputs: boolean,
  healthUrl: string | undefined,
  healthDeadline: string,
): HealthCheckSpec | undefined {
  const given = (name: (typeof HEALTH_CHECK_INPUTS)[number]): string =>
    withHealthInputs ? core.getInput(name === 'timeout' ? 'health-timeout' : name) : '';
  const raw = Object.fromEntries(HEALTH_CHECK_INPUTS.map((name) => [name, given(name)])) as Record<
    (typeof HEALTH_CHECK_INPUTS)[number],
    string
  >;
  raw.url ||= healthUrl ?? '';
  if (raw.url === '') return undefined;
  raw.deadline ||= healthDeadline || '60s';
  for (const secret of healthCheckSecrets(raw)) core.setSecret(secret);
  return parseHealthCheckSpec(raw);
}
