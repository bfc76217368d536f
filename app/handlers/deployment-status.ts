import type { Context } from 'probot';
import { checkRunName, renderCheckRun } from '../../src/github/check-runs.ts';
import { parseDeploymentStatusEvent } from '../../src/github/deployment-event.ts';
import { nextCheckRunStatus, releasesMarker } from '../decisions/deployment-status.ts';
import { dropMarker, readEnvironmentState } from './environment-state.ts';
import { byThisApp, gitHubIo } from './github-io.ts';
import { reconciledWrite } from './reconciled-write.ts';
import { updateStickyRow } from './sticky.ts';

/**
 * A deployment status (from the workflow): moves the `rollgate / <env>` check run on the sha
 * forward (never back: events arrive in any order), updates the pull request's sticky row, and on
 * a final state ends the environment's marker when this deployment is the one that took it.
 * Every write here is idempotent (a PATCH, a ref deletion) or read back (the sticky comment), so a
 * redelivered event changes nothing twice.
 */
const FAILED: ReadonlySet<string> = new Set(['failure', 'error']);

export async function handleDeploymentStatus(context: Context<'deployment_status.created'>): Promise<void> {
  const event = parseDeploymentStatusEvent(context.payload);
  const io = await gitHubIo(context);
  const name = checkRunName(event.environment);
  const [runs, state] = await Promise.all([
    io.octokit.rest.checks.listForRef({ ...io.repo, ref: event.sha, check_name: name, filter: 'all' }),
    readEnvironmentState(io.git, io.repo, [event.environment]),
  ]);
  const run = runs.data.check_runs.find(
    (r) => r.external_id === String(event.deploymentId) && byThisApp(io, r.app),
  );
  const next = run === undefined ? undefined : nextCheckRunStatus(run, event.state);
  const failures: unknown[] = [];
  if (run !== undefined && next !== undefined) {
    // A PATCH with the whole new state is idempotent: sending it again after a failure is safe.
    const update = () =>
      io.octokit.rest.checks.update({
        ...io.repo,
        check_run_id: run.id,
        ...next,
        ...(event.logUrl ? { details_url: event.logUrl } : {}),
        output: renderCheckRun({
          environment: event.environment,
          state: event.state,
          version: event.version,
          sha: event.sha,
          requester: event.requester,
          deploymentId: event.deploymentId,
          description: event.description,
          logUrl: event.logUrl,
          environmentUrl: event.environmentUrl,
        }),
      });
    await reconciledWrite(update, () => Promise.resolve(undefined)).catch((error: unknown) =>
      failures.push(error),
    );
  }
  if (event.pullRequest !== undefined) {
    await updateStickyRow(io, event.pullRequest, {
      environment: event.environment,
      state: event.state,
      version: event.version,
      sha: event.sha,
      by: event.requester,
      deploymentId: event.deploymentId,
      logUrl: event.logUrl,
      environmentUrl: event.environmentUrl,
      updatedAt: event.updatedAt,
      // The deploy action's failure status says so when it rolled back (src/deploy/run.ts).
      rolledBack: FAILED.has(event.state) && /\brolled back\b/i.test(event.description ?? ''),
    }).catch((error: unknown) => failures.push(error));
  }
  const marker = state.markers.get(event.environment);
  if (marker !== undefined && releasesMarker(event.state, marker, event.payload))
    await dropMarker(io.git, io.repo, event.environment, marker.sha);
  // Reported after the marker is handled, so a failed extra never strands the environment.
  if (failures.length > 0) throw failures[0];
}
