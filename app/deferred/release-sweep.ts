/**
 * A release's auto-deploy deferred to a window's opening or a freeze's end, carried out by the
 * sweep that took its ref (`sweep.ts`). What a user expects then:
 * - the release was deleted, or turned back into a draft, meanwhile: it is not deployed — they took
 *   it back — and its check run says so (`cancelled`);
 * - a release published later is deployed to the same environment, or waits to be: the older one is
 *   not deployed — deploying it would roll the environment back, or go out only to be replaced —
 *   and its check run says which release took its place (`neutral`: nothing went wrong);
 * - else the gates are evaluated again now (a freeze may have been added, the window moved, a lock
 *   taken), and the release is deployed, deferred again, or refused, as `gateRelease` decides.
 * Its Deployment carries the release's id as any release Deployment does, so neither a retake
 * after a crash nor a redelivered `release.published` deploys it twice.
 */
import {
  deferRequest,
  dropDeferred,
  type DeferredRef,
  type DeferredRelease,
} from '../../src/github/deferred-refs.ts';
import { code } from '../../src/github/markdown.ts';
import { loadConfig } from '../config-loader.ts';
import { releaseVersion } from '../decisions/release.ts';
import { deploymentOwner } from '../decisions/deployment-status.ts';
import { readEnvironmentState } from '../handlers/environment-state.ts';
import type { GitHubIo } from '../handlers/github-io.ts';
import { gateRelease, logOutcome, releaseBranch } from '../handlers/release.ts';
import { findReleaseRun, showReleaseRequest, type ReleaseRequest } from '../handlers/release-request.ts';

const sameEnvironment = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Carries out (or drops, or defers again) one taken release request; `all` is every deferred ref of the repository. */
export async function carryOutRelease(
  io: GitHubIo,
  deferred: DeferredRef,
  record: DeferredRelease,
  all: readonly DeferredRef[],
  now: () => number,
): Promise<void> {
  const run = await findReleaseRun(io, record);
  const release = await readRelease(io, record.release);
  const request: ReleaseRequest = run?.request ?? {
    release: record.release,
    tag: record.tag,
    environment: record.environment,
    sha: record.sha,
    version: releaseVersion(record.tag),
    requester: release?.author ?? 'release',
    branch: release === undefined ? undefined : releaseBranch(release.target),
    publishedAt: record.publishedAt,
    approvals: [],
  };
  const drop = async (why: string, conclusion: 'cancelled' | 'neutral') => {
    io.log.info(
      { environment: record.environment, release: record.release },
      `deferred release ${record.tag} dropped: ${why}`,
    );
    await showReleaseRequest(io, request, { kind: 'dropped', why, conclusion }, run);
    await dropDeferred(io.git, io.repo, deferred.ref);
  };
  if (release === undefined || release.draft) {
    await drop('the release was deleted or turned back into a draft while it waited', 'cancelled');
    return;
  }
  const newer = await newerRelease(io, record, all);
  if (newer !== undefined) {
    await drop(newer, 'neutral');
    return;
  }
  const [config, state] = await Promise.all([
    loadConfig({ octokit: io.octokit, repo: () => io.repo }),
    readEnvironmentState(io.git, io.repo),
  ]);
  if (config.environments.get(request.environment) === undefined) {
    await drop(`${code(request.environment)} is no longer in \`.github/rollgate.yml\``, 'cancelled');
    return;
  }
  const replaced = { again: false };
  const outcome = await gateRelease(io, config, state, request, run, {
    now,
    // The window moved, or a freeze was added: this ref gives way to one for the new opening.
    defer: async (again, tree) => {
      replaced.again = true;
      await dropDeferred(io.git, io.repo, deferred.ref);
      await deferRequest(io.git, io.repo, again, tree);
    },
  });
  logOutcome(io, request, outcome);
  if (!replaced.again) await dropDeferred(io.git, io.repo, deferred.ref);
}

/** The release as GitHub has it now; undefined when it was deleted. */
async function readRelease(
  io: GitHubIo,
  id: number,
): Promise<{ draft: boolean; author: string | undefined; target: string } | undefined> {
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
  record: DeferredRelease,
  all: readonly DeferredRef[],
): Promise<string | undefined> {
  const published = Date.parse(record.publishedAt);
  for (const other of all) {
    const r = other.record;
    if (r.kind !== 'release' || r.release === record.release) continue;
    if (sameEnvironment(r.environment, record.environment) && Date.parse(r.publishedAt) > published)
      return `release ${code(r.tag)}, published later, waits to go out to ${code(record.environment)} in its place`;
  }
  const { data } = await io.octokit.rest.repos.listDeployments({
    ...io.repo,
    environment: record.environment,
    per_page: 30,
  });
  for (const deployment of data) {
    // GitHub answers the payload as the object it was given (a string only for a string payload).
    const owner = deploymentOwner(typeof deployment.payload === 'string' ? {} : deployment.payload);
    if (owner?.kind !== 'release' || owner.id === record.release) continue;
    if (Date.parse(deployment.created_at) > published)
      return `another release went out to ${code(record.environment)} after this one was published (Deployment #${deployment.id})`;
  }
  return undefined;
}
