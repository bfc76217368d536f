import type { RestEndpointMethodTypes } from '@octokit/rest';
import { RollgateError } from '../errors.ts';
import { payloadRecord } from '../json/record.ts';

export type GitHubDeployment = RestEndpointMethodTypes['repos']['getDeployment']['response']['data'];
export type GitHubDeploymentStatus =
  RestEndpointMethodTypes['repos']['getDeploymentStatus']['response']['data'];
export type DeploymentState =
  'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';

export interface Repo {
  readonly owner: string;
  readonly repo: string;
}

type Repos = RestEndpointMethodTypes['repos'];
type Endpoint<K extends keyof Repos> = (
  params: Repos[K]['parameters'],
) => Promise<Pick<Repos[K]['response'], 'status' | 'data'>>;

/** The slice of Octokit's `rest.repos` the tracker uses: production passes `octokit.rest.repos`. */
export interface DeploymentsApi {
  createDeployment: Endpoint<'createDeployment'>;
  createDeploymentStatus: Endpoint<'createDeploymentStatus'>;
  listDeployments: Endpoint<'listDeployments'>;
  listDeploymentStatuses: Endpoint<'listDeploymentStatuses'>;
}

export interface DeploymentRequest {
  readonly ref: string;
  readonly environment: string;
  readonly task: 'deploy' | 'deploy:rollback';
  readonly payload: Record<string, unknown>;
  readonly description: string;
  readonly productionEnvironment?: boolean;
  readonly transientEnvironment?: boolean;
  /** Contexts that must be green; [] skips GitHub's check (the workflow already gates). */
  readonly requiredContexts?: readonly string[];
}

/**
 * GitHub did not create a Deployment. Carries the HTTP status and headers, so a caller can tell
 * "try again" (5xx, a dropped connection, `retry-after`) from "this will not work" (409, 422).
 */
export class DeploymentRequestError extends RollgateError {
  readonly status: number | undefined;
  readonly response: { readonly headers: Readonly<Record<string, string | undefined>> } | undefined;

  constructor(
    what: string,
    why: string,
    fix: string,
    status: number | undefined,
    headers: Readonly<Record<string, string | undefined>> | undefined,
  ) {
    super(what, why, fix);
    this.status = status;
    this.response = headers === undefined ? undefined : { headers };
  }
}

/** GitHub limits a status description to 140 characters. */
const DESCRIPTION_LIMIT = 140;

/**
 * Creates a GitHub Deployment. `auto_merge` is off (a deploy must not merge the default branch
 * into the ref behind the user's back) and GitHub's two non-deployment answers are explained:
 * 202 (it merged instead) and 409 (required status contexts are not green).
 */
export async function createDeployment(
  api: DeploymentsApi,
  repo: Repo,
  request: DeploymentRequest,
): Promise<GitHubDeployment> {
  let response: Awaited<ReturnType<DeploymentsApi['createDeployment']>>;
  try {
    response = await api.createDeployment({
      ...repo,
      ref: request.ref,
      environment: request.environment,
      task: request.task,
      payload: request.payload,
      description: truncate(request.description),
      auto_merge: false,
      ...(request.requiredContexts === undefined ? {} : { required_contexts: [...request.requiredContexts] }),
      ...(request.productionEnvironment === undefined
        ? {}
        : { production_environment: request.productionEnvironment }),
      ...(request.transientEnvironment === undefined
        ? {}
        : { transient_environment: request.transientEnvironment }),
    });
  } catch (error) {
    const failure = error as {
      status?: number;
      message?: string;
      response?: { data?: { message?: string }; headers?: Record<string, string | undefined> };
    };
    const status = failure.status;
    const message = failure.response?.data?.message ?? failure.message ?? String(error);
    const headers = failure.response?.headers;
    if (status === 409) {
      throw new DeploymentRequestError(
        `GitHub refused to create a deployment of ${request.ref} to ${request.environment}: ${message}`,
        'GitHub requires every commit status of the ref to be success before it deploys it.',
        'Wait for the checks to pass (or fix them), then deploy again.',
        status,
        headers,
      );
    }
    throw new DeploymentRequestError(
      `Creating a deployment of ${request.ref} to ${request.environment} failed: ${message} (HTTP ${status ?? '?'}).`,
      'The GitHub API refused the request.',
      'Check that the ref exists and the token may write deployments (permissions: deployments: write).',
      status,
      headers,
    );
  }
  const data = response.data;
  if (response.status === 202 || !('id' in data)) {
    const message = 'message' in data && typeof data.message === 'string' ? data.message : 'it answered 202';
    throw new RollgateError(
      `GitHub did not create a deployment of ${request.ref}: ${message}.`,
      'The ref is behind the default branch and GitHub merged instead of deploying.',
      'Update the branch, then deploy again.',
    );
  }
  return data;
}

export interface StatusDetails {
  readonly logUrl?: string | undefined;
  readonly environmentUrl?: string | undefined;
  readonly description?: string | undefined;
}

