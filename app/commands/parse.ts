import { code } from '../../src/github/markdown.ts';
import { COMMAND_USAGE } from './help.ts';

/** A pull-request comment command, validated: every field is ready to act on. */
export type Command =
  | {
      readonly kind: 'deploy';
      readonly environment: string;
      readonly ref: string | undefined;
      readonly dryRun: boolean;
      readonly params: Readonly<Record<string, string>>;
    }
  /** `target` is a version or a deployment id; undefined means the previous good version. */
  | { readonly kind: 'rollback'; readonly environment: string; readonly target: string | undefined }
  | { readonly kind: 'approve'; readonly environment: string | undefined }
  | { readonly kind: 'reject'; readonly environment: string | undefined; readonly reason: string | undefined }
  | { readonly kind: 'lock'; readonly environment: string; readonly reason: string | undefined }
  /** `deploying`: `/unlock <env> --deploying` clears the deploy-in-progress marker instead of the lock. */
  | { readonly kind: 'unlock'; readonly environment: string; readonly deploying?: boolean }
  | { readonly kind: 'status'; readonly environment: string | undefined }
  | { readonly kind: 'help' };

/** What a comment means to Rollgate. */
export type ParsedComment =
  /** Not a command at all: ignore it silently. */
  | { readonly kind: 'none' }
  /** `line` is the comment's first non-empty line, trimmed, as the user wrote it. */
  | { readonly kind: 'command'; readonly command: Command; readonly line: string }
  /**
   * A known command used wrongly: `name` is the command, `problem` says what is wrong, as Markdown
   * in which every word of the user's is a code span (src/github/markdown.ts), ready to echo.
   */
  | { readonly kind: 'invalid'; readonly name: string; readonly problem: string; readonly usage: string }
  /** `/name` that is no command, as written; `suggestion` is the nearest command name, if any is close. */
  | { readonly kind: 'unknown'; readonly name: string; readonly suggestion: string | undefined };

type CommandKind = Command['kind'];

const NONE: ParsedComment = { kind: 'none' };

/**
 * `/word` at the very start of the line, followed by whitespace or nothing. A lone `/`, a path such as
 * `/usr/bin` and `/deploy?` are prose, not command attempts, so they are ignored rather than answered.
 */
const COMMAND_ATTEMPT = /^\/([A-Za-z][A-Za-z0-9_-]*)(?=\s|$)/;

/**
 * Parses a pull-request comment (PRODUCT.md §3). Only the first non-empty line can be a command. A quoted
 * line (`> /deploy …`) or a code fence (```` ``` ````, `~~~`) there is not one, and lines below it never
 * are, so a quoted or fenced `/deploy` is ignored without tracking Markdown blocks: such a first line
 * simply does not start with `/`. Command names are case-insensitive; the comment never makes this throw.
 */
export function parseComment(body: string): ParsedComment {
  const line = firstNonEmptyLine(body);
  if (line === undefined) return NONE;
  const attempt = COMMAND_ATTEMPT.exec(line);
  const written = attempt?.[1];
  if (attempt === null || written === undefined) return NONE;
  const name = written.toLowerCase();
  if (!isCommandKind(name)) return { kind: 'unknown', name: written, suggestion: suggestCommand(name) };
  try {
    const command = PARSERS[name](new CommandArguments(line.slice(attempt[0].length)));
    return { kind: 'command', command, line };
  } catch (error) {
    if (!(error instanceof CommandProblem)) throw error;
    return { kind: 'invalid', name, problem: error.message, usage: COMMAND_USAGE[name] };
  }
}

/**
 * The canonical comment line for a command: `parseComment(renderCommand(c))` gives back `c` for every
 * command `parseComment` returns. Replies quote it so users see exactly what Rollgate understood.
 */
