/**
 * GitHub's REST API description (`@octokit/openapi`'s `generated/api.github.com.json`), read once
 * per process, and the route table built from its `paths`. The package's `index.js` loads every
 * variant of the description (~400 MB), so the one JSON file is read directly.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export type JsonObject = Record<string, unknown>;

/** Narrows a parsed JSON value to an object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type ParameterLocation = 'path' | 'query' | 'header' | 'cookie';

export interface ParameterSpec {
  readonly name: string;
  readonly in: ParameterLocation;
  readonly required: boolean;
  readonly schema: JsonObject;
  /** GitHub's `x-multi-segment`: the value may hold `/` (a ref, a file path). */
  readonly multiSegment: boolean;
}

/** One operation of the description, with its `$ref`s to parameters, bodies and responses resolved. */
export interface OperationSpec {
  readonly operationId: string;
  readonly method: string;
  readonly template: string;
  readonly documentationUrl: string;
  readonly parameters: readonly ParameterSpec[];
  /** The `application/json` request body schema, when the operation takes a body. */
  readonly requestBody: { readonly required: boolean; readonly schema: JsonObject } | undefined;
  /** Response objects by status code (`"200"`, `"default"`), `$ref`s resolved. */
  readonly responses: ReadonlyMap<string, JsonObject>;
}

export type RouteMatch =
  | { readonly kind: 'operation'; readonly operation: OperationSpec; readonly params: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly string[] }
  | { readonly kind: 'unknown' };

export interface GitHubApiDescription {
  /** `components.schemas` of the description, untouched. */
  readonly schemas: JsonObject;
  readonly operations: ReadonlyMap<string, OperationSpec>;
  /** The operation a request names, by the description's path templates. */
  match(method: string, pathname: string): RouteMatch;
}

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
let cached: GitHubApiDescription | undefined;

/** The description, parsed on first use and shared by every server of the process. */
export function loadApiDescription(): GitHubApiDescription {
  cached ??= buildDescription(readDescriptionFile());
  return cached;
}

function readDescriptionFile(): JsonObject {
  const file = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json');
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isJsonObject(parsed) || !isJsonObject(parsed.paths)) {
    throw new Error(`${file} is not an OpenAPI description (no "paths")`);
  }
  return parsed;
}

interface Route {
  readonly operation: OperationSpec;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  /** Characters of the template outside `{params}`: the more, the more specific the route. */
  readonly literalLength: number;
}

function buildDescription(document: JsonObject): GitHubApiDescription {
  const resolve = referenceResolver(document);
  const components = isJsonObject(document.components) ? document.components : {};
  const schemas = isJsonObject(components.schemas) ? components.schemas : {};
  const operations = new Map<string, OperationSpec>();
  // Routes by their first path segment and their fifth (`/repos/{owner}/{repo}/<fifth>/…`): matching
  // a request then tries a few dozen patterns instead of every operation's.
  const buckets = new Map<string, Route[]>();
  const everywhere: Route[] = [];

  const paths = isJsonObject(document.paths) ? document.paths : {};
  for (const [template, item] of Object.entries(paths)) {
    if (!isJsonObject(item)) continue;
    const shared = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of methods) {
      const raw = item[method];
      if (!isJsonObject(raw) || typeof raw.operationId !== 'string') continue;
      const operation = operationSpec(raw, method.toUpperCase(), template, shared, resolve);
      operations.set(operation.operationId, operation);
      const { pattern, names } = templatePattern(template, operation.parameters);
      const route = { operation, pattern, names, literalLength: template.replace(/\{[^}]+\}/g, '').length };
      const key = bucketOf(template, operation.parameters);
      const bucket = key === undefined ? everywhere : (buckets.get(key) ?? []);
      if (key !== undefined) buckets.set(key, bucket);
      bucket.push(route);
    }
  }
  /** The routes a path can match: only its bucket's and those no bucket holds, not all thousand. */
  const routesFor = (pathname: string): Route[] => {
    const segments = pathname.split('/');
    const first = segments[1] ?? '';
    const fifth = segments[4];
    return [
      ...(buckets.get(`${first}|${fifth ?? ''}`) ?? []),
      ...(fifth === undefined || fifth === '' ? [] : (buckets.get(`${first}|*`) ?? [])),
      ...everywhere,
    ];
  };

  return {
    schemas,
    operations,
    match(method, pathname) {
      const candidates = routesFor(pathname)
        .map((route) => ({ route, found: route.pattern.exec(pathname) }))
        .filter((c): c is { route: Route; found: RegExpExecArray } => c.found !== null);
      const forMethod = candidates
        .filter((c) => c.route.operation.method === method)
        .sort((a, b) => b.route.literalLength - a.route.literalLength);
      const best = forMethod[0];
      if (best) {
        const params: Record<string, string> = {};
        best.route.names.forEach((name, index) => {
          params[name] = decodeURIComponent(best.found[index + 1] ?? '');
        });
        return { kind: 'operation', operation: best.route.operation, params };
      }
      if (candidates.length > 0) {
        const allowed = [...new Set(candidates.map((c) => c.route.operation.method))];
        return { kind: 'method-not-allowed', allowed };
      }
      return { kind: 'unknown' };
    },
  };
}

