/**
 * Repositories, collaborator permissions and pull requests (https://docs.github.com/rest/repos,
 * …/collaborators/collaborators, …/pulls/pulls).
 */
import { buildCollaboratorPermission, buildFullRepository, buildPullRequest, headSha } from '../fixtures.ts';
import { compareCommits, diffTrees } from '../history.ts';
import type { Account, RepositoryRecord, RepositoryRole } from '../state.ts';
import {
  authorAssociation,
  integerParam,
  notFound,
  requireRepository,
  stringParam,
  type RouteTable,
} from './handler.ts';

export const repositoryRoutes: RouteTable = {
  'repos/get': (request, context) => {
    const repository = requireRepository(request, context);
    const viewer = request.actor.kind === 'user' ? request.actor.account : undefined;
    const role = viewer ? roleOf(repository, viewer) : undefined;
    const permissions =
      role === undefined
        ? undefined
        : buildCollaboratorPermission(context.links, viewer!, role).user?.permissions;
    return { status: 200, body: buildFullRepository(context.links, repository, permissions) };
  },
  'repos/get-collaborator-permission-level': (request, context) => {
    const repository = requireRepository(request, context);
    const account = context.state.accountByLogin(stringParam(request, 'username'));
    if (!account || account.type === 'Organization') throw notFound();
    return {
      status: 200,
      body: buildCollaboratorPermission(
        context.links,
        account,
        roleOf(repository, account),
        repository.customRoles.get(account.login.toLowerCase()),
      ),
    };
  },
  'pulls/get': (request, context) => {
    const repository = requireRepository(request, context);
    const pull = repository.pulls.get(integerParam(request, 'pull_number'));
    if (!pull) throw notFound();
    const base = repository.refs.get(`refs/heads/${pull.base.ref}`) ?? pull.base.sha;
    const head = headSha(repository, pull);
    const comparison = compareCommits(repository, base, head);
    const tree = (sha: string) => repository.commits.get(sha)?.tree ?? new Map<string, string>();
    const files = diffTrees(tree(comparison.mergeBase), tree(head));
    const changes = {
      commits: comparison.ahead.length,
      additions: files.reduce((sum, f) => sum + f.additions, 0),
      deletions: files.reduce((sum, f) => sum + f.deletions, 0),
      changedFiles: files.length,
    };
    const comments = [...repository.comments.values()].filter((c) => c.issueNumber === pull.number).length;
    const association = authorAssociation(repository, pull.user);
    return {
      status: 200,
      body: buildPullRequest(context.links, repository, pull, changes, comments, association),
    };
  },
};

/**
 * An account's role on a repository: the owner of a personal repository is admin, collaborators
 * have their role, and anyone else can read a public repository.
 */
function roleOf(repository: RepositoryRecord, account: Account): RepositoryRole | 'none' {
  if (account.id === repository.owner.id) return 'admin';
  const role = repository.collaborators.get(account.login.toLowerCase());
  if (role) return role;
  return repository.private ? 'none' : 'read';
}
