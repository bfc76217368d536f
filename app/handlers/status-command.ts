import type { Command } from '../commands/parse.ts';
import { rollgateHistory } from '../../src/github/deployments.ts';
import { readEnvironmentRefs, readLockHolder } from '../../src/github/environment-refs.ts';
import { cell, mention } from '../../src/github/markdown.ts';
import { chooseRollbackTarget } from '../../src/github/rollback-target.ts';
import type { CommandResult, CommandRun } from './command-run.ts';

/**
 * `/status [<env>]`: what runs where, since when and by whom, and what `/rollback` would go back
 * to — from Rollgate's own Deployments (not those GitHub makes for workflow jobs); and the locks.
 */
export async function statusCommand(
  run: CommandRun,
  command: Extract<Command, { kind: 'status' }>,
): Promise<CommandResult> {
  const names =
    command.environment === undefined ? [...run.config.environments.keys()] : [command.environment];
  if (names.length === 0)
    return { ok: true, message: 'No environments are configured: add them to `.github/rollgate.yml`.' };
  const repos = run.io.octokit.rest.repos;
  const git = run.io.git;
  const refs = await readEnvironmentRefs(git, run.repo);
  const rows = await Promise.all(
    names.map(async (name) => {
      const lockSha = refs.locks.get(name);
      const [history, lock] = await Promise.all([
        rollgateHistory(repos, run.repo, name),
        lockSha === undefined
          ? '—'
          : readLockHolder(git, run.repo, lockSha).then(
              (h) => `🔒 ${mention(h.holder)}${h.reason ? `: ${cell(h.reason)}` : ''}`,
            ),
      ]);
      const current = history[0];
      if (current === undefined) return `| ${name} | never deployed | — | — | — | — | — | ${lock} |`;
      const choice = chooseRollbackTarget(history);
      const back =
        choice.kind === 'rollback'
          ? cell(choice.target.version)
          : choice.kind === 'already-running'
            ? `${cell(choice.target.version)} (runs)`
            : '—';
      // GitHub marks a succeeded deployment `inactive` once any later one succeeds — a workflow
      // job's included — yet the newest of Rollgate's own is still what runs.
      const reached = current.state === 'inactive' ? 'success' : (current.state ?? 'queued');
      const state = `${reached}${current.task === 'deploy:rollback' ? ' (rollback)' : ''}`;
      const since = `${current.since.slice(0, 16).replace('T', ' ')} UTC`;
      const by = current.requester === undefined ? '—' : mention(current.requester);
      return `| ${name} | ${state} | ${cell(current.version)} | \`${current.sha.slice(0, 7)}\` | ${by} | ${since} | ${back} | ${lock} |`;
    }),
  );
  return {
    ok: true,
    message: [
      '| Environment | State | Version | Commit | By | Since | Rollback to | Lock |',
      '|---|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  };
}
