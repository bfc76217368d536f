import type { Octokit } from '@octokit/rest';
import type { GateCheckAsk } from '../../src/deploy/gate-check.ts';
import { parseDeploySpec, withNamespace, type ParsedDeployInputs } from '../../src/deploy/spec.ts';
import {
  deploymentApproval,
  disowned,
  gateAudit,
  gateRefusal,
  gateSummary,
  parseAppSlug,
  parseGatesMode,
  type GateCheck,
  type GatesMode,
} from '../../src/deploy/workflow-gates.ts';
import type { Repo } from '../../src/github/deployments.ts';
import { RollgateError } from '../../src/errors.ts';
import { parseDeploymentEvent, type DeploymentEvent } from '../../src/github/deployment-event.ts';
import { HEALTH_CHECK_INPUTS, healthCheckSecrets, parseHealthCheckSpec } from '../../src/health/spec.ts';
import { urlSecrets } from '../../src/health/redact.ts';
import { InputErrorCollector } from '../../src/inputs/input-errors.ts';
import { parseInteger } from '../../src/inputs/scalars.ts';
import { parseImageReference } from '../../src/kubernetes/image.ts';
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
  'gates',
  'app-slug',
] as const;

/** Outputs the action documents as set on every run: set to these when a run fails before it knows better. */
export const DEPLOY_FAILURE_OUTPUTS = { status: 'failure' } as const;

/**
 * The deploy step, shared by `actions/deploy` and the root action (which adds the health-check
 * inputs): inputs and the deployment event → the engine → outputs, summary, failure. Secrets in
 * the inputs are masked first; every input error is reported together; the engine, the Kubernetes
 * client and Octokit are loaded only once the inputs are valid.
 */
export async function deployStep(withHealthInputs: boolean): Promise<void> {
  const raw = core.readInputs(DEPLOY_INPUTS);
  const healthRaw = healthInputs(withHealthInputs, raw);
  if (raw.token !== '') core.setSecret(raw.token);
  for (const secret of [...healthCheckSecrets(healthRaw.values), ...urlSecrets(raw['environment-url'])])
    core.setSecret(secret);
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

  const inputs = new InputErrorCollector();
  const parsed = inputs.check(() =>
    parseDeploySpec({
      ...raw,
      environment: raw.environment || event?.environment || '',
      image: withShaTag(raw.image || payloadImage, sha),
    }),
  );
  const health = inputs.check(() =>
    healthRaw.values.url === ''
      ? undefined
      : parseHealthCheckSpec(healthRaw.values, { names: healthRaw.names }),
  );
  const deploymentId = inputs.check(() =>
    raw['deployment-id'] === '' ? undefined : parseInteger('deployment-id', raw['deployment-id'], 1),
  );
  const gatesMode = inputs.check(() => parseGatesMode(raw.gates));
  const appSlug = inputs.check(() => parseAppSlug(raw['app-slug']));
  inputs.throwIfAny();
  const checked = parsed as ParsedDeployInputs;
  const version = deployVersion(raw.version, event, checked.image, sha);

  const [
    { connectFromInput },
    { connectGitHub },
    { runDeploy },
    { renderDeploySummary },
    { createHttpProber },
  ] = await Promise.all([
    import('../cluster-connection.ts'),
    import('../github-client.ts'),
    import('../../src/deploy/run.ts'),
    import('../../src/deploy/summary.ts'),
    import('../../src/health/probe.ts'),
  ]);
  const connection = await connectFromInput(raw.kubeconfig, checked.namespace ?? '');
  const spec = withNamespace(checked, connection.namespace);
  const github = raw.token === '' ? undefined : await connectGitHub(raw.token, env);
  const runUrl = core.workflowRunUrl(env);

  const approval = deploymentApproval(
    env.GITHUB_EVENT_NAME ?? '',
    core.readEventPayload(env),
    appSlug as string,
  );
  if (approval?.kind === 'other-app' && gatesMode === 'enforce') core.warning(disowned(approval));
  const gates = await enforceGates(gatesMode as GatesMode, github, {
    environment: spec.environment,
    sha,
    branch: deployBranch(event, env) ?? (approval?.kind === 'deployment' ? approval.branch : undefined),
    actor: env.GITHUB_ACTOR ?? '',
    runId: env.GITHUB_RUN_ID ?? '',
    deploymentApproval: approval,
    appSlug: appSlug as string,
    now: new Date(),
  });

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
      deploymentId,
      health,
      gates: gateAudit(gates),
    },
    {
      cluster: connection.cluster,
      github,
      createProber: () => createHttpProber(),
      now: () => performance.now(),
      log: core.info,
    },
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
 * The gates before anything changes: bypassed (`gates: ignore`, logged with the actor), not
 * checked (no token to read them with), or evaluated — a refusal throws with the checklist, which
 * the job summary shows too.
 */
