/**
 * What a route handler is: a function from a validated request to an answer, keyed by the
 * operationId it implements. Errors a handler meets are thrown as `ApiError`s shaped like GitHub's.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { operations } from '@octokit/openapi-types';
import type { Links } from '../fixtures.ts';
import type { JsonObject } from '../openapi.ts';
import type { Actor, Account, GitHubState, RepositoryRecord } from '../state.ts';

export interface ApiRequest {
  readonly operationId: string;
  readonly method: string;
  /** Path parameters, coerced to the types the description declares. */
  readonly params: JsonObject;
  /** Query parameters, coerced to the types the description declares. */
  readonly query: JsonObject;
  /** The JSON body, already validated against the operation's requestBody schema. */
  readonly body: unknown;
  readonly actor: Actor;
  readonly headers: IncomingHttpHeaders;
  /** The URL as the client sent it (for `Link` headers). */
  readonly url: URL;
}

export interface ApiAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** A non-JSON body (a file in a raw media type). */
  readonly raw?: { readonly contentType: string; readonly text: string };
}

export interface RouteContext {
  readonly state: GitHubState;
  readonly links: Links;
  readonly documentationUrl: string;
}

export type Handler = (request: ApiRequest, context: RouteContext) => ApiAnswer;
export type RouteTable = Readonly<Record<string, Handler>>;

/** An error answer in GitHub's shape: `{ message, documentation_url, status }` (plus `errors` on 422). */
export class ApiError extends Error {
  readonly status: number;
  readonly errors: readonly JsonObject[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    message: string,
    errors?: readonly JsonObject[],
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = status;
    this.errors = errors;
    this.headers = headers;
  }

  answer(documentationUrl: string): ApiAnswer {
    const body: JsonObject = { message: this.message, documentation_url: documentationUrl };
    if (this.errors) body.errors = this.errors;
    body.status = String(this.status);
    return { status: this.status, body, headers: this.headers };
  }
}

export const notFound = (): ApiError => new ApiError(404, 'Not Found');

/** A 422 `Validation Failed` with GitHub's `errors` entries. */
export function validationFailed(errors: readonly JsonObject[]): ApiError {
  return new ApiError(422, 'Validation Failed', errors);
}

/** The body as its operation declares it: the server validated it against that schema first. */
export function bodyOf<Op extends keyof operations>(
  request: ApiRequest,
  _operation: Op,
): operations[Op] extends { requestBody: { content: { 'application/json': infer Body } } }
  ? NonNullable<Body>
  : operations[Op] extends { requestBody?: { content: { 'application/json': infer Body } } }
    ? Partial<NonNullable<Body>>
    : never {
  return (request.body ?? {}) as never;
}

export function stringParam(request: ApiRequest, name: string): string {
  const value = request.params[name];
  if (typeof value !== 'string') throw new Error(`path parameter '${name}' is not a string`);
  return value;
}

export function integerParam(request: ApiRequest, name: string): number {
  const value = request.params[name];
  if (typeof value !== 'number') throw new Error(`path parameter '${name}' is not a number`);
  return value;
}

export function queryString(request: ApiRequest, name: string): string | undefined {
  const value = request.query[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The repository the path names; 404 when it does not exist or the caller may not see it. An
 * installation token reaches only its installation's repositories: another account's private
 * repository answers 404, a public one is read-only (403 "Resource not accessible by integration"
 * on writes), as GitHub answers (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation).
 */
export function requireRepository(request: ApiRequest, context: RouteContext): RepositoryRecord {
  const repository = context.state.repository(stringParam(request, 'owner'), stringParam(request, 'repo'));
  if (!repository || (repository.private && request.actor.kind === 'anonymous')) throw notFound();
  if (request.actor.kind === 'installation' && !context.state.tokenReaches(request.actor, repository)) {
    if (repository.private) throw notFound();
    if (request.method !== 'GET') throw new ApiError(403, 'Resource not accessible by integration');
  }
  return repository;
}

/** The account a write acts as; anonymous writes answer 401 as GitHub's do. */
export function requireAccount(request: ApiRequest): Account {
  if (request.actor.kind === 'user' || request.actor.kind === 'installation') return request.actor.account;
  if (request.actor.kind === 'app') {
    throw new ApiError(403, 'Resource not accessible by integration: a JWT acts only on /app endpoints');
  }
  throw new ApiError(401, 'Requires authentication');
}

/** `author_association` of an account on a repository. */
export function authorAssociation(
  repository: RepositoryRecord,
  account: Account,
): 'OWNER' | 'COLLABORATOR' | 'NONE' {
  if (account.id === repository.owner.id) return 'OWNER';
  if (repository.collaborators.has(account.login.toLowerCase())) return 'COLLABORATOR';
  return 'NONE';
}

/**
 * Refuses an installation token whose installation lacks `permission` at `level` (write covers
 * read): GitHub answers 403 "Resource not accessible by integration" and names what the route
 * accepts in `x-accepted-github-permissions`
 * (https://github.blog/changelog/2023-08-10-x-accepted-github-permissions-header-for-fine-grained-permission-actors).
 * Other actors pass: the routes that use this decide about them.
 */
export function requireInstallationPermission(
  request: ApiRequest,
  context: RouteContext,
  permission: string,
  level: 'read' | 'write',
): void {
  if (request.actor.kind !== 'installation') return;
  const granted = context.state.installationPermissions(request.actor.installation)[permission];
  if (granted === 'write' || granted === level) return;
  throw new ApiError(403, 'Resource not accessible by integration', undefined, {
    'x-accepted-github-permissions': `${permission}=${level}`,
  });
}
