import type { Context } from 'probot';
import type { RollgateConfig } from '../../src/config/types.ts';
import { loadConfig } from '../config-loader.ts';
import { now as clockNow } from '../clock.ts';
import { releaseEnvironments, releaseVersion } from '../decisions/release.ts';
import { describeError } from '../../src/errors.ts';
import { deferRequest, type DeferredRelease } from '../../src/github/deferred-refs.ts';
import { wakeAt } from '../deferred/wake.ts';
import { deployThroughGates, gateFactsOf, type DeploymentOutcome } from './deployment-plan.ts';
import { readEnvironmentState, type EnvironmentState } from './environment-state.ts';
import { hasGates } from './gate-facts.ts';
import { gitHubIo, type GitHubIo } from './github-io.ts';
import {
  findReleaseRun,
  releaseRecords,
  showReleaseRequest,
  type ReleaseRequest,
  type ReleaseRun,
} from './release-request.ts';

/**
 * A published release is deployed to every environment whose `auto_deploy` lists `release`
 * (a prerelease only where it lists `prerelease`), through the same gates, lock and marker as `/deploy`.
 * The Deployment carries the release's id, so a redelivered event finds it and deploys once.
 * A release the gates hold waits as a `/deploy` does (`gateRelease`): for approvals on its check
 * run's buttons, for a window or a freeze as a deferred request the sweep carries out.
 */
export async function handleRelease(context: Context<'release.published'>): Promise<void> {
  const { release } = context.payload;
  const io = await gitHubIo(context);
  const [config, state] = await Promise.all([loadConfig(context), readEnvironmentState(io.git, io.repo)]);
  const names = releaseEnvironments(config, release);
  if (names.length === 0) return;
  const sha = await tagCommit(context, release.tag_name);
  for (const name of names) {
    const request: ReleaseRequest = {
      release: release.id,
      tag: release.tag_name,
      environment: name,
      sha,
      version: releaseVersion(release.tag_name),
      requester: release.author?.login ?? 'release',
      branch: releaseBranch(release.target_commitish),
      publishedAt: release.published_at ?? new Date(clockNow()).toISOString(),
      approvals: [],
    };
    try {
      const environment = config.environments.get(name);
      // A redelivery finds the request's check run: decided already, or waiting with its approvals.
      const run =
        environment !== undefined && hasGates(environment) ? await findReleaseRun(io, request) : undefined;
      if (run?.completed === true) {
        context.log.info({ environment: name }, `release ${release.tag_name} was decided already`);
        continue;
      }
      const outcome = await gateRelease(io, config, state, run?.request ?? request, run);
      logOutcome(io, request, outcome);
    } catch (error) {
      context.log.error(
        { environment: name, err: error },
        `release ${release.tag_name} not deployed: ${describeError(error)}`,
      );
    }
  }
}

/** How long a release waits before trying again an environment another deploy holds. */
const BUSY_RETRY_MS = 60_000;

/** Keeps the release request for the sweep until `opensAt` (a deferred ref on the release commit's tree). */
async function deferRelease(
  io: GitHubIo,
  request: ReleaseRequest,
  opensAt: Date,
  defer: DeferRelease | undefined,
): Promise<void> {
  const { data: commit } = await io.octokit.rest.git.getCommit({ ...io.repo, commit_sha: request.sha });
  const record: DeferredRelease = {
    kind: 'release',
    environment: request.environment,
    sha: request.sha,
    release: request.release,
    tag: request.tag,
    publishedAt: request.publishedAt,
    opensAt: opensAt.toISOString(),
  };
  await (defer ?? ((r, tree) => deferRequest(io.git, io.repo, r, tree)))(record, commit.tree.sha);
  wakeAt(opensAt.getTime());
}

/** How a release request waiting for a window is kept; the sweep replaces the ref it took. */
export type DeferRelease = (record: DeferredRelease, tree: string) => Promise<void>;

/**
 * A release's deploy to one environment through its gates, and what people then see on the
 * release's commit: a waiting request's check run (approvals, or the time it opens, with a
 * deferred ref for the sweep), or the run concluded once the Deployment exists or the gates refuse.
 * Used by the webhook, the Approve button and the sweep alike, so each decides the same way.
 */
