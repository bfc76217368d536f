import type { Command } from '../commands/parse.ts';
import { latestStatus, payloadVersion } from '../../src/github/deployments.ts';
import { readEnvironmentRefs, readLockHolder, type GitRefsApi } from '../../src/github/environment-refs.ts';
import { cell } from '../../src/github/markdown.ts';
import type { CommandResult, CommandRun } from './command-run.ts';

/** `/status [<env>]`: what runs where, since when and by whom, from the Deployments API; and the locks. */
export async function statusCommand(
  run: CommandRun,
  command: Extract<Command, { kind: 'status' }>,
): Promise<CommandResult> {
  const names =
    command.environment === undefined ? [...run.config.environments.keys()] : [command.environment];
  if (names.length === 0)
    return { ok: true, message: 'No environments are configured: add them to `.github/rollgate.yml`.' };
  const repos = run.context.octokit.rest.repos;
  const git = run.context.octokit.rest.git as unknown as GitRefsApi;
  const refs = await readEnvironmentRefs(git, run.repo);
  const rows: string[] = [];
  for (const name of names) {
    const { data: deployments } = await repos.listDeployments({
      ...run.repo,
      environment: name,
      per_page: 1,
    });
    const latest = deployments[0];
    const lockSha = refs.locks.get(name);
    const lock =
      lockSha === undefined
        ? '—'
        : await readLockHolder(git, run.repo, lockSha).then(
            (h) => `🔒 @${h.holder}${h.reason ? `: ${cell(h.reason)}` : ''}`,
          );
    if (latest === undefined) {
      rows.push(`| ${name} | never deployed | — | — | — | — | ${lock} |`);
      continue;
    }
    const status = await latestStatus(repos, run.repo, latest.id);
    const by = (latest.payload as { requester?: string } | null)?.requester ?? latest.creator?.login ?? '?';
    const state = status?.state ?? 'pending';
    rows.push(
      `| ${name} | ${state}${latest.task === 'deploy:rollback' ? ' (rollback)' : ''} | ${cell(payloadVersion(latest) ?? '—')} | \`${latest.sha.slice(0, 7)}\` | @${by} | ${(status?.updated_at ?? latest.created_at).slice(0, 16).replace('T', ' ')} UTC | ${lock} |`,
    );
  }
  return {
    ok: true,
    message: [
      '| Environment | State | Version | Commit | By | Since | Lock |',
      '|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  };
}
