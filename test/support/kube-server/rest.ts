/**
 * The REST verbs on resource endpoints: request bodies decoded by content type, query options
 * (selectors, pagination, fieldManager, force, dryRun, gracePeriodSeconds) read, the registry
 * called, and lists shaped as the API serves them.
 */
import { parse as parseYaml } from 'yaml';
import { isJsonObject } from './json-value.ts';
import { isPatchContentType, patchContentTypes } from './patch.ts';
import type { Registry } from './registry.ts';
import { apiVersionOf, type KubeObject } from './resources.ts';
import type { Route } from './routes.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { badRequest, methodNotAllowed, pathNotFound, unsupportedMediaType } from './status.ts';

export type ResourceRoute = Extract<Route, { kind: 'resource' }>;

export interface ApiRequest {
  readonly method: string;
  readonly route: ResourceRoute;
  readonly query: URLSearchParams;
  /** The media type of the body, without parameters. */
  readonly contentType: string | undefined;
  readonly body: string;
}

export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

const objectContentTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

function parseBody(text: string, yaml: boolean): unknown {
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw badRequest(`error decoding ${yaml ? 'YAML' : 'JSON'}: ${reason}`);
  }
}

function decodeObjectBody(request: ApiRequest): unknown {
  if (request.contentType !== 'application/json' && request.contentType !== 'application/yaml') {
    throw unsupportedMediaType(objectContentTypes);
  }
  return parseBody(request.body, request.contentType === 'application/yaml');
}

function writeOptions(query: URLSearchParams): { fieldManager?: string; dryRun?: boolean } {
  const fieldManager = query.get('fieldManager');
  return {
    ...(fieldManager ? { fieldManager } : {}),
    ...(query.getAll('dryRun').includes('All') ? { dryRun: true } : {}),
  };
}

function numberParameter(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^\d+$/.test(value))
    throw badRequest(`${name}: Invalid value: "${value}": must be a non-negative integer`);
  return Number(value);
}

/** List items carry no kind/apiVersion on the wire: the list's own kind says what they are. */
function asListItem(object: KubeObject): Omit<KubeObject, 'apiVersion' | 'kind'> {
  const { apiVersion: _apiVersion, kind: _kind, ...item } = object;
  return item;
}

export class ResourceHandlers {
  readonly #registry: Registry;

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  handle(request: ApiRequest): ApiAnswer {
    const { route, method } = request;
    if (route.subresource !== undefined && (route.subresource !== 'status' || !route.type.hasStatus)) {
      throw pathNotFound();
    }
    if (route.name === undefined) {
      if (method === 'GET') return this.#list(request);
      if (method === 'POST' && (route.namespace !== undefined || !route.type.namespaced))
        return this.#create(request);
      throw methodNotAllowed();
    }
    switch (method) {
      case 'GET':
        return { status: 200, body: this.#registry.get(route.type, route.namespace, route.name) };
      case 'PUT':
        return this.#replace(request, route.name);
      case 'PATCH':
        return this.#patch(request, route.name);
      case 'DELETE':
        if (route.type.kind === 'Namespace' || route.subresource !== undefined) throw methodNotAllowed();
        return this.#delete(request, route.name);
      default:
        throw methodNotAllowed();
    }
  }

  #list(request: ApiRequest): ApiAnswer {
    const { type, namespace } = request.route;
    const labels = parseLabelSelector(request.query.get('labelSelector'));
    const fields = parseFieldSelector(request.query.get('fieldSelector'), type.kind);
    const all = this.#registry
      .list(type, namespace)
      .filter((o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o));
    const limit = numberParameter(request.query, 'limit');
    const start = decodeContinue(request.query.get('continue'));
    const end = limit && limit > 0 ? start + limit : all.length;
    const remaining = Math.max(0, all.length - end);
    return {
      status: 200,
      body: {
        kind: `${type.kind}List`,
        apiVersion: apiVersionOf(type),
        metadata: {
          resourceVersion: String(this.#registry.store.resourceVersion),
          ...(remaining > 0 ? { continue: encodeContinue(end), remainingItemCount: remaining } : {}),
        },
        items: all.slice(start, end).map(asListItem),
      },
    };
  }

  #create(request: ApiRequest): ApiAnswer {
    const { type, namespace } = request.route;
    const created = this.#registry.create(
      type,
      namespace,
      decodeObjectBody(request),
      writeOptions(request.query),
    );
    return { status: 201, body: created };
  }

  #replace(request: ApiRequest, name: string): ApiAnswer {
    const { type, namespace, subresource } = request.route;
    const body = decodeObjectBody(request);
    const options = writeOptions(request.query);
    const object =
      subresource === 'status'
        ? this.#registry.replaceStatus(type, namespace, name, body)
        : this.#registry.replace(type, namespace, name, body, options);
    return { status: 200, body: object };
  }

  #patch(request: ApiRequest, name: string): ApiAnswer {
    const { type, namespace, subresource } = request.route;
    const contentType = request.contentType ?? '';
    if (!isPatchContentType(contentType)) throw unsupportedMediaType(patchContentTypes);
    const patch = parseBody(request.body, contentType === 'application/apply-patch+yaml');
    const force = request.query.get('force');
    const result = this.#registry.patch(type, namespace, name, contentType, patch, {
      ...writeOptions(request.query),
      ...(force === null ? {} : { force }),
      ...(subresource === 'status' ? { subresource } : {}),
    });
    return { status: result.created ? 201 : 200, body: result.object };
  }

  #delete(request: ApiRequest, name: string): ApiAnswer {
    const { type, namespace } = request.route;
    const body = request.body.trim() ? parseBody(request.body, false) : undefined;
    const fromBody = isJsonObject(body) ? body.gracePeriodSeconds : undefined;
    const grace =
      numberParameter(request.query, 'gracePeriodSeconds') ??
      (typeof fromBody === 'number' ? fromBody : undefined);
    const result = this.#registry.delete(
      type,
      namespace,
      name,
      grace === undefined ? {} : { gracePeriodSeconds: grace },
    );
    return { status: 200, body: result };
  }
}

function encodeContinue(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function decodeContinue(token: string | null): number {
  if (!token) return 0;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isJsonObject(decoded) && typeof decoded.offset === 'number') return decoded.offset;
  } catch {
    // Falls through to the error below: a token this server did not issue.
  }
  throw badRequest('continue key is not valid: the token was not issued by this server');
}
