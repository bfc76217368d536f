/**
 * A release's auto-deploy deferred to a window's opening or a freeze's end, carried out by the
 * sweep that took its ref (`sweep.ts`): dropped, with its check run saying why, when the release
 * was deleted or a newer one took its place (`release-standing.ts`); else the gates are evaluated
 * again now (a freeze may have been added, the window moved, a lock taken), and the release is
 * deployed, deferred again, or refused, as `gateRelease` decides. Its Deployment carries the
 * release's id as any release Deployment does, so neither a retake after a crash nor a redelivered
 * `release.published` deploys it twice.
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
import { readEnvironmentState } from '../handlers/environment-state.ts';
import type { GitHubIo } from '../handlers/github-io.ts';
import { gateRelease, logOutcome, releaseBranch } from '../handlers/release.ts';
import { findReleaseRun, showReleaseRequest, type ReleaseRequest } from '../handlers/release-request.ts';
import { releaseStanding } from '../handlers/release-standing.ts';

/** Carries out (or drops, or defers again) one taken release request; `all` is every deferred ref of the repository. */
export async function carryOutRelease(
  io: GitHubIo,
  deferred: DeferredRef,
  record: DeferredRelease,
  all: readonly DeferredRef[],
  now: () => number,
): Promise<void> {
  const run = await findReleaseRun(io, record);
  const standing = await releaseStanding(io, record, all);
  const request: ReleaseRequest = run?.request ?? {
    release: record.release,
    tag: record.tag,
    environment: record.environment,
    sha: record.sha,
    version: releaseVersion(record.tag),
    requester: standing.kind === 'standing' ? standing.author : 'release',
    branch: standing.kind === 'standing' ? releaseBranch(standing.target) : undefined,
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
  if (standing.kind === 'gone') {
    await drop(standing.why, standing.conclusion);
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
