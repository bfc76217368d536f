/**
 * Commits, comparisons and commit statuses (https://docs.github.com/rest/commits). The combined
 * state is `failure` when any context's latest status is error or failure, `pending` when there are
 * none or one is pending, else `success`.
 */
import {
  buildCommit,
  buildCommitStatus,
  buildDiffEntries,
  buildMinimalRepository,
  buildSimpleCommitStatus,
} from '../fixtures.ts';
import { compareCommits, diffTrees } from '../history.ts';
import type { CommitRecord, CommitStatusRecord, RepositoryRecord } from '../state.ts';
import {
  ApiError,
  bodyOf,
  notFound,
  requireAccount,
  requireRepository,
  stringParam,
  type ApiAnswer,
  type ApiRequest,
  type RouteContext,
  type RouteTable,
} from './handler.ts';
import { paginate } from './pagination.ts';

export const commitRoutes: RouteTable = {
  'repos/get-commit': (request, context) => {
    const repository = requireRepository(request, context);
    const commit = requireCommit(context, repository, stringParam(request, 'ref'));
    return { status: 200, body: buildCommit(context.links, repository, commit) };
  },
  'repos/compare-commits': (request, context) =>
    compare(request, context, stringParam(request, 'base'), stringParam(request, 'head')),
  'repos/compare-commits-with-basehead': (request, context) => {
    const [base = '', head = ''] = stringParam(request, 'basehead').split('...');
    return compare(request, context, base, head);
  },
  'repos/get-combined-status-for-ref': (request, context) => {
    const repository = requireRepository(request, context);
    const sha = context.state.resolveRef(repository, stringParam(request, 'ref'));
    if (sha === undefined) throw notFound();
    const statuses = context.state.latestStatuses(repository, sha);
    const api = `${context.links.api}/repos/${repository.fullName}`;
    return {
      status: 200,
      body: {
        state: combinedState(statuses),
        statuses: statuses.map((s) => buildSimpleCommitStatus(context.links, s)),
        sha,
        total_count: statuses.length,
        repository: buildMinimalRepository(context.links, repository),
        commit_url: `${api}/commits/${sha}`,
        url: `${api}/commits/${sha}/status`,
      },
    };
  },
  'repos/list-commit-statuses-for-ref': (request, context) => {
    const repository = requireRepository(request, context);
    const sha = context.state.resolveRef(repository, stringParam(request, 'ref'));
    if (sha === undefined) throw notFound();
    const statuses = repository.statuses.filter((s) => s.sha === sha).sort((a, b) => b.id - a.id);
    const page = paginate(statuses, request);
    return {
      status: 200,
      body: page.items.map((s) => buildCommitStatus(context.links, s)),
      headers: page.headers,
    };
  },
  'repos/create-commit-status': (request, context) => {
    const repository = requireRepository(request, context);
    const creator = requireAccount(request);
    const sha = stringParam(request, 'sha');
    const commit = requireCommit(context, repository, sha);
    const body = bodyOf(request, 'repos/create-commit-status');
    const now = context.state.now();
    const status: CommitStatusRecord = {
      id: context.state.nextId(),
      sha: commit.sha,
      context: body.context ?? 'default',
      state: body.state,
      description: body.description ?? null,
      targetUrl: body.target_url ?? null,
      creator,
      createdAt: now,
    };
    repository.statuses.push(status);
    return { status: 201, body: buildCommitStatus(context.links, status) };
  },
};

function requireCommit(context: RouteContext, repository: RepositoryRecord, ref: string): CommitRecord {
  const commit = repository.commits.get(context.state.resolveRef(repository, ref) ?? '');
  if (!commit) throw new ApiError(422, `No commit found for SHA: ${ref}`);
  return commit;
}

function combinedState(statuses: readonly CommitStatusRecord[]): 'failure' | 'pending' | 'success' {
  if (statuses.some((s) => s.state === 'error' || s.state === 'failure')) return 'failure';
  if (statuses.length === 0 || statuses.some((s) => s.state === 'pending')) return 'pending';
  return 'success';
}

function compare(request: ApiRequest, context: RouteContext, base: string, head: string): ApiAnswer {
  const repository = requireRepository(request, context);
  const baseSha = context.state.resolveRef(repository, base);
  const headSha = context.state.resolveRef(repository, head);
  if (baseSha === undefined || headSha === undefined) throw notFound();
  const comparison = compareCommits(repository, baseSha, headSha);
  const commit = (sha: string): CommitRecord => repository.commits.get(sha)!;
  const { links } = context;
  const html = `${links.web}/${repository.fullName}/compare/${base}...${head}`;
  const owner = repository.owner.login;
  const page = paginate(comparison.ahead, request);
  return {
    status: 200,
    body: {
      url: `${links.api}/repos/${repository.fullName}/compare/${base}...${head}`,
      html_url: html,
      permalink_url: `${links.web}/${repository.fullName}/compare/${owner}:${baseSha.slice(0, 7)}...${owner}:${headSha.slice(0, 7)}`,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      base_commit: buildCommit(links, repository, commit(baseSha)),
      merge_base_commit: buildCommit(links, repository, commit(comparison.mergeBase)),
      status: comparison.status,
      ahead_by: comparison.ahead.length,
      behind_by: comparison.behindBy,
      total_commits: comparison.ahead.length,
      commits: page.items.map((c) => buildCommit(links, repository, c)),
      files: buildDiffEntries(
        links,
        repository,
        headSha,
        diffTrees(commit(comparison.mergeBase).tree, commit(headSha).tree),
      ),
    },
    headers: page.headers,
  };
}
