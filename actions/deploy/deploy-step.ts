import { readFileSync } from 'node:fs';
import { runDeploy } from '../../src/deploy/run.ts';
import { parseDeploySpec } from '../../src/deploy/spec.ts';
import { renderDeploySummary } from '../../src/deploy/summary.ts';
import { RollgateError } from '../../src/errors.ts';
import { parseDeploymentEvent, type DeploymentEvent } from '../../src/github/deployment-event.ts';
import { createHttpProber } from '../../src/health/probe.ts';
import {
  parseHealthCheckSpec,
  type HealthCheckSpec,
  type RawHealthCheckInputs,
} from '../../src/health/spec.ts';
import { parseInteger } from '../../src/inputs/scalars.ts';
import { connectCluster } from '../../src/kubernetes/cluster.ts';
import {
  chooseKubeconfigSource,
  kubeconfigSecrets,
  loadKubeConfig,
} from '../../src/kubernetes/credentials.ts';
import { parseImageReference } from '../../src/kubernetes/image.ts';
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
  'version',
  'token',
  'deployment-id',
  'health-deadline',
] as const;
const HEALTH_INPUTS = [
  'url',
  'method',
  'headers',
  'expected-status',
  'expect-body',
  'expect-json',
  'health-timeout',
  'interval',
  'max-interval',
  'backoff',
  'deadline',
  'consecutive-successes',
  'max-latency-ms',
  'max-redirects',
] as const;

/**
 * The deploy step, shared by `actions/deploy` and the root action (which adds the health-check
 * inputs): inputs and the deployment event → the engine → outputs, summary, failure.
 */
export async function deployStep(withHealthInputs: boolean): Promise<void> {
  const raw = core.readInputs(DEPLOY_INPUTS);
  if (raw.token !== '') core.setSecret(raw.token);
  if (raw.kubeconfig !== '') {
    for (const secret of kubeconfigSecrets(raw.kubeconfig)) core.setSecret(secret);
    if (!raw.kubeconfig.includes('\n')) core.setSecret(raw.kubeconfig);
  }
  const env = process.env;
  const event = readDeploymentEvent(env);
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

  const kubeConfig = await loadKubeConfig(chooseKubeconfigSource(raw.kubeconfig, env));
  const cluster = await connectCluster(kubeConfig);
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

function readDeploymentEvent(env: NodeJS.ProcessEnv): DeploymentEvent | undefined {
  if (env.GITHUB_EVENT_NAME !== 'deployment' || !env.GITHUB_EVENT_PATH) return undefined;
  return parseDeploymentEvent('deployment', JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')));
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

function healthSpec(
  withHealthInputs: boolean,
  healthUrl: string | undefined,
  healthDeadline: string,
): HealthCheckSpec | undefined {
  const raw: Record<string, string> = withHealthInputs ? core.readInputs(HEALTH_INPUTS) : {};
  const url = raw.url || healthUrl || '';
  if (url === '') return undefined;
  const inputs: RawHealthCheckInputs = {
    url,
    method: raw.method ?? '',
    headers: raw.headers ?? '',
    'expected-status': raw['expected-status'] ?? '',
    'expect-body': raw['expect-body'] ?? '',
    'expect-json': raw['expect-json'] ?? '',
    timeout: raw['health-timeout'] ?? '',
    interval: raw.interval ?? '',
    'max-interval': raw['max-interval'] ?? '',
    backoff: raw.backoff ?? '',
    deadline: raw.deadline || healthDeadline || '60s',
    'consecutive-successes': raw['consecutive-successes'] ?? '',
    'max-latency-ms': raw['max-latency-ms'] ?? '',
    'max-redirects': raw['max-redirects'] ?? '',
  };
  for (const line of inputs.headers.split('\n'))
    if (line.includes(':')) core.setSecret(line.slice(line.indexOf(':') + 1).trim());
  return parseHealthCheckSpec(inputs);
}
