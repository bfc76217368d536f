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
  readonly others: readonly ConfigError[];

  constructor(file: string, problem: PlacedProblem, others: readonly ConfigError[] = []) {
    const where = problem.line === undefined ? file : `${file}:${problem.line}:${problem.column ?? 1}`;
    super(`${where}: ${problem.what}`, WHY, `${problem.fix} ${SCHEMA_HINT}`);
    this.file = file;
    this.line = problem.line;
    this.column = problem.column;
    this.pointer = problem.pointer;
    this.others = others;
  }

  /** The first problem with why and how to fix it, then one line for each further problem. */
  override render(): string {
    if (this.others.length === 0) return super.render();
    const more = this.others.map((other) => `- ${other.message}`);
    return `${super.render()}\nAlso:\n${more.join('\n')}`;
  }
}

/**
 * Parses the text of `.github/rollgate.yml` into the configuration the App uses, every default
 * applied. An empty file (or `{}`) is a configuration without environments. A file with
 * `_extends` is only part of the configuration: its `deployed_to` may name an environment of
 * the base. Throws a ConfigError placed at the line and column of the first problem.
 */
export function parseConfigText(text: string, file = CONFIG_FILE): RollgateConfig {
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
  const checked = check(readValue(doc, file));
  if (!checked.ok) {
    const placed = checked.problems
      .map((problem) => ({ ...problem, ...positionOf(doc, lineCounter, problem) }))
      .sort((a, b) => a.line - b.line || a.column - b.column);
    throw errorOf(file, placed);
  }
  return applyDefaults(checked.config);
}

/**
 * Validates a configuration that is already an object — Probot's `context.config`, which merges
 * `_extends` and returns null when there is no file — with the checks of parseConfigText. Its
 * errors have no line or column, but name the key path and carry the JSON pointer.
 */
export function validateConfigObject(value: unknown, file: string): RollgateConfig {
  const checked = check(value ?? {});
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
function check(value: unknown): Checked {
  const problems = schemaProblems(value);
  if (problems.length > 0) return { ok: false, problems };
  // The schema has just proven the shape: this is the one place the file's type is asserted.
  const config = value as RollgateConfigFile;
  const semantic = semanticProblems(config, { partial: config._extends !== undefined });
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
