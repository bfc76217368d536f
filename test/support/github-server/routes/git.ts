/**
 * Git data: blobs, trees, commits and references (https://docs.github.com/rest/git). `{ref}` in
 * paths is written without the `refs/` prefix (`heads/main`, `rollgate/lock/staging`): GitHub
 * prefixes it, so `refs/heads/main` in a path names `refs/refs/heads/main`
 * (github/rest-api-description#2746); the create body's `ref` is fully qualified. Refs may live in
 * any namespace (`refs/rollgate/…`), and rulesets and webhooks concern branches and tags only.
 */
import { createHash } from 'node:crypto';
import { buildGitCommit, buildGitRef } from '../fixtures.ts';
import { blobSha, treeSha } from '../history.ts';
import type { Account, RefEvent, RepositoryRecord, RulesetRecord } from '../state.ts';
import {
  ApiError,
  bodyOf,
  notFound,
  queryString,
  requireAccount,
  requireRepository,
  stringParam,
  type ApiRequest,
  type RouteContext,
  type RouteTable,
} from './handler.ts';

type Files = ReadonlyMap<string, string>;

export const gitRoutes: RouteTable = {
  'git/create-blob': (request, context) => {
    const repository = requireRepository(request, context);
    requireAccount(request);
    const { content, encoding = 'utf-8' } = bodyOf(request, 'git/create-blob');
    if (encoding !== 'utf-8' && encoding !== 'base64') {
      throw new ApiError(422, `encoding must be "utf-8" or "base64", not "${encoding}"`);
    }
    const text = encoding === 'base64' ? Buffer.from(content, 'base64').toString('utf8') : content;
    const sha = blobSha(text);
    repository.blobs.set(sha, text);
    const url = `${context.links.api}/repos/${repository.fullName}/git/blobs/${sha}`;
    return { status: 201, body: { sha, url }, headers: { location: url } };
  },
  'git/create-tree': (request, context) => {
    const repository = requireRepository(request, context);
    requireAccount(request);
    const { tree, base_tree: base } = bodyOf(request, 'git/create-tree');
    const files = new Map(base === undefined ? [] : requireTree(repository, base, 'base_tree'));
    for (const entry of tree) {
      const path = entry.path ?? '';
      if (path === '' || path.startsWith('/') || path.endsWith('/')) {
        throw new ApiError(422, `tree.path ${JSON.stringify(path)} is not a valid path`);
      }
      if (entry.content !== undefined && entry.sha !== undefined) {
        throw new ApiError(422, 'Only one of tree.sha or tree.content may be given');
      }
      if (entry.content !== undefined) {
        files.set(path, entry.content);
      } else if (entry.sha === null) {
        for (const file of [...files.keys()])
          if (file === path || file.startsWith(`${path}/`)) files.delete(file);
      } else if (entry.type === 'tree') {
        for (const [file, text] of requireTree(repository, entry.sha ?? '', 'tree.sha')) {
          files.set(`${path}/${file}`, text);
        }
      } else {
        const text = findBlob(repository, entry.sha ?? '');
        if (text === undefined) throw new ApiError(422, `tree.sha ${entry.sha ?? ''} is not a valid blob`);
        files.set(path, text);
      }
    }
    const sha = treeSha(files);
    repository.trees.set(sha, files);
    return { status: 201, body: renderTree(context, repository, sha, files, false) };
  },
  'git/get-tree': (request, context) => {
    const repository = requireRepository(request, context);
    const wanted = stringParam(request, 'tree_sha');
    // "The SHA1 value or ref (branch or tag) name of the tree."
    const commit = repository.commits.get(context.state.resolveRef(repository, wanted) ?? '');
    const files = findTree(repository, wanted) ?? commit?.tree;
    if (files === undefined) throw notFound();
    const recursive = queryString(request, 'recursive') !== undefined;
    return { status: 200, body: renderTree(context, repository, treeSha(files), files, recursive) };
  },
  'git/create-commit': (request, context) => {
    const repository = requireRepository(request, context);
    const account = requireAccount(request);
    const { message, tree, parents = [] } = bodyOf(request, 'git/create-commit');
    // Git's "magic" empty tree 4b825dc6… is not an object GitHub's repositories hold: the API
    // answers 422 "Tree SHA does not exist" for it as for any unknown tree (r-lib/gert#149,
    // r-lib/usethis#1472; the message as exercism/website#8228 quotes it).
    const files = findTree(repository, tree);
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
    const account = requireAccount(request);
    const { ref, sha } = bodyOf(request, 'git/create-ref');
    // "If it doesn't start with 'refs' and have at least two slashes, it will be rejected." The
    // messages are GitHub's (octokit/octokit.rb#675).
    if (!/^refs\/[^/]+\/./.test(ref)) {
      throw new ApiError(422, 'Reference name must contain at least three slash-separated components.');
    }
    if (!isValidRefName(ref)) throw new ApiError(422, `${ref} is not a valid ref name.`);
    if (!repository.commits.has(sha)) throw new ApiError(422, 'Object does not exist');
    if (repository.refs.has(ref)) throw new ApiError(422, 'Reference already exists');
    enforceRulesets(repository, ref, 'creation');
    repository.refs.set(ref, sha);
    recordEvents(repository, ref, sha, account, ['create', 'push']);
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
    const account = requireAccount(request);
    const ref = qualifiedRef(request);
    const { sha, force } = bodyOf(request, 'git/update-ref');
    const current = existingRef(repository, ref);
    if (!repository.commits.has(sha)) throw new ApiError(422, 'Object does not exist');
    // `force: false` (the default) "will make sure you're not overwriting work": the update
    // succeeds only when the ref's current commit is an ancestor of the new one, checked and
    // written as one step — a compare-and-swap against the commit the ref held.
    const fastForward = context.state.ancestors(repository, sha).has(current);
    if (force !== true && !fastForward) throw new ApiError(422, 'Update is not a fast forward');
    enforceRulesets(repository, ref, fastForward ? 'update' : 'non_fast_forward');
    repository.refs.set(ref, sha);
    recordEvents(repository, ref, sha, account, ['push']);
    return { status: 200, body: buildGitRef(context.links, repository, ref, sha) };
  },
  'git/delete-ref': (request, context) => {
    const repository = requireRepository(request, context);
    const account = requireAccount(request);
    const ref = qualifiedRef(request);
    existingRef(repository, ref);
    enforceRulesets(repository, ref, 'deletion');
    repository.refs.delete(ref);
    recordEvents(repository, ref, null, account, ['delete', 'push']);
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
  return `refs/${stringParam(request, 'ref')}`;
}

function existingRef(repository: RepositoryRecord, ref: string): string {
  const sha = repository.refs.get(ref);
  if (sha === undefined) throw new ApiError(422, 'Reference does not exist');
  return sha;
}

/** git check-ref-format's rules (https://git-scm.com/docs/git-check-ref-format). */
export function isValidRefName(ref: string): boolean {
  if (ref.endsWith('/') || ref.endsWith('.') || ref.includes('..') || ref.includes('//')) return false;
  if (ref.includes('@{') || ref === '@') return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) return false;
  return ref.split('/').every((part) => part !== '' && !part.startsWith('.') && !part.endsWith('.lock'));
}

