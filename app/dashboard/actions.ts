/**
 * Actions from the dashboard — deploy a ref, roll back, lock, unlock, approve or reject a waiting
 * request — carried out in this process by the comment commands' own handlers, as the signed-in
 * user, under the same rules:
 * - the form's values are checked by the comment parser (app/commands/parse.ts): each becomes one
 *   word of the command line, and a line that does not parse back to exactly those values is refused;
 * - the permission is `commands.permission` of `.github/rollgate.yml`, read as the comment path
 *   reads it (`readPermission`: the user's role, asked of GitHub with the App's token);
 * - the gates, locks and markers are the handlers' (`lockCommand`, `unlockCommand`,
 *   `rollbackCommand`, `verdictCommand`, `takeReleaseVerdict`, `deployThroughGates`), never a copy;
 * - the audit trail is the same: a verdict is recorded in a reply of this App's on the pull request
 *   (gate-records.ts), so every later evaluation counts it and the pull request shows who gave it
 *   — or, for a release's waiting deploy, on its check run, as its Approve button records it;
 *   a Deployment's payload names its `requester` and `via: dashboard`, a lock's record `via` too;
 *   and one structured log line per action.
 * Each form carries its own action id. Two submits of one form are one action: they are handled one
 * after the other (the handling lease), and the second finds the first's Deployment or reply and
 * says so instead of writing again; a write whose answer was lost is reconciled by the handlers.
 */
import type { Command } from '../commands/parse.ts';
import { parseComment, renderCommand } from '../commands/parse.ts';
import { ConfigError, loadConfig } from '../config-loader.ts';
import { whileHolding } from '../limits/handling-lease.ts';
import { reserveClaimWrites } from '../limits/limiter.ts';
import { hasPermission, permissionRefusal, type PermissionFacts } from '../permissions.ts';
import { now as clockNow } from '../clock.ts';
import { describeError } from '../../src/errors.ts';
import type { RollgateConfig } from '../../src/config/types.ts';
import { capBody, code, COMMENT_LIMIT, hiddenJson, mention } from '../../src/github/markdown.ts';
import { configuredName, pullFacts, readPermission } from '../handlers/comment.ts';
import type { CommandResult, CommandRun, CommandSource, EnvironmentRun } from '../handlers/command-run.ts';
import { refuse } from '../handlers/command-run.ts';
import { deployAnswer, resolveRef } from '../handlers/deploy-command.ts';
import { deployThroughGates, findOwnDeployment, gateFactsOf } from '../handlers/deployment-plan.ts';
import {
  readEnvironmentState,
  type EnvironmentState,
  type MarkerOwner,
} from '../handlers/environment-state.ts';
import { byThisApp, type GitHubIo } from '../handlers/github-io.ts';
import { lockCommand, unlockCommand } from '../handlers/lock-commands.ts';
import { reconciledWrite } from '../handlers/reconciled-write.ts';
import { rollbackCommand } from '../handlers/rollback-command.ts';
import { verdictCommand } from '../handlers/verdict-command.ts';
import { takeReleaseVerdict } from '../handlers/release-approval.ts';
import { APPROVE, findReleaseRun, REJECT } from '../handlers/release-request.ts';

/** The kinds of action the dashboard's forms send. */
export const ACTION_KINDS = ['deploy', 'rollback', 'lock', 'unlock', 'approve', 'reject'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** An action as the form asked for it, every value checked. */
export interface DashboardAction {
  /** The form's own id: two submits of one form are one action. */
  readonly id: number;
  /** The command it is, exactly as a comment would have said it. */
  readonly command: Extract<Command, { kind: ActionKind }>;
  /** The pull request a verdict is given on… */
  readonly pull: number | undefined;
  /** …or the tag of the release whose deploy waits (its check run holds the request). */
  readonly release?: string;
}

export type ParsedAction =
  { readonly ok: true; readonly action: DashboardAction } | { readonly ok: false; readonly problem: string };

/** What an action came to, for the page: `message` is Markdown, as the handlers write it. */
export interface ActionResult {
  readonly ok: boolean;
  readonly message: string;
  /** Where to see it on GitHub (the reply on the pull request). */
  readonly link?: { readonly href: string; readonly text: string };
}

/** A deploy's writes up to its Deployment: the marker's commit and ref, the Deployment. */
const CLAIM_WRITES = 3;

/** Form ids are random whole numbers below 2^48: unguessable enough for an idempotency key. */
export const ACTION_ID_MAX = 2 ** 48;
const ACTION_ID = /^[1-9][0-9]{0,14}$/;
const PULL_NUMBER = /^[1-9][0-9]{0,9}$/;
/** One word of a command line: no whitespace, no quote (which would join or split words). */
const ONE_WORD = /^[^\s"']+$/;

const isAction = (command: Command): command is DashboardAction['command'] =>
  (ACTION_KINDS as readonly string[]).includes(command.kind);

const field = (form: URLSearchParams, name: string): string => (form.get(name) ?? '').trim();

function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x20 || unit === 0x7f) return true;
  }
  return false;
}

