/**
 * Environment locks (`/lock`) and deploy-in-progress markers, kept in GitHub as refs so every App
 * replica shares them and nothing lives on a disk: `refs/rollgate/lock/<env>` and
 * `refs/rollgate/deploying/<env>`. They are neither branches nor tags: GitHub's create-reference
 * accepts any `refs/…` name with at least two slashes and matching-refs lists any namespace
 * (https://docs.github.com/rest/git/refs#create-a-reference), while a branch created with the
 * App's token would fire `create`/`push`/`delete` webhooks, start external CI, and meet rulesets
 * that restrict branch creation. Each ref points at a commit whose message records the holder;
 * its tree is a real tree holding the same record (GitHub refuses commits on git's "magic"
 * empty-tree SHA: r-lib/gert#149, r-lib/usethis#1472).
 */
import type { RestEndpointMethodTypes } from '@octokit/rest';
import { RollgateError } from '../errors.ts';
import type { Repo } from './deployments.ts';

type Git = RestEndpointMethodTypes['git'];
type Endpoint<K extends keyof Git> = (
  params: Git[K]['parameters'],
) => Promise<Pick<Git[K]['response'], 'data'>>;

/** The slice of Octokit's `rest.git` that locks and markers use: production passes `octokit.rest.git`. */
export interface GitRefsApi {
  createRef: Endpoint<'createRef'>;
  getRef: Endpoint<'getRef'>;
  updateRef: Endpoint<'updateRef'>;
  deleteRef: Endpoint<'deleteRef'>;
  listMatchingRefs: Endpoint<'listMatchingRefs'>;
  createTree: Endpoint<'createTree'>;
  createCommit: Endpoint<'createCommit'>;
  getCommit: Endpoint<'getCommit'>;
}

/** Who holds an environment, and why; kept in the ref's commit, so GitHub is the only store. */
export interface LockHolder {
  readonly holder: string;
  readonly reason: string;
  readonly since: string;
  readonly pullRequest: number | undefined;
  /** The GitHub Deployment a deploy marker belongs to, once it exists (see `recordDeployment`). */
  readonly deploymentId?: number | undefined;
}

/** The environment state kept in refs, keyed by environment name without regard to case. */
export interface EnvironmentRefs {
  /** Environments with a `/lock`, pointing at the lock commit. */
  readonly locks: ReadonlyMap<string, string>;
  /** Environments with a deploy in progress, pointing at the marker commit. */
  readonly deploying: ReadonlyMap<string, string>;
}

export type RefKind = 'lock' | 'deploying';

/** The outcome of `claim`: the ref is now ours, or someone holds it (or holds the environment's lock). */
export type Claim =
  | {
      readonly taken: true;
      /** The commit our ref points at: release and `recordDeployment` compare against it. */
      readonly sha: string;
      readonly tree: string;
      readonly holder: LockHolder;
      /** The abandoned marker that was taken over, if any. */
      readonly tookOver: LockHolder | undefined;
    }
  | {
      readonly taken: false;
      /** `holder`: someone holds this ref; `lock`: a deploy marker was refused because the environment is locked. */
      readonly by: 'holder' | 'lock';
      readonly sha: string;
      readonly holder: LockHolder;
    };

export interface ClaimOptions {
  /**
   * A tree that exists in the repository, for the holder commit to point at: the tree of the
   * commit a marker is taken to deploy. It saves writing the record tree (one content-creating
   * request fewer before the Deployment); when omitted, or when GitHub no longer has it, the
   * record tree is used.
   */
  readonly tree?: string;
  /** A holder older than this is abandoned: its ref is taken over atomically. Never, when omitted. */
  readonly staleAfterMs?: number;
  /** The clock the age is judged by. */
  readonly now?: () => Date;
  /**
   * The commit of a holder the caller has judged abandoned: taken over by the same compare-and-swap,
   * but only while the ref still points at exactly that commit.
   */
  readonly takeOver?: string;
}