export function renderCommand(command: Command): string {
  switch (command.kind) {
    case 'deploy':
      return joinWords(
        '/deploy',
        command.environment,
        command.ref === undefined ? undefined : renderToken(command.ref),
        command.dryRun ? DRY_RUN : undefined,
        ...Object.entries(command.params).map(([key, value]) => `${key}=${renderToken(value)}`),
      );
    case 'rollback':
      return joinWords('/rollback', command.environment, command.target);
    case 'approve':
      return joinWords('/approve', command.environment);
    case 'reject':
      return joinWords('/reject', command.environment, renderReason(command.reason));
    case 'lock':
      return joinWords('/lock', command.environment, renderReason(command.reason));
    case 'unlock':
      return joinWords('/unlock', command.environment, command.deploying === true ? DEPLOYING : undefined);
    case 'status':
      return joinWords('/status', command.environment);
    case 'help':
      return '/help';
  }
}

/** The first line with something on it, trimmed; found by native searches, however long the body. */
function firstNonEmptyLine(body: string): string | undefined {
  const first = body.search(/\S/);
  if (first === -1) return undefined;
  const start = Math.max(body.lastIndexOf('\n', first), body.lastIndexOf('\r', first)) + 1;
  const end = /[\r\n]/g;
  end.lastIndex = first;
  return body.slice(start, end.exec(body)?.index ?? body.length).trim();
}

function joinWords(...words: (string | undefined)[]): string {
  return words.filter((word) => word !== undefined).join(' ');
}

/** A problem with a known command's arguments; parseComment turns it into an 'invalid' result. */
class CommandProblem extends Error {}

const PARSERS: { readonly [K in CommandKind]: (args: CommandArguments) => Extract<Command, { kind: K }> } = {
  deploy: parseDeploy,
  rollback: (args) => {
    const environment = requiredEnvironment(args.next());
    const target = optional(args.next(), parseRollbackTarget);
    args.end();
    return { kind: 'rollback', environment, target };
  },
  approve: (args) => {
    const environment = optional(args.next(), parseEnvironment);
    args.end();
    return { kind: 'approve', environment };
  },
  // "Keep it simple": the first word is always the environment, so a reason needs one before it.
  reject: (args) => {
    const environment = optional(args.next(), parseEnvironment);
    return { kind: 'reject', environment, reason: parseReason(args.rest()) };
  },
  lock: (args) => {
    const environment = requiredEnvironment(args.next());
    return { kind: 'lock', environment, reason: parseReason(args.rest()) };
  },
  unlock: (args) => {
    const environment = requiredEnvironment(args.next());
    const flag = args.next();
    if (flag !== undefined && flag !== DEPLOYING)
      throw new CommandProblem(`unexpected argument ${excerpt(flag)}`);
    args.end();
    return flag === undefined
      ? { kind: 'unlock', environment }
      : { kind: 'unlock', environment, deploying: true };
  },
  status: (args) => {
    const environment = optional(args.next(), parseEnvironment);
    args.end();
    return { kind: 'status', environment };
  },
  help: (args) => {
    args.end();
    return { kind: 'help' };
  },
};

function isCommandKind(name: string): name is CommandKind {
  return Object.hasOwn(PARSERS, name);
}

const DRY_RUN = '--dry-run';
const DEPLOYING = '--deploying';
// Phone keyboards turn `--` into a dash (iOS "smart punctuation"), so `—dry-run` means `--dry-run` too.
const DRY_RUN_SPELLINGS = new Set([DRY_RUN, '\u2014dry-run', '\u2013dry-run']);
const OPTION = /^[-\u2013\u2014]/;
const PARAM_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/**
 * Parameters travel in the Deployment's payload, which GitHub stores and every `deployment` event
 * carries: bounded so one comment cannot fill it. Values a workflow reads (a replica count, a flag, a
 * reason) fit easily.
 */
const PARAM_KEY_MAX = 64;
const PARAM_VALUE_MAX = 1_024;
const PARAMS_MAX = 32;

function parseDeploy(args: CommandArguments): Extract<Command, { kind: 'deploy' }> {
  const first = args.next();
  if (first !== undefined && DRY_RUN_SPELLINGS.has(first)) {
    throw new CommandProblem(`name the environment before \`${DRY_RUN}\``);
  }
  const environment = requiredEnvironment(first);
  let ref: string | undefined;
  let dryRun = false;
  const params = new Map<string, string>();
  for (let token = args.next(); token !== undefined; token = args.next()) {
    if (DRY_RUN_SPELLINGS.has(token)) dryRun = true;
    else if (OPTION.test(token)) throw unknownOption(token);
    else if (token.includes('=')) addParam(params, token);
    else if (ref === undefined) ref = parseRef(token);
    else throw new CommandProblem(`${excerpt(token)} is a second ref; a deploy takes at most one`);
  }
  // fromEntries defines own properties, so a `__proto__=x` param is data, not a prototype change.
  return { kind: 'deploy', environment, ref, dryRun, params: Object.fromEntries(params) };
}

