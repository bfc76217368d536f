/**
 * Carries out deploy requests deferred to a window's opening or a freeze's end — a `/deploy`, a
 * release's auto-deploy (`release-sweep.ts`), a workflow job held by the protection rule. Every replica
 * sweeps on its own rounds (and when woken at an opening, `wake.ts`): each installation's
 * repositories, their `refs/rollgate/deferred/…` refs, and each due request taken by a
 * compare-and-swap (`src/github/deferred-refs.ts`), so exactly one replica carries it out — and
 * the request is found in GitHub, so one deferred before a restart goes out after it.
 */
import type { Logger, Probot } from 'probot';
import {
  dropDeferred,
  deferRequest,
  isDue,
  listDeferred,
  takeDeferred,
} from '../../src/github/deferred-refs.ts';
import type { DeferredCommand, DeferredRef } from '../../src/github/deferred-refs.ts';
import { code, mention } from '../../src/github/markdown.ts';
import { loadConfig } from '../config-loader.ts';
import { refusePull, type PullFacts } from '../decisions/deploy.ts';
import { deployThroughGates } from '../handlers/deployment-plan.ts';
import { readEnvironmentState } from '../handlers/environment-state.ts';
import { readGateRecords } from '../handlers/gate-records.ts';
import { gitHubIo, type GitHubIo } from '../handlers/github-io.ts';
import { showRequest } from '../handlers/pending-request.ts';
import { requestOrder } from '../handlers/request-order.ts';
import { answerDeferredRule } from '../handlers/protection-rule.ts';
import { carryOutRelease } from './release-sweep.ts';
import { onWake } from './wake.ts';

export interface SweepOptions {
  readonly intervalMs: number;
  readonly now: () => number;
  readonly log: Logger;
}

/** Starts the rounds; the returned function stops them (and waits for a round under way). */
export function startSweeps(probot: Probot, options: SweepOptions): () => Promise<void> {
  let running: Promise<void> | undefined;
  let stopped = false;
  const round = (): void => {
    if (stopped || running !== undefined) return;
    running = sweepAll(probot, options)
      .catch((error: unknown) => {
        options.log.warn({ err: error }, 'a sweep of deferred requests failed');
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(round, options.intervalMs);
  timer.unref();
  // The first round comes one interval after start, like every other: a request deferred before a
  // restart goes out within an interval of its opening.
  onWake(round);
  return async () => {
    stopped = true;
    clearInterval(timer);
    onWake(undefined);
    await running;
  };
}

async function sweepAll(probot: Probot, options: SweepOptions): Promise<void> {
  const app = await probot.auth();
  const installations = await app.paginate(app.rest.apps.listInstallations, { per_page: 100 });
  for (const installation of installations) {
    const octokit = await probot.auth(installation.id);
    const repositories = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, {
      per_page: 100,
    });
    for (const repository of repositories) {
      const repo = { owner: repository.owner.login, repo: repository.name };
      const io = await gitHubIo({ octokit, log: options.log, repo: () => repo });
      await sweepRepository(io, options).catch((error: unknown) => {
        options.log.warn(
          { err: error, repository: repository.full_name },
          'sweeping deferred requests failed',
        );
      });
    }
  }
}

async function sweepRepository(io: GitHubIo, options: SweepOptions): Promise<void> {
  const now = options.now();
  const all = await listDeferred(io.git, io.repo);
  for (const deferred of all) {
    if (!isDue(deferred.record, now)) continue;
    if (!(await takeDeferred(io.git, io.repo, deferred, now))) continue;
    const { record } = deferred;
    if (record.kind === 'release') await carryOutRelease(io, deferred, record, all, options.now);
    else if (record.kind === 'protection') await answerDeferredRule(io, deferred, record, options.now);
    else await carryOut(io, deferred, record, options);
  }
}

/** What a deferred request comes to now that its time has come; the ref goes in every case but one (deferred again). */
async function carryOut(
  io: GitHubIo,
  deferred: DeferredRef,
  record: DeferredCommand,
  options: SweepOptions,
): Promise<void> {
  const { data: pr } = await io.octokit.rest.pulls.get({ ...io.repo, pull_number: record.pull });
  const pull: PullFacts = {
    number: pr.number,
    state: pr.state === 'closed' ? 'closed' : 'open',
    merged: pr.merged || pr.merged_at !== null,
    headSha: pr.head.sha,
    fromFork: (pr.head.repo as { full_name: string } | null)?.full_name !== pr.base.repo.full_name,
  };
  const [config, records, environments] = await Promise.all([
    loadConfig({ octokit: io.octokit, repo: () => io.repo }),
    readGateRecords(io, record.pull),
    readEnvironmentState(io.git, io.repo),
  ]);
  const request = records.requests.find((r) => r.comment === record.comment);
  const say = (text: string) =>
    io.octokit.rest.issues.createComment({ ...io.repo, issue_number: record.pull, body: text });
  const problem =
    request === undefined
      ? 'its request is no longer on the pull request'
      : pull.headSha !== request.sha
        ? `#${pull.number} has had a push since (a push cancels a request)`
        : refusePull(pull, config.commands.allowForks);
  if (request === undefined || problem !== undefined) {
    await dropDeferred(io.git, io.repo, deferred.ref);
    if (request !== undefined)
      await say(
        `${mention(request.requester)} The deferred deploy to ${code(request.environment)} was cancelled: ${problem}.`,
      );
    return;
  }
  const { order, facts } = requestOrder(request, config, pull, environments, records, true);
  const outcome = await deployThroughGates(io, config, order, facts, options.now);
  if (outcome.kind === 'deferred') {
    // The window moved, or a freeze was added: wait for the new opening.
    await dropDeferred(io.git, io.repo, deferred.ref);
    const { data: commit } = await io.octokit.rest.git.getCommit({ ...io.repo, commit_sha: request.sha });
    await deferRequest(
      io.git,
      io.repo,
      { ...record, opensAt: outcome.opensAt.toISOString() },
      commit.tree.sha,
    );
    return;
  }
  await dropDeferred(io.git, io.repo, deferred.ref);
  if (outcome.kind === 'deployed') {
    await showRequest(io, request, { kind: 'carried-out', deploymentId: outcome.deployment.id }).catch(
      (error: unknown) => {
        io.log.warn({ err: error }, 'the check run of a deferred request was not concluded');
      },
    );
    await say(
      `${mention(request.requester)} The window opened: deploying ${code(request.version)} (\`${request.sha.slice(0, 7)}\`) to ${code(request.environment)}, Deployment #${outcome.deployment.id}.`,
    );
    return;
  }
  const why =
    outcome.kind === 'refused'
      ? outcome.message
      : outcome.kind === 'pending'
        ? 'it waits for approvals again'
        : 'it was only a dry run';
  await say(
    `${mention(request.requester)} The deferred deploy to ${code(request.environment)} did not go out: ${why}`,
  );
}