/** Whose ref `release` may delete: the commit we made, or the marker recorded for a deployment. */
export type ReleaseOwner = { readonly sha: string } | { readonly deploymentId: number };

/**
 * A lock or marker ref that cannot be written: GitHub refused it for a reason other than "it
 * exists" (a ruleset, a bad name, a permission), or the environment's name cannot be a ref.
 */
export class EnvironmentRefError extends RollgateError {
  readonly ref: string;
  readonly status: number | undefined;
  /** GitHub's own message (or why the name cannot be used). */
  readonly reason: string;

  constructor(
    what: string,
    why: string,
    fix: string,
    details: { ref: string; status: number | undefined; reason: string },
  ) {
    super(what, why, fix);
    this.ref = details.ref;
    this.status = details.status;
    this.reason = details.reason;
  }

  /** GitHub refused to `action` the ref, saying `reason`. */
  static refused(
    ref: string,
    action: string,
    status: number | undefined,
    reason: string,
  ): EnvironmentRefError {
    return new EnvironmentRefError(
      `GitHub refused to ${action} \`${ref}\`: ${reason.trim() || `HTTP ${status ?? '?'}`}.`,
      /rule violations/i.test(reason)
        ? 'A repository ruleset restricts this ref.'
        : 'Rollgate keeps environment locks and deploy markers as refs under `refs/rollgate/`.',
      'Let the App write refs under `refs/rollgate/` (contents: write, and no ruleset covering them), then run the command again.',
      { ref, status, reason },
    );
  }
}

const NAMESPACE = 'rollgate/';
/** The file of each holder commit's tree. */
const RECORD_PATH = 'README.md';
const RECORD_README =
  'This commit holds a Rollgate environment lock or deploy-in-progress marker (a ref under refs/rollgate/).\n' +
  'Who holds it, why and since when is the commit message. Remove it with /unlock in a pull request.\n';
/** Creating the ref, then taking over or re-reading it, may race with other replicas: this many rounds, then give up. */
const MAX_ROUNDS = 4;

/**
 * The key of an environment in ref names: GitHub's environment names are case-insensitive
 * (`Staging` and `staging` are one environment), so they share one lock and one marker.
 * Throws for a name git cannot hold in a ref (https://git-scm.com/docs/git-check-ref-format).
 */
export function environmentKey(environment: string): string {
  const key = environment.toLowerCase();
  const valid =
    /^[a-z0-9._-]{1,255}$/.test(key) &&
    !key.startsWith('.') &&
    !key.endsWith('.') &&
    !key.endsWith('.lock') &&
    !key.includes('..');
  if (!valid) {
    const reason = `${JSON.stringify(environment)} cannot be part of a git ref name`;
    throw new EnvironmentRefError(
      `The environment name ${JSON.stringify(environment)} cannot name a lock or a deploy marker.`,
      'Locks and markers are git refs; their names take letters, digits, `.`, `_` and `-` (1–255), not starting or ending with `.`, without `..`, not ending in `.lock`.',
      'Rename the environment in `.github/rollgate.yml`.',
      { ref: `refs/${NAMESPACE}`, status: undefined, reason },
    );
  }
  return key;
}

/** `rollgate/lock/staging`: the ref's name as the `{ref}` of GitHub's paths (without `refs/`). */
export function refPath(kind: RefKind, environment: string): string {
  return `${NAMESPACE}${kind}/${environmentKey(environment)}`;
}

/**
 * A map keyed by environment name without regard to case, as GitHub names environments
 * (`Staging` and `staging` are one environment): its keys are the lower-cased names.
 */
export class EnvironmentMap<V = string> extends Map<string, V> {
  override get(environment: string): V | undefined {
    return super.get(environment.toLowerCase());
  }

  override has(environment: string): boolean {
    return super.has(environment.toLowerCase());
  }

  override set(environment: string, value: V): this {
    return super.set(environment.toLowerCase(), value);
  }

  override delete(environment: string): boolean {
    return super.delete(environment.toLowerCase());
  }
}

