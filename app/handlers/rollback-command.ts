import type { Command } from '../commands/parse.ts';
import { rollgateHistory } from '../../src/github/deployments.ts';
import { code } from '../../src/github/markdown.ts';
import { chooseRollbackTarget } from '../../src/github/rollback-target.ts';
import { degradedNote, deployThroughGates, gateFactsOf } from './deployment-plan.ts';
import { environmentList, refuse, type CommandResult, type EnvironmentRun } from './command-run.ts';

/**
 * `/rollback <env> [<version or deployment id>]`: a `deploy:rollback` Deployment aimed at the
 * previous good version (or the one named), for the workflow's rollback action. The target is
 * chosen from Rollgate's own records only, by the same rule as the action's.
 */
export async function rollbackCommand(
  run: EnvironmentRun,
  command: Extract<Command, { kind: 'rollback' }>,
): Promise<CommandResult> {
  const environment = run.config.environments.get(command.environment);
  const env = code(command.environment);
  if (environment === undefined) {
    return refuse(
      `There is no environment ${env}. This repository's environments: ${environmentList(run.config)}.`,
    );
  }
  const repos = run.io.octokit.rest.repos;
  const history = await rollgateHistory(repos, run.repo, command.environment);
  const choice = chooseRollbackTarget(history, command.target);
  switch (choice.kind) {
    case 'never-deployed':
      return refuse(`Rollgate has not deployed to ${env} yet: there is nothing to roll back.`);
    case 'no-earlier-good':
      return refuse(
        `There is no good deploy of ${env} before the current one (${code(choice.current.version)}, Deployment #${choice.current.id}) to roll back to. Name a version to go to: \`/rollback ${command.environment} <version>\`.`,
      );
    case 'no-match':
      return refuse(
        `No successful deploy of ${env} matches ${code(choice.target)}. Known good: ${choice.known.length === 0 ? 'none' : choice.known.map((v) => code(v)).join(', ')}.`,
      );
    case 'already-running':
      return refuse(
        `${code(choice.target.version)} already runs in ${env} (Deployment #${choice.current.id}): it is the previous good version, so there is nothing to roll back. To go further back, name the version: \`/rollback ${command.environment} <version>\`.`,
      );
    case 'rollback':
      break;
  }
  const { target } = choice;
  const version = target.version;
  // Through the same gates, lock and marker as `/deploy` (the target is a commit Rollgate deployed).
  const outcome = await deployThroughGates(
    run.io,
    run.config,
    {
      environment: command.environment,
      task: 'deploy:rollback',
      version,
      requester: run.user,
      owner: run.owner,
      pullNumber: run.pull?.number,
      payload: {
        version,
        requester: run.user,
        pull_request: run.pull?.number,
        ...(run.via === undefined ? {} : { via: run.via }),
        rollback_to_deployment: target.id,
        rolled_back_from: choice.current.version,
      },
      description: `Rollback of ${command.environment} to ${version} for @${run.user}`,
      resume: run.resume,
    },
    gateFactsOf(run.config, run.environments, {
      environmentName: command.environment,
      requester: run.user,
      owner: run.owner,
      pull: run.pull,
      target: { kind: 'repository-commit', sha: target.sha },
    }),
  );
  if (outcome.kind !== 'deployed') return refuse(outcome.kind === 'refused' ? outcome.message : '');
  const deployment = outcome.deployment;
  // The check run or the sticky row may have failed after the Deployment existed: say so.
  return {
    ok: true,
    message: `Rolling ${env} back to ${code(target.version)} (Deployment #${target.id}, \`${target.sha.slice(0, 7)}\`) from ${code(choice.current.version)}: rollback Deployment #${deployment.id} created.${degradedNote(outcome.degraded, 'rollback')}`,
  };
}
