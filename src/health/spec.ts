import { InputError } from '../errors.ts';
import { parseDuration } from '../inputs/duration.ts';
import { parseInteger, parseNumber, splitLines } from '../inputs/scalars.ts';
import { collectInputErrors, type InputNames } from '../inputs/input-errors.ts';
import { redactUrl, urlSecrets } from './redact.ts';

/** An inclusive range of HTTP status codes, `200-299` or a single `204`. */
export interface StatusRange {
  readonly min: number;
  readonly max: number;
}

/** A body expectation: a plain substring or a regular expression written `/…/flags`. */
export type BodyExpectation =
  | { readonly kind: 'substring'; readonly text: string }
  | { readonly kind: 'regex'; readonly pattern: RegExp };

/** `path=value`: the JSON value at `path` must equal `value`. */
export interface JsonExpectation {
  readonly path: readonly (string | number)[];
  readonly pathText: string;
  readonly expected: unknown;
  readonly expectedText: string;
}

/** Everything a health check needs, parsed and validated from untyped inputs. */
export interface HealthCheckSpec {
  readonly urls: readonly URL[];
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly expectedStatus: readonly StatusRange[];
  readonly expectBody: BodyExpectation | undefined;
  readonly expectJson: readonly JsonExpectation[];
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly maxIntervalMs: number;
  readonly backoff: number;
  readonly deadlineMs: number;
  readonly consecutiveSuccesses: number;
  readonly maxLatencyMs: number | undefined;
  readonly maxRedirects: number;
}

/** The health-check inputs, as action.yml names them. */
export const HEALTH_CHECK_INPUTS = [
  'url',
  'method',
  'headers',
  'expected-status',
  'expect-body',
  'expect-json',
  'timeout',
  'interval',
  'max-interval',
  'backoff',
  'deadline',
  'consecutive-successes',
  'max-latency-ms',
  'max-redirects',
] as const;

/** The action's inputs as the runner hands them over: strings, empty when not set. */
export type RawHealthCheckInputs = Readonly<Record<(typeof HEALTH_CHECK_INPUTS)[number], string>>;

/**
 * What the inputs carry that must never be printed — header values, and the passwords and
 * `?token=`-style query values of URLs — so the action can mask them before anything (an error
 * message included) could show them.
 */
