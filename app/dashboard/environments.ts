/**
 * What the overview shows of one repository: every environment — those GitHub lists and those
 * deployed to — with what is live there (the newest Rollgate Deployment, else the newest of any
 * kind, and its newest status), since when, by whom, and who holds its lock. Read with the App's
 * installation token; the reads are independent and run in parallel.
 */
import type { RestEndpointMethodTypes } from '@octokit/rest';
import {
  payloadVersion,
  rollgateDeployment,
  type DeploymentsApi,
  type GitHubDeployment,
  type GitHubDeploymentStatus,
  type Repo,
} from '../../src/github/deployments.ts';
import type { ContentsApi } from '../../src/config/load.ts';
import type { CommitChecksApi } from '../../src/github/gate-facts.ts';
import type { TeamsApi } from '../../src/github/teams.ts';
import {
  readEnvironmentRefs,
  readLockHolder,
  type GitRefsApi,
  type LockHolder,
} from '../../src/github/environment-refs.ts';

/** One environment's line on the dashboard. */
export interface EnvironmentRow {
  readonly environment: string;
  readonly deploymentId: number | undefined;
  readonly version: string | undefined;
  readonly sha: string | undefined;
  readonly state: string | undefined;
  /** When the newest status (else the deployment) was written. */
  readonly since: string | undefined;
  readonly by: string | undefined;
  readonly lock: { readonly holder: string; readonly since: string } | undefined;
}

type GetAllEnvironments = (
  params: RestEndpointMethodTypes['repos']['getAllEnvironments']['parameters'],
) => Promise<Pick<RestEndpointMethodTypes['repos']['getAllEnvironments']['response'], 'data'>>;

type Rest = RestEndpointMethodTypes;
type Endpoint<P, R> = (params: P) => Promise<{ data: R }>;
type Read<Group extends keyof Rest, Name extends keyof Rest[Group]> = Rest[Group][Name] extends {
  parameters: infer P;
  response: { data: infer R };
}
  ? Endpoint<P, R>
  : never;

/**
 * The installation's Octokit, as far as the dashboard reads it: production passes
 * `octokit.rest.*` of the App's installation and the App's id (to tell its own comments and check
 * runs, which hold pending requests, from anyone else's).
 */
export interface InstallationGitHub {
  readonly repos: Pick<DeploymentsApi, 'listDeployments' | 'listDeploymentStatuses'> &
    ContentsApi &
    CommitChecksApi['repos'] & {
      getAllEnvironments: GetAllEnvironments;
      listReleases: Read<'repos', 'listReleases'>;
      compareCommits: Read<'repos', 'compareCommits'>;
    };
  readonly git: GitRefsApi;
  readonly issues: { listCommentsForRepo: Read<'issues', 'listCommentsForRepo'> };
  readonly checks: CommitChecksApi['checks'];
  readonly teams: TeamsApi;
  readonly appId: number | undefined;
}

/** How many deployments of a repository one overview looks at (the newest, one page). */
const DEPLOYMENTS_SCANNED = 100;

/**
 * The newest deployment of each environment (case-insensitive names, as GitHub's are): a Rollgate
 * one when there is any, since a workflow job's own Deployment says nothing of what runs.
 */
export function newestPerEnvironment(
  deployments: readonly GitHubDeployment[],
): Map<string, GitHubDeployment> {
  const newest = new Map<string, GitHubDeployment>();
  const ours = (d: GitHubDeployment): boolean => rollgateDeployment(d, undefined) !== undefined;
  for (const deployment of [...deployments].sort((a, b) => b.id - a.id)) {
    const key = deployment.environment.toLowerCase();
    const known = newest.get(key);
    if (known === undefined || (!ours(known) && ours(deployment))) newest.set(key, deployment);
  }
  return newest;
}

/** One environment's row from its chosen deployment, that deployment's newest status and its lock. */
export function environmentRow(
  environment: string,
  deployment: GitHubDeployment | undefined,
  status: GitHubDeploymentStatus | undefined,
  lock: LockHolder | undefined,
): EnvironmentRow {
  const record = deployment === undefined ? undefined : rollgateDeployment(deployment, status);
  return {
    environment,
    deploymentId: deployment?.id,
    version: deployment === undefined ? undefined : payloadVersion(deployment),
    sha: deployment?.sha,
    state: status?.state,
    since: status?.updated_at ?? status?.created_at ?? deployment?.created_at,
    by: record?.requester ?? deployment?.creator?.login,
    lock: lock === undefined ? undefined : { holder: lock.holder, since: lock.since },
  };
}

/** Every environment of `repo`, sorted by name. */
export async function readEnvironmentRows(github: InstallationGitHub, repo: Repo): Promise<EnvironmentRow[]> {
  const key = `${repo.owner}/${repo.repo}`.toLowerCase();
  const [environments, deployments, refs] = await Promise.all([
    github.repos.getAllEnvironments({ ...repo, per_page: 100 }),
    github.repos.listDeployments({ ...repo, per_page: DEPLOYMENTS_SCANNED }),
    // Read-only: the dashboard never moves an older Rollgate's branches (the handlers do).
    readEnvironmentRefs(github.git, repo, { migrated: new Set([key]) }),
  ]);
  const newest = newestPerEnvironment(deployments.data);
  const names = new Map<string, string>();
  for (const e of environments.data.environments ?? []) names.set(e.name.toLowerCase(), e.name);
  for (const d of newest.values())
    if (!names.has(d.environment.toLowerCase())) names.set(d.environment.toLowerCase(), d.environment);
  const rows = await Promise.all(
    [...names].map(async ([lower, name]) => {
      const deployment = newest.get(lower);
      const lockSha = refs.locks.get(name);
      const [status, lock] = await Promise.all([
        deployment === undefined
          ? undefined
          : github.repos
              .listDeploymentStatuses({ ...repo, deployment_id: deployment.id, per_page: 1 })
              .then(({ data }) => data[0]),
        lockSha === undefined ? undefined : readLockHolder(github.git, repo, lockSha),
      ]);
      return environmentRow(name, deployment, status, lock);
    }),
  );
  return rows.sort((a, b) => a.environment.localeCompare(b.environment));
}
