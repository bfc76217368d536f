/**
 * The callback of a custom deployment protection rule
 * (https://docs.github.com/rest/actions/workflow-runs#review-custom-deployment-protection-rules-for-a-workflow-run):
 * with `state` the App approves or rejects the job waiting on an environment, without it posts a
 * status report. GitHub's rules, as its guide states them
 * (github/docs, content/actions/how-tos/deploy/configure-and-manage-deployments/create-custom-protection-rules.md):
 * at most 10 status reports per deployment, each at most 1,024 characters; 204 on success.
 * Only installation tokens may call it, with "Deployments: write"
 * (https://docs.github.com/rest/authentication/permissions-required-for-github-apps#repository-permissions-for-deployments),
 * and an App reviews only its own rules. A run with nothing of ours pending for the environment —
 * a rule already answered, or not yet pending — answers 422: GitHub's API validation error that
 * martincostello/costellobot#1311 retries (Octokit.NET's `ApiValidationException` is its 422).
 * The 422 messages are the test server's words; GitHub's are not documented.
 */
import type {
  DeploymentRecord,
  ProtectionRuleRecord,
  RepositoryRecord,
  WorkflowRunRecord,
} from '../state.ts';
import {
  ApiError,
  bodyOf,
  integerParam,
  notFound,
  requireAccount,
  requireInstallationPermission,
  requireRepository,
  type ApiRequest,
  type RouteContext,
  type RouteTable,
} from './handler.ts';

/** "Status reports … can be up to 1024 characters long." */
export const PROTECTION_RULE_COMMENT_LIMIT = 1024;
/** "You can post a status report on the same deployment up to 10 times." */
export const PROTECTION_RULE_REPORT_LIMIT = 10;

export const protectionRuleRoutes: RouteTable = {
  'actions/review-custom-gates-for-run': (request, context) => {
    const repository = requireRepository(request, context);
    requireInstallationToken(request);
    requireInstallationPermission(request, context, 'deployments', 'write');
    const run = repository.workflowRuns.get(integerParam(request, 'run_id'));
    if (!run) throw notFound();
    const body = bodyOf(request, 'actions/review-custom-gates-for-run');
    const rule = pendingRule(run, body.environment_name);
    const comment = body.comment ?? '';
    // The guide says characters; counted as code points, the more lenient reading (an emoji is one).
    if (Array.from(comment).length > PROTECTION_RULE_COMMENT_LIMIT) {
      throw new ApiError(
        422,
        `Comment is too long (maximum is ${PROTECTION_RULE_COMMENT_LIMIT} characters).`,
      );
    }
    if (!('state' in body)) {
      if (rule.reports.length >= PROTECTION_RULE_REPORT_LIMIT) {
        throw new ApiError(
          422,
          `No more status reports can be posted for this deployment (maximum is ${PROTECTION_RULE_REPORT_LIMIT}).`,
        );
      }
      rule.reports.push(comment);
      return { status: 204 };
    }
    answer(context, repository, run, rule, body.state, comment);
    return { status: 204 };
  },
};

/** GitHub Apps review their own rules: only an installation access token may call the route. */
function requireInstallationToken(request: ApiRequest): void {
  requireAccount(request);
  if (request.actor.kind !== 'installation') {
    throw new ApiError(403, 'Resource not accessible by personal access token');
  }
}

/** The environment's rule that still waits for this App (names compare without regard to case). */
function pendingRule(run: WorkflowRunRecord, environment: string): ProtectionRuleRecord {
  const rule = run.rules.find(
    (r) => r.environment.toLowerCase() === environment.toLowerCase() && r.state === 'waiting',
  );
  if (!rule) {
    throw new ApiError(
      422,
      `No pending deployment protection rule of this app for environment '${environment}' on workflow run ${run.id}.`,
    );
  }
  return rule;
}

/**
 * Records the answer and what GitHub does next with the job's Deployment: approved, the job is
 * queued and the deployment's newest status is `queued` (CloudSnorkel/cdk-github-runners#416,
 * runs-on/runs-on#386); rejected, the deployment fails (`failure`) and so does the run
 * (damianvtran/local-operator#691: "The deployment was rejected or didn't satisfy other
 * protection rules"). GitHub's first status of such a deployment is `waiting`, a state GitHub's
 * OpenAPI description does not list, so the test server records no status until the answer.
 */
function answer(
  context: RouteContext,
  repository: RepositoryRecord,
  run: WorkflowRunRecord,
  rule: ProtectionRuleRecord,
  state: 'approved' | 'rejected',
  comment: string,
): void {
  rule.state = state;
  rule.comment = comment;
  const deployment = repository.deployments.get(rule.deploymentId);
  if (deployment)
    addStatus(context, repository, run, deployment, state === 'approved' ? 'queued' : 'failure');
  if (state === 'rejected') {
    run.status = 'completed';
    run.conclusion = 'failure';
  } else if (run.rules.every((r) => r.state === 'approved')) {
    run.status = 'queued';
  }
}

function addStatus(
  context: RouteContext,
  repository: RepositoryRecord,
  run: WorkflowRunRecord,
  deployment: DeploymentRecord,
  state: 'queued' | 'failure',
): void {
  const now = context.state.now();
  const runUrl = `${context.links.web}/${repository.fullName}/actions/runs/${run.id}`;
  deployment.statuses.push({
    id: context.state.nextId(),
    deploymentId: deployment.id,
    state,
    description: '',
    environment: deployment.environment,
    targetUrl: runUrl,
    logUrl: runUrl,
    environmentUrl: '',
    creator: run.actor,
    viaApp: false,
    createdAt: now,
  });
  deployment.updatedAt = now;
}