/** The message GitHub gives for each rule; the first line and creation's text as GitHub sends them. */
const ruleMessages: Readonly<Record<RulesetRecord['rules'][number], string>> = {
  creation: 'Cannot create ref due to creations being restricted.',
  update: 'Cannot update this protected ref.',
  deletion: 'Cannot delete this protected ref.',
  non_fast_forward: 'Cannot force-push to this branch.',
};

/**
 * Rulesets that restrict a change to a branch or tag refuse it with 422 "Repository rule
 * violations found" and the rules' messages (googleapis/release-please-action#1194 quotes
 * "Repository rule violations found\n\nCannot create ref due to creations being restricted.\n\n").
 */
function enforceRulesets(
  repository: RepositoryRecord,
  ref: string,
  change: RulesetRecord['rules'][number],
): void {
  const target = refType(ref);
  if (target === undefined) return;
  const violated = repository.rulesets.filter(
    (ruleset) =>
      ruleset.target === target &&
      ruleset.rules.includes(change) &&
      ruleset.include.some((pattern) => matchesRefPattern(pattern, ref, repository)),
  );
  if (violated.length === 0) return;
  throw new ApiError(422, `Repository rule violations found\n\n${ruleMessages[change]}\n\n`);
}

function refType(ref: string): RefEvent['refType'] | undefined {
  if (ref.startsWith('refs/heads/')) return 'branch';
  if (ref.startsWith('refs/tags/')) return 'tag';
  return undefined;
}