/** A value that must be one word of the command, or the problem with it. */
function word(label: string, value: string): string | undefined {
  if (value === '') return `${label} is missing`;
  if (!ONE_WORD.test(value) || hasControlCharacter(value))
    return `${label} ${code(value, 60)} has spaces, quotes or control characters; it is one word`;
  return undefined;
}

/**
 * The action a form asks for (fields `kind`, `action`, `environment`, and `ref`, `version`,
 * `target`, `pull`, `reason`, as the kind takes them), checked by the comment parser.
 */
export function parseActionForm(form: URLSearchParams): ParsedAction {
  const fail = (problem: string): ParsedAction => ({ ok: false, problem });
  const kind = field(form, 'kind');
  if (!(ACTION_KINDS as readonly string[]).includes(kind))
    return fail(`${code(kind || ' ')} is not an action of the dashboard`);
  const idText = field(form, 'action');
  const id = Number(idText);
  if (!ACTION_ID.test(idText) || id >= ACTION_ID_MAX)
    return fail('the form has no valid action id; reload the page and use its form');
  const environment = field(form, 'environment');
  const words: string[] = [environment];
  const problems = [word('the environment', environment)];
  const optional = (label: string, name: string): string | undefined => {
    const value = field(form, name);
    if (value === '') return undefined;
    problems.push(word(label, value));
    return value;
  };
  let pull: number | undefined;
  let release: string | undefined;
  let reason: string | undefined;
  const ref = kind === 'deploy' ? field(form, 'ref') : undefined;
  const version = kind === 'deploy' ? optional('the version', 'version') : undefined;
  const target = kind === 'rollback' ? optional('the version or deployment id', 'target') : undefined;
  if (ref !== undefined) {
    problems.push(word('the ref', ref));
    words.push(ref);
    if (version !== undefined) words.push(`version=${version}`);
  }
  if (target !== undefined) words.push(target);
  if (kind === 'approve' || kind === 'reject') {
    const pullText = field(form, 'pull');
    release = field(form, 'release') || undefined;
    if (release !== undefined) {
      // A tag is a ref: checked as `/deploy <env> <tag>` would check it.
      problems.push(
        pullText === '' ? word('the release tag', release) : 'give a pull request or a release, not both',
      );
      const asRef = parseComment(`/deploy ${environment} ${release}`);
      if (asRef.kind === 'invalid') problems.push(asRef.problem);
      else if (asRef.kind !== 'command' || asRef.command.kind !== 'deploy' || asRef.command.ref !== release)
        problems.push(`the release tag ${code(release, 60)} is not a tag name`);
    } else if (!PULL_NUMBER.test(pullText))
      problems.push(
        `the pull request number ${code(pullText || ' ', 20)} is not a number such as 42 (or give the release whose deploy waits)`,
      );
    else pull = Number(pullText);
  }
  if (kind === 'lock' || kind === 'reject') {
    reason = field(form, 'reason') || undefined;
    if (reason !== undefined && hasControlCharacter(reason))
      problems.push('the reason has line breaks or control characters; it is one line');
  }
  const problem = problems.find((p) => p !== undefined);
  if (problem !== undefined) return fail(problem);
  const line = [`/${kind}`, ...words, ...(reason === undefined ? [] : [reason])].join(' ');
  const parsed = parseComment(line);
  if (parsed.kind === 'invalid') return fail(parsed.problem);
  if (parsed.kind !== 'command' || !isAction(parsed.command) || parsed.command.kind !== kind)
    return fail('the action could not be read');
  const command = parsed.command;
  // Each value must come back as written: a ref `--dry-run` or `a=b` would have become an option.
  const same =
    'environment' in command &&
    command.environment === environment &&
    (command.kind !== 'deploy' ||
      (command.ref === ref &&
        !command.dryRun &&
        command.params.version === version &&
        Object.keys(command.params).length === (version === undefined ? 0 : 1))) &&
    (command.kind !== 'rollback' || command.target === target);
  if (!same)
    return fail(
      `${code([ref, version, target].filter((v) => v !== undefined).join(' ') || environment, 60)} is not a plain value: nothing may start with \`-\` or hold \`=\``,
    );
  return { ok: true, action: { id, command, pull, ...(release === undefined ? {} : { release }) } };
}

