/**
 * Deploy requests deferred to a window's opening (or a freeze's end), kept in GitHub as refs so any
 * replica finds them and a restart loses none. This module is the one place that knows their names:
 * `refs/rollgate/deferred/<comment id>` for a `/deploy`, `refs/rollgate/deferred/release-<release
 * id>-<env>` for a release's auto-deploy, `refs/rollgate/deferred/protection-<run id>-<env>` for a
 * workflow job held by the protection rule — a comment id is all digits, so the names never
 * collide. Each ref is on a commit whose message holds the record (on the tree of the commit to
 * deploy, which exists). Due requests are taken by a compare-and-swap — a child commit saying who
 * took it and when, moved to with `force: false`, which GitHub performs only as a fast-forward — so
 * of two replicas exactly one carries a request out; one that crashed after taking it is taken
 * again once the take is stale.
 */
import type { GitRefsApi } from './environment-refs.ts';
import { environmentKey, isAlreadyExists, isMissingRef, isNotFastForward } from './environment-refs.ts';
import type { Repo } from './deployments.ts';
import { jsonRecord } from '../json/record.ts';

interface DeferredFields {
  readonly environment: string;
  readonly sha: string;
  /** When the gates are expected to open (ISO 8601). */
  readonly opensAt: string;
  /** Set by the replica carrying it out. */
  readonly takenAt?: string;
}

/** A `/deploy` on a pull request (records written before `kind` existed have none). */
export interface DeferredCommand extends DeferredFields {
  readonly kind?: 'comment';
  readonly pull: number;
  /** The `/deploy` comment whose request (gate-records) this is. */
  readonly comment: number;
}

/** A published release's auto-deploy to one environment. */
export interface DeferredRelease extends DeferredFields {
  readonly kind: 'release';
  readonly release: number;
  readonly tag: string;
  /** When the release was published (ISO 8601): a release published later supersedes it. */
  readonly publishedAt: string;
}

/** A workflow job waiting on the custom deployment protection rule of one environment. */
export interface DeferredRule extends DeferredFields {
  readonly kind: 'protection';
  readonly runId: number;
}

export type DeferredRecord = DeferredCommand | DeferredRelease | DeferredRule;
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
  const r = jsonRecord(text.slice(text.indexOf('\n\n') + 2));
  if (r === undefined) return undefined;
  if (typeof r.environment !== 'string' || typeof r.sha !== 'string' || typeof r.opensAt !== 'string')
    return undefined;
  const fields: DeferredFields = {
    environment: r.environment,
    sha: r.sha,
    opensAt: r.opensAt,
    ...(typeof r.takenAt === 'string' ? { takenAt: r.takenAt } : {}),
  };
  const whole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
  if (r.kind === 'release') {
    if (!whole(r.release) || typeof r.tag !== 'string' || typeof r.publishedAt !== 'string') return undefined;
    return { ...fields, kind: 'release', release: r.release, tag: r.tag, publishedAt: r.publishedAt };
  }
  if (r.kind === 'protection')
    return whole(r.runId) ? { ...fields, kind: 'protection', runId: r.runId } : undefined;
  if (r.kind !== undefined && r.kind !== 'comment') return undefined;
  if (!whole(r.pull) || !whole(r.comment)) return undefined;
  return { ...fields, pull: r.pull, comment: r.comment };
}

/** The ref a deferred request is kept in (`refs/rollgate/deferred/…`). */
export function deferredRef(record: DeferredRecord): string {
  switch (record.kind) {
    case 'release':
      return `refs/${NAMESPACE}release-${record.release}-${environmentKey(record.environment)}`;
    case 'protection':
      return `refs/${NAMESPACE}protection-${record.runId}-${environmentKey(record.environment)}`;
    default:
      return `refs/${NAMESPACE}${record.comment}`;
  }
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
    await api.createRef({ ...repo, ref: deferredRef(record), sha: commit.sha });
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
