/**
 * Git references (https://docs.github.com/rest/git/refs). `{ref}` in paths is written without the
 * `refs/` prefix (`heads/main`); the create body's `ref` is fully qualified (`refs/heads/main`).
 */
import { createHash } from 'node:crypto';
import { buildGitCommit, buildGitRef } from '../fixtures.ts';
import { treeSha } from '../history.ts';
import type { RepositoryRecord } from '../state.ts';
import {
  ApiError,
  bodyOf,
  notFound,
  requireAccount,
  requireRepository,
  stringParam,
  type ApiRequest,
  type RouteTable,
} from './handler.ts';

/** Git's well-known empty tree, which exists in every repository. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export const gitRoutes: RouteTable = {
  'git/create-commit': (request, context) => {
    const repository = requireRepository(request, context);
    const account = requireAccount(request);
    const { message, tree, parents = [] } = bodyOf(request, 'git/create-commit');
    const files =
      tree === EMPTY_TREE
        ? new Map<string, string>()
        : [...repository.commits.values()].find((commit) => treeSha(commit.tree) === tree)?.tree;
    if (files === undefined) throw new ApiError(422, 'Tree SHA does not exist');
    for (const parent of parents)
      if (!repository.commits.has(parent))
        throw new ApiError(422, 'Parent SHA does not exist or is not a commit object');
    const sha = createHash('sha1')
      .update(`${repository.fullName}\n${context.state.nextId()}\n${parents.join(' ')}\n${message}`)
      .digest('hex');
    const commit = {
      sha,
      parents,
      message,
      author: {
        name: account.login,
        email: `${account.login}@users.noreply.github.com`,
        date: context.state.now(),
      },
      authorAccount: account,
      tree: new Map(files),
    };
    repository.commits.set(sha, commit);
    return {
      status: 201,
      body: buildGitCommit(context.links, repository, commit),
      headers: { location: `${context.links.api}/repos/${repository.fullName}/git/commits/${sha}` },
    };
  },
  'git/get-commit': (request, context) => {
    const repository = requireRepository(request, context);
    const commit = repository.commits.get(stringParam(request, 'commit_sha'));
    if (commit === undefined) throw notFound();
    return { status: 200, body: buildGitCommit(context.links, repository, commit) };
  },
  'git/create-ref': (request, context) => {
    const repository = requireRepository(request, context);
    requireAccount(request);
    const { ref, sha } = bodyOf(request, 'git/create-ref');
    // "If it doesn't start with 'refs' and have at least two slashes, it will be rejected."
    if (!/^refs\/[^/]+\/.+/.test(ref)) throw new ApiError(422, 'Reference name is invalid');
    if (!repository.commits.has(sha)) throw new ApiError(422, 'Object does not exist');
    if (repository.refs.has(ref)) throw new ApiError(422, 'Reference already exists');
    repository.refs.set(ref, sha);
    return {
      status: 201,
      body: buildGitRef(context.links, repository, ref, sha),
      headers: { location: `${context.links.api}/repos/${repository.fullName}/git/${ref}` },
    };
  },
  'git/get-ref': (request, context) => {
    const repository = requireRepository(request, context);
    const ref = qualifiedRef(request);
    const sha = repository.refs.get(ref);
    if (sha === undefined) throw notFound();
    return { status: 200, body: buildGitRef(context.links, repository, ref, sha) };
  },
  'git/update-ref': (request, context) => {
    const repository = requireRepository(request, context);
    requireAccount(request);
    const ref = qualifiedRef(request);
    const { sha, force } = bodyOf(request, 'git/update-ref');
    const current = existingRef(repository, ref);
    if (!repository.commits.has(sha)) throw new ApiError(422, 'Object does not exist');
    const fastForward = context.state.ancestors(repository, sha).has(current);
    if (force !== true && !fastForward) throw new ApiError(422, 'Update is not a fast forward');
    repository.refs.set(ref, sha);
    return { status: 200, body: buildGitRef(context.links, repository, ref, sha) };
  },
  'git/delete-ref': (request, context) => {
    const repository = requireRepository(request, context);
    requireAccount(request);
    const ref = qualifiedRef(request);
    existingRef(repository, ref);
    repository.refs.delete(ref);
    return { status: 204 };
  },
  'git/list-matching-refs': (request, context) => {
    const repository = requireRepository(request, context);
    const prefix = qualifiedRef(request);
    const matching = [...repository.refs.entries()]
      .filter(([name]) => name.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b));
    return {
      status: 200,
      body: matching.map(([name, sha]) => buildGitRef(context.links, repository, name, sha)),
    };
  },
};

/** `heads/main` as the full ref name `refs/heads/main`. */
function qualifiedRef(request: ApiRequest): string {
  const ref = stringParam(request, 'ref');
  return ref.startsWith('refs/') ? ref : `refs/${ref}`;
}

function existingRef(repository: RepositoryRecord, ref: string): string {
  const sha = repository.refs.get(ref);
  if (sha === undefined) throw new ApiError(422, 'Reference does not exist');
  return sha;
}