/** What the dashboard needs to act on one repository. */
export interface ActionContext {
  /** The installation's ports (Octokit, refs, the App's id, a logger). */
  readonly io: GitHubIo;
  /** The signed-in user's login, from the user's own token (`GET /user`). */
  readonly login: string;
}

interface ReadFacts {
  readonly source: CommandSource;
  readonly private: boolean;
  readonly config: RollgateConfig | ConfigError;
  readonly permission: PermissionFacts;
  readonly environments: EnvironmentState;
}

/** The read phase, every fact at once (as the comment path's). */
async function readFacts(io: GitHubIo, login: string): Promise<ReadFacts> {
  const [repository, config, permission, environments] = await Promise.all([
    io.octokit.rest.repos.get({ ...io.repo }),
    loadConfig({ octokit: io.octokit, repo: () => ({ ...io.repo }) }).catch((error: unknown) => {
      if (error instanceof ConfigError) return error;
      throw error;
    }),
    readPermission(io, login),
    readEnvironmentState(io.git, io.repo),
  ]);
  return {
    source: {
      payload: {
        repository: {
          html_url: repository.data.html_url,
          default_branch: repository.data.default_branch,
        },
      },
    },
    private: repository.data.private,
    config,
    permission,
    environments,
  };
}

/** Carries the action out; one structured log line records who did what and what came of it. */
export async function carryOutAction(context: ActionContext, action: DashboardAction): Promise<ActionResult> {
  const { io, login } = context;
  // A deploy or rollback says so before its reads, as a comment's does (app/limits/limiter.ts).
  const claims = action.command.kind === 'deploy' || action.command.kind === 'rollback';
  const result = await whileHolding(`dashboard:${action.id}`, async () => {
    const claimed = claims ? reserveClaimWrites(io.octokit, CLAIM_WRITES) : undefined;
    try {
      return await act(context, action);
    } catch (error) {
      io.log.error({ err: error }, 'dashboard action failed');
      return {
        ok: false,
        message: `Rollgate could not carry out ${code(renderCommand(action.command))}: ${describeError(error)} Nothing further was done; try again in a minute — a write GitHub made already is found again, not repeated.`,
      };
    } finally {
      claimed?.();
    }
  });
  io.log.info(
    {
      dashboard: {
        action: action.id,
        command: renderCommand(action.command),
        user: login,
        repository: `${io.repo.owner}/${io.repo.repo}`,
        pull: action.pull,
        release: action.release,
        ok: result.ok,
      },
    },
    `dashboard action by ${login}: ${action.command.kind} ${result.ok ? 'done' : 'refused'}`,
  );
  return result;
}

async function act(context: ActionContext, action: DashboardAction): Promise<ActionResult> {
  const { io, login } = context;
  const facts = await readFacts(io, login);
  const required = facts.config instanceof ConfigError ? 'write' : facts.config.commands.permission;
  if (!hasPermission(facts.permission, required))
    return {
      ok: false,
      message: `${permissionRefusal(required, facts.permission, facts.private)} The dashboard acts under the same rule as comments; nothing was changed.`,
    };
  if (facts.config instanceof ConfigError)
    return {
      ok: false,
      message: `\`.github/rollgate.yml\` is not valid, so Rollgate does nothing: ${describeError(facts.config)}`,
    };
  const config = facts.config;
  const command = configuredName(action.command, config);
  if (!isAction(command)) throw new Error(`${command.kind} is no action of the dashboard`);
  if ((command.kind === 'approve' || command.kind === 'reject') && action.release !== undefined)
    return verdictOnRelease(context, facts, action.release, command);
  if (command.kind === 'approve' || command.kind === 'reject')
    return verdictOnPull(context, facts, config, { ...action, command }, command);
  const owner: MarkerOwner = { kind: 'dashboard', id: action.id };
  const run: EnvironmentRun = {
    context: facts.source,
    io,
    repo: io.repo,
    user: login,
    config,
    permission: facts.permission,
    environments: facts.environments,
    resume: false,
    pull: undefined,
    owner,
    via: 'dashboard',
  };
  switch (command.kind) {
    case 'lock':
      return lockCommand(run, command);
    case 'unlock':
      return unlockCommand(run, command);
    case 'rollback': {
      const done = await alreadyDeployed(io, command.environment, owner);
      return done ?? rollbackCommand(run, command);
    }
    case 'deploy': {
      const done = await alreadyDeployed(io, command.environment, owner);
      return done ?? deployRef(run, command);
    }
  }
}

