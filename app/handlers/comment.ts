import type { Context } from 'probot';
import { parseComment, type Command } from '../commands/parse.ts';
import { renderHelp } from '../commands/help.ts';
import { loadCheckedConfig } from '../config-check.ts';
import { hasPermission } from '../permissions.ts';
import { describeError } from '../../src/errors.ts';
import { deployCommand } from './deploy-command.ts';
import { lockCommand, unlockCommand } from './lock-commands.ts';
import { rollbackCommand } from './rollback-command.ts';
import { statusCommand } from './status-command.ts';
import { refuse, type CommandResult, type CommandRun } from './command-run.ts';

type ReactionContent = '+1' | '-1' | 'laugh' | 'confused' | 'heart' | 'hooray' | 'rocket' | 'eyes';

/**
 * A pull-request comment: if its first line is a command, claim it with 👀 (GitHub answers 200
 * instead of 201 when that reaction exists already, so a redelivered webhook or a second App
 * replica stops here), check the caller and the configuration, carry it out, and answer with a
 * reply and 🚀 or 😕. A failed GitHub call ends in a reply that says what failed.
 */
export async function handleComment(context: Context<'issue_comment.created'>): Promise<void> {
  const { comment, issue } = context.payload;
  const user = comment.user;
  if (issue.pull_request === undefined || user === null || user.type === 'Bot') return;
  const parsed = parseComment(comment.body);
  // Other bots use slash commands too (`/cc`, `/assign`): an unknown one is answered only when it
  // looks like a mistyped Rollgate command.
  if (parsed.kind === 'none' || (parsed.kind === 'unknown' && parsed.suggestion === undefined)) return;
  const repo = context.repo();
  const react = (content: ReactionContent) =>
    context.octokit.rest.reactions.createForIssueComment({ ...repo, comment_id: comment.id, content });
  const reply = (body: string) =>
    context.octokit.rest.issues.createComment({
      ...repo,
      issue_number: issue.number,
      body: `@${user.login} ${body}`,
    });

  const claim = await react('eyes');
  if (claim.status === 200) {
    context.log.info({ comment: comment.id }, 'comment already handled (redelivery or another replica)');
    return;
  }
  let result: CommandResult;
  try {
    if (parsed.kind === 'unknown')
      result = refuse(
        `\`/${parsed.name}\` is not a Rollgate command.${parsed.suggestion ? ` Did you mean \`/${parsed.suggestion}\`?` : ''} Type \`/help\` for the list.`,
      );
    else if (parsed.kind === 'invalid')
      result = refuse(`\`/${parsed.name}\`: ${parsed.problem}. Usage: \`${parsed.usage}\``);
    else result = await carryOut(context, parsed.command, user.login);
  } catch (error) {
    context.log.error({ err: error }, 'command failed');
    result = refuse(
      `Rollgate could not carry out \`${parsed.kind === 'command' ? parsed.line : (comment.body.split('\n')[0] ?? '')}\`: ${describeError(error)}`,
    );
  }
  await reply(result.message);
  await react(result.ok ? 'rocket' : 'confused');
}

async function carryOut(
  context: Context<'issue_comment.created'>,
  command: Command,
  login: string,
): Promise<CommandResult> {
  const { comment, issue } = context.payload;
  const repo = context.repo();
  const { data: pull } = await context.octokit.rest.pulls.get({ ...repo, pull_number: issue.number });
  const checked = await loadCheckedConfig(context, pull.head.sha);
  if (!checked.ok) return refuse(checked.message);
  const { config } = checked;
  if (command.kind === 'help') return { ok: true, message: renderHelp([...config.environments.keys()]) };

  const { data: permission } = await context.octokit.rest.repos.getCollaboratorPermissionLevel({
    ...repo,
    username: login,
  });
  const role = permission.role_name;
  if (!hasPermission(role, config.commands.permission)) {
    return refuse(
      `running Rollgate commands needs \`${config.commands.permission}\` permission on this repository; you have \`${role}\`.`,
    );
  }
  const run: CommandRun = {
    context,
    repo,
    user: login,
    commentId: comment.id,
    commentUrl: comment.html_url,
    pull: {
      number: issue.number,
      headSha: pull.head.sha,
      headRef: pull.head.ref,
      // A deleted fork leaves `head.repo` null: still not this repository.
      fromFork: (pull.head.repo as { full_name: string } | null)?.full_name !== pull.base.repo.full_name,
    },
    config,
  };
  switch (command.kind) {
    case 'deploy':
      return deployCommand(run, command);
    case 'rollback':
      return rollbackCommand(run, command);
    case 'lock':
      return lockCommand(run, command);
    case 'unlock':
      return unlockCommand(run, command, role);
    case 'status':
      return statusCommand(run, command);
    case 'approve':
    case 'reject':
      return refuse(
        'approval gates (`/approve`, `/reject`) are not available in this version of Rollgate; deploys are gated by permission, locks and required checks.',
      );
  }
}