function addParam(params: Map<string, string>, token: string): void {
  const separator = token.indexOf('=');
  const key = token.slice(0, separator);
  if (!PARAM_KEY.test(key)) {
    throw new CommandProblem(
      `${excerpt(key)} is not a parameter name: start with a letter or \`_\`, then use letters, digits, \`_\`, \`.\` and \`-\``,
    );
  }
  if (key.length > PARAM_KEY_MAX)
    throw new CommandProblem(
      `a parameter name has at most ${PARAM_KEY_MAX} characters; ${excerpt(key)} has ${key.length}`,
    );
  if (params.has(key)) throw new CommandProblem(`parameter ${excerpt(key)} is given twice`);
  const value = token.slice(separator + 1);
  if (value.length > PARAM_VALUE_MAX) {
    throw new CommandProblem(
      `the value of ${excerpt(key)} has ${value.length} characters; a parameter value has at most ${PARAM_VALUE_MAX}`,
    );
  }
  if (params.size === PARAMS_MAX) throw new CommandProblem(`a deploy takes at most ${PARAMS_MAX} parameters`);
  params.set(key, value);
}

function unknownOption(token: string): CommandProblem {
  return new CommandProblem(
    `${excerpt(token)} is not an option; the only option is \`${DRY_RUN}\`, for \`/deploy\``,
  );
}

function optional<T>(token: string | undefined, parse: (token: string) => T): T | undefined {
  return token === undefined ? undefined : parse(token);
}

function requiredEnvironment(token: string | undefined): string {
  if (token === undefined) throw new CommandProblem('the environment is missing');
  return parseEnvironment(token);
}

const ENVIRONMENT_NAME_MAX = 255;
const ENVIRONMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * GitHub accepts nearly any environment name up to 255 characters, slashes and spaces included
 * ("Environment names are not case sensitive. An environment name may not exceed 255 characters",
 * docs.github.com, Managing environments for deployment; the REST API asks for slashes as `%2F`).
 * Rollgate accepts a safe subset: letters, digits, `.`, `_` and `-`, starting with a letter or digit (so
 * it is never mistaken for an option), and usable as one git ref component, because locks live in
 * `rollgate/lock/<env>` branches (src/github/environment-refs.ts): no `..`, no trailing `.` or `.lock`.
 * The name is kept as written; matching it to a configured environment is the caller's job.
 */
function parseEnvironment(token: string): string {
  if (OPTION.test(token)) throw unknownOption(token);
  if (token === '') throw new CommandProblem('the environment name is empty');
  if (token.length > ENVIRONMENT_NAME_MAX) {
    throw new CommandProblem(
      `an environment name has at most ${ENVIRONMENT_NAME_MAX} characters; this one has ${token.length}`,
    );
  }
  if (!ENVIRONMENT_NAME.test(token)) {
    throw new CommandProblem(
      `${excerpt(token)} is not an environment name: use letters, digits, \`.\`, \`_\` and \`-\`, starting with a letter or digit`,
    );
  }
  if (token.includes('..') || token.endsWith('.') || token.endsWith('.lock')) {
    throw new CommandProblem(
      `${excerpt(token)} is not an environment name: it must not contain \`..\` or end with \`.\` or \`.lock\``,
    );
  }
  return token;
}

/**
 * Git sets no length limit, but a branch is a file under `.git/refs` and file systems hold names of at
 * most 255 bytes: a longer ref is a paste, not a branch, and is refused before it reaches a reply or the API.
 */
const REF_MAX = 255;

/** Characters git forbids anywhere in a ref name besides control characters (git-check-ref-format(1)). */
const REF_FORBIDDEN_CHARACTERS = [' ', '~', '^', ':', '?', '*', '[', '\\'];

