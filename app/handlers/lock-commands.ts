import type { Command } from '../commands/parse.ts';
import {
  acquire,
  readEnvironmentRefs,
  readLockHolder,
  release,
  type GitRefsApi,
} from '../../src/github/environment-refs.ts';
import { code } from '../../src/github/markdown.ts';
import { environmentList, refuse, type CommandResult, type CommandRun } from './command-run.ts';

/** `/lock <env> [reason]`: holds the environment for the caller; durable, and atomic across replicas. */
export async function lockCommand(
  run: CommandRun,
  command: Extract<Command, { kind: 'lock' }>,
): Promise<CommandResult> {
  if (run.config.environments.get(command.environment) === undefined) {
    return refuse(
      `There is no environment \`${command.environment}\`. This repository's environments: ${environmentList(run.config)}.`,
    );
  }
  const git = run.context.octokit.rest.git as unknown as GitRefsApi;
  const holder = await acquire(git, run.repo, 'lock', command.environment, {
    holder: run.user,
    reason: command.reason ?? '',
    since: new Date().toISOString(),
    pullRequest: run.pull.number,
  });
  if (holder === undefined) {
    return {
      ok: true,
      message: `🔒 \`${command.environment}\` is locked for @${run.user}${command.reason ? `: ${code(command.reason)}` : ''}. Deploys by anyone else are refused until \`/unlock ${command.environment}\`.`,
    };
  }
  if (holder.holder === run.user)
    return {
      ok: true,
      message: `🔒 \`${command.environment}\` is already locked by you since ${holder.since.slice(0, 16).replace('T', ' ')} UTC.`,
    };
  return refuse(
    `\`${command.environment}\` is already locked by @${holder.holder} since ${holder.since.slice(0, 16).replace('T', ' ')} UTC${holder.reason ? `: ${code(holder.reason)}` : ''}.`,
  );
}

/** `/unlock <env>`: the holder (or a repository admin) releases the environment. */
export async function unlockCommand(
  run: CommandRun,
  command: Extract<Command, { kind: 'unlock' }>,
  role: string,
): Promise<CommandResult> {
  const git = run.context.octokit.rest.git as unknown as GitRefsApi;
  const sha = (await readEnvironmentRefs(git, run.repo)).locks.get(command.environment);
  if (sha === undefined) return { ok: true, message: `\`${command.environment}\` was not locked.` };
  const holder = await readLockHolder(git, run.repo, sha);
  if (holder.holder !== run.user && role !== 'admin') {
    return refuse(
      `\`${command.environment}\` is locked by @${holder.holder}; only they or a repository admin can unlock it.`,
    );
  }
  await release(git, run.repo, 'lock', command.environment);
  return {
    ok: true,
    message: `🔓 \`${command.environment}\` is unlocked${holder.holder === run.user ? '' : ` (it was locked by @${holder.holder})`}.`,
  };
}