async function enforceGates(
  mode: GatesMode,
  github: { rest: Octokit['rest']; repo: Repo } | undefined,
  ask: GateCheckAsk,
): Promise<GateCheck> {
  let check: GateCheck;
  if (mode === 'ignore') {
    check = { kind: 'bypassed', actor: ask.actor || 'someone' };
    core.warning(
      `gates: ignore — the lock and the gates of .github/rollgate.yml were not checked (run by ${ask.actor || 'someone'}).`,
    );
  } else if (github === undefined) {
    check = {
      kind: 'unchecked',
      why: 'No `token`, so the lock and the gates of `.github/rollgate.yml` could not be read: give the job a token (contents: read, checks: read, statuses: read, deployments: write) to enforce them.',
    };
    core.warning('No token: the lock and the gates of .github/rollgate.yml were not checked.');
  } else {
    const { checkWorkflowGates } = await import('../../src/deploy/gate-check.ts');
    const { rest, repo } = github;
    check = await checkWorkflowGates(
      { repo, contents: rest.repos, git: rest.git, commits: rest, deployments: rest.repos },
      ask,
    );
    if (check.kind === 'evaluated') {
      core.info(`Gates of ${check.environment}: ${check.verdict.state}.`);
      if (check.note !== undefined) core.info(check.note);
    }
  }
  core.appendSummary(gateSummary(check));
  const refusal = gateRefusal(check);
  if (refusal !== undefined) throw refusal;
  return check;
}

/**
 * The branch the commit is deployed from, for `requires.branches`: a pull request's head branch,
 * the pushed branch, or a deployment's ref when it names a branch (a sha or a tag names none).
 */
function deployBranch(event: DeploymentEvent | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (event !== undefined) {
    const ref = event.ref;
    if (ref === '' || /^[0-9a-f]{40}$/i.test(ref) || ref.startsWith('refs/tags/')) return undefined;
    return ref.replace(/^refs\/heads\//, '');
  }
  if (env.GITHUB_HEAD_REF) return env.GITHUB_HEAD_REF;
  const ref = env.GITHUB_REF ?? '';
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
}

/**
 * An image given without tag or digest gets the commit's tag as the build action writes it
 * (`sha-<short sha>`), so a deployment event of a sha needs no glue to name its image.
 */
function withShaTag(image: string, sha: string): string {
  if (image === '' || sha === '') return image;
  let reference;
  try {
    reference = parseImageReference('image', image);
  } catch {
    return image; // parseDeploySpec reports it, with the other input errors
  }
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

type HealthInput = (typeof HEALTH_CHECK_INPUTS)[number];

/**
 * The health check's inputs after the rollout, and the names the user wrote for them: the root
 * action's health-check inputs (`url` and friends; `health-timeout` is the per-request timeout),
 * or else `health-url` and `health-deadline` with the defaults. `url` is '' when there is none.
 */
function healthInputs(
  withHealthInputs: boolean,
  raw: Readonly<Record<'health-url' | 'health-deadline', string>>,
): { values: Record<HealthInput, string>; names: Partial<Record<HealthInput, string>> } {
  const names: Partial<Record<HealthInput, string>> = withHealthInputs
    ? { timeout: 'health-timeout' }
    : { url: 'health-url', deadline: 'health-deadline' };
  const given = (name: HealthInput): string => (withHealthInputs ? core.getInput(names[name] ?? name) : '');
  const values = Object.fromEntries(HEALTH_CHECK_INPUTS.map((name) => [name, given(name)])) as Record<
    HealthInput,
    string
  >;
  if (values.url === '' && raw['health-url'] !== '') {
    values.url = raw['health-url'];
    names.url = 'health-url';
  }
  if (values.deadline === '') {
    values.deadline = raw['health-deadline'] || '60s';
    if (raw['health-deadline'] !== '') names.deadline = 'health-deadline';
  }
  return { values, names };
}
