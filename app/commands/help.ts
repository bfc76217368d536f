import type { Command } from './parse.ts';

type CommandKind = Command['kind'];

/** One usage line per command, as `/help` lists it and as a reply to a command used wrongly quotes it. */
export const COMMAND_USAGE: Readonly<Record<CommandKind, string>> = {
  deploy: '/deploy <env> [<ref>] [--dry-run] [key=value ...]',
  rollback: '/rollback <env> [<version or deployment id>]',
  approve: '/approve [<env>]',
  reject: '/reject [<env>] [<reason>]',
  lock: '/lock <env> [<reason>]',
  unlock: '/unlock <env>',
  status: '/status [<env>]',
  help: '/help',
};

/** What each command does (PRODUCT.md §3), in the order /help lists them. */
const COMMAND_EFFECT: Readonly<Record<CommandKind, string>> = {
  deploy:
    'Checks the gates and, when they pass, deploys this pull request’s head (or `<ref>`) to `<env>`. ' +
    '`--dry-run` only checks the gates; `key=value` pairs go into the deployment payload.',
  rollback: 'Deploys the previous good version to `<env>` again, or the version or deployment named.',
  approve: 'Approves the pending deployment of this pull request’s head (to `<env>`).',
  reject: 'Rejects the pending deployment of this pull request’s head (to `<env>`), with an optional reason.',
  lock: 'Holds `<env>`: until it is unlocked, only you can deploy there.',
  unlock: 'Releases `<env>`.',
  status: 'Shows what runs where: version, sha, who deployed it, when, and its health.',
  help: 'Shows this list and the repository’s environments.',
};

/**
 * The reply to `/help`: every command with what it does, then the repository's environments, or how to
 * declare some when `.github/rollgate.yml` has none.
 */
export function renderHelp(environments: readonly string[]): string {
  const kinds = Object.keys(COMMAND_EFFECT) as CommandKind[];
  return [
    '### Rollgate commands',
    '',
    'Write a command as the first line of a pull-request comment. Command names are case-insensitive; ' +
      'quote values that contain spaces: `/lock production "release freeze"`, `reason="db migration"`.',
    '',
    '| Command | What it does |',
    '| --- | --- |',
    ...kinds.map((kind) => `| ${codeSpan(COMMAND_USAGE[kind])} | ${COMMAND_EFFECT[kind]} |`),
    '',
    environments.length === 0
      ? 'This repository has no environments yet: declare them under `environments:` in `.github/rollgate.yml`.'
      : `**Environments:** ${environments.map(codeSpan).join(', ')}`,
  ].join('\n');
}

/**
 * Inline code that shows any text literally (CommonMark "Code spans"): the fence is one backtick longer
 * than the longest run inside, padded when the text starts or ends with a backtick.
 */
function codeSpan(text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const padding = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${padding}${text}${padding}${fence}`;
}
