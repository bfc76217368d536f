/**
 * The deploy request that waits for an environment's gates, as its page shows it: found where
 * the App keeps it (the hidden records of its replies on pull requests, app/handlers/gate-records.ts),
 * still waiting while its check run `rollgate / <env>` (`external_id` `request:<comment>`,
 * app/handlers/pending-request.ts) is not completed, its gates evaluated afresh over the facts the
 * App reads for `/approve` (src/gates, src/github/gate-facts.ts), and the commits between what runs
 * and what waits (GitHub's compare API, "Compare two commits":
 * https://docs.github.com/rest/commits/commits#compare-two-commits — `commits` lists what `head`
 * has beyond the merge base, oldest first, at most 250).
 */
import type { RestEndpointMethodTypes } from '@octokit/rest';
import { loadConfig } from '../../src/config/load.ts';
import { RollgateError } from '../../src/errors.ts';
import { checkRunName } from '../../src/github/check-runs.ts';
import type { Repo } from '../../src/github/deployments.ts';
import type { LockHolder } from '../../src/github/environment-refs.ts';
import {
  approverTeamMembers,
  checkFacts,
  readCommitContexts,
  readPromotion,
} from '../../src/github/gate-facts.ts';
import { evaluateGates, type Verdict } from '../../src/gates/index.ts';
import {
  latestRequest,
  parseGateRecords,
  verdictFacts,
  type GateRecords,
  type RequestRecord,
} from '../handlers/gate-records.ts';
import { requestExternalId } from '../handlers/pending-request.ts';
import type { InstallationGitHub } from './environments.ts';

type Comparison = RestEndpointMethodTypes['repos']['compareCommits']['response']['data'];

/** One commit of the difference between what runs and what waits. */
export interface CommitLine {
  readonly sha: string;
  /** The first line of its message. */
  readonly title: string;
  readonly author: string | undefined;
  readonly at: string | undefined;
  readonly url: string;
}

export interface CommitDiff {
  readonly base: string;
  readonly head: string;
  /** `ahead`, `behind`, `diverged` or `identical`, as GitHub says. */
  readonly status: string;
  readonly aheadBy: number;
  readonly behindBy: number;
  /** Newest first. */
  readonly commits: readonly CommitLine[];
  readonly url: string;
}

export interface PendingRequest {
  readonly request: RequestRecord;
  /** The gates now; undefined with `problem` when they could not be evaluated. */
  readonly verdict: Verdict | undefined;
  readonly problem: string | undefined;
  /** Undefined when nothing runs in the environment yet. */
  readonly diff: CommitDiff | undefined;
}

/** The number of the issue or pull request an `issue_url` ends with. */
function issueNumber(url: string): number | undefined {
  const number = Number(/\/issues\/(\d+)$/.exec(url)?.[1]);
  return Number.isSafeInteger(number) && number > 0 ? number : undefined;
}

/** The records of each pull request among the repository's newest comments, by its number. */
async function recordsByPull(github: InstallationGitHub, repo: Repo): Promise<Map<number, GateRecords>> {
  // Newest first, one page: a request older than the repository's last 100 comments is not shown.
  const { data } = await github.issues.listCommentsForRepo({
    ...repo,
    sort: 'created',
    direction: 'desc',
    per_page: 100,
  });
  const byPull = new Map<number, { body: string; at: Date; ours: boolean }[]>();
  for (const comment of [...data].sort((a, b) => a.id - b.id)) {
    const pull = issueNumber(comment.issue_url);
    if (pull === undefined) continue;
    const ours = github.appId !== undefined && comment.performed_via_github_app?.id === github.appId;
    byPull.set(pull, [
      ...(byPull.get(pull) ?? []),
      { body: comment.body ?? '', at: new Date(comment.created_at), ours },
    ]);
  }
  return new Map([...byPull].map(([pull, comments]) => [pull, parseGateRecords(comments)]));
}

/** Whether the request's check run is still open (not concluded: rejected, superseded or carried out). */
async function stillWaits(github: InstallationGitHub, repo: Repo, request: RequestRecord): Promise<boolean> {
  const { data } = await github.checks.listForRef({
    ...repo,
    ref: request.sha,
    check_name: checkRunName(request.environment),
    filter: 'all',
    per_page: 100,
  });
  const id = requestExternalId(request);
  return data.check_runs.some(
    (run) =>
      run.external_id === id &&
      github.appId !== undefined &&
      run.app?.id === github.appId &&
      run.status !== 'completed',
  );
}

