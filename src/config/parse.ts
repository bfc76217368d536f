import { LineCounter, parseDocument, type Document } from 'yaml';
import { RollgateError } from '../errors.ts';
import { applyDefaults } from './apply-defaults.ts';
import type { ConfigProblem } from './problem.ts';
import { schemaProblems } from './schema-problems.ts';
import { semanticProblems } from './semantics.ts';
import type { RollgateConfig, RollgateConfigFile } from './types.ts';
import { positionOf } from './yaml-positions.ts';

/** Where Probot's `context.config('rollgate.yml')` reads the configuration from. */
export const CONFIG_FILE = '.github/rollgate.yml';

const WHY =
  'Rollgate acts only on a configuration it understands in full: a gate read the wrong way could let a deploy through.';

const SCHEMA_HINT =
  'Editors check the file as you type with the YAML language server and Rollgate\'s JSON Schema (src/config/rollgate.schema.json in the Rollgate repository): make "# yaml-language-server: $schema=<its URL>" the first line.';

/**
 * The largest configuration Rollgate parses. YAML parsing is synchronous and, in the `yaml` package,
 * slower than linear in the keys of one mapping (its unique-key check compares each new key with the
 * ones before): measured on the development machine, 65 KiB of environments took about 1 s, 267 KiB
 * 5 s and 1 MiB 50 s — time in which the App answers no webhook. 64 KiB holds hundreds of environments.
 */
export const CONFIG_MAX_BYTES = 64 * 1024;

/** How many of a file's problems a rendered error lists; the rest are counted. */
const RENDERED_PROBLEMS = 50;

/** Where a ConfigError is and what it says, before it is rendered. */
interface PlacedProblem {
  readonly pointer: string;
  readonly what: string;
  readonly fix: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
}

/**
 * `.github/rollgate.yml` cannot be used: it is not YAML, does not fit rollgate.schema.json, or
 * says something impossible. The message quotes the file, the line and column (1-based; absent
 * for an object Probot has already merged) and the key path; `pointer` is the JSON pointer of the
 * bad value. `others` holds the file's further problems, in file order, so all get fixed at once.
 */
export class ConfigError extends RollgateError {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly pointer: string;
  /** What to change for this problem alone (`fix` adds the schema hint). */
  readonly advice: string;
  readonly others: readonly ConfigError[];

  constructor(file: string, problem: PlacedProblem, others: readonly ConfigError[] = []) {
    const where = problem.line === undefined ? file : `${file}:${problem.line}:${problem.column ?? 1}`;
    super(`${where}: ${problem.what}`, WHY, `${problem.fix} ${SCHEMA_HINT}`);
    this.file = file;
    this.line = problem.line;
    this.column = problem.column;
    this.pointer = problem.pointer;
    this.advice = problem.fix;
    this.others = others;
  }

  /** This problem and the others, in file order. */
  get problems(): readonly ConfigError[] {
    return [this, ...this.others];
  }

  /**
   * The first problem with why and how to fix it, then one line for each further problem, the first
   * fifty of them: a file with two thousand mistakes gets a readable answer that counts the rest.
   */
  override render(): string {
    if (this.others.length === 0) return super.render();
    const listed = this.others.slice(0, RENDERED_PROBLEMS - 1).map((other) => `- ${other.message}`);
    const unlisted = this.others.length - listed.length;
    if (unlisted > 0) listed.push(`- and ${unlisted.toLocaleString('en-US')} more`);
    return `${super.render()}\nAlso:\n${listed.join('\n')}`;
  }
}

