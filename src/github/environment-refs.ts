import type { RestEndpointMethodTypes } from '@octokit/rest';
import type { Repo } from './deployments.ts';

type Git = RestEndpointMethodTypes['git'];
type Endpoint<K extends keyof Git> = (
  params: Git[K]['parameters'],
) => Promise<Pick<Git[K]['response'], 'data'>>;

/** The slice of Octokit's `rest.git` that environment locks use: production passes `octokit.rest.git`. */
export interface GitRefsApi {
  createRef: Endpoint<'createRef'>;
  deleteRef: Endpoint<'deleteRef'>;
  listMatchingRefs: Endpoint<'listMatchingRefs'>;
  createCommit: Endpoint<'createCommit'>;
  getCommit: Endpoint<'getCommit'>;
}

/** Who holds an environment, and why; kept in the lock commit's message, so GitHub is the only store. */
export interface LockHolder {
  readonly holder: string;
  readonly reason: string;
  readonly since: string;
  readonly pullRequest: number | undefined;
}

/** The environment state kept in refs: an explicit lock and a deploy in progress. */
export interface EnvironmentRefs {
  /** Environments with a `/lock`, by name, pointing at the lock commit. */
  readonly locks: ReadonlyMap<string, string>;
  /** Environments with a deploy in progress, by name, pointing at the commit being deployed. */
  readonly deploying: ReadonlyMap<string, string>;
}

// Branch names under one prefix: atomic to create (GitHub answers 422 when the ref exists), durable,
// visible, and shared by every App replica — no local state. The same idea as branch-deploy's lock branches.
const LOCK_PREFIX = 'rollgate/lock/';
const DEPLOYING_PREFIX = 'rollgate/deploying/';
/** Git's empty tree: a lock commit carries no files, only its message. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** Reads every lock and in-progress marker with one call. */
export async function readEnvironmentRefs(api: GitRefsApi, repo: Repo): Promise<EnvironmentRefs> {
  const { data } = await api.listMatchingRefs({ ...repo, ref: 'heads/rollgate/' });
  const locks = new Map<string, string>();
  const deploying = new Map<string, string>();
  for (const ref of data) {
    const name = ref.ref.replace(/^refs\/heads\//, '');
    if (name.startsWith(LOCK_PREFIX)) locks.set(name.slice(LOCK_PREFIX.length), ref.object.sha);
    else if (name.startsWith(DEPLOYING_PREFIX))
      deploying.set(name.slice(DEPLOYING_PREFIX.length), ref.object.sha);
  }
  return { locks, deploying };
}

/** The holder recorded in a lock commit. */
export async function readLockHolder(api: GitRefsApi, repo: Repo, lockSha: string): Promise<LockHolder> {
  const { data } = await api.getCommit({ ...repo, commit_sha: lockSha });
  try {
    const parsed = JSON.parse(data.message.split('\n\n').slice(1).join('\n\n')) as Partial<LockHolder>;
    return {
      holder: parsed.holder ?? 'someone',
      reason: parsed.reason ?? '',
      since: parsed.since ?? data.committer.date,
      pullRequest: parsed.pullRequest,
    };
  } catch {
    return { holder: data.author.name, reason: '', since: data.committer.date, pullRequest: undefined };
  }
}

export type RefKind = 'lock' | 'deploying';
const PREFIX: Readonly<Record<RefKind, string>> = { lock: LOCK_PREFIX, deploying: DEPLOYING_PREFIX };

/**
 * Takes the `kind` ref of `environment` for `holder`, atomically across App replicas: GitHub
 * creates a ref only if it does not exist. Returns undefined when taken, else the current holder.
 */
export async function acquire(
  api: GitRefsApi,
  repo: Repo,
  kind: RefKind,
  environment: string,
  holder: LockHolder,
): Promise<LockHolder | undefined> {
  const { data: commit } = await api.createCommit({
    ...repo,
    tree: EMPTY_TREE,
    parents: [],
    message: `rollgate ${kind} ${environment}\n\n${JSON.stringify(holder)}`,
  });
  try {
    await api.createRef({ ...repo, ref: `refs/heads/${PREFIX[kind]}${environment}`, sha: commit.sha });
    return undefined;
  } catch (error) {
    if ((error as { status?: number }).status !== 422) throw error;
    const refs = await readEnvironmentRefs(api, repo);
    const current = (kind === 'lock' ? refs.locks : refs.deploying).get(environment);
    // Released between our attempt and the read: try once more.
    return current === undefined
      ? acquire(api, repo, kind, environment, holder)
      : readLockHolder(api, repo, current);
  }
}

/** Removes the `kind` ref of `environment`; one that is already gone is fine. */
export async function release(
  api: GitRefsApi,
  repo: Repo,
  kind: RefKind,
  environment: string,
): Promise<void> {
  try {
    await api.deleteRef({ ...repo, ref: `heads/${PREFIX[kind]}${environment}` });
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status !== 422 && status !== 404) throw error;
  }
}
