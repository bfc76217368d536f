import type { Context } from 'probot';
import { parseComment, type Command, type ParsedComment } from '../commands/parse.ts';
import { whileHolding } from '../limits/handling-lease.ts';
import { reserveClaimWrites } from '../limits/limiter.ts';
import { renderHelp } from '../commands/help.ts';
import { reportConfig } from '../config-check.ts';
import { ConfigError, loadConfig } from '../config-loader.ts';
import { hasPermission, permissionRefusal, type PermissionFacts } from '../permissions.ts';
import { describeError } from '../../src/errors.ts';
import { capBody, code, COMMENT_LIMIT, hiddenJson, mention } from '../../src/github/markdown.ts';
import type { RollgateConfig } from '../../src/config/types.ts';
import { deployCommand } from './deploy-command.ts';
import { readEnvironmentState, type EnvironmentState } from './environment-state.ts';
import { byThisApp, gitHubIo, type GitHubIo } from './github-io.ts';
import { lockCommand, unlockCommand } from './lock-commands.ts';
import { reconciledWrite } from './reconciled-write.ts';
import { rollbackCommand } from './rollback-command.ts';
import { statusCommand } from './status-command.ts';
import { verdictCommand } from './verdict-command.ts';
import { environmentRun, refuse, type CommandResult, type CommandRun } from './command-run.ts';

type ReactionContent = 'rocket' | 'confused' | 'eyes';
type CommentContext = Context<'issue_comment.created'>;

const REPLY_MARKER = '<!-- rollgate:reply';
const NO_STATE: EnvironmentState = { locks: new Map(), markers: new Map() };

/**
 * A pull-request comment. Read every fact at once (pull request, configuration, the caller's
 * permission, locks and markers); a caller who may not run commands gets one short refusal and
 * nothing else. Then claim the comment with 👀, carry the command out, and answer with a reply and
 * 🚀 or 😕. GitHub answers 200 instead of 201 when this App's 👀 exists already: that is a
 * redelivery only if the command was carried out (its reply exists); otherwise the command is
 * resumed, each write looking for its own result first.
 */
export async function handleComment(context: CommentContext): Promise<void> {
  const { comment, issue } = context.payload;
  const user = comment.user;
  if (issue.pull_request === undefined || user === null || user.type === 'Bot') return;
  const parsed = parseComment(comment.body);
  // Other bots use slash commands too (`/cc`, `/assign`): an unknown one is answered only when it
  // looks like a mistyped Rollgate command.
  if (parsed.kind === 'none' || (parsed.kind === 'unknown' && parsed.suggestion === undefined)) return;
  // A command that claims an environment says so before its reads, so that other commands'
  // check runs and comments leave GitHub's write budget to its claim (app/limits/limiter.ts).
  const claims =
    parsed.kind === 'command' && (parsed.command.kind === 'deploy' || parsed.command.kind === 'rollback');
  const claimed = claims ? reserveClaimWrites(context.octokit, CLAIM_WRITES) : undefined;
  try {
    // Two copies of one delivery never run side by side, in this replica or another
    // (app/limits/handling-lease.ts): the later one finds the reply, or resumes a dead holder's work.
    await whileHolding(`comment:${comment.id}`, () => answerComment(context, parsed, user.login));
  } finally {
    claimed?.();
  }
}

/** A command's writes up to its Deployment: 👀, the marker's commit and ref, the Deployment. */
const CLAIM_WRITES = 4;