export function healthCheckSecrets(raw: Pick<RawHealthCheckInputs, 'headers' | 'url'>): string[] {
  const secrets: string[] = [];
  for (const line of splitLines(raw.headers)) {
    const value = line.slice(line.indexOf(':') + 1).trim();
    if (line.includes(':') && value !== '') secrets.push(value);
  }
  for (const line of splitLines(raw.url)) secrets.push(...urlSecrets(line));
  return [...new Set(secrets)];
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The shortest `interval`: a typo such as `1ms` must not hammer the service being checked. */
export const MIN_INTERVAL_MS = 100;

type HealthInput = (typeof HEALTH_CHECK_INPUTS)[number];

export interface HealthCheckParseOptions {
  /** False when readiness of Deployments may stand in for URLs (the health-check action). */
  readonly urlRequired?: boolean;
  /** The names the user wrote, where a step embeds these inputs under others (`health-timeout`). */
  readonly names?: InputNames<HealthInput>;
}

/**
 * Parses the health-check inputs; every problem names its input (as the user wrote it) and how
 * to fix it, and every problem of the inputs is reported at once.
 */
export function parseHealthCheckSpec(
  raw: RawHealthCheckInputs,
  options: HealthCheckParseOptions = {},
): HealthCheckSpec {
  const n = (input: HealthInput): string => options.names?.[input] ?? input;
  return collectInputErrors((inputs) => {
    const urls = inputs.check(() =>
      options.urlRequired === false && raw.url.trim() === '' ? [] : parseUrls(n('url'), raw.url),
    );
    const timeoutMs = inputs.check(() => positiveDuration(n('timeout'), orDefault(raw.timeout, '5s')));
    const intervalMs = inputs.check(() => parseInterval(n('interval'), orDefault(raw.interval, '2s')));
    const maxIntervalMs = inputs.check(() => {
      const ms =
        raw['max-interval'].trim() === ''
          ? Math.max(intervalMs ?? 0, 15_000)
          : parseDuration(n('max-interval'), raw['max-interval']);
      if (intervalMs !== undefined && ms < intervalMs) {
        throw new InputError(
          n('max-interval'),
          `${ms} ms is shorter than '${n('interval')}' (${intervalMs} ms)`,
          `Set '${n('max-interval')}' to at least the '${n('interval')}'.`,
        );
      }
      return ms;
    });
    const maxLatency = raw['max-latency-ms'].trim();
    const spec = {
      urls,
      method: inputs.check(() => parseMethod(n('method'), raw.method)),
      headers: inputs.check(() => parseHeaders(n('headers'), raw.headers)),
      expectedStatus: inputs.check(() => parseStatusRanges(raw['expected-status'], n('expected-status'))),
      expectBody: inputs.check(() => parseBodyExpectation(n('expect-body'), raw['expect-body'])),
      expectJson: inputs.check(() =>
        splitLines(raw['expect-json']).map((line) => parseJsonExpectation(n('expect-json'), line)),
      ),
      timeoutMs,
      intervalMs,
      maxIntervalMs,
      backoff: inputs.check(() =>
        raw.backoff.trim() === '' ? 1.5 : parseNumber(n('backoff'), raw.backoff, 1, 10),
      ),
      deadlineMs: inputs.check(() => positiveDuration(n('deadline'), orDefault(raw.deadline, '30s'))),
      consecutiveSuccesses: inputs.check(() =>
        parseInteger(n('consecutive-successes'), orDefault(raw['consecutive-successes'], '1'), 1, 1000),
      ),
      maxLatencyMs: inputs.check(() =>
        maxLatency === '' ? undefined : parseInteger(n('max-latency-ms'), maxLatency, 1),
      ),
      maxRedirects: inputs.check(() =>
        raw['max-redirects'].trim() === ''
          ? 5
          : parseInteger(n('max-redirects'), raw['max-redirects'], 0, 50),
      ),
    };
    // Every required field is defined once no check failed (collectInputErrors throws otherwise).
    return spec as HealthCheckSpec;
  });
}

/** An empty input means its documented default, as when the runner fills in action.yml's. */
function orDefault(raw: string, fallback: string): string {
  return raw.trim() === '' ? fallback : raw;
}

function positiveDuration(input: string, raw: string): number {
  const ms = parseDuration(input, raw);
  if (ms <= 0)
    throw new InputError(
      input,
      `'${raw}' must be longer than zero`,
      `Set '${input}' to a positive duration such as '5s'.`,
    );
  return ms;
}

function parseInterval(input: string, raw: string): number {
  const ms = parseDuration(input, raw);
  if (ms < MIN_INTERVAL_MS)
    throw new InputError(
      input,
      `'${raw}' is shorter than ${MIN_INTERVAL_MS} ms, which would hammer the service`,
      `Set '${input}' to at least '${MIN_INTERVAL_MS}ms' (the default is '2s').`,
    );
  return ms;
}

function parseUrls(input: string, raw: string): URL[] {
  const lines = splitLines(raw);
  if (lines.length === 0) {
    throw new InputError(
      input,
      'no URL was given',
      `Set '${input}' to one URL per line, for example 'https://staging.example.com/healthz' (or 'deployment' for Kubernetes readiness).`,
    );
  }
  return lines.map((line) => {
    let url: URL;
    try {
      url = new URL(line);
    } catch {
      throw new InputError(
        input,
        `'${redactUrl(line)}' is not a URL`,
        `Write absolute URLs with a scheme, for example 'https://staging.example.com/healthz'.`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InputError(
        input,
        `'${redactUrl(line)}' uses ${url.protocol.slice(0, -1)}, not http or https`,
        `Use an http:// or https:// URL.`,
      );
    }
    return url;
  });
}

function parseMethod(input: string, raw: string): string {
  const method = (raw.trim() || 'GET').toUpperCase();
  if (!METHODS.has(method)) {
    throw new InputError(input, `'${raw}' is not an HTTP method`, `Use one of ${[...METHODS].join(', ')}.`);
  }
  return method;
}

function parseHeaders(input: string, raw: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [index, line] of splitLines(raw).entries()) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!HEADER_NAME.test(name)) {
      // The line may hold a secret (a token pasted without its header name): never echo it.
      throw new InputError(
        input,
        `line ${index + 1} is not 'Name: value'`,
        `Write one header per line as 'Name: value', for example 'Authorization: Bearer \${{ secrets.TOKEN }}'.`,
      );
    }
    headers[name.toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Parses `200-299`, `200,204`, `2xx` style lists of status ranges. */
export function parseStatusRanges(raw: string, input = 'expected-status'): StatusRange[] {
  const text = raw.replace(/[\s,]/g, '') === '' ? '200-299' : raw;
  return text
    .split(/[\s,]+/)
    .filter((part) => part !== '')
    .map((part) => {
      const bad = (): never => {
        throw new InputError(
          input,
          `'${part}' is not a status code or range`,
          `Use codes from 100 to 599 as a list of codes and ranges, for example '200-299' or '200,204,301-302' or '2xx'.`,
        );
      };
      const family = /^([1-5])xx$/i.exec(part);
      if (family) return { min: Number(family[1]) * 100, max: Number(family[1]) * 100 + 99 };
      const match = /^(\d{3})(?:-(\d{3}))?$/.exec(part);
      if (!match) return bad();
      const min = Number(match[1]);
      const max = match[2] === undefined ? min : Number(match[2]);
      if (min < 100 || max > 599 || min > max) return bad();
      return { min, max };
    });
}

function parseBodyExpectation(input: string, raw: string): BodyExpectation | undefined {
  if (raw === '') return undefined;
  const regex = /^\/(.+)\/([dgimsuvy]*)$/s.exec(raw.trim());
  if (!regex) return { kind: 'substring', text: raw };
  try {
    return { kind: 'regex', pattern: new RegExp(regex[1] ?? '', (regex[2] ?? '').replace(/[gy]/g, '')) };
  } catch (error) {
    throw new InputError(
      input,
      `'${raw}' is not a valid regular expression (${(error as Error).message})`,
      `Fix the pattern, or write the text without surrounding slashes to match a plain substring.`,
    );
  }
}

function parseJsonExpectation(input: string, line: string): JsonExpectation {
  const eq = line.indexOf('=');
  const pathText = eq > 0 ? line.slice(0, eq).trim() : '';
  const fix = `Write one 'path=value' per line, for example 'status=ok', 'checks.db.up=true' or 'items[0].id=42'.`;
  if (pathText === '') throw new InputError(input, `'${line}' is not 'path=value'`, fix);
  const expectedText = line.slice(eq + 1).trim();
  return {
    path: parseJsonPath(input, pathText, fix),
    pathText,
    expected: parseJsonValue(expectedText),
    expectedText,
  };
}

/** `a.b[0].c` → ['a', 'b', 0, 'c']; a leading `$.` is accepted as in JSONPath. */
function parseJsonPath(input: string, text: string, fix: string): (string | number)[] {
  const body = text.replace(/^\$\.?/, '');
  if (!JSON_PATH.test(body)) throw new InputError(input, `'${text}' is not a JSON path`, fix);
  return [...body.matchAll(JSON_PATH_SEGMENT)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : (m[1] ?? m[4] ?? ''),
  );
}

const JSON_PATH = /^(?:[^.[\]]+|\[\d+\]|\[(["']).*?\1\])(?:\.[^.[\]]+|\[\d+\]|\[(["']).*?\2\])*$/;
const JSON_PATH_SEGMENT = /(?:^|\.)([^.[\]]+)|\[(\d+)\]|\[(["'])(.*?)\3\]/g;

/** `true`, `42`, `null`, `"quoted"` are JSON; anything else is compared as a string. */
function parseJsonValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