/** The answer to a second submit of a form whose Deployment exists. */
async function alreadyDeployed(
  io: GitHubIo,
  environment: string,
  owner: MarkerOwner,
): Promise<ActionResult | undefined> {
  const done = await findOwnDeployment(io, environment, owner);
  if (done === undefined) return undefined;
  return {
    ok: true,
    message: `This form was sent before and its Deployment #${done.id} of ${code(environment)} exists; nothing new was created.`,
  };
}

/**
 * A deploy of a branch, tag or commit of this repository (a release is its tag) with no pull
 * request: the deploy plan's gates, lock and marker as for `/deploy <env> <ref>`. A deploy that
 * would wait — for approvals, or for a window — is refused with what to do: a waiting request is
 * kept on a pull request, where its approvals are recorded.
 */
async function deployRef(
  run: EnvironmentRun,
  command: Extract<Command, { kind: 'deploy' }>,
): Promise<CommandResult> {
  const ref = command.ref ?? '';
  const { target, branch } = await resolveRef(
    run.io,
    run.context.payload.repository.default_branch,
    ref,
    undefined,
  );
  const version = command.params.version ?? ref;
  const outcome = await deployThroughGates(
    run.io,
    run.config,
    {
      environment: command.environment,
      task: 'deploy',
      version,
      requester: run.user,
      owner: run.owner,
      pullNumber: undefined,
      payload: { version, requester: run.user, ref, params: command.params, via: 'dashboard' },
      description: `${version} to ${command.environment} for @${run.user} (dashboard)`,
      resume: false,
      gated: { records: undefined, branch },
    },
    gateFactsOf(run.config, run.environments, {
      environmentName: command.environment,
      requester: run.user,
      owner: run.owner,
      pull: undefined,
      target,
    }),
    clockNow,
  );
  if (outcome.kind === 'pending')
    return refuse(
      `${code(command.environment)} needs approvals for this deploy, and nothing was created. A request that waits for approvals is kept on a pull request: comment \`/deploy ${command.environment} ${ref}\` there, then approve it here or with \`/approve ${command.environment}\`.`,
    );
  if (outcome.kind === 'deferred')
    return refuse(
      `${code(command.environment)} is closed to deploys until ${outcome.opensAt.toISOString()} (its window or freeze), and nothing was created. Deploy again then, or comment \`/deploy ${command.environment} ${ref}\` on a pull request to have Rollgate deploy it by itself at that time.`,
    );
  return deployAnswer(run, command.environment, version, outcome);
}

const DASHBOARD_MARKER = '<!-- rollgate:dashboard';
const PROVISIONAL = '<!-- rollgate:provisional -->';

/** The reply's key: the form's id and its user, so nobody else's reply is ever taken for one's own. */
function replyMarker(id: number, login: string): string {
  return `${DASHBOARD_MARKER} ${hiddenJson({ action: id, by: login.toLowerCase() })} -->`;
}

interface DashboardReply {
  readonly id: number;
  readonly url: string;
  readonly provisional: boolean;
}

/** This App's reply for a dashboard action on the pull request, found by its hidden marker. */
async function findDashboardReply(
  io: GitHubIo,
  pull: number,
  id: number,
  login: string,
): Promise<DashboardReply | undefined> {
  const comments = await io.octokit.paginate(io.octokit.rest.issues.listComments, {
    ...io.repo,
    issue_number: pull,
    per_page: 100,
  });
  const marker = replyMarker(id, login);
  const found = comments.find((c) => byThisApp(io, c.performed_via_github_app) && c.body?.includes(marker));
  return found === undefined
    ? undefined
    : { id: found.id, url: found.html_url, provisional: found.body?.includes(PROVISIONAL) ?? false };
}

/**
 * `/approve` or `/reject` given from the dashboard on pull request `action.pull`: `verdictCommand`
 * itself, its verdict recorded in a reply of this App's there — the same hidden record a comment's
 * reply carries, which names the user and says it came from the dashboard.
 */
