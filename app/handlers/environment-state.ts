/**
 * The one place the command handlers meet `src/github/environment-refs.ts`: locks and
 * deploy-in-progress markers, read and written through its exported API. Who a marker belongs to
 * (the comment or release that took it) is kept in the holder's `reason`, so a redelivery, a
 * repeat of the command and the final deployment status can tell their own marker from another's.
 */
import {
  acquire,
  readEnvironmentRefs,
  readLockHolder,
  release,
  type GitRefsApi,
  type LockHolder,
} from '../../src/github/environment-refs.ts';
import type { Repo } from '../../src/github/deployments.ts';
import { reconciledWrite } from './reconciled-write.ts';

/** What took a marker: a comment command or a published release. */
export type MarkerOwner =
  { readonly kind: 'comment'; readonly id: number } | { readonly kind: 'release'; readonly id: number };

/** A deploy-in-progress marker as the decisions see it. */
export interface Marker {
  readonly holder: string;
  readonly reason: string;
  readonly since: string;
  readonly pullRequest: number | undefined;
  /** Undefined for a marker written by an older Rollgate, which said nothing about its owner. */
  readonly owner: MarkerOwner | undefined;
}

/** The lock and the marker of every environment, holders read only where a ref exists. */
export interface EnvironmentState {
  readonly locks: ReadonlyMap<string, LockHolder>;
  readonly markers: ReadonlyMap<string, Marker>;
}

export type { LockHolder };

const OWNER = /\((comment|release) (\d+)\)$/;

function toMarker(holder: LockHolder): Marker {
  const match = OWNER.exec(holder.reason);
  const owner =
    match === null
      ? undefined
      : { kind: match[1] === 'release' ? ('release' as const) : ('comment' as const), id: Number(match[2]) };
  return { ...holder, reason: holder.reason.replace(OWNER, '').trim(), owner };
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
  const refs = await readEnvironmentRefs(git, repo);
  const wanted = (name: string) => environments === undefined || environments.includes(name);
  const [locks, markers] = await Promise.all([
    Promise.all(
      [...refs.locks]
        .filter(([name]) => wanted(name))
        .map(async ([name, sha]) => [name, await readLockHolder(git, repo, sha)] as const),
    ),
    Promise.all(
      [...refs.deploying]
        .filter(([name]) => wanted(name))
        .map(async ([name, sha]) => [name, toMarker(await readLockHolder(git, repo, sha))] as const),
    ),
  ]);
  return { locks: new Map(locks), markers: new Map(markers) };
}

/** The holder of `environment`'s lock, if it is locked (one read, two when it is). */
export async function readLock(
  git: GitRefsApi,
  repo: Repo,
  environment: string,
): Promise<LockHolder | undefined> {
  const sha = (await readEnvironmentRefs(git, repo)).locks.get(environment);
  return sha === undefined ? undefined : readLockHolder(git, repo, sha);
}

/** Takes the marker of `environment` for `owner`; undefined when taken, else the marker in the way. */
export async function takeMarker(
  git: GitRefsApi,
  repo: Repo,
  environment: string,
  claim: Omit<Marker, 'owner'> & { readonly owner: MarkerOwner },
): Promise<Marker | undefined> {
  const holder: LockHolder = {
    holder: claim.holder,
    reason: `${claim.reason} (${claim.owner.kind} ${claim.owner.id})`,
    since: claim.since,
    pullRequest: claim.pullRequest,
  };
  const busy = await acquire(git, repo, 'deploying', environment, holder);
  return busy === undefined ? undefined : toMarker(busy);
}

/**
 * Removes the marker of `environment`; one already gone is fine. Deleting a ref is idempotent, so
 * after a failure it is sent once more: a marker left behind would hold the environment.
 */
export async function dropMarker(git: GitRefsApi, repo: Repo, environment: string): Promise<void> {
  await reconciledWrite(
    () => release(git, repo, 'deploying', environment),
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
export function dropLock(git: GitRefsApi, repo: Repo, environment: string): Promise<void> {
  return release(git, repo, 'lock', environment);
}
