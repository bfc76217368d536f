/**
 * `GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls`
 * (https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit): "Lists
 * the merged pull request that introduced the commit to the repository. If the commit is not
 * present in the default branch, it will return merged and open pull requests associated with the
 * commit" (GitHub's OpenAPI description, `repos/list-pull-requests-associated-with-commit`).
 * Modelled as: the pull requests whose head branch contains the commit (it is among the commits
 * the head has that the base does not, or it is the head itself), and the merged pull request
 * whose merge commit it is, newest first. The test server has no merge button: a merged pull
 * request's `merge_commit_sha` is the commit on its base branch that has the head as a parent
 * (what GitHub's merge creates), null when there is none. Installation tokens need
 * "Pull requests: read".
 */
import { buildPullRequest, headSha } from '../fixtures.ts';
import { compareCommits, diffTrees } from '../history.ts';
import type { PullRequestRecord, RepositoryRecord } from '../state.ts';
import {
  authorAssociation,
  notFound,
  requireInstallationPermission,
  requireRepository,
  stringParam,
  type RouteTable,
} from './handler.ts';
import { paginate } from './pagination.ts';

export const commitPullRoutes: RouteTable = {
  'repos/list-pull-requests-associated-with-commit': (request, context) => {
    const repository = requireRepository(request, context);
    requireInstallationPermission(request, context, 'pull_requests', 'read');
    const sha = context.state.resolveRef(repository, stringParam(request, 'commit_sha'));
    if (sha === undefined || !repository.commits.has(sha)) throw notFound();
    const pulls = [...repository.pulls.values()]
      .filter((pull) => contains(repository, pull, sha))
      .sort((a, b) => b.number - a.number);
    const page = paginate(pulls, request);
    return {
      status: 200,
      body: page.items.map((pull) => {
        const base = repository.refs.get(`refs/heads/${pull.base.ref}`) ?? pull.base.sha;
        const head = headSha(repository, pull);
        const comparison = compareCommits(repository, base, head);
        const tree = (of: string) => repository.commits.get(of)?.tree ?? new Map<string, string>();
        const files = diffTrees(tree(comparison.mergeBase), tree(head));
        const changes = {
          commits: comparison.ahead.length,
          additions: files.reduce((sum, f) => sum + f.additions, 0),
          deletions: files.reduce((sum, f) => sum + f.deletions, 0),
          changedFiles: files.length,
        };
        const comments = [...repository.comments.values()].filter(
          (c) => c.issueNumber === pull.number,
        ).length;
        return {
          ...buildPullRequest(
            context.links,
            repository,
            pull,
            changes,
            comments,
            authorAssociation(repository, pull.user),
          ),
          merge_commit_sha: mergeCommitOf(repository, pull) ?? null,
        };
      }),
      headers: page.headers,
    };
  },
};

/** The commit on the base branch whose parents include the merged head, as a merge leaves it. */
function mergeCommitOf(repository: RepositoryRecord, pull: PullRequestRecord): string | undefined {
  if (pull.mergedAt === null) return undefined;
  const head = headSha(repository, pull);
  const tip = repository.refs.get(`refs/heads/${pull.base.ref}`);
  if (tip === undefined) return undefined;
  const onBase = compareCommits(repository, pull.base.sha, tip).ahead;
  return onBase.find((commit) => commit.parents.length > 1 && commit.parents.includes(head))?.sha;
}

function contains(repository: RepositoryRecord, pull: PullRequestRecord, sha: string): boolean {
  const head = headSha(repository, pull);
  if (head === sha || mergeCommitOf(repository, pull) === sha) return true;
  const base =
    pull.mergedAt === null
      ? (repository.refs.get(`refs/heads/${pull.base.ref}`) ?? pull.base.sha)
      : pull.base.sha;
  return compareCommits(repository, base, head).ahead.some((commit) => commit.sha === sha);
}
