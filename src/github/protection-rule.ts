/**
 * Rollgate as a custom deployment protection rule: a workflow job that names an environment where
 * the App is enabled waits until the App answers the `deployment_protection_rule.requested` event
 * through the callback `POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`
 * (https://docs.github.com/rest/actions/workflow-runs#review-custom-deployment-protection-rules-for-a-workflow-run).
 * With `state` the answer approves or rejects the job; without it the post is a status report.
 * GitHub's guide allows at most 10 status reports per deployment, each up to 1,024 characters
 * (github/docs, content/actions/how-tos/deploy/configure-and-manage-deployments/create-custom-protection-rules.md).
 */
import type { RestEndpointMethodTypes } from '@octokit/rest';
import { RollgateError } from '../errors.ts';
import { capBody } from './markdown.ts';
import { requestFailure, type RequestFailure } from './request-failure.ts';

/** The longest comment GitHub takes with an answer or a status report. */
export const PROTECTION_RULE_COMMENT_LIMIT = 1024;

/** What a `deployment_protection_rule.requested` event asks, read once at the trust boundary. */
export interface ProtectionRuleEvent {
  /** The environment the waiting job names, as GitHub spells it in the event. */
  readonly environment: string;
  /** The event that started the workflow run (`push`, `pull_request`, …). */
  readonly event: string;
  readonly sha: string;
  readonly ref: string;
  /** The workflow run waiting on the rule, from `deployment_callback_url`. */
  readonly runId: number;
  readonly callbackUrl: string;
  /** The Deployment GitHub created for the job (it carries no payload of Rollgate's). */
  readonly deploymentId: number;
  readonly repository: { readonly owner: string; readonly name: string };
  /** The installation to answer with. */
  readonly installationId: number;
  /** Who the event is from: the user who started the run. */
  readonly sender: string;
}

/** A `deployment_protection_rule` payload Rollgate cannot act on. */
export class ProtectionRuleEventError extends RollgateError {
  constructor(what: string) {
    super(
      `The deployment_protection_rule event cannot be used: ${what}.`,
      'GitHub sends this event with the environment, the deployment, the callback URL and the installation.',
      'Redeliver the event from the App settings (Advanced → Recent Deliveries); if it still fails, report the payload.',
    );
  }
}

/** GitHub refused an answer or a status report for a reason other than "nothing pending". */
export class ProtectionRuleAnswerError extends RollgateError {
  readonly status: number | undefined;

  constructor(what: string, why: string, fix: string, status: number | undefined) {
    super(what, why, fix);
    this.status = status;
  }
}

/**
 * Reads the event: every field the App needs must be there, with its type; the run id comes from
 * the callback URL, the only place GitHub puts it (`…/actions/runs/{run_id}/deployment_protection_rule`).
 */
export function parseProtectionRuleEvent(payload: unknown): ProtectionRuleEvent {
  const root = record(payload, 'the payload');
  if (root.action !== 'requested') {
    throw new ProtectionRuleEventError(`its action is ${JSON.stringify(root.action)}, not "requested"`);
  }
  const deployment = record(root.deployment, '`deployment`');
  const repository = record(root.repository, '`repository`');
  const owner = record(repository.owner, '`repository.owner`');
  const installation = record(root.installation, '`installation`');
  const sender = record(root.sender, '`sender`');
  const callbackUrl = text(root.deployment_callback_url, '`deployment_callback_url`');
  return {
    environment: text(root.environment, '`environment`'),
    event: text(root.event, '`event`'),
    sha: text(deployment.sha, '`deployment.sha`'),
    ref: text(deployment.ref, '`deployment.ref`'),
    runId: runIdOf(callbackUrl),
    callbackUrl,
    deploymentId: id(deployment.id, '`deployment.id`'),
    repository: {
      owner: text(owner.login, '`repository.owner.login`'),
      name: text(repository.name, '`repository.name`'),
    },
    installationId: id(installation.id, '`installation.id`'),
    sender: text(sender.login, '`sender.login`'),
  };
}

function runIdOf(callbackUrl: string): number {
  let path: string;
  try {
    path = new URL(callbackUrl).pathname;
  } catch {
    throw new ProtectionRuleEventError(
      `\`deployment_callback_url\` (${JSON.stringify(callbackUrl)}) is not a URL`,
    );
  }
  const runId = /\/actions\/runs\/(\d+)\/deployment_protection_rule\/?$/.exec(path)?.[1];
  if (runId === undefined) {
    throw new ProtectionRuleEventError(
      `\`deployment_callback_url\` (${JSON.stringify(callbackUrl)}) does not name a workflow run's deployment_protection_rule`,
    );
  }
  return Number(runId);
}

function record(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtectionRuleEventError(`${name} is missing or not an object`);
  }
  return value as Record<string, unknown>;
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new ProtectionRuleEventError(`${name} is missing or not a non-empty string`);
  }
  return value;
}

