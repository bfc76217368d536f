/**
 * A repository's views below `/dashboard/<owner>/<repo>`: `/environments/<env>`, `/releases` and
 * `/metrics?days=7|30|90`. Each reads what it shows with the App's installation token, its
 * independent reads in parallel and one page of 100 per list, then renders it.
 */
import { readEnvironmentRefs, readLockHolder } from '../../src/github/environment-refs.ts';
import type { Repo } from '../../src/github/deployments.ts';
import { deliveryMetrics, windowOf, type DeliveryRecord } from './delivery-metrics.ts';
import type { InstallationGitHub } from './environments.ts';
import {
  deliveryRecords,
  liveByEnvironment,
  readCommitTimes,
  readDeploymentEntries,
  type DeploymentEntry,
} from './history.ts';
import { describeRequest, findWaitingRequest } from './pending.ts';
import { readReleases } from './releases.ts';
import { environmentPage, metricsPage, releasesPage, type MetricsSection } from './view-pages.ts';
import { messagePage, repositoryPath } from './page.ts';
import type { VisibleRepository } from './visible-repositories.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ViewRequest {
  readonly github: InstallationGitHub;
  readonly repository: VisibleRepository;
  /** What follows `/dashboard/<owner>/<repo>`, e.g. `/environments/staging`. */
  readonly rest: string;
  readonly query: URLSearchParams;
  /** GitHub's web host, for links to runs, commits and pull requests. */
  readonly webUrl: string;
  readonly now: number;
  /** Approve and Reject for a request waiting on pull request `pull`, when the user can act here. */
  readonly verdictForm?: (environment: string, pull: number) => string;
}

/** The page's HTML for a nonce; undefined when there is no such view (the caller answers 404). */
export type ViewPage = (nonce: string) => string;

async function environmentView(
  request: ViewRequest,
  repo: Repo,
  wanted: string,
): Promise<ViewPage | undefined> {
  const { github } = request;
  const key = `${repo.owner}/${repo.repo}`.toLowerCase();
  const [firstRead, environments, refs, waiting] = await Promise.all([
    readDeploymentEntries(github, repo, wanted),
    github.repos.getAllEnvironments({ ...repo, per_page: 100 }),
    // Read-only: the dashboard never moves an older Rollgate's branches (the handlers do).
    readEnvironmentRefs(github.git, repo, { migrated: new Set([key]) }),
    findWaitingRequest(github, repo, wanted),
  ]);
  let history = firstRead;
  const listed = environments.data.environments?.find((e) => e.name.toLowerCase() === wanted.toLowerCase());
  const environment = listed?.name ?? history[0]?.environment;
  if (environment === undefined) return undefined;
  // GitHub filters Deployments by the exact name: a URL spelled otherwise reads again by GitHub's.
  if (environment !== wanted) history = await readDeploymentEntries(github, repo, environment);
  const live = liveByEnvironment(history).get(environment.toLowerCase());
  const lockSha = [...refs.locks].find(([name]) => name.toLowerCase() === environment.toLowerCase())?.[1];
  const lockRead =
    lockSha === undefined ? Promise.resolve(undefined) : readLockHolder(github.git, repo, lockSha);
  const [lock, pending] = await Promise.all([
    lockRead,
    waiting === undefined
      ? undefined
      : describeRequest(github, repo, waiting, {
          sha: live?.sha,
          lock: lockRead,
          now: new Date(request.now),
        }),
  ]);
  const view = {
    fullName: request.repository.fullName,
    webRepo: `${request.webUrl}/${request.repository.fullName}`,
    environment,
    history,
    live,
    lock: lock === undefined ? undefined : { holder: lock.holder, since: lock.since },
    pending,
    ...(request.verdictForm === undefined || pending === undefined
      ? {}
      : { verdictForm: request.verdictForm(pending.request.environment, pending.request.pull) }),
  };
  return (nonce) => environmentPage(nonce, view);
}

async function releasesView(request: ViewRequest, repo: Repo): Promise<ViewPage> {
  const entries = await readDeploymentEntries(request.github, repo);
  const releases = await readReleases(request.github, repo, liveByEnvironment(entries));
  return (nonce) => releasesPage(nonce, request.repository.fullName, releases);
}

/** The sections of the metrics page: all environments together, then each by name. */
export function metricsSections(
  records: readonly DeliveryRecord[],
  window: { readonly now: number; readonly days: number },
): MetricsSection[] {
  const names = new Map<string, string>();
  for (const r of records)
    if (!names.has(r.environment.toLowerCase())) names.set(r.environment.toLowerCase(), r.environment);
  const each = [...names]
    .sort(([, a], [, b]) => a.localeCompare(b))
    .map(([lower, name]) => ({
      title: name,
      environment: name,
      metrics: deliveryMetrics(
        records.filter((r) => r.environment.toLowerCase() === lower),
        window,
      ),
    }));
  return [
    { title: 'All environments', environment: undefined, metrics: deliveryMetrics(records, window) },
    ...each,
  ];
}

async function metricsView(request: ViewRequest, repo: Repo): Promise<ViewPage> {
  const days = windowOf(request.query.get('days'));
  const entries = await readDeploymentEntries(request.github, repo);
  const from = request.now - days * DAY_MS;
  // Only the commits whose lead time counts: successful deploys created in the window.
  const measured = entries.filter(
    (e: DeploymentEntry) =>
      e.task === 'deploy' && e.final?.state === 'success' && Date.parse(e.createdAt) >= from,
  );
  const times = await readCommitTimes(
    request.github,
    repo,
    measured.map((e) => e.sha),
  );
  const sections = metricsSections(deliveryRecords(entries, times), { now: request.now, days });
  return (nonce) => metricsPage(nonce, request.repository.fullName, days, sections);
}

/** The view `request.rest` names, read and ready to render; undefined when it names none. */
async function readView(request: ViewRequest): Promise<ViewPage | undefined> {
  const repo = { owner: request.repository.owner, repo: request.repository.repo };
  const environment = /^\/environments\/([^/]+)$/.exec(request.rest)?.[1];
  if (environment !== undefined) {
    let name: string;
    try {
      name = decodeURIComponent(environment);
    } catch {
      return undefined;
    }
    return environmentView(request, repo, name);
  }
  if (request.rest === '/releases') return releasesView(request, repo);
  if (request.rest === '/metrics') return metricsView(request, repo);
  return undefined;
}

/** A GitHub answer's status, when the failure was one. */
function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * The answer to a repository's view: 200 and the page; 404 for a view or environment that does
 * not exist; 502 when GitHub did not answer (a page that says so, and the failure in the log).
 */
export async function repositorySubpage(
  request: ViewRequest,
  log: { warn(message: string): void },
): Promise<{ status: number; page: ViewPage }> {
  const back = { href: repositoryPath(request.repository.fullName), text: request.repository.fullName };
  try {
    const view = await readView(request);
    if (view !== undefined) return { status: 200, page: view };
    return {
      status: 404,
      page: (nonce) => messagePage(nonce, 'Not found', 'There is no such page or environment.', back),
    };
  } catch (error) {
    if (statusOf(error) === undefined) throw error;
    log.warn(
      `dashboard: reading ${request.repository.fullName}${request.rest} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return {
      status: 502,
      page: (nonce) =>
        messagePage(
          nonce,
          'GitHub did not answer',
          'GitHub did not answer for this page; reload to try again.',
          back,
        ),
    };
  }
}
