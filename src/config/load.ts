/**
 * The one configuration loader, shared by the App (app/config-loader.ts) and the actions: both
 * read `.github/rollgate.yml` at the default branch through the contents API, so a workflow deploy
 * is gated by the same file the App enforces, never by a pull request's own edit of it.
 */
import {
  CONFIG_FILE,
  CONFIG_MAX_BYTES,
  ConfigError,
  oversizedConfigError,
  readConfigFile,
  validateConfigObject,
} from './parse.ts';
import { applyDefaults } from './apply-defaults.ts';
import type { RollgateConfig, RollgateConfigFile } from './types.ts';

/** The contents API (`GET /repos/{owner}/{repo}/contents/{path}`, at the default branch when no ref is given). */
export interface ContentsApi {
  getContent(parameters: { owner: string; repo: string; path: string }): Promise<{ data: unknown }>;
}

/** What reading the configuration needs: the contents API and the repository it belongs to. */
export interface ConfigSource {
  readonly contents: ContentsApi;
  readonly repo: { readonly owner: string; readonly repo: string };
}

/** One file of the configuration: where it is, and whether its content may be quoted in this repository. */
interface ConfigLocation {
  readonly owner: string;
  readonly repo: string;
  readonly path: string;
}

/**
 * `_extends` as Probot reads it (@probot/octokit-plugin-config, `extends-to-get-content-params.js`):
 * `repo`, `owner/repo`, optionally `:path/to/file.yml`; the owner defaults to this repository's, the
 * path to `.github/rollgate.yml`.
 */
const EXTENDS = /^(?:([a-z\d](?:[a-z\d]|-(?=[a-z\d])){0,38})\/)?([-_.\w\d]+)(?::([-_./\w\d]+\.ya?ml))?$/i;

/** How many `_extends` links a configuration may follow: enough for org → team → repository. */
const MAX_EXTENDS_DEPTH = 5;

/**
 * GitHub's contents API returns a file's content only up to 1 MB; a larger file comes back with
 * `encoding: "none"` and empty `content` (GitHub changelog 2022-05-03, "Increased file size limit when
 * retrieving file contents via REST API"; google/go-github#2924).
 */
const CONTENTS_API_MAX_BYTES = 1024 * 1024;

const WHY_BASE =
  'Rollgate acts only on a configuration it has read in full: a gate left out with an unreadable base could let a deploy through.';

/**
 * Reads `.github/rollgate.yml` from the default branch, as Probot's `context.config` would — falling
 * back to the owner's `.github` repository when this repository has none, and following `_extends` —
 * but failing closed where Probot is lenient: Probot drops a base it cannot read (a 404 is read as
 * "no configuration", `get-config-file.js`) and follows `_extends` without limit; here a base that
 * cannot be read, a chain deeper than five or a loop is a ConfigError. Each file is size-checked
 * before it is decoded or parsed, and checked with its own lines and columns; the merged whole
 * (base first, each file overriding it, lists replaced rather than concatenated) is checked again.
 * A problem in another repository's file is reported by place only: its content is not this
 * repository's to quote.
 */