/**
 * A branch, tag or commit to deploy, checked with git's own rules (git-check-ref-format(1), refs.c
 * `check_refname_component`) so a typo fails here rather than at the GitHub API. One-level names (`main`)
 * are allowed, as `--allow-onelevel` does, and, as `--branch` does, nothing starting with `-`. A commit
 * sha (7–40 hex digits) is always a valid name, so it needs no rule of its own.
 */
function parseRef(token: string): string {
  const problem = refProblem(token);
  if (problem !== undefined) throw new CommandProblem(`${excerpt(token)} is not a valid git ref: ${problem}`);
  return token;
}

function refProblem(ref: string): string | undefined {
  if (ref.length > REF_MAX) return `it has ${ref.length} characters; Rollgate takes at most ${REF_MAX}`;
  if (ref === '@') return 'it cannot be `@` alone';
  if (ref.startsWith('/') || ref.endsWith('/')) return 'it cannot start or end with `/`';
  if (ref.endsWith('.')) return 'it cannot end with `.`';
  if (ref.includes('..')) return 'it cannot contain `..`';
  if (ref.includes('@{')) return 'it cannot contain `@{`';
  if (hasControlCharacter(ref)) return 'it cannot contain control characters';
  const forbidden = REF_FORBIDDEN_CHARACTERS.find((character) => ref.includes(character));
  if (forbidden !== undefined) return `it cannot contain ${forbidden === ' ' ? 'a space' : code(forbidden)}`;
  for (const component of ref.split('/')) {
    if (component === '') return 'it cannot contain `//`';
    if (component.startsWith('.')) return 'no part between slashes can start with `.`';
    if (component.endsWith('.lock')) return 'no part between slashes can end with `.lock`';
  }
  return undefined;
}

function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * A version (`1.4.0`, `v2.0.0-rc.1+build.7`, `0.0.0-abc1234`) or a deployment id (`1234567`): one word of
 * letters, digits, `.`, `_`, `+` and `-`, at most 128 characters — what semver and container image tags
 * (128 characters at most) need.
 */
const ROLLBACK_TARGET = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

function parseRollbackTarget(token: string): string {
  if (OPTION.test(token)) throw unknownOption(token);
  if (!ROLLBACK_TARGET.test(token)) {
    throw new CommandProblem(
      `${excerpt(token)} is not a version or deployment id: use letters, digits, \`.\`, \`_\`, \`+\` and \`-\` (at most 128)`,
    );
  }
  return token;
}

/** A lock or rejection reason is shown in replies and kept in the lock's ref: a sentence, not an essay. */
const REASON_MAX = 256;

/**
 * A reason is the rest of the line as written, so `we're migrating` needs no quoting. When the whole
 * reason is wrapped in one pair of quotes, they are removed; a reason that opens a quote and never
 * closes it is refused, as an unterminated quote is anywhere else.
 */
function parseReason(rest: string): string | undefined {
  if (rest === '') return undefined;
  if (rest.length > REASON_MAX) {
    throw new CommandProblem(
      `the reason has ${rest.length} characters; at most ${REASON_MAX} fit — say more in the pull request`,
    );
  }
  const quote = rest.charAt(0);
  if (quote !== '"' && quote !== "'") return rest;
  const close = rest.indexOf(quote, 1);
  if (close === -1) throw unterminatedQuote(quote);
  if (close !== rest.length - 1) return rest;
  const inner = rest.slice(1, -1).trim();
  return inner === '' ? undefined : inner;
}

/** The inverse of parseReason: quotes only a reason that would otherwise lose or trip on its own quotes. */
function renderReason(reason: string | undefined): string | undefined {
  if (reason === undefined) return undefined;
  const quote = reason.charAt(0);
  if (quote !== '"' && quote !== "'") return reason;
  const close = reason.indexOf(quote, 1);
  if (close !== -1 && close !== reason.length - 1) return reason;
  const wrapper = reason.includes('"') ? "'" : '"';
  return `${wrapper}${reason}${wrapper}`;
}

/**
 * The inverse of CommandArguments.next: a bare word when it can be, else quoted runs side by side
 * (`"it's "'"'"quoted"'"'` reads back as `it's "quoted"`), since quotes never escape anything.
 */
