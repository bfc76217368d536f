import type { Command } from '../commands/parse.ts';
import { liveDeployments, payloadVersion } from '../../src/github/deployments.ts';
import { deployThroughGates } from './deployment-plan.ts';
import { environmentList, refuse, type CommandResult, type CommandRun } from './command-run.ts';

/**
 * `/rollback <env> [<version or deployment id>]`: a `deploy:rollback` Deployment aimed at the
 * last good version before the current one (or the one named), for the workflow's rollback action.
 */
export async function rollbackCommand(
  run: CommandRun,
  command: Extract<Command, { kind: 'rollback' }>,
): Promise<CommandResult> {
  const environment = run.config.environments.get(command.environment);
  if (environment === undefined) {
    return refuse(
      `There is no environment \`${command.environment}\`. This repository's environments: ${environmentList(run.config)}.`,
    );
  }
  const repos = run.context.octokit.rest.repos;
  // Without a target: the newest live deploy is what runs now, the one before it is the last good version.
  const successful = await liveDeployments(
    repos,
    run.repo,
    command.environment,
    'deploy',
    command.target === undefined ? 2 : undefined,
  );
  const target =
    command.target === undefined
      ? successful[1]
      : successful.find((d) => String(d.id) === command.target || payloadVersion(d) === command.target);
  if (target === undefined) {
    const known = successful.map((d) => payloadVersion(d) ?? `#${d.id}`).join(', ');
    return refuse(
      command.target === undefined
        ? `There is no earlier successful deploy of \`${command.environment}\` to roll back to.`
        : `No successful deploy of \`${command.environment}\` matches \`${command.target}\`. Known good: ${known || 'none'}.`,
    );
  }
  const version = payloadVersion(target) ?? target.sha.slice(0, 7);
  // Through the same gates, lock and marker as `/deploy` (the target is a commit Rollgate deployed).
  const outcome = await deployThroughGates(
    run.io,
    run.config,
    {
      environment: command.environment,
      task: 'deploy:rollback',
      version,
      requester: run.user,
      owner: { kind: 'comment', id: run.commentId },
      pullNumber: run.pull.number,
      payload: {
        version,
        requester: run.user,
        pull_request: run.pull.number,
        rollback_to_deployment: target.id,
      },
      description: `Rollback of ${command.environment} to ${version} for @${run.user}`,
      resume: run.resume,
    },
    {
      environmentName: command.environment,
      environment,
      environmentNames: [...run.config.environments.keys()],
      requester: run.user,
      owner: { kind: 'comment', id: run.commentId },
      pull: run.pull,
      allowForks: run.config.commands.allowForks,
      target: { kind: 'repository-commit', sha: target.sha },
      lock: run.environments.locks.get(command.environment),
      marker: run.environments.markers.get(command.environment),
      dryRun: false,
    },
  );
  if (outcome.kind !== 'deployed') return refuse(outcome.kind === 'refused' ? outcome.message : '');
  const deployment = outcome.deployment;
  return {
    ok: true,
    message: `Rolling \`${command.environment}\` back to \`${version}\` (Deployment #${target.id}, \`${target.sha.slice(0, 7)}\`): rollback Deployment #${deployment.id} created.`,
  };
}