/** Records a deployment status; `log_url` links the run, `environment_url` the deployed service. */
export async function setDeploymentStatus(
  api: DeploymentsApi,
  repo: Repo,
  deploymentId: number,
  state: DeploymentState,
  details: StatusDetails = {},
): Promise<GitHubDeploymentStatus> {
  const { data } = await api.createDeploymentStatus({
    ...repo,
    deployment_id: deploymentId,
    state,
    ...(details.logUrl ? { log_url: details.logUrl } : {}),
    ...(details.environmentUrl ? { environment_url: details.environmentUrl } : {}),
    ...(details.description ? { description: truncate(details.description) } : {}),
  });
  return data;
}

/** A deployment's newest status (GitHub lists statuses newest first); undefined before the first. */
export async function latestStatus(
  api: DeploymentsApi,
  repo: Repo,
  deploymentId: number,
): Promise<GitHubDeploymentStatus | undefined> {
  const { data } = await api.listDeploymentStatuses({ ...repo, deployment_id: deploymentId, per_page: 1 });
  return data[0];
}

/**
 * Deployments of `environment` with `task` that went live — their newest status is `success`,
 * or `inactive` (superseded after succeeding) — newest first, stopping once `enough` are found.
 */
export async function liveDeployments(
  api: DeploymentsApi,
  repo: Repo,
  environment: string,
  task: string,
  enough = Number.POSITIVE_INFINITY,
  scan = 50,
): Promise<GitHubDeployment[]> {
  const { data: deployments } = await api.listDeployments({ ...repo, environment, task, per_page: scan });
  const live: GitHubDeployment[] = [];
  for (const deployment of deployments) {
    if (live.length >= enough) break;
    const state = (await latestStatus(api, repo, deployment.id))?.state;
    if (state === 'success' || state === 'inactive') live.push(deployment);
  }
  return live;
}

/** The `version` a Rollgate deployment carries in its payload, if any. */
export function payloadVersion(deployment: GitHubDeployment): string | undefined {
  const version = payloadObject(deployment)?.version;
  return typeof version === 'string' && version !== '' ? version : undefined;
}

/**
 * A GitHub Deployment that Rollgate made, as Rollgate reads its own record: what it deployed
 * (version, commit), its newest state, and — for a rollback — the deployment it reverted.
 */
export interface RollgateDeployment {
  readonly id: number;
  readonly task: 'deploy' | 'deploy:rollback';
  readonly version: string;
  readonly sha: string;
  /** The newest status' state; undefined before the first status. */
  readonly state: DeploymentState | undefined;
  readonly requester: string | undefined;
  /** When its newest status (or, without one, the deployment) was written. */
  readonly since: string;
  /** A rollback's `failed_deployment_id`: the deployment it reverted, when it names one. */
  readonly replaces: number | undefined;
}

const DEPLOYMENT_STATES: readonly DeploymentState[] = [
  'error',
  'failure',
  'inactive',
  'in_progress',
  'queued',
  'pending',
  'success',
];

/**
 * Reads a GitHub Deployment as a Rollgate record, or undefined when Rollgate did not make it.
 * Rollgate's deployments (`deploy` or `deploy:rollback`) always carry the `version` in their
 * payload; the Deployments GitHub creates itself for workflow jobs that declare `environment:`
 * carry none of ours (PLATFORM-NOTES, "What GitHub does that a test server must model") and
 * tell nothing about what runs.
 */
export function rollgateDeployment(
  deployment: GitHubDeployment,
  status: GitHubDeploymentStatus | undefined,
): RollgateDeployment | undefined {
  const version = payloadVersion(deployment);
  const task = deployment.task;
  if (version === undefined || (task !== 'deploy' && task !== 'deploy:rollback')) return undefined;
  const payload = payloadObject(deployment) ?? {};
  const requester = payload.requester;
  const replaces = payload.failed_deployment_id;
  const state = DEPLOYMENT_STATES.find((s) => s === status?.state);
  return {
    id: deployment.id,
    task,
    version,
    sha: deployment.sha,
    state,
    requester: typeof requester === 'string' ? requester : deployment.creator?.login,
    since: status?.updated_at ?? deployment.created_at,
    replaces: typeof replaces === 'number' ? replaces : undefined,
  };
}

/**
 * Rollgate's own records of `environment`, newest first: one page of its Deployments (all tasks,
 * since a rollback is `deploy:rollback`), those Rollgate did not make left out, each with its
 * newest status (read in parallel).
 */
export async function rollgateHistory(
  api: DeploymentsApi,
  repo: Repo,
  environment: string,
  scan = 30,
): Promise<RollgateDeployment[]> {
  const { data: deployments } = await api.listDeployments({ ...repo, environment, per_page: scan });
  const ours = deployments.filter((d) => rollgateDeployment(d, undefined) !== undefined);
  const statuses = await Promise.all(ours.map((d) => latestStatus(api, repo, d.id)));
  return ours
    .map((d, i) => rollgateDeployment(d, statuses[i]))
    .filter((r): r is RollgateDeployment => r !== undefined)
    .sort((a, b) => b.id - a.id);
}

function payloadObject(deployment: GitHubDeployment): Record<string, unknown> | undefined {
  return payloadRecord(deployment.payload);
}

function truncate(text: string): string {
  return text.length <= DESCRIPTION_LIMIT ? text : `${text.slice(0, DESCRIPTION_LIMIT - 1)}…`;
}
