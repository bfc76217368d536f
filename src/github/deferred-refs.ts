/**
 * Deploy requests deferred to a window's opening (or a freeze's end), kept in GitHub as refs so any
 * replica finds them and a restart loses none: `refs/rollgate/deferred/<comment id>`, on a commit
 * whose message holds the record (on the tree of the commit to deploy, which exists). Due requests
 * are taken by a compare-and-swap — a child commit saying who took it and when, moved to with
 * `force: false`, which GitHub performs only as a fast-forward — so of two replicas exactly one
 * carries a request out; one that crashed after taking it is taken again once the take is stale.
 */
import type { GitRefsApi } from './environment-refs.ts';
import { isAlreadyExists, isMissingRef, isNotFastForward } from './environment-refs.ts';
import type { Repo } from './deployments.ts';

export interface DeferredRecord {
  readonly environment: string;
  readonly pull: number;
  /** The `/deploy` comment whose request (gate-records) this is. */
  readonly comment: number;
  readonly sha: string;
  /** When the gates are expected to open (ISO 8601). */
  readonly opensAt: string;
  /** Set by the replica carrying it out. */
  readonly takenAt?: string;
}

export interface DeferredRef {
  readonly ref: string;
  readonly commit: string;
  readonly record: DeferredRecord;
}

const NAMESPACE = 'rollgate/deferred/';
/** A take older than this was abandoned (its replica died): another may take the request. */
export const STALE_TAKE_MS = 2 * 60_000;

const message = (record: DeferredRecord): string =>
  `rollgate deferred ${record.environment}\n\n${JSON.stringify(record)}`;

function parseRecord(text: string): DeferredRecord | undefined {
  const json = text.slice(text.indexOf('\n\n') + 2);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  if (typeof r.environment !== 'string' || typeof r.sha !== 'string' || typeof r.opensAt !== 'string')
    return undefined;
  if (typeof r.pull !== 'number' || typeof r.comment !== 'number') return undefined;
  return {
    environment: r.environment,
    pull: r.pull,
    comment: r.comment,
    sha: r.sha,
    opensAt: r.opensAt,
    ...(typeof r.takenAt === 'string' ? { takenAt: r.takenAt } : {}),
  };
}

/** Defers a request: idempotent (a request deferred already stays as it is). */
export async function deferRequest(
  api: GitRefsApi,
  repo: Repo,
  record: DeferredRecord,
  tree: string,
): Promise<void> {
  const { data: commit } = await api.createCommit({ ...repo, tree, parents: [], message: message(record) });
  try {
    await api.createRef({ ...repo, ref: `refs/${NAMESPACE}${record.comment}`, sha: commit.sha });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}

/** Every deferred request of the repository. */
export async function listDeferred(api: GitRefsApi, repo: Repo): Promise<DeferredRef[]> {
  const { data } = await api.listMatchingRefs({ ...repo, ref: NAMESPACE });
  const found = await Promise.all(
    data.map(async (ref) => {
      const { data: commit } = await api.getCommit({ ...repo, commit_sha: ref.object.sha });
      const record = parseRecord(commit.message);
      return record === undefined ? undefined : { ref: ref.ref, commit: ref.object.sha, record };
    }),
  );
  return found.filter((r): r is DeferredRef => r !== undefined);
}

/** Whether a deferred request is due at `now` and free to take. */
export function isDue(record: DeferredRecord, now: number): boolean {
  if (Date.parse(record.opensAt) > now) return false;
  return record.takenAt === undefined || now - Date.parse(record.takenAt) > STALE_TAKE_MS;
}

/** Takes a due request for this replica: true when the compare-and-swap landed. */
export async function takeDeferred(
  api: GitRefsApi,
  repo: Repo,
  deferred: DeferredRef,
  now: number,
): Promise<boolean> {
  const { data: tree } = await api.getCommit({ ...repo, commit_sha: deferred.commit });
  const taken = { ...deferred.record, takenAt: new Date(now).toISOString() };
  const { data: commit } = await api.createCommit({
    ...repo,
    tree: tree.tree.sha,
    parents: [deferred.commit],
    message: message(taken),
  });
  try {
    await api.updateRef({ ...repo, ref: deferred.ref.replace(/^refs\//, ''), sha: commit.sha, force: false });
    return true;
  } catch (error) {
    if (isNotFastForward(error) || isMissingRef(error)) return false;
    throw error;
  }
}

/** Ends a deferred request (carried out, or no longer valid). */
export async function dropDeferred(api: GitRefsApi, repo: Repo, ref: string): Promise<void> {
  try {
    await api.deleteRef({ ...repo, ref: ref.replace(/^refs\//, '') });
  } catch (error) {
    if (!isMissingRef(error) && (error as { status?: number }).status !== 404) throw error;
  }
}