function renderToken(value: string): string {
  if (value !== '' && !/[\s"']/.test(value)) return value;
  if (!value.includes('"')) return `"${value}"`;
  return value
    .split(/("+)/)
    .filter((run) => run !== '')
    .map((run) => (run.startsWith('"') ? `'${run}'` : `"${run}"`))
    .join('');
}

function unterminatedQuote(quote: string): CommandProblem {
  return new CommandProblem(`a ${quote} quote is never closed`);
}

/**
 * A user's word in a problem, as a code span (src/github/markdown.ts) so it shows literally, and
 * shortened so a pasted paragraph does not flood the reply.
 */
function excerpt(text: string): string {
  return code(text, 60);
}

const WHITESPACE = /\s/;
/** A run of a word outside quotes. */
const BARE = /[^\s"']+/y;

/**
 * A command's arguments, read left to right. Words are separated by whitespace; within a word, `"…"` or
 * `'…'` quotes text with spaces (`reason="db migration"`) and is joined to what touches it, as in a shell,
 * but without escapes: a quote ends at the next quote of the same kind.
 */
class CommandArguments {
  private readonly text: string;
  private position = 0;

  constructor(text: string) {
    this.text = text;
  }

  /** The next word, unquoted, or undefined at the end of the line. */
  next(): string | undefined {
    const text = this.text;
    let index = this.position;
    while (index < text.length && WHITESPACE.test(text.charAt(index))) index++;
    if (index === text.length) {
      this.position = index;
      return undefined;
    }
    const parts: string[] = [];
    while (index < text.length && !WHITESPACE.test(text.charAt(index))) {
      const character = text.charAt(index);
      if (character === '"' || character === "'") {
        const close = text.indexOf(character, index + 1);
        if (close === -1) throw unterminatedQuote(character);
        parts.push(text.slice(index + 1, close));
        index = close + 1;
      } else {
        BARE.lastIndex = index;
        const bare = BARE.exec(text)?.[0] ?? character;
        parts.push(bare);
        index += bare.length;
      }
    }
    const word = parts.join('');
    this.position = index;
    return word;
  }

  /** Everything after the words read so far, trimmed. */
  rest(): string {
    const rest = this.text.slice(this.position).trim();
    this.position = this.text.length;
    return rest;
  }

  /** Refuses anything left over, for commands that take no more arguments. */
  end(): void {
    const extra = this.next();
    if (extra !== undefined) throw new CommandProblem(`unexpected argument ${excerpt(extra)}`);
  }
}

const SUGGESTION_MAX_EDITS = 2;

/** The command `name` is most likely a typo of: the fewest edits, at most two; the first listed on a tie. */
function suggestCommand(name: string): string | undefined {
  const names = Object.keys(PARSERS);
  for (let edits = 1; edits <= SUGGESTION_MAX_EDITS; edits++) {
    const match = names.find((candidate) => withinEdits(name, candidate, edits));
    if (match !== undefined) return match;
  }
  return undefined;
}

/**
 * Whether `a` becomes `b` with at most `edits` insertions, deletions, substitutions or swaps of adjacent
 * characters (optimal string alignment distance, so `deplyo` is one edit from `deploy`). The budget keeps
 * the search tiny: it branches only at a mismatch, at most four ways, at most twice.
 */
function withinEdits(a: string, b: string, edits: number): boolean {
  if (Math.abs(a.length - b.length) > edits) return false;
  let common = 0;
  while (common < a.length && common < b.length && a.charAt(common) === b.charAt(common)) common++;
  const restA = a.slice(common);
  const restB = b.slice(common);
  if (restA === '' || restB === '') return Math.max(restA.length, restB.length) <= edits;
  if (edits === 0) return false;
  const swapped = restA.charAt(0) === restB.charAt(1) && restA.charAt(1) === restB.charAt(0);
  return (
    withinEdits(restA.slice(1), restB, edits - 1) ||
    withinEdits(restA, restB.slice(1), edits - 1) ||
    withinEdits(restA.slice(1), restB.slice(1), edits - 1) ||
    (swapped && withinEdits(restA.slice(2), restB.slice(2), edits - 1))
  );
}