/** The text of `file` is larger than Rollgate parses: refused before parsing, so it cannot stall the App. */
export function oversizedConfigError(file: string, bytes: number): ConfigError {
  return new ConfigError(file, {
    pointer: '',
    what: `is ${formatBytes(bytes)}; Rollgate reads configuration files of at most ${formatBytes(CONFIG_MAX_BYTES)}`,
    fix: 'Shorten it: move shared environments into a base file named by _extends, or remove environments no longer used.',
    line: undefined,
    column: undefined,
  });
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB`
    : `${Math.ceil(bytes / 1024).toLocaleString('en-US')} KiB`;
}

/**
 * Parses the text of `.github/rollgate.yml` into the configuration the App uses, every default
 * applied. An empty file (or `{}`) is a configuration without environments. A file with
 * `_extends` is only part of the configuration: its `deployed_to` may name an environment of
 * the base. Throws a ConfigError placed at the line and column of the first problem.
 */
export function parseConfigText(text: string, file = CONFIG_FILE): RollgateConfig {
  return applyDefaults(readConfigFile(text, file));
}

/**
 * One configuration file checked on its own, before defaults: what parseConfigText checks, for a file
 * that is one link of an `_extends` chain. `partial` (or an `_extends` of its own) lets `deployed_to`
 * name an environment another file of the chain defines; the merged whole is checked by
 * validateConfigObject. Refuses a text over CONFIG_MAX_BYTES before parsing it.
 */
export function readConfigFile(
  text: string,
  file = CONFIG_FILE,
  options: { partial?: boolean } = {},
): RollgateConfigFile {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > CONFIG_MAX_BYTES) throw oversizedConfigError(file, bytes);
  const lineCounter = new LineCounter();
  // The options of Probot's own parse (@probot/octokit-plugin-config): YAML 1.2, no merge keys.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw errorOf(
      file,
      doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return {
          pointer: '',
          what: `not valid YAML: ${error.message}`,
          fix: 'Fix the YAML there: indentation, a missing ":", or an unclosed quote or bracket; quote values that contain ": " or " #".',
          line,
          column: col,
        };
      }),
    );
  }
  const checked = check(readValue(doc, file), options.partial ?? false);
  if (!checked.ok) {
    const placed = checked.problems
      .map((problem) => ({ ...problem, ...positionOf(doc, lineCounter, problem) }))
      .sort((a, b) => a.line - b.line || a.column - b.column);
    throw errorOf(file, placed);
  }
  return checked.config;
}

/**
 * Validates a configuration that is already an object — Probot's `context.config`, which merges
 * `_extends` and returns null when there is no file — with the checks of parseConfigText. Its
 * errors have no line or column, but name the key path and carry the JSON pointer.
 */
export function validateConfigObject(value: unknown, file: string): RollgateConfig {
  const checked = check(value ?? {}, false);
  if (!checked.ok)
    throw errorOf(
      file,
      checked.problems.map((problem) => ({ ...problem, line: undefined, column: undefined })),
    );
  return applyDefaults(checked.config);
}

type Checked =
  | { readonly ok: true; readonly config: RollgateConfigFile }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/** The schema's problems; when there are none, the checks it cannot express. */
function check(value: unknown, partial: boolean): Checked {
  const problems = schemaProblems(value);
  if (problems.length > 0) return { ok: false, problems };
  // The schema has just proven the shape: this is the one place the file's type is asserted.
  const config = value as RollgateConfigFile;
  const semantic = semanticProblems(config, { partial: partial || config._extends !== undefined });
  return semantic.length > 0 ? { ok: false, problems: semantic } : { ok: true, config };
}

function readValue(doc: Document, file: string): unknown {
  try {
    const value: unknown = doc.toJS();
    return value ?? {};
  } catch (error) {
    // yaml refuses documents whose aliases expand past its limit (a "billion laughs" file).
    throw new ConfigError(file, {
      pointer: '',
      what: `could not be read: ${error instanceof Error ? error.message : String(error)}`,
      fix: 'Write the values out instead of repeating them through many aliases (*name).',
      line: undefined,
      column: undefined,
    });
  }
}

/** The error for the first problem, carrying the others. */
function errorOf(file: string, problems: readonly PlacedProblem[]): ConfigError {
  const [first, ...rest] = problems;
  if (first === undefined) throw new Error('errorOf needs at least one problem');
  return new ConfigError(
    file,
    first,
    rest.map((problem) => new ConfigError(file, problem)),
  );
}