function id(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ProtectionRuleEventError(`${name} is missing or not a positive integer`);
  }
  return value;
}

const ROUTE = 'POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule';
type ReviewParameters = RestEndpointMethodTypes['actions']['reviewCustomGatesForRun']['parameters'];

/** The slice of Octokit the callback needs: production passes the installation's `octokit`. */
export interface ProtectionRuleApi {
  request(route: typeof ROUTE, parameters: ReviewParameters): Promise<{ readonly status: number }>;
}

export interface ProtectionRuleTarget {
  readonly owner: string;
  readonly repo: string;
  readonly runId: number;
  /** The environment as the event names it. */
  readonly environment: string;
}

/**
 * How a post went: `posted`, GitHub took it; `not-pending`, the run has nothing of this App's
 * pending for the environment — already answered (by a redelivered event, or another replica),
 * so there is nothing left to do. GitHub answers that with 422 (martincostello/costellobot#1311
 * meets the same 422 in a race right after the event, before GitHub shows the rule as pending).
 */
export type ProtectionRuleOutcome = 'posted' | 'not-pending';

/**
 * Approves or rejects the job waiting on `environment`. The comment is cut to GitHub's 1,024
 * characters (saying so at its end), so an answer is never refused for its length; a 422 then
 * means the rule is no longer pending: `not-pending`, not an error.
 */
export async function answerProtectionRule(
  api: ProtectionRuleApi,
  answer: ProtectionRuleTarget & { readonly state: 'approved' | 'rejected'; readonly comment: string },
): Promise<ProtectionRuleOutcome> {
  return post(
    api,
    answer,
    { state: answer.state, comment: answer.comment },
    answer.state === 'approved' ? 'approve' : 'reject',
  );
}

/**
 * Posts a status report (no decision) on the waiting job, cut to 1,024 characters. A 422 — the
 * rule was answered meanwhile, or GitHub's 10 reports are used up — is `not-pending`: a report is
 * information, never worth failing the handler for.
 */
export async function reportProtectionStatus(
  api: ProtectionRuleApi,
  report: ProtectionRuleTarget & { readonly comment: string },
): Promise<ProtectionRuleOutcome> {
  return post(api, report, { comment: report.comment }, 'post a status report on');
}

async function post(
  api: ProtectionRuleApi,
  target: ProtectionRuleTarget,
  decision: { readonly state?: 'approved' | 'rejected'; readonly comment: string },
  verb: string,
): Promise<ProtectionRuleOutcome> {
  const comment = capBody(decision.comment, PROTECTION_RULE_COMMENT_LIMIT);
  const parameters: ReviewParameters =
    decision.state === undefined
      ? {
          owner: target.owner,
          repo: target.repo,
          run_id: target.runId,
          environment_name: target.environment,
          comment,
        }
      : {
          owner: target.owner,
          repo: target.repo,
          run_id: target.runId,
          environment_name: target.environment,
          state: decision.state,
          comment,
        };
  try {
    await api.request(ROUTE, parameters);
    return 'posted';
  } catch (error) {
    const failure = requestFailure(error);
    if (failure?.status === 422) return 'not-pending';
    throw answerError(target, verb, failure, error);
  }
}

function answerError(
  target: ProtectionRuleTarget,
  verb: string,
  failure: RequestFailure | undefined,
  error: unknown,
): ProtectionRuleAnswerError {
  const said = failure?.message ?? (error instanceof Error ? error.message : String(error));
  const what = `GitHub refused to let Rollgate ${verb} the deployment of workflow run ${target.runId} to ${target.environment} in ${target.owner}/${target.repo}: ${said.trim() || 'no answer'} (HTTP ${failure?.status ?? '?'}).`;
  const permissionMissing =
    failure?.status === 403 &&
    (failure.headers['x-accepted-github-permissions'] !== undefined || /not accessible/i.test(said));
  if (failure && permissionMissing) {
    return new ProtectionRuleAnswerError(
      what,
      'Only the App that is the protection rule may answer it, with an installation token that has "Deployments: read and write".',
      'Grant the App "Deployments: read and write" (and "Actions: read") on the repository, and enable it as a deployment protection rule on the environment.',
      failure.status,
    );
  }
  if (failure?.status === 404) {
    return new ProtectionRuleAnswerError(
      what,
      'The workflow run is gone, or the installation cannot see the repository.',
      'Check that the App is installed on the repository; a deleted run needs no answer.',
      failure.status,
    );
  }
  return new ProtectionRuleAnswerError(
    what,
    'GitHub did not take the answer; the job keeps waiting (up to 30 days).',
    'The App answers again when the gate changes; redeliver the event to answer now.',
    failure?.status,
  );
}