async function answerComment(
  context: CommentContext,
  parsed: Exclude<ParsedComment, { kind: 'none' }>,
  login: string,
): Promise<void> {
  const { comment, issue } = context.payload;
  const io = await gitHubIo(context);
  // A reply posted early for its records (`CommandRun.recordFirst`) is edited into the answer.
  let early: number | undefined;
  const reply = async (body: string, records?: string): Promise<void> => {
    if (early === undefined) await postReply(io, issue.number, comment.id, login, body, records);
    else await editReply(io, early, comment.id, login, body, records);
  };
  const recordFirst = async (records: string, body: string): Promise<void> => {
    if (early !== undefined) await editReply(io, early, comment.id, login, body, records, PROVISIONAL);
    else early = await postReply(io, issue.number, comment.id, login, body, records, PROVISIONAL);
  };

  const command = parsed.kind === 'command' ? parsed.command : undefined;
  let facts: ReadFacts;
  try {
    facts = await readPhase(context, io, login, command);
  } catch (error) {
    context.log.error({ err: error }, 'reading the facts of a command failed');
    await reply(
      `Rollgate could not read what it needs from GitHub, so it did nothing: ${describeError(error)} Try again in a minute.`,
    );
    return;
  }
  const required = facts.config instanceof ConfigError ? 'write' : facts.config.commands.permission;
  if (!hasPermission(facts.permission, required)) {
    await reply(permissionRefusal(required, facts.permission, context.payload.repository.private));
    return;
  }

  const resume = await claimComment(io, comment.id);
  const earlier = resume ? await findReply(io, issue.number, comment.id) : undefined;
  if (earlier !== undefined && !earlier.provisional) {
    context.log.info({ comment: comment.id }, 'comment already handled (redelivery or another replica)');
    return;
  }
  // Stopped after its records were written but before its answer: carry on and answer there.
  early = earlier?.id;

  let result: CommandResult;
  try {
    if (parsed.kind === 'unknown')
      result = refuse(
        `${code(`/${parsed.name}`)} is not a Rollgate command.${parsed.suggestion ? ` Did you mean \`/${parsed.suggestion}\`?` : ''} Type \`/help\` for the list.`,
      );
    else if (parsed.kind === 'invalid')
      result = refuse(`\`/${parsed.name}\`: ${parsed.problem}. Usage: \`${parsed.usage}\``);
    else {
      // Also concludes an earlier failed `rollgate / config` run once the file is fixed.
      const checked = await reportConfig(context, facts.pull.headSha, facts.config);
      result = !checked.ok
        ? refuse(checked.message)
        : await carryOut(configuredName(parsed.command, checked.config), {
            context,
            io,
            repo: io.repo,
            user: login,
            commentId: comment.id,
            commentUrl: comment.html_url,
            commentedAt: comment.created_at,
            pull: facts.pull,
            config: checked.config,
            permission: facts.permission,
            environments: facts.environments,
            resume,
            recordFirst,
          });
    }
  } catch (error) {
    context.log.error({ err: error }, 'command failed');
    const line = parsed.kind === 'command' ? parsed.line : (comment.body.split('\n')[0] ?? '');
    result = refuse(`Rollgate could not carry out ${code(line)}: ${describeError(error)}`);
  }
  await reply(result.message, result.records);
  await react(io, comment.id, result.ok ? 'rocket' : 'confused');
}

interface ReadFacts {
  readonly pull: CommandRun['pull'];
  readonly config: RollgateConfig | ConfigError;
  readonly permission: PermissionFacts;
  readonly environments: EnvironmentState;
}

/** The read phase: every independent fact in parallel. */
async function readPhase(
  context: CommentContext,
  io: GitHubIo,
  login: string,
  command: Command | undefined,
): Promise<ReadFacts> {
  const environmental =
    command !== undefined &&
    ['deploy', 'rollback', 'lock', 'unlock', 'approve', 'reject'].includes(command.kind);
  const [pull, config, permission, environments] = await Promise.all([
    io.octokit.rest.pulls.get({ ...io.repo, pull_number: context.payload.issue.number }),
    loadConfig(context).catch((error: unknown) => {
      if (error instanceof ConfigError) return error;
      throw error;
    }),
    readPermission(io, login),
    environmental ? readEnvironmentState(io.git, io.repo) : NO_STATE,
  ]);
  return {
    pull: pullFacts(pull.data),
    config,
    permission,
    environments,
  };
}

type PullData = Awaited<ReturnType<GitHubIo['octokit']['rest']['pulls']['get']>>['data'];

/** The pull request's facts as the commands see them, from `pulls.get`. */
export function pullFacts(data: PullData): CommandRun['pull'] {
  return {
    number: data.number,
    state: data.state === 'closed' ? 'closed' : 'open',
    merged: data.merged || data.merged_at !== null,
    headSha: data.head.sha,
    headRef: data.head.ref,
    // A deleted fork leaves `head.repo` null: still not this repository.
    fromFork: (data.head.repo as { full_name: string } | null)?.full_name !== data.base.repo.full_name,
  };
}

/** The user's permission on the repository, as GitHub answers the App for it. */
export async function readPermission(io: GitHubIo, username: string): Promise<PermissionFacts> {
  try {
    const { data } = await io.octokit.rest.repos.getCollaboratorPermissionLevel({ ...io.repo, username });
    return { roleName: data.role_name, permission: data.permission };
  } catch (error) {
    // Not a collaborator of a private repository: no role at all.
    if ((error as { status?: number }).status === 404) return { roleName: '', permission: 'none' };
    throw error;
  }
}

/**
 * The command with its environment spelled as `.github/rollgate.yml` spells it: `/deploy Staging`
 * and `/deploy staging` are one environment on GitHub, and its Deployments, check runs and
 * replies should all carry one name.
 */
export function configuredName(command: Command, config: RollgateConfig): Command {
  if (!('environment' in command) || command.environment === undefined) return command;
  const folded = command.environment.toLowerCase();
  const configured = [...config.environments.keys()].find((name) => name.toLowerCase() === folded);
  return configured === undefined || configured === command.environment
    ? command
    : { ...command, environment: configured };
}

