import type { Context } from 'probot';
import { loadConfig } from '../config-loader.ts';
import { releaseEnvironments, releaseVersion } from '../decisions/release.ts';
import { describeError } from '../../src/errors.ts';
import { deployThroughGates } from './deployment-plan.ts';
import { readEnvironmentState } from './environment-state.ts';
import { gitHubIo } from './github-io.ts';

/**
 * A published release is deployed to every environment whose `auto_deploy` lists `release`
 * (a prerelease only where it lists `prerelease`), through the same gates, lock and marker as `/deploy`.
 * The Deployment carries the release's id, so a redelivered event finds it and deploys once.
 */
export async function handleRelease(context: Context<'release.published'>): Promise<void> {
  const { release } = context.payload;
  const io = await gitHubIo(context);
  const [config, state] = await Promise.all([loadConfig(context), readEnvironmentState(io.git, io.repo)]);
  const version = releaseVersion(release.tag_name);
  const requester = release.author?.login ?? 'release';
  const owner = { kind: 'release', id: release.id } as const;
  for (const name of releaseEnvironments(config, release)) {
    try {
      const outcome = await deployThroughGates(
        io,
        config,
        {
          environment: name,
          task: 'deploy',
          version,
          requester,
          owner,
          pullNumber: undefined,
          payload: { version, requester },
          description: `Release ${release.tag_name} to ${name}`,
          // A redelivery looks for its Deployment before making one.
          resume: true,
          // The environment's gates hold a release as they hold `/deploy`. A release has no pull
          // request to gather approvals or keep a deferred request on, so a release that would
          // wait (approvals, a window, a freeze) is not deployed, and the log says why.
          gated: { records: undefined, branch: releaseBranch(release.target_commitish) },
        },
        {
          environmentName: name,
          environment: config.environments.get(name),
          environmentNames: [...config.environments.keys()],
          requester,
          owner,
          pull: undefined,
          allowForks: config.commands.allowForks,
          target: { kind: 'repository-ref', sha: await tagCommit(context, release.tag_name) },
          lock: state.locks.get(name),
          marker: state.markers.get(name),
          dryRun: false,
        },
      );
      if (outcome.kind === 'deployed')
        context.log.info(
          { environment: name, deployment: outcome.deployment.id },
          `release ${release.tag_name} deploying`,
        );
      else
        context.log.warn(
          { environment: name },
          `release ${release.tag_name} not deployed: ${'message' in outcome ? outcome.message : ''}`,
        );
    } catch (error) {
      context.log.error(
        { environment: name, err: error },
        `release ${release.tag_name} not deployed: ${describeError(error)}`,
      );
    }
  }
}

/** The branch a release was cut from: `target_commitish` names a branch, or is a commit's sha. */
function releaseBranch(target: string): string | undefined {
  return /^[0-9a-f]{40}$/i.test(target) ? undefined : target.replace(/^refs\/heads\//, '');
}

async function tagCommit(context: Context<'release.published'>, tag: string): Promise<string> {
  const { data } = await context.octokit.rest.repos.getCommit({ ...context.repo(), ref: tag, per_page: 1 });
  return data.sha;
}