/** A ruleset's `ref_name.include` pattern: `~ALL`, `~DEFAULT_BRANCH`, or fnmatch with `*` and `**`. */
function matchesRefPattern(pattern: string, ref: string, repository: RepositoryRecord): boolean {
  if (pattern === '~ALL') return true;
  if (pattern === '~DEFAULT_BRANCH') return ref === `refs/heads/${repository.defaultBranch}`;
  const source = pattern
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${source}$`).test(ref);
}

/** Records the webhooks GitHub sends for a branch or tag; other namespaces send none. */
function recordEvents(
  repository: RepositoryRecord,
  ref: string,
  sha: string | null,
  actor: Account,
  events: readonly RefEvent['event'][],
): void {
  const type = refType(ref);
  if (type === undefined) return;
  for (const event of events) {
    repository.refEvents.push({ event, ref, refType: type, sha, actor: actor.login });
  }
}

/** Every tree the repository holds: those created through the API, commits' trees, and their subtrees. */
function findTree(repository: RepositoryRecord, sha: string): Files | undefined {
  const created = repository.trees.get(sha);
  if (created) return created;
  const roots = [...repository.trees.values(), ...[...repository.commits.values()].map((c) => c.tree)];
  for (const root of roots) {
    if (treeSha(root) === sha) return root;
    for (const directory of directories(root)) {
      const subtree = subtreeOf(root, directory);
      if (treeSha(subtree) === sha) return subtree;
    }
  }
  return undefined;
}

function requireTree(repository: RepositoryRecord, sha: string, field: string): Files {
  const files = findTree(repository, sha);
  if (files === undefined) throw new ApiError(422, `${field} ${sha} is not a valid tree oid`);
  return files;
}

function findBlob(repository: RepositoryRecord, sha: string): string | undefined {
  const created = repository.blobs.get(sha);
  if (created !== undefined) return created;
  for (const commit of repository.commits.values()) {
    for (const text of commit.tree.values()) if (blobSha(text) === sha) return text;
  }
  return undefined;
}

function directories(files: Files): Set<string> {
  const found = new Set<string>();
  for (const path of files.keys()) {
    const parts = path.split('/');
    for (let depth = 1; depth < parts.length; depth++) found.add(parts.slice(0, depth).join('/'));
  }
  return found;
}

function subtreeOf(files: Files, directory: string): Files {
  const prefix = `${directory}/`;
  return new Map(
    [...files.entries()]
      .filter(([path]) => path.startsWith(prefix))
      .map(([path, text]) => [path.slice(prefix.length), text]),
  );
}

/** A tree as GitHub shows it: its own entries, or every entry below it with `recursive`. */
function renderTree(
  context: RouteContext,
  repository: RepositoryRecord,
  sha: string,
  files: Files,
  recursive: boolean,
) {
  const api = `${context.links.api}/repos/${repository.fullName}/git`;
  const dirs = [...directories(files)].filter((dir) => recursive || !dir.includes('/'));
  const blobs = [...files.entries()].filter(([path]) => recursive || !path.includes('/'));
  const entries = [
    ...dirs.map((dir) => {
      const subtree = treeSha(subtreeOf(files, dir));
      return { path: dir, mode: '040000', type: 'tree', sha: subtree, url: `${api}/trees/${subtree}` };
    }),
    ...blobs.map(([path, text]) => {
      const blob = blobSha(text);
      const size = Buffer.byteLength(text);
      return { path, mode: '100644', type: 'blob', sha: blob, size, url: `${api}/blobs/${blob}` };
    }),
  ].sort((a, b) => a.path.localeCompare(b.path));
  return { sha, url: `${api}/trees/${sha}`, tree: entries, truncated: false };
}
