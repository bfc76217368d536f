/**
 * The one place the command handlers meet `src/github/environment-refs.ts`: locks and
 * deploy-in-progress markers, read and written through its exported API. Who a marker belongs to
 * (the comment or release that took it) is kept in the holder's `reason`, so a redelivery, a
 * repeat of the command and the final deployment status can tell their own marker from another's.
 */
import {
  acquire,
  claim,
  EnvironmentMap,
  readEnvironmentRefs,
  readLockHolder,
  release,
  type GitRefsApi,
  type LockHolder,
} from '../../src/github/environment-refs.ts';
import type { Repo } from '../../src/github/deployments.ts';
import { reconciledWrite } from './reconciled-write.ts';

/** What took a marker: a comment command, a published release, or an action from the dashboard. */
export type MarkerOwner = { readonly kind: 'comment' | 'release' | 'dashboard'; readonly id: number };

/** A deploy-in-progress marker as the decisions see it. */
export interface Marker {
  readonly holder: string;
  readonly reason: string;
  readonly since: string;
  readonly pullRequest: number | undefined;
  /** Undefined for a marker written by an older Rollgate, which said nothing about its owner. */
  readonly owner: MarkerOwner | undefined;
  /** The marker's commit: a takeover or a release applies only while the ref still points at it. */
  readonly sha: string;
}

/** The lock and the marker of every environment, holders read only where a ref exists. */
export interface EnvironmentState {
  readonly locks: ReadonlyMap<string, LockHolder>;
  readonly markers: ReadonlyMap<string, Marker>;
}

export type { LockHolder };

/** Repositories whose legacy `rollgate/*` branches this process has migrated already. */
const migrated = new Set<string>();

const OWNER = /\((comment|release|dashboard) (\d+)\)$/;

function toMarker(holder: LockHolder, sha: string): Marker {
  const match = OWNER.exec(holder.reason);
  const kind = match?.[1];
  const owner: MarkerOwner | undefined =
    kind === 'comment' || kind === 'release' || kind === 'dashboard'
      ? { kind, id: Number(match?.[2]) }
      : undefined;
  return { ...holder, reason: holder.reason.replace(OWNER, '').trim(), owner, sha };
}

/** Whether a marker was taken by `owner`. */
export function ownedBy(marker: Marker, owner: MarkerOwner): boolean {
  return marker.owner?.kind === owner.kind && marker.owner.id === owner.id;
}

/** Reads the locks and markers of `environments` (all of them when undefined). */
export async function readEnvironmentState(
  git: GitRefsApi,
  repo: Repo,
  environments?: readonly string[],
): Promise<EnvironmentState> {
  const refs = await readEnvironmentRefs(git, repo, { migrated });
  const folded = environments?.map((e) => e.toLowerCase());
  const wanted = (name: string) => folded === undefined || folded.includes(name.toLowerCase());
  const [locks, markers] = await Promise.all([
    Promise.all(
      [...refs.locks]
        .filter(([name]) => wanted(name))
        .map(async ([name, sha]) => [name, await readLockHolder(git, repo, sha)] as const),
    ),
    Promise.all(
      [...refs.deploying]
        .filter(([name]) => wanted(name))
        .map(async ([name, sha]) => [name, toMarker(await readLockHolder(git, repo, sha), sha)] as const),
    ),
  ]);
  // Looked up by the names commands and the configuration spell: case does not matter.
  return { locks: new EnvironmentMap(locks), markers: new EnvironmentMap(markers) };
}

/** The holder of `environment`'s lock, if it is locked (one read, two when it is). */
export async function readLock(
  git: GitRefsApi,
  repo: Repo,
  environment: string,
): Promise<LockHolder | undefined> {
  const sha = (await readEnvironmentRefs(git, repo, { migrated })).locks.get(environment);
  return sha === undefined ? undefined : readLockHolder(git, repo, sha);
}

/** What taking a marker came to: ours, someone else's marker in the way, or a lock that won. */
export type MarkerClaim =
  | { readonly kind: 'taken' }
  | { readonly kind: 'busy'; readonly marker: Marker }
  | { readonly kind: 'locked'; readonly lock: LockHolder };

/**
 * Takes the marker of `environment` for `owner`. `takeOver` names the commit of a marker the
 * decision judged abandoned: it is replaced by a compare-and-swap, so of two replicas taking it
 * over one wins, and a marker taken meanwhile by anyone else is never overwritten. A lock that
 * lands while the marker is taken wins (the marker is given back).
 */
export async function takeMarker(
  git: GitRefsApi,
  repo: Repo,
  environment: string,
  request: Omit<Marker, 'owner' | 'sha'> & { readonly owner: MarkerOwner },
  where: { readonly takeOver?: string | undefined; readonly tree?: string | undefined } = {},
): Promise<MarkerClaim> {
  const holder: LockHolder = {
    holder: request.holder,
    reason: `${request.reason} (${request.owner.kind} ${request.owner.id})`,
    since: request.since,
    pullRequest: request.pullRequest,
  };
  const result = await claim(git, repo, 'deploying', environment, holder, {
    ...(where.takeOver !== undefined ? { takeOver: where.takeOver } : {}),
    ...(where.tree !== undefined ? { tree: where.tree } : {}),
  });
  if (result.taken) return { kind: 'taken' };
  if (result.by === 'lock') return { kind: 'locked', lock: result.holder };
  return { kind: 'busy', marker: toMarker(result.holder, result.sha) };
}

/**
 * Removes the marker of `environment` — only while it still points at `sha` when given, so a
 * marker someone took since is left alone; one already gone is fine. Deleting a ref is
 * idempotent, so after a failure it is sent once more: a marker left behind would hold the environment.
 */
export async function dropMarker(
  git: GitRefsApi,
  repo: Repo,
  environment: string,
  sha?: string,
): Promise<void> {
  await reconciledWrite(
    () => release(git, repo, 'deploying', environment, sha === undefined ? undefined : { sha }),
    () => Promise.resolve(undefined),
  );
}

/** Takes the lock of `environment`; undefined when taken, else the current holder. */
export function takeLock(
  git: GitRefsApi,
  repo: Repo,
  environment: string,
  holder: LockHolder,
): Promise<LockHolder | undefined> {
  return acquire(git, repo, 'lock', environment, holder);
}

/** Removes the lock of `environment`. */
export async function dropLock(git: GitRefsApi, repo: Repo, environment: string): Promise<void> {
  await release(git, repo, 'lock', environment);
}
