import type { Context } from 'probot';
import { checkRunName, checkRunStatus, renderCheckRun } from '../../src/github/check-runs.ts';
import { release } from '../../src/github/environment-refs.ts';
import { updateStickyComment } from './sticky.ts';

const FINAL = new Set(['success', 'failure', 'error', 'inactive']);

/**
 * A deployment status (from the workflow): moves the `rollgate / <env>` check run on the sha
 * (queued → in_progress → success/failure), edits the pull request's sticky comment, and on a
 * final state ends the environment's deploy-in-progress marker.
 */
export async function handleDeploymentStatus(context: Context<'deployment_status.created'>): Promise<void> {
  const { deployment, deployment_status: status } = context.payload;
  const repo = context.repo();
  const payload = (
    typeof deployment.payload === 'object' && deployment.payload !== null ? deployment.payload : {}
  ) as { version?: string; requester?: string; pull_request?: number };
  const version = payload.version ?? deployment.sha.slice(0, 7);
  const requester = payload.requester ?? deployment.creator?.login ?? 'someone';
  const facts = {
    environment: deployment.environment,
    state: status.state,
    version,
    sha: deployment.sha,
    requester,
    deploymentId: deployment.id,
    description: status.description || undefined,
    logUrl: status.log_url || status.target_url || undefined,
    environmentUrl: status.environment_url ?? undefined,
  };

  const { data: runs } = await context.octokit.rest.checks.listForRef({
    ...repo,
    ref: deployment.sha,
    check_name: checkRunName(deployment.environment),
    filter: 'latest',
  });
  const run = runs.check_runs.find((r) => r.external_id === String(deployment.id));
  const checkStatus = checkRunStatus(status.state);
  if (run !== undefined) {
    await context.octokit.rest.checks.update({
      ...repo,
      check_run_id: run.id,
      ...checkStatus,
      ...(facts.logUrl ? { details_url: facts.logUrl } : {}),
      output: renderCheckRun(facts),
    });
  }
  if (payload.pull_request !== undefined) {
    await updateStickyComment(context, repo, payload.pull_request, {
      environment: deployment.environment,
      state: status.state,
      version,
      sha: deployment.sha,
      by: requester,
      deploymentId: deployment.id,
      logUrl: facts.logUrl,
      environmentUrl: facts.environmentUrl,
      updatedAt: status.updated_at,
    });
  }
  if (FINAL.has(status.state))
    await release(context.octokit.rest.git, repo, 'deploying', deployment.environment);
}