/**
 * Reads every lock and marker with one matching-refs call. Branches of older versions
 * (`refs/heads/rollgate/{lock,deploying}/<env>`) are moved into `refs/rollgate/` on the way: that
 * needs a second listing (in parallel), skipped for repositories already in `options.migrated`.
 */
export async function readEnvironmentRefs(
  api: GitRefsApi,
  repo: Repo,
  options: { readonly migrated?: Set<string> } = {},
): Promise<EnvironmentRefs> {
  const repoKey = `${repo.owner}/${repo.repo}`.toLowerCase();
  const checkLegacy = options.migrated?.has(repoKey) !== true;
  const [current, legacy] = await Promise.all([
    api.listMatchingRefs({ ...repo, ref: NAMESPACE }),
    checkLegacy ? api.listMatchingRefs({ ...repo, ref: `heads/${NAMESPACE}` }) : { data: [] },
  ]);
  const refs = { locks: new EnvironmentMap(), deploying: new EnvironmentMap() };
  for (const ref of current.data) place(refs, ref.ref.replace(/^refs\//, ''), ref.object.sha);
  for (const ref of legacy.data) await migrate(api, repo, refs, ref.ref, ref.object.sha);
  options.migrated?.add(repoKey);
  return refs;
}

/** Puts `rollgate/<kind>/<env>` → sha into the right map; other names under the namespace are not ours. */
function place(
  refs: { locks: EnvironmentMap; deploying: EnvironmentMap },
  name: string,
  sha: string,
): boolean {
  const match = /^rollgate\/(lock|deploying)\/([^/]+)$/.exec(name);
  if (!match?.[1] || !match[2]) return false;
  const map = match[1] === 'lock' ? refs.locks : refs.deploying;
  if (map.has(match[2])) return false;
  map.set(match[2], sha);
  return true;
}

/** Moves a legacy `refs/heads/rollgate/…` branch to `refs/rollgate/…` (its commit exists, so its tree does). */
async function migrate(
  api: GitRefsApi,
  repo: Repo,
  refs: { locks: EnvironmentMap; deploying: EnvironmentMap },
  legacyRef: string,
  sha: string,
): Promise<void> {
  const name = legacyRef.replace(/^refs\/heads\//, '');
  const match = /^rollgate\/(lock|deploying)\/([^/]+)$/.exec(name);
  if (match?.[1] && match[2]) {
    const kind = match[1] as RefKind;
    const target = refPath(kind, match[2]);
    if (!(kind === 'lock' ? refs.locks : refs.deploying).has(match[2])) {
      try {
        await api.createRef({ ...repo, ref: `refs/${target}`, sha });
        place(refs, target, sha);
      } catch (error) {
        if (!isAlreadyExists(error)) throw refusal(error, target, 'create');
        const now = await currentSha(api, repo, target);
        if (now !== undefined) place(refs, target, now);
      }
    }
  }
  await deleteIfPresent(api, repo, legacyRef.replace(/^refs\//, ''));
}

/** The holder recorded in a lock or marker commit. */
export async function readLockHolder(api: GitRefsApi, repo: Repo, sha: string): Promise<LockHolder> {
  return (await readRecord(api, repo, sha)).holder;
}

/** A holder commit's record and tree. */
async function readRecord(
  api: GitRefsApi,
  repo: Repo,
  sha: string,
): Promise<{ holder: LockHolder; tree: string }> {
  const { data } = await api.getCommit({ ...repo, commit_sha: sha });
  const record = parseRecord(data.message.split('\n\n').slice(1).join('\n\n'));
  const holder = record ?? {
    holder: data.author.name,
    reason: '',
    since: data.committer.date,
    pullRequest: undefined,
  };
  return { holder, tree: data.tree.sha };
}

/** The same claim: a retry after a lost answer finds its own record, not someone else's. */
function sameClaim(a: LockHolder, b: LockHolder): boolean {
  return (
    a.holder === b.holder && a.since === b.since && a.reason === b.reason && a.pullRequest === b.pullRequest
  );
}

/** The holder record of a commit message: GitHub's data, so parsed and checked, never trusted. */
export function parseRecord(text: string): LockHolder | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.holder !== 'string' || typeof record.since !== 'string') return undefined;
  const whole = (field: unknown): number | undefined =>
    typeof field === 'number' && Number.isSafeInteger(field) ? field : undefined;
  return {
    holder: record.holder,
    reason: typeof record.reason === 'string' ? record.reason : '',
    since: record.since,
    pullRequest: whole(record.pullRequest),
    deploymentId: whole(record.deploymentId),
  };
}

/** Whether a holder is older than the options allow; pure. */
export function isStale(holder: LockHolder, options: ClaimOptions): boolean {
  if (options.staleAfterMs === undefined) return false;
  const since = Date.parse(holder.since);
  const now = (options.now ?? (() => new Date()))().getTime();
  return Number.isNaN(since) || now - since > options.staleAfterMs;
}

/**
 * Takes the `kind` ref of `environment` for `holder`, atomically across App replicas: GitHub
 * creates a ref only when it does not exist, and answers 422 "Reference already exists" when it
 * does — the only 422 that means "taken"; any other refusal throws an `EnvironmentRefError` with
 * GitHub's reason. A holder older than `staleAfterMs` is taken over by a compare-and-swap: our
 * commit has the stale commit as parent and the ref is moved with `force: false`, which GitHub
 * performs only as a fast-forward — so it fails if anyone moved (or deleted and re-created) the
 * ref since we read it, and of two replicas taking over at once exactly one succeeds (two updates
 * from the same SHA: one lands, the other gets 422 "Update is not a fast forward",
 * github-tools/github#78; the description of `force` says a non-forced update "will make sure
 * you're not overwriting work"). A deploy
 * marker checks the lock again once it is taken: a `/lock` that landed meanwhile wins, and the
 * marker is given back. Claiming again with the same holder record (a retry after a lost answer)
 * finds the ref already ours.
 */
export async function claim(
  api: GitRefsApi,
  repo: Repo,
  kind: RefKind,
  environment: string,
  holder: LockHolder,
  options: ClaimOptions = {},
): Promise<Claim> {
  const ref = refPath(kind, environment);
  const fresh = await writeRecord(api, repo, kind, environment, holder, [], options.tree);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    try {
      await api.createRef({ ...repo, ref: `refs/${ref}`, sha: fresh.sha });
      return await confirm(api, repo, kind, environment, { ...fresh, holder, tookOver: undefined });
    } catch (error) {
      if (!isAlreadyExists(error)) throw refusal(error, ref, 'create');
    }
    const current = await currentSha(api, repo, ref);
    if (current === undefined) continue; // released since: create it again
    const { holder: held, tree } = await readRecord(api, repo, current);
    if (sameClaim(held, holder)) {
      // Our own earlier attempt, whose answer was lost after GitHub wrote it.
      return await confirm(api, repo, kind, environment, { sha: current, tree, holder, tookOver: undefined });
    }
    if (!isStale(held, options) && current !== options.takeOver)
      return { taken: false, by: 'holder', sha: current, holder: held };
    const successor = await writeRecord(api, repo, kind, environment, holder, [current], options.tree);
    try {
      await api.updateRef({ ...repo, ref, sha: successor.sha, force: false });
      return await confirm(api, repo, kind, environment, { ...successor, holder, tookOver: held });
    } catch (error) {
      // Someone else moved or removed it first: look again.
      if (!isNotFastForward(error) && !isMissingRef(error)) throw refusal(error, ref, 'update');
    }
  }
  const reason = `it changed hands ${MAX_ROUNDS} times while Rollgate tried to take it`;
  throw new EnvironmentRefError(
    `\`refs/${ref}\` did not settle: ${reason}.`,
    'Other App replicas (or people) are taking and releasing it at the same moment.',
    'Run the command again.',
    { ref: `refs/${ref}`, status: undefined, reason },
  );
}

/** A taken deploy marker yields to a lock held by someone else; a taken lock is final. */
async function confirm(
  api: GitRefsApi,
  repo: Repo,
  kind: RefKind,
  environment: string,
  taken: { sha: string; tree: string; holder: LockHolder; tookOver: LockHolder | undefined },
): Promise<Claim> {
  if (kind === 'deploying') {
    const lock = await currentSha(api, repo, refPath('lock', environment));
    if (lock !== undefined) {
      const locker = await readLockHolder(api, repo, lock);
      if (locker.holder !== taken.holder.holder) {
        await release(api, repo, kind, environment, { sha: taken.sha });
        return { taken: false, by: 'lock', sha: lock, holder: locker };
      }
    }
  }
  return { taken: true, ...taken };
}

/**
 * `claim`, answered as earlier versions did: undefined when the ref is now the caller's, else who
 * holds it (or holds the lock that refused a deploy marker).
 */
export async function acquire(
  api: GitRefsApi,
  repo: Repo,
  kind: RefKind,
  environment: string,
  holder: LockHolder,
  options: ClaimOptions = {},
): Promise<LockHolder | undefined> {
  const result = await claim(api, repo, kind, environment, holder, options);
  return result.taken ? undefined : result.holder;
}

/**
 * Records the Deployment a marker was taken for, so that only that deployment's final status
 * releases it: a child commit of the marker, moved to by fast-forward (a compare-and-swap on the
 * marker we took). Returns the marker's new commit, or undefined when the marker is no longer ours.
 */
export async function recordDeployment(
  api: GitRefsApi,
  repo: Repo,
  environment: string,
  marker: { readonly sha: string; readonly tree: string; readonly holder: LockHolder },
  deploymentId: number,
): Promise<string | undefined> {
  const ref = refPath('deploying', environment);
  const holder = { ...marker.holder, deploymentId };
  let commit: { sha: string };
  try {
    ({ data: commit } = await api.createCommit({
      ...repo,
      tree: marker.tree,
      parents: [marker.sha],
      message: recordMessage('deploying', environment, holder),
    }));
  } catch (error) {
    throw refusal(error, ref, 'write the holder commit of');
  }
  try {
    await api.updateRef({ ...repo, ref, sha: commit.sha, force: false });
    return commit.sha;
  } catch (error) {
    if (isNotFastForward(error) || isMissingRef(error)) return undefined;
    throw refusal(error, ref, 'update');
  }
}

/**
 * Removes the `kind` ref of `environment` if it is still `owner`'s: the commit we made (compared
 * just before the delete), or the marker recorded for a deployment. REST's delete has no
 * precondition, so a takeover landing between the read and the delete is lost; takeovers happen
 * only to markers abandoned for `staleAfterMs`, which makes that window one a live owner never meets. Without an owner it removes
 * whatever is there (an admin's `/unlock`). Returns whether a ref was removed; one already gone is fine.
 */
export async function release(
  api: GitRefsApi,
  repo: Repo,
  kind: RefKind,
  environment: string,
  owner?: ReleaseOwner,
): Promise<boolean> {
  const ref = refPath(kind, environment);
  if (owner !== undefined) {
    const current = await currentSha(api, repo, ref);
    if (current === undefined) return false;
    if ('sha' in owner && current !== owner.sha) return false;
    if ('deploymentId' in owner) {
      const holder = await readLockHolder(api, repo, current);
      if (holder.deploymentId !== owner.deploymentId) return false;
    }
  }
  return deleteIfPresent(api, repo, ref);
}

async function deleteIfPresent(api: GitRefsApi, repo: Repo, ref: string): Promise<boolean> {
  try {
    await api.deleteRef({ ...repo, ref });
    return true;
  } catch (error) {
    if (isMissingRef(error) || failureOf(error)?.status === 404) return false;
    throw refusal(error, ref, 'delete');
  }
}

/** The commit a ref points at now, or undefined when it does not exist. */
async function currentSha(api: GitRefsApi, repo: Repo, ref: string): Promise<string | undefined> {
  try {
    const { data } = await api.getRef({ ...repo, ref });
    return data.object.sha;
  } catch (error) {
    if (failureOf(error)?.status === 404) return undefined;
    throw error;
  }
}

function recordMessage(kind: RefKind, environment: string, holder: LockHolder): string {
  return `rollgate ${kind} ${environment}\n\n${JSON.stringify(holder)}`;
}

/**
 * A commit holding the record in its message, on a real tree: `given` (a tree of the repository's
 * own history) or the record tree (`README.md` saying what the ref is).
 */
async function writeRecord(
  api: GitRefsApi,
  repo: Repo,
  kind: RefKind,
  environment: string,
  holder: LockHolder,
  parents: string[],
  given?: string,
): Promise<{ sha: string; tree: string }> {
  const ref = refPath(kind, environment);
  try {
    const commit = (tree: string) =>
      api.createCommit({ ...repo, tree, parents, message: recordMessage(kind, environment, holder) });
    const tree = given ?? (await recordTree(api, repo));
    try {
      return { sha: (await commit(tree)).data.sha, tree };
    } catch (error) {
      // A tree no ref reaches any more may have been pruned by GitHub's garbage collection: make it again.
      const failure = failureOf(error);
      if (failure?.status !== 422 || !/tree sha does not exist/i.test(failure.message)) throw error;
      recordTrees.delete(`${repo.owner}/${repo.repo}`.toLowerCase());
      const again = await recordTree(api, repo);
      return { sha: (await commit(again)).data.sha, tree: again };
    }
  } catch (error) {
    throw refusal(error, ref, 'write the holder commit of');
  }
}

/** Tree shas by repository: the same content always gives the same tree, so it is made once. */
const recordTrees = new Map<string, Promise<string>>();

/**
 * The tree every holder commit points at: one file saying what the ref is (the record itself is the
 * commit message, which `readRecord` reads). Git trees are content-addressed, so creating it again
 * returns the same sha; it is created once per repository and process, saving a write per claim.
 */
function recordTree(api: GitRefsApi, repo: Repo): Promise<string> {
  const key = `${repo.owner}/${repo.repo}`.toLowerCase();
  let tree = recordTrees.get(key);
  if (tree === undefined) {
    tree = api
      .createTree({
        ...repo,
        tree: [{ path: RECORD_PATH, mode: '100644', type: 'blob', content: RECORD_README }],
      })
      .then(({ data }) => data.sha);
    tree.catch(() => recordTrees.delete(key));
    recordTrees.set(key, tree);
  }
  return tree;
}

/** Status and GitHub's message of a failed Octokit request; undefined for anything else. */
function failureOf(error: unknown): { status: number; message: string } | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  const status = Number(error.status);
  const response = 'response' in error ? error.response : undefined;
  const data =
    typeof response === 'object' && response !== null && 'data' in response ? response.data : undefined;
  const message =
    typeof data === 'object' && data !== null && 'message' in data && typeof data.message === 'string'
      ? data.message
      : error instanceof Error
        ? error.message
        : '';
  return { status, message };
}

function is422(error: unknown, message: RegExp): boolean {
  const failure = failureOf(error);
  return failure?.status === 422 && message.test(failure.message);
}

/** GitHub's 422 reasons for refs (https://docs.github.com/rest/git/refs): the only ones that are not refusals. */
export const isAlreadyExists = (error: unknown): boolean => is422(error, /^Reference already exists/);
export const isNotFastForward = (error: unknown): boolean => is422(error, /^Update is not a fast forward/);
export const isMissingRef = (error: unknown): boolean => is422(error, /^Reference does not exist/);

/** A 422 becomes an `EnvironmentRefError` with GitHub's reason; anything else stays as it was. */
function refusal(error: unknown, ref: string, action: string): unknown {
  const failure = failureOf(error);
  if (failure?.status !== 422) return error;
  return EnvironmentRefError.refused(
    `refs/${ref.replace(/^refs\//, '')}`,
    action,
    failure.status,
    failure.message,
  );
}
