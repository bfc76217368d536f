import type { Command } from '../commands/parse.ts';
import { checkRunName, renderCheckRun } from '../../src/github/check-runs.ts';
import { createDeployment } from '../../src/github/deployments.ts';
import {
  acquire,
  readEnvironmentRefs,
  readLockHolder,
  release,
  type GitRefsApi,
  type LockHolder,
} from '../../src/github/environment-refs.ts';
import { code } from '../../src/github/markdown.ts';
import { updateStickyComment } from './sticky.ts';
import { environmentList, refuse, type CommandResult, type CommandRun } from './command-run.ts';

/** An in-progress marker older than this never saw its deployment finish: it was abandoned. */
const STALE_DEPLOY_MS = 30 * 60_000;

/**
 * `/deploy <env> [<ref>] [--dry-run] [key=value ...]`: refuses an unknown environment, a fork
 * (unless allowed), a lock held by someone else, and a deploy already in progress; otherwise
 * creates the GitHub Deployment of the PR head (or the ref), a `rollgate / <env>` check run,
 * and the sticky comment's row. Of simultaneous requests for one environment exactly one
 * proceeds: the in-progress marker is a ref GitHub creates only once.
 */
export async function deployCommand(
  run: CommandRun,
  command: Extract<Command, { kind: 'deploy' }>,
): Promise<CommandResult> {
  const { context, repo, config } = run;
  const environment = config.environments.get(command.environment);
  if (environment === undefined) {
    return refuse(
      `There is no environment \`${command.environment}\`. This repository's environments: ${environmentList(config)}.`,
    );
  }
  if (run.pull.fromFork && !config.commands.allowForks) {
    return refuse(
      'This pull request comes from a fork, and deploying code from forks is off. A maintainer can set `commands.allow_forks: true` in `.github/rollgate.yml`, or deploy the branch from this repository.',
    );
  }
  const git = context.octokit.rest.git as unknown as GitRefsApi;
  const refs = await readEnvironmentRefs(git, repo);
  const lock = refs.locks.get(command.environment);
  if (lock !== undefined) {
    const holder = await readLockHolder(git, repo, lock);
    if (holder.holder !== run.user) {
      return refuse(
        `\`${command.environment}\` is locked by @${holder.holder} since ${holder.since.slice(0, 16).replace('T', ' ')} UTC${holder.reason ? `: ${code(holder.reason)}` : ''}. Ask them to \`/unlock ${command.environment}\`.`,
      );
    }
  }
  const ref = command.ref ?? run.pull.headSha;
  const version = command.params.version ?? command.ref ?? run.pull.headSha.slice(0, 7);
  if (command.dryRun) {
    return {
      ok: true,
      message: `Dry run: ${code(ref)} (${code(version)}) would be deployed to \`${command.environment}\`${environment.production ? ' (production)' : ''}. Nothing was created.`,
    };
  }

  const claim: LockHolder = {
    holder: run.user,
    reason: `deploy ${version}`,
    since: new Date().toISOString(),
    pullRequest: run.pull.number,
  };
  let busy = await acquire(git, repo, 'deploying', command.environment, claim);
  if (busy !== undefined && Date.now() - Date.parse(busy.since) > STALE_DEPLOY_MS) {
    // The deploy that held it never reported a final status: take it over, still atomically.
    await release(git, repo, 'deploying', command.environment);
    busy = await acquire(git, repo, 'deploying', command.environment, claim);
  }
  if (busy !== undefined) {
    return refuse(
      `A deploy to \`${command.environment}\` is already in progress (${code(busy.reason || 'deploy')} for @${busy.holder}${busy.pullRequest === undefined ? '' : ` from #${busy.pullRequest}`}, since ${busy.since.slice(11, 16)} UTC). Wait for it to finish, then deploy again.`,
    );
  }
  try {
    const deployment = await createDeployment(context.octokit.rest.repos, repo, {
      ref,
      environment: command.environment,
      task: 'deploy',
      payload: {
        version,
        requester: run.user,
        pull_request: run.pull.number,
        params: command.params,
        comment_id: run.commentId,
        comment_url: run.commentUrl,
      },
      description: `${version} to ${command.environment} for @${run.user} (#${run.pull.number})`,
      productionEnvironment: environment.production,
      transientEnvironment: environment.transient,
      // `checks: success` leaves GitHub's own rule on (every commit status green, else 409).
      ...(environment.requires.checks === 'success' ? {} : { requiredContexts: [] }),
    });
    const facts = {
      environment: command.environment,
      state: 'queued',
      version,
      sha: deployment.sha,
      requester: run.user,
      deploymentId: deployment.id,
      description: undefined,
      logUrl: undefined,
      environmentUrl: environment.url,
    };
    await context.octokit.rest.checks.create({
      ...repo,
      name: checkRunName(command.environment),
      head_sha: deployment.sha,
      status: 'queued',
      external_id: String(deployment.id),
      output: renderCheckRun(facts),
    });
    await updateStickyComment(context, repo, run.pull.number, {
      environment: command.environment,
      state: 'queued',
      version,
      sha: deployment.sha,
      by: run.user,
      deploymentId: deployment.id,
      logUrl: undefined,
      environmentUrl: environment.url,
      updatedAt: new Date().toISOString(),
    });
    const deploymentsUrl = `${context.payload.repository.html_url}/deployments`;
    return {
      ok: true,
      message: `Deploying ${code(version)} (\`${deployment.sha.slice(0, 7)}\`) to \`${command.environment}\`: [Deployment #${deployment.id}](${deploymentsUrl}) created; the workflow on the \`deployment\` event takes it from here and the check \`${checkRunName(command.environment)}\` follows it.`,
    };
  } catch (error) {
    // Nothing was deployed: let the next request through.
    await release(git, repo, 'deploying', command.environment);
    throw error;
  }
}
