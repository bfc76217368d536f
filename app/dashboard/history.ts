/**
 * An environment's history as the dashboard shows it: Rollgate's Deployments (deploys and
 * `deploy:rollback`s) with who asked, their final state, how long they took from creation to that
 * state, the run that carried them out (the status' `log_url`) and the pull request the payload
 * names (`pull_request`, written by `/deploy` and `/rollback`: app/handlers/deploy-command.ts,
 * rollback-command.ts). One page of 100 Deployments, their statuses read in parallel.
 */
import {
  payloadVersion,
  type GitHubDeployment,
  type GitHubDeploymentStatus,
  type Repo,
} from '../../src/github/deployments.ts';
import { linkable } from '../../src/github/sticky-comment.ts';
import { payloadRecord } from '../../src/json/record.ts';
import type { DeliveryRecord } from './delivery-metrics.ts';
import type { InstallationGitHub } from './environments.ts';

/** One Deployment of the history. */
export interface DeploymentEntry {
  readonly id: number;
  readonly environment: string;
  readonly task: 'deploy' | 'deploy:rollback';
  /** Undefined for an automatic rollback to a version Rollgate never stamped. */
  readonly version: string | undefined;
  readonly sha: string;
  readonly by: string | undefined;
  readonly createdAt: string;
  /** The newest status' state; undefined before the first status. */
  readonly state: string | undefined;
  /** The final status (success, failure or error): `inactive` later only says a newer one took over. */
  readonly final: { readonly state: 'success' | 'failure' | 'error'; readonly at: string } | undefined;
  /** From creation to the final status. */
  readonly durationMs: number | undefined;
  readonly logUrl: string | undefined;
  readonly pullRequest: number | undefined;
  /** A rollback's `rolled_back_from`: the version it replaced. */
  readonly rolledBackFrom: string | undefined;
}

const FINAL = new Set(['success', 'failure', 'error']);

/**
 * Whether Rollgate made the Deployment: a `deploy` or `deploy:rollback` carrying its `version`, or
 * an automatic rollback, which names the version it replaced (`rolled_back_from`, src/deploy/run.ts)
 * and may carry no version of its own. The Deployments GitHub makes for workflow jobs carry neither.
 */
function ours(deployment: GitHubDeployment): boolean {
  if (deployment.task !== 'deploy' && deployment.task !== 'deploy:rollback') return false;
  if (payloadVersion(deployment) !== undefined) return true;
  return (
    deployment.task === 'deploy:rollback' && payloadRecord(deployment.payload)?.rolled_back_from !== undefined
  );
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** One Deployment and its statuses (newest first, as GitHub lists them) as a history entry. */
export function deploymentEntry(
  deployment: GitHubDeployment,
  statuses: readonly GitHubDeploymentStatus[],
): DeploymentEntry {
  const payload = payloadRecord(deployment.payload) ?? {};
  const finalStatus = statuses.find((s) => FINAL.has(s.state));
  const finalAt = finalStatus === undefined ? undefined : finalStatus.created_at;
  const duration =
    finalAt === undefined ? Number.NaN : Date.parse(finalAt) - Date.parse(deployment.created_at);
  const logUrl = [finalStatus, ...statuses].map((s) => s?.log_url).find((url) => linkable(url ?? undefined));
  const pull = payload.pull_request;
  return {
    id: deployment.id,
    environment: deployment.environment,
    task: deployment.task === 'deploy:rollback' ? 'deploy:rollback' : 'deploy',
    version: payloadVersion(deployment),
    sha: deployment.sha,
    by: text(payload.requester) ?? deployment.creator?.login,
    createdAt: deployment.created_at,
    state: statuses[0]?.state,
    final:
      finalStatus === undefined
        ? undefined
        : { state: finalStatus.state as 'success' | 'failure' | 'error', at: finalStatus.created_at },
    durationMs: Number.isFinite(duration) ? Math.max(0, duration) : undefined,
    logUrl: logUrl ?? undefined,
    pullRequest: typeof pull === 'number' && Number.isSafeInteger(pull) && pull > 0 ? pull : undefined,
    rolledBackFrom: text(payload.rolled_back_from),
  };
}

/** Rollgate's Deployments of `repo` (of one environment when named), newest first. */
export async function readDeploymentEntries(
  github: InstallationGitHub,
  repo: Repo,
  environment?: string,
): Promise<DeploymentEntry[]> {
  const { data } = await github.repos.listDeployments({
    ...repo,
    ...(environment === undefined ? {} : { environment }),
    per_page: 100,
  });
  const mine = data.filter(ours);
  const statuses = await Promise.all(
    mine.map(
      async (d) =>
        (await github.repos.listDeploymentStatuses({ ...repo, deployment_id: d.id, per_page: 100 })).data,
    ),
  );
  return mine.map((d, i) => deploymentEntry(d, statuses[i] ?? [])).sort((a, b) => b.id - a.id);
}

/** What runs in each environment (lower-cased name): its newest Deployment that succeeded. */
export function liveByEnvironment(entries: readonly DeploymentEntry[]): Map<string, DeploymentEntry> {
  const live = new Map<string, DeploymentEntry>();
  for (const entry of [...entries].sort((a, b) => b.id - a.id)) {
    const key = entry.environment.toLowerCase();
    if (entry.final?.state === 'success' && !live.has(key)) live.set(key, entry);
  }
  return live;
}

/** The entries the metrics read, each with its commit's time (`commitTimes` by sha). */
export function deliveryRecords(
  entries: readonly DeploymentEntry[],
  commitTimes: ReadonlyMap<string, number>,
): DeliveryRecord[] {
  return entries.map((e) => ({
    id: e.id,
    environment: e.environment,
    task: e.task,
    createdAt: Date.parse(e.createdAt),
    outcome: e.final === undefined ? undefined : e.final.state === 'success' ? 'success' : 'failure',
    finishedAt: e.final === undefined ? undefined : Date.parse(e.final.at),
    commitAt: commitTimes.get(e.sha),
  }));
}

/**
 * When each commit was made (its committer date: when it reached the branch it was deployed
 * from), by sha; a commit GitHub does not find is left out. Read in parallel, one call per commit.
 */
export async function readCommitTimes(
  github: InstallationGitHub,
  repo: Repo,
  shas: Iterable<string>,
): Promise<Map<string, number>> {
  const unique = [...new Set(shas)];
  const times = await Promise.all(
    unique.map(async (sha) => {
      try {
        const { data } = await github.git.getCommit({ ...repo, commit_sha: sha });
        return Date.parse(data.committer.date);
      } catch (error) {
        // A commit GitHub no longer has (a force-push dropped it) only leaves its lead time out.
        const status = (error as { status?: unknown } | null)?.status;
        if (status === 404 || status === 422) return Number.NaN;
        throw error;
      }
    }),
  );
  return new Map(unique.flatMap((sha, i) => (Number.isFinite(times[i]) ? [[sha, times[i] ?? 0]] : [])));
}