async function verdictOnPull(
  context: ActionContext,
  facts: ReadFacts,
  config: RollgateConfig,
  action: DashboardAction,
  command: Extract<Command, { kind: 'approve' | 'reject' }>,
): Promise<ActionResult> {
  const { io, login } = context;
  const pullNumber = action.pull ?? 0;
  let pull: CommandRun['pull'];
  try {
    pull = pullFacts((await io.octokit.rest.pulls.get({ ...io.repo, pull_number: pullNumber })).data);
  } catch (error) {
    if ((error as { status?: number }).status !== 404) throw error;
    return {
      ok: false,
      message: `There is no pull request #${pullNumber} in this repository. Give the number of the pull request where the \`/deploy\` waits.`,
    };
  }
  const earlier = await findDashboardReply(io, pull.number, action.id, login);
  if (earlier !== undefined && !earlier.provisional)
    return {
      ok: true,
      message: `This form was sent before: its ${command.kind === 'approve' ? 'approval' : 'rejection'} is recorded on #${pull.number}, and nothing new was written.`,
      link: { href: earlier.url, text: `The reply on #${pull.number}` },
    };
  let reply = earlier;
  const said = `${mention(login)} from the Rollgate dashboard, as ${code(renderCommand(command))}:`;
  const body = (message: string, records: string | undefined, flag?: string): string => {
    const tail = `\n\n${replyMarker(action.id, login)}${flag === undefined ? '' : `\n${flag}`}${records === undefined ? '' : `\n${records}`}`;
    return `${capBody(`${said} ${message}`, COMMENT_LIMIT - tail.length)}${tail}`;
  };
  const post = async (text: string): Promise<DashboardReply> =>
    reconciledWrite(
      async () => {
        const { data } = await io.octokit.rest.issues.createComment({
          ...io.repo,
          issue_number: pull.number,
          body: text,
        });
        return { id: data.id, url: data.html_url, provisional: text.includes(PROVISIONAL) };
      },
      () => findDashboardReply(io, pull.number, action.id, login),
    );
  const write = async (text: string): Promise<DashboardReply> => {
    if (reply === undefined) return post(text);
    const { data } = await io.octokit.rest.issues.updateComment({
      ...io.repo,
      comment_id: reply.id,
      body: text,
    });
    return { id: data.id, url: data.html_url, provisional: text.includes(PROVISIONAL) };
  };
  const run: CommandRun = {
    context: facts.source,
    io,
    repo: io.repo,
    user: login,
    // No comment asked for it: a verdict's records name the request's comment, never this one.
    commentId: 0,
    commentUrl: `${facts.source.payload.repository.html_url}/pull/${pull.number}`,
    // Asked now, from the page.
    commentedAt: new Date().toISOString(),
    pull,
    config,
    permission: facts.permission,
    environments: facts.environments,
    resume: earlier !== undefined,
    recordFirst: async (records, message) => {
      reply = await write(body(message, records, PROVISIONAL));
    },
  };
  const result = await verdictCommand(run, command);
  // A refusal records nothing, as a comment's refusal only answers: the page says why.
  if (!result.ok && result.records === undefined && reply === undefined) return result;
  reply = await write(body(result.message, result.records));
  return { ...result, link: { href: reply.url, text: `The reply on #${pull.number}` } };
}

/**
 * `/approve` or `/reject` of a release's deploy that waits on its check run (release-request.ts):
 * the same verdict as the run's Approve and Reject buttons (`takeReleaseVerdict`), recorded on
 * that run. A release's rejection takes no reason, as the button takes none.
 */
async function verdictOnRelease(
  context: ActionContext,
  facts: ReadFacts,
  tag: string,
  command: Extract<Command, { kind: 'approve' | 'reject' }>,
): Promise<ActionResult> {
  const { io, login } = context;
  const environment = command.environment ?? '';
  let release;
  try {
    release = (await io.octokit.rest.repos.getReleaseByTag({ ...io.repo, tag })).data;
  } catch (error) {
    if ((error as { status?: number }).status !== 404) throw error;
    return {
      ok: false,
      message: `There is no release tagged ${code(tag)} in this repository. Give the tag of a published release.`,
    };
  }
  // The tag's commit, read as the release handler reads it (release.ts `tagCommit`).
  const { data: commit } = await io.octokit.rest.repos.getCommit({ ...io.repo, ref: tag, per_page: 1 });
  const run = await findReleaseRun(io, { release: release.id, environment, sha: commit.sha });
  if (run?.request === undefined)
    return {
      ok: false,
      message: `No deploy of release ${code(tag)} to ${code(environment)} waits for a verdict: Rollgate made no request for it (the environment's \`auto_deploy\` does not list releases, or it needs no approval).`,
    };
  if (run.completed)
    return {
      ok: false,
      message: `The deploy of release ${code(tag)} to ${code(environment)} was decided already; its check run \`rollgate / ${environment}\` says how. Nothing was recorded.`,
    };
  const identifier = command.kind === 'approve' ? APPROVE : REJECT;
  return takeReleaseVerdict(io, run, run.request, login, identifier, facts.private);
}