function operationSpec(
  raw: JsonObject,
  method: string,
  template: string,
  shared: unknown[],
  resolve: (value: unknown) => unknown,
): OperationSpec {
  const own: unknown[] = Array.isArray(raw.parameters) ? (raw.parameters as unknown[]) : [];
  const parameters = [...shared, ...own].map(resolve).filter(isJsonObject).map(parameterSpec);
  const body = resolve(raw.requestBody);
  const content = isJsonObject(body) && isJsonObject(body.content) ? body.content : undefined;
  const json = content ? content['application/json'] : undefined;
  const requestBody =
    isJsonObject(body) && isJsonObject(json) && isJsonObject(json.schema)
      ? { required: body.required === true, schema: json.schema }
      : undefined;
  const responses = new Map<string, JsonObject>();
  for (const [status, response] of Object.entries(isJsonObject(raw.responses) ? raw.responses : {})) {
    const resolved = resolve(response);
    if (isJsonObject(resolved)) responses.set(status, resolved);
  }
  const docs = isJsonObject(raw.externalDocs) ? raw.externalDocs.url : undefined;
  return {
    operationId: String(raw.operationId),
    method,
    template,
    documentationUrl: typeof docs === 'string' ? docs : 'https://docs.github.com/rest',
    parameters,
    requestBody,
    responses,
  };
}

function parameterSpec(raw: JsonObject): ParameterSpec {
  const location = raw.in;
  return {
    name: String(raw.name),
    in: location === 'path' || location === 'header' || location === 'cookie' ? location : 'query',
    required: raw.required === true,
    schema: isJsonObject(raw.schema) ? raw.schema : {},
    multiSegment: raw['x-multi-segment'] === true,
  };
}

/**
 * A template such as `/repos/{owner}/{repo}/compare/{base}...{head}` as an anchored pattern over the
 * raw (still percent-encoded) path. A parameter stays within one segment unless the description marks
 * it `x-multi-segment` (`/contents/{path}` answers `.github/rollgate.yml` written with or without `%2F`).
 */
/**
 * The bucket of a template: `<first segment>|<fifth segment>` (`*` when the fifth is a parameter,
 * empty when there is none); undefined when a parameter that spans segments, or one in the first
 * place, comes before them, so that positions could shift.
 */
function bucketOf(template: string, parameters: readonly ParameterSpec[]): string | undefined {
  const multi = new Set(parameters.filter((p) => p.in === 'path' && p.multiSegment).map((p) => p.name));
  const segments = template.split('/');
  const param = (segment: string | undefined): string | undefined => /^\{([^}]+)\}$/.exec(segment ?? '')?.[1];
  for (const segment of segments.slice(0, 5)) {
    const name = param(segment);
    if (name !== undefined && multi.has(name)) return undefined;
  }
  const first = segments[1] ?? '';
  if (param(first) !== undefined || first.includes('{')) return undefined;
  const fifth = segments[4];
  if (fifth !== undefined && fifth.includes('{') && param(fifth) === undefined) return undefined;
  return `${first}|${fifth === undefined ? '' : param(fifth) !== undefined ? '*' : fifth}`;
}

function templatePattern(
  template: string,
  parameters: readonly ParameterSpec[],
): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const multi = new Set(parameters.filter((p) => p.in === 'path' && p.multiSegment).map((p) => p.name));
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const param = /^\{([^}]+)\}$/.exec(part);
      if (!param) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      const name = param[1] ?? '';
      names.push(name);
      return multi.has(name) ? '(.+?)' : '([^/]+?)';
    })
    .join('');
  return { pattern: new RegExp(`^${source}$`), names };
}

/** Follows local `$ref`s (`#/components/parameters/owner`) until a value that is not one. */
function referenceResolver(document: JsonObject): (value: unknown) => unknown {
  return (value) => {
    let current = value;
    for (let depth = 0; isJsonObject(current) && typeof current.$ref === 'string'; depth++) {
      if (depth > 20) throw new Error(`$ref cycle at ${current.$ref}`);
      current = pointer(document, current.$ref);
    }
    return current;
  };
}

function pointer(document: JsonObject, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, token) => (isJsonObject(node) ? node[token] : undefined), document);
}