function carryOut(command: Command, run: CommandRun): Promise<CommandResult> {
  switch (command.kind) {
    case 'help':
      return Promise.resolve({ ok: true, message: renderHelp([...run.config.environments.keys()]) });
    case 'deploy':
      return deployCommand(run, command);
    case 'rollback':
      return rollbackCommand(environmentRun(run), command);
    case 'lock':
      return lockCommand(environmentRun(run), command);
    case 'unlock':
      return unlockCommand(environmentRun(run), command);
    case 'status':
      return statusCommand(run, command);
    case 'approve':
    case 'reject':
      return verdictCommand(run, command);
  }
}

/** This App's reply to a comment, found by the hidden marker it carries. */
async function findReply(
  io: GitHubIo,
  issueNumber: number,
  commentId: number,
): Promise<{ readonly id: number; readonly provisional: boolean } | undefined> {
  const comments = await io.octokit.paginate(io.octokit.rest.issues.listComments, {
    ...io.repo,
    issue_number: issueNumber,
    per_page: 100,
  });
  const marker = replyMarker(commentId);
  const found = comments.find((c) => byThisApp(io, c.performed_via_github_app) && c.body?.includes(marker));
  return found === undefined
    ? undefined
    : { id: found.id, provisional: found.body?.includes(PROVISIONAL) ?? false };
}

function replyMarker(commentId: number): string {
  return `${REPLY_MARKER} ${hiddenJson({ comment: commentId })} -->`;
}

/** Marks a reply posted for its records before the command's answer was known. */
const PROVISIONAL = '<!-- rollgate:provisional -->';

function replyBody(
  commentId: number,
  login: string,
  message: string,
  records: string | undefined,
  flag: string | undefined,
): string {
  // The records go after the visible text, so capping a long message never cuts one.
  const tail = `\n\n${replyMarker(commentId)}${flag === undefined ? '' : `\n${flag}`}${records === undefined ? '' : `\n${records}`}`;
  return `${capBody(`${mention(login)} ${message}`, COMMENT_LIMIT - tail.length)}${tail}`;
}

/** Posts the reply; after a failure, looks for it before sending it again. Its id, if known. */
async function postReply(
  io: GitHubIo,
  issueNumber: number,
  commentId: number,
  login: string,
  message: string,
  records: string | undefined,
  flag?: string,
): Promise<number | undefined> {
  const body = replyBody(commentId, login, message, records, flag);
  try {
    return await reconciledWrite(
      async () =>
        (await io.octokit.rest.issues.createComment({ ...io.repo, issue_number: issueNumber, body })).data.id,
      async () => (await findReply(io, issueNumber, commentId))?.id,
    );
  } catch (error) {
    io.log.error({ err: error }, 'the reply could not be posted');
    return undefined;
  }
}

/** Turns a reply posted early into the command's answer (setting a body twice leaves it as once). */
async function editReply(
  io: GitHubIo,
  replyId: number,
  commentId: number,
  login: string,
  message: string,
  records: string | undefined,
  flag?: string,
): Promise<void> {
  const body = replyBody(commentId, login, message, records, flag);
  try {
    await reconciledWrite(
      async () => {
        await io.octokit.rest.issues.updateComment({ ...io.repo, comment_id: replyId, body });
        return true;
      },
      async () =>
        (await io.octokit.rest.issues.getComment({ ...io.repo, comment_id: replyId })).data.body === body
          ? true
          : undefined,
    );
  } catch (error) {
    io.log.error({ err: error }, 'the reply could not be updated');
  }
}

/**
 * Reacts 👀. True when this App's 👀 was there already, or when GitHub's answer never came (the
 * reaction may exist): then every write looks for its result before it is made.
 */
async function claimComment(io: GitHubIo, commentId: number): Promise<boolean> {
  const send = () =>
    io.octokit.rest.reactions.createForIssueComment({ ...io.repo, comment_id: commentId, content: 'eyes' });
  try {
    return (await send()).status === 200;
  } catch (error) {
    io.log.warn({ err: error }, 'the 👀 reaction failed; carrying on as a resumed command');
    try {
      await send();
    } catch {
      // The command is carried out all the same; its reply says what happened.
    }
    return true;
  }
}

/** Reactions are idempotent (GitHub answers 200 with the existing one), so sending again is safe. */
async function react(io: GitHubIo, commentId: number, content: ReactionContent): Promise<void> {
  const send = async () =>
    (await io.octokit.rest.reactions.createForIssueComment({ ...io.repo, comment_id: commentId, content }))
      .data.id;
  try {
    await reconciledWrite(send, () => Promise.resolve(undefined));
  } catch (error) {
    io.log.error({ err: error }, `the ${content} reaction could not be added`);
  }
}
