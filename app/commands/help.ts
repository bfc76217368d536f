import { code, COMMENT_LIMIT, listWithin } from '../../src/github/markdown.ts';
import type { Command } from './parse.ts';

type CommandKind = Command['kind'];

/** One usage line per command, as `/help` lists it and as a reply to a command used wrongly quotes it. */
export const COMMAND_USAGE: Readonly<Record<CommandKind, string>> = {
  deploy: '/deploy <env> [<ref>] [--dry-run] [key=value ...]',
  rollback: '/rollback <env> [<version or deployment id>]',
  approve: '/approve [<env>]',
  reject: '/reject [<env>] [<reason>]',
  lock: '/lock <env> [<reason>]',
  unlock: '/unlock <env> [--deploying]',
  status: '/status [<env>]',
  help: '/help',
};

/** What each command that works does (PRODUCT.md §3), in the order /help lists them. */
const COMMAND_EFFECT: Readonly<Partial<Record<CommandKind, string>>> = {
  deploy:
    'Checks the gates and, when they pass, deploys this pull request’s head (or `<ref>`) to `<env>`. ' +
    '`--dry-run` only checks the gates; `key=value` pairs go into the deployment payload.',
  rollback: 'Deploys the previous good version to `<env>` again, or the version or deployment named.',
  approve:
    'Approves the deploy request waiting on this pull request (for `<env>`, or the latest one); the Deployment is created when the last gate passes.',
  reject: 'Rejects the deploy request waiting on this pull request, with a reason; nothing is deployed.',
  lock: 'Holds `<env>`: until it is unlocked, only you can deploy there.',
  unlock:
    'Releases `<env>`; with `--deploying`, clears a deploy-in-progress marker a crash left behind (its holder or an admin).',
  status: 'Shows what runs where: version, sha, who deployed it, when, and its health.',
  help: 'Shows this list and the repository’s environments.',
};

/**
 * How much of the reply the environment list may take: the commands need about 1,500 characters,
 * the rest of GitHub's 65,536 is far more than a person reads, so the list stops at a screenful and
 * says how many more there are.
 */
const ENVIRONMENT_LIST_BUDGET = 4_000;

/**
 * The reply to `/help`: every command with what it does, then the
 * repository's environments (as many as fit in a screenful, then how many more), or how to declare
 * some when `.github/rollgate.yml` has none. Always under GitHub's comment limit, however many
 * environments there are.
 */
export function renderHelp(environments: readonly string[]): string {
  const working = Object.keys(COMMAND_USAGE) as CommandKind[];
  const help = [
    '### Rollgate commands',
    '',
    'Write a command as the first line of a pull-request comment. Command names are case-insensitive; ' +
      'quote values that contain spaces: `/lock production "release freeze"`, `reason="db migration"`.',
    '',
    '| Command | What it does |',
    '| --- | --- |',
    ...working.map((kind) => `| ${code(COMMAND_USAGE[kind])} | ${COMMAND_EFFECT[kind] ?? ''} |`),
    '',
    environments.length === 0
      ? 'This repository has no environments yet: declare them under `environments:` in `.github/rollgate.yml`.'
      : `**Environments (${environments.length.toLocaleString('en-US')}):** ${listWithin(
          environments.map((name) => code(name)),
          ENVIRONMENT_LIST_BUDGET,
        )}`,
  ].join('\n');
  // The budget above keeps it far below the limit; the check documents the promise.
  if (help.length > COMMENT_LIMIT) throw new Error('the /help reply outgrew the comment limit');
  return help;
}