export async function gateRelease(
  io: GitHubIo,
  config: RollgateConfig,
  state: EnvironmentState,
  request: ReleaseRequest,
  run: ReleaseRun | undefined,
  options: { readonly defer?: DeferRelease; readonly notice?: string; readonly now?: () => number } = {},
): Promise<DeploymentOutcome> {
  const owner = { kind: 'release', id: request.release } as const;
  const outcome = await deployThroughGates(
    io,
    config,
    {
      environment: request.environment,
      task: 'deploy',
      version: request.version,
      requester: request.requester,
      owner,
      pullNumber: undefined,
      payload: { version: request.version, requester: request.requester },
      description: `Release ${request.tag} to ${request.environment}`,
      // A redelivery, another replica or a repeat after a crash looks for its Deployment first.
      resume: true,
      gated: { records: releaseRecords(request), branch: request.branch },
    },
    gateFactsOf(config, state, {
      environmentName: request.environment,
      requester: request.requester,
      owner,
      pull: undefined,
      target: { kind: 'repository-ref', sha: request.sha },
    }),
    options.now,
  );
  switch (outcome.kind) {
    case 'pending':
      await showReleaseRequest(
        io,
        request,
        {
          kind: 'approvals',
          verdict: outcome.verdict,
          ...(options.notice === undefined ? {} : { notice: options.notice }),
        },
        run,
      );
      break;
    case 'deferred':
      await deferRelease(io, request, outcome.opensAt, options.defer);
      await showReleaseRequest(
        io,
        request,
        { kind: 'deferred', verdict: outcome.verdict, opensAt: outcome.opensAt },
        run,
      );
      break;
    case 'deployed':
      if (run !== undefined)
        await showReleaseRequest(
          io,
          request,
          { kind: 'carried-out', deploymentId: outcome.deployment.id },
          run,
        ).catch((error: unknown) => {
          io.log.warn({ err: error }, 'the check run of a release request was not concluded');
        });
      break;
    case 'refused':
      if (outcome.busy === true) {
        // Another deploy holds the environment: the release waits for it instead of being dropped.
        const retryAt = new Date((options.now ?? clockNow)() + BUSY_RETRY_MS);
        await deferRelease(io, request, retryAt, options.defer);
        await showReleaseRequest(io, request, { kind: 'busy', message: outcome.message, retryAt }, run);
      } else {
        // Shown on the release's commit, gated or not: a lock must not hide that a release stayed out.
        await showReleaseRequest(io, request, { kind: 'refused', message: outcome.message }, run);
      }
      break;
    case 'dry-run':
      break;
  }
  return outcome;
}

/** One log line per environment: what became of the release there. */
export function logOutcome(io: GitHubIo, request: ReleaseRequest, outcome: DeploymentOutcome): void {
  const fields = { environment: request.environment, release: request.release };
  switch (outcome.kind) {
    case 'deployed':
      io.log.info({ ...fields, deployment: outcome.deployment.id }, `release ${request.tag} deploying`);
      return;
    case 'pending':
      io.log.info(fields, `release ${request.tag} waits for approvals on its check run`);
      return;
    case 'deferred':
      io.log.info(fields, `release ${request.tag} deferred until ${outcome.opensAt.toISOString()}`);
      return;
    case 'refused':
      if (outcome.busy === true)
        io.log.info(fields, `release ${request.tag} waits for the deploy in progress: ${outcome.message}`);
      else io.log.warn(fields, `release ${request.tag} not deployed: ${outcome.message}`);
      return;
    case 'dry-run':
      return;
  }
}

/** The branch a release was cut from: `target_commitish` names a branch, or is a commit's sha. */
export function releaseBranch(target: string): string | undefined {
  return /^[0-9a-f]{40}$/i.test(target) ? undefined : target.replace(/^refs\/heads\//, '');
}

async function tagCommit(context: Context<'release.published'>, tag: string): Promise<string> {
  const { data } = await context.octokit.rest.repos.getCommit({ ...context.repo(), ref: tag, per_page: 1 });
  return data.sha;
}
