import type { Command } from '../commands/parse.ts';
import { createDeployment, payloadVersion, type GitHubDeployment } from '../../src/github/deployments.ts';
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
  const { data: deployments } = await repos.listDeployments({
    ...run.repo,
    environment: command.environment,
    per_page: 50,
  });
  const successful: GitHubDeployment[] = [];
  for (const deployment of deployments) {
    const { data: statuses } = await repos.listDeploymentStatuses({
      ...run.repo,
      deployment_id: deployment.id,
      per_page: 1,
    });
    if (['success', 'inactive'].includes(statuses[0]?.state ?? '') && deployment.task === 'deploy')
      successful.push(deployment);
    if (command.target === undefined && successful.length >= 2) break;
  }
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
  const deployment = await createDeployment(repos, run.repo, {
    ref: target.sha,
    environment: command.environment,
    task: 'deploy:rollback',
    payload: {
      version,
      requester: run.user,
      pull_request: run.pull.number,
      rollback_to_deployment: target.id,
      comment_id: run.commentId,
    },
    description: `Rollback of ${command.environment} to ${version} for @${run.user}`,
    productionEnvironment: environment.production,
    transientEnvironment: environment.transient,
    requiredContexts: [],
  });
  return {
    ok: true,
    message: `Rolling \`${command.environment}\` back to \`${version}\` (Deployment #${target.id}, \`${target.sha.slice(0, 7)}\`): rollback Deployment #${deployment.id} created.`,
  };
}