export async function loadConfig(source: ConfigSource): Promise<RollgateConfig> {
  const home = source.repo;
  const own: ConfigLocation = { owner: home.owner, repo: home.repo, path: CONFIG_FILE };
  let first = own;
  let text = await readConfigText(source.contents, own, home, { required: false });
  if (text === undefined && home.repo !== '.github') {
    // Probot's fallback: the organisation's (or user's) `.github` repository.
    first = { owner: home.owner, repo: '.github', path: CONFIG_FILE };
    text = await readConfigText(source.contents, first, home, { required: false });
  }
  if (text === undefined) return validateConfigObject({}, CONFIG_FILE);

  const chain: RollgateConfigFile[] = [];
  const visited = new Set<string>();
  let location: ConfigLocation = first;
  let current: string = text;
  for (;;) {
    visited.add(key(location));
    // A base may name environments the files above it define; the first file is partial only if it extends.
    const file = readFile(current, location, home, chain.length > 0);
    chain.push(file);
    if (file._extends === undefined) break;
    const base = baseOf(file._extends, location, home);
    if (visited.has(key(base)))
      throw extendsError(location, home, `makes a loop back to ${label(base, home)}`);
    if (chain.length >= MAX_EXTENDS_DEPTH)
      throw extendsError(location, home, `goes deeper than ${MAX_EXTENDS_DEPTH} files`);
    current = await readConfigText(source.contents, base, home, { required: true, from: location });
    location = base;
  }
  const [only] = chain;
  if (chain.length === 1 && only !== undefined) return applyDefaults(only);
  const merged = chain.reduceRight<Record<string, unknown>>(
    (base, file) => mergeConfig(base, withoutExtends(file)),
    {},
  );
  return validateConfigObject(merged, `${CONFIG_FILE} (with _extends)`);
}

function key(location: ConfigLocation): string {
  return `${location.owner}/${location.repo}:${location.path}`.toLowerCase();
}

function isHome(location: ConfigLocation, home: { owner: string; repo: string }): boolean {
  return (
    location.owner.toLowerCase() === home.owner.toLowerCase() &&
    location.repo.toLowerCase() === home.repo.toLowerCase()
  );
}

/** How a message names a file: by path in this repository, as `owner/repo:path` elsewhere. */
function label(location: ConfigLocation, home: { owner: string; repo: string }): string {
  return isHome(location, home) ? location.path : `${location.owner}/${location.repo}:${location.path}`;
}

/** A file of the chain parsed and checked; another repository's problems are reported without its content. */
function readFile(
  text: string,
  location: ConfigLocation,
  home: { owner: string; repo: string },
  partial: boolean,
): RollgateConfigFile {
  try {
    return readConfigFile(text, label(location, home), { partial });
  } catch (error) {
    if (!(error instanceof ConfigError) || isHome(location, home)) throw error;
    const lines = [
      ...new Set(error.problems.map((problem) => problem.line).filter((line) => line !== undefined)),
    ];
    const where = lines.length === 0 ? '' : ` (line${lines.length === 1 ? '' : 's'} ${shortList(lines)})`;
    throw new ConfigError(label(location, home), {
      pointer: '',
      what: `is not a valid Rollgate configuration: ${error.problems.length.toLocaleString('en-US')} problem${error.problems.length === 1 ? '' : 's'}${where}; its content is not quoted here because it belongs to another repository`,
      fix: `Open ${label(location, home)} in its repository and fix it there (Rollgate's JSON Schema shows every problem in an editor), or remove _extends.`,
      line: undefined,
      column: undefined,
    });
  }
}

function shortList(numbers: readonly number[]): string {
  const shown = numbers.slice(0, 10).join(', ');
  return numbers.length > 10 ? `${shown} and ${numbers.length - 10} more` : shown;
}

/** Where `_extends` leads, relative to the file that names it (Probot's defaults). */
function baseOf(value: string, from: ConfigLocation, home: { owner: string; repo: string }): ConfigLocation {
  const match = EXTENDS.exec(value);
  const repo = match?.[2];
  if (match === null || repo === undefined) {
    throw extendsError(
      from,
      home,
      `is ${JSON.stringify(value.slice(0, 100))}, which is not "repo", "owner/repo" or "owner/repo:path/file.yml"`,
    );
  }
  return { owner: match[1] ?? from.owner, repo, path: match[3] ?? CONFIG_FILE };
}

function extendsError(
  from: ConfigLocation,
  home: { owner: string; repo: string },
  what: string,
): ConfigError {
  return new ConfigError(label(from, home), {
    pointer: '/_extends',
    what: `_extends ${what}`,
    fix: 'Name a base that exists and does not extend back: "repo", "owner/repo" or "owner/repo:path/file.yml".',
    line: undefined,
    column: undefined,
  });
}

