/**
 * Whether a release waiting at its gates should still go out when its time comes (the sweep at a
 * window's opening, the last approval). What a user expects:
 * - the release was deleted, or turned back into a draft, meanwhile: it is not deployed — they took
 *   it back — and its check run says so (`cancelled`);
 * - a release published later was deployed to the same environment, or waits there as a deferred
 *   request: the older one is not deployed — it would roll the environment back, or go out only to
 *   be replaced at once — and its check run names what took its place (`neutral`: nothing failed).
 */
import { listDeferred, type DeferredRef } from '../../src/github/deferred-refs.ts';
import { code } from '../../src/github/markdown.ts';
import { deploymentOwner } from '../decisions/deployment-status.ts';
import type { GitHubIo } from './github-io.ts';
import type { ReleaseRequest } from './release-request.ts';

export type ReleaseStanding =
  | { readonly kind: 'standing'; readonly author: string; readonly target: string }
  | { readonly kind: 'gone'; readonly why: string; readonly conclusion: 'cancelled' | 'neutral' };

const sameEnvironment = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * Reads the release and what else went (or waits to go) to the environment. `deferred` is every
 * deferred ref of the repository when the caller has listed them already.
 */
export async function releaseStanding(
  io: GitHubIo,
  request: Pick<ReleaseRequest, 'release' | 'environment' | 'publishedAt'>,
  deferred?: readonly DeferredRef[],
): Promise<ReleaseStanding> {
  const release = await readRelease(io, request.release);
  if (release === undefined || release.draft)
    return {
      kind: 'gone',
      why: 'the release was deleted or turned back into a draft while it waited',
      conclusion: 'cancelled',
    };
  const newer = await newerRelease(io, request, deferred ?? (await listDeferred(io.git, io.repo)));
  if (newer !== undefined) return { kind: 'gone', why: newer, conclusion: 'neutral' };
  return { kind: 'standing', author: release.author, target: release.target };
}

/** The release as GitHub has it now; undefined when it was deleted. */
async function readRelease(
  io: GitHubIo,
  id: number,
): Promise<{ draft: boolean; author: string; target: string } | undefined> {
  try {
    const { data } = await io.octokit.rest.repos.getRelease({ ...io.repo, release_id: id });
    return { draft: data.draft, author: data.author.login, target: data.target_commitish };
  } catch (error) {
    if ((error as { status?: number }).status === 404) return undefined;
    throw error;
  }
}

/** Why a release published later takes this one's place in the environment, if one does. */
async function newerRelease(
  io: GitHubIo,
  request: Pick<ReleaseRequest, 'release' | 'environment' | 'publishedAt'>,
  deferred: readonly DeferredRef[],
): Promise<string | undefined> {
  const published = Date.parse(request.publishedAt);
  for (const other of deferred) {
    const r = other.record;
    if (r.kind !== 'release' || r.release === request.release) continue;
    if (sameEnvironment(r.environment, request.environment) && Date.parse(r.publishedAt) > published)
      return `release ${code(r.tag)}, published later, waits to go out to ${code(request.environment)} in its place`;
  }
  const { data } = await io.octokit.rest.repos.listDeployments({
    ...io.repo,
    environment: request.environment,
    per_page: 30,
  });
  for (const deployment of data) {
    // GitHub answers the payload as the object it was given (a string only for a string payload).
    const owner = deploymentOwner(typeof deployment.payload === 'string' ? {} : deployment.payload);
    if (owner?.kind !== 'release' || owner.id === request.release) continue;
    if (Date.parse(deployment.created_at) > published)
      return `another release went out to ${code(request.environment)} after this one was published (Deployment #${deployment.id})`;
  }
  return undefined;
}