/** The gates of the request, evaluated now over the facts `/approve` reads. */
async function evaluate(
  github: InstallationGitHub,
  repo: Repo,
  request: RequestRecord,
  records: GateRecords,
  lockRead: Promise<LockHolder | undefined>,
  now: Date,
): Promise<Verdict> {
  const [config, lock] = await Promise.all([loadConfig({ contents: github.repos, repo }), lockRead]);
  const environment = [...config.environments.values()].find(
    (e) => e.name.toLowerCase() === request.environment.toLowerCase(),
  );
  if (environment === undefined)
    throw new RollgateError(
      `The configuration no longer has the environment ${request.environment}.`,
      'The request was made before the environment left .github/rollgate.yml.',
      'Add it back, or let the request go.',
    );
  const verdicts = verdictFacts(records, environment.name);
  const people = [...verdicts.approvals, ...verdicts.rejections].map((v) => v.by);
  const deployedTo = environment.requires.deployedTo;
  const [teams, promotion, contexts] = await Promise.all([
    approverTeamMembers(github.teams, environment, people),
    deployedTo === undefined ? undefined : readPromotion(github.repos, repo, deployedTo),
    environment.requires.checks === 'success'
      ? readCommitContexts(github, repo, request.sha, {
          ours: (run) =>
            github.appId !== undefined && run.app?.id === github.appId && run.name.startsWith('rollgate / '),
        })
      : undefined,
  ]);
  return evaluateGates({
    now,
    environment,
    sha: request.sha,
    branch: request.branch,
    requester: request.requester,
    approvals: verdicts.approvals,
    rejections: verdicts.rejections,
    teams,
    checks: checkFacts(contexts),
    promotion,
    lock: lock === undefined ? undefined : { holder: lock.holder, reason: lock.reason || undefined },
  });
}

/** The comparison as the page lists it. */
export function commitDiff(base: string, head: string, comparison: Comparison): CommitDiff {
  return {
    base,
    head,
    status: comparison.status,
    aheadBy: comparison.ahead_by,
    behindBy: comparison.behind_by,
    commits: [...comparison.commits].reverse().map((c) => ({
      sha: c.sha,
      title: c.commit.message.split('\n')[0] ?? '',
      author: c.author?.login ?? c.commit.author?.name ?? undefined,
      at: c.commit.committer?.date ?? c.commit.author?.date ?? undefined,
      url: c.html_url,
    })),
    url: comparison.html_url,
  };
}

/** A request and the records of its pull request (the approvals and rejections given to it). */
export interface WaitingRequest {
  readonly request: RequestRecord;
  readonly records: GateRecords;
}

/** The newest request for `environment` that still waits; undefined when none does. */
export async function findWaitingRequest(
  github: InstallationGitHub,
  repo: Repo,
  environment: string,
): Promise<WaitingRequest | undefined> {
  const byPull = await recordsByPull(github, repo);
  const candidates = [...byPull.values()]
    .map((records) => ({ records, request: latestRequest(records, environment) }))
    .filter((c): c is WaitingRequest => c.request !== undefined)
    .sort((a, b) => b.request.comment - a.request.comment);
  const waits = await Promise.all(candidates.map((c) => stillWaits(github, repo, c.request)));
  return candidates.find((_, i) => waits[i] === true);
}

/**
 * The waiting request's gates now and the commits between `live.sha` (what runs) and it. The lock
 * is a promise, so that its read overlaps the gates' own reads.
 */
export async function describeRequest(
  github: InstallationGitHub,
  repo: Repo,
  waiting: WaitingRequest,
  live: {
    readonly sha: string | undefined;
    readonly lock: Promise<LockHolder | undefined>;
    readonly now: Date;
  },
): Promise<PendingRequest> {
  const { request, records } = waiting;
  const base = live.sha;
  const [verdict, diff] = await Promise.all([
    evaluate(github, repo, request, records, live.lock, live.now).then(
      (v) => ({ verdict: v, problem: undefined }),
      (error: unknown) => {
        if (!(error instanceof RollgateError)) throw error;
        return { verdict: undefined, problem: error.message };
      },
    ),
    base === undefined
      ? undefined
      : github.repos
          .compareCommits({ ...repo, base, head: request.sha, per_page: 100 })
          .then(({ data }) => commitDiff(base, request.sha, data)),
  ]);
  return { request, ...verdict, diff };
}