/**
 * The text of one configuration file through the contents API (JSON, base64), checked for size before
 * it is decoded: undefined when it does not exist and is not `required`. A base (`required`) that
 * cannot be read for any reason — missing, no access, a directory, too large — is a ConfigError.
 * The JSON form rather than the raw media type is used because it states the size first: the raw form
 * would download up to 100 MB before Rollgate could refuse it.
 */
async function readConfigText(
  contents: ContentsApi,
  location: ConfigLocation,
  home: { owner: string; repo: string },
  options: { required: true; from: ConfigLocation },
): Promise<string>;
async function readConfigText(
  contents: ContentsApi,
  location: ConfigLocation,
  home: { owner: string; repo: string },
  options: { required: false },
): Promise<string | undefined>;
async function readConfigText(
  contents: ContentsApi,
  location: ConfigLocation,
  home: { owner: string; repo: string },
  options: { required: boolean; from?: ConfigLocation },
): Promise<string | undefined> {
  const name = label(location, home);
  const unreadable = (what: string, fix: string) =>
    new ConfigError(options.from === undefined ? name : label(options.from, home), {
      pointer: options.from === undefined ? '' : '/_extends',
      what: options.from === undefined ? what : `_extends names ${name}, which ${what}`,
      fix,
      line: undefined,
      column: undefined,
    });
  let data: unknown;
  try {
    ({ data } = await contents.getContent({
      owner: location.owner,
      repo: location.repo,
      path: location.path,
    }));
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status === 404 && !options.required) return undefined;
    if (typeof status !== 'number' || (status !== 404 && status !== 403)) throw error;
    throw unreadable(
      status === 404
        ? 'does not exist or cannot be read by the Rollgate App (GitHub answered 404)'
        : 'cannot be read by the Rollgate App (GitHub answered 403)',
      `${WHY_BASE} Check the name, and install the Rollgate App on ${location.owner}/${location.repo} if it is another repository.`,
    );
  }
  const file = asContentFile(data);
  if (file === undefined) {
    throw unreadable(
      'is not a file (a directory, symlink or submodule)',
      `Point it at a YAML file. ${WHY_BASE}`,
    );
  }
  if (file.size > CONTENTS_API_MAX_BYTES || file.encoding !== 'base64') {
    throw unreadable(
      `is ${(file.size / (1024 * 1024)).toFixed(1)} MiB: over 1 MB, GitHub's contents API returns no content for it, and Rollgate reads configuration files of at most ${CONFIG_MAX_BYTES / 1024} KiB`,
      'Shorten it: move shared environments into a base file named by _extends, or remove environments no longer used.',
    );
  }
  if (file.size > CONFIG_MAX_BYTES) throw oversizedConfigError(name, file.size);
  return Buffer.from(file.content, 'base64').toString('utf8');
}

/** The fields of a contents-API file Rollgate reads, when `data` is a file. */
function asContentFile(data: unknown): { size: number; encoding: string; content: string } | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const { type, size, encoding, content } = data as Record<string, unknown>;
  if (type !== 'file' || typeof size !== 'number' || typeof content !== 'string') return undefined;
  return { size, encoding: typeof encoding === 'string' ? encoding : 'none', content };
}

function withoutExtends(file: RollgateConfigFile): Record<string, unknown> {
  const { _extends: _ignored, ...rest } = file;
  return rest;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `own` over `base`: mappings merge key by key, anything else (lists included) from `own` replaces
 * the base's — Probot's deepmerge with an `arrayMerge` that keeps the repository's list, so a
 * repository can narrow `branches` or `auto_deploy` rather than only add to them.
 */
function mergeConfig(base: Record<string, unknown>, own: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(own)) {
    const under = merged[name];
    // defineProperty: a `__proto__` key in YAML is data, not a prototype.
    Object.defineProperty(merged, name, {
      value: isPlainObject(under) && isPlainObject(value) ? mergeConfig(under, value) : value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return merged;
}
