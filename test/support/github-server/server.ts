/**
 * A GitHub REST API for tests: HTTP on 127.0.0.1 (a random port), state in memory, and every
 * request and response checked against GitHub's OpenAPI description. A request that breaks the
 * description is answered as GitHub would (400/404/422) and recorded as a violation; a response
 * that breaks it is recorded and answered 500; routes outside the description and operations the
 * server does not implement (501) are violations too. Point Octokit at `url`, or Probot at `host`
 * (`GHE_HOST`, with `GHE_PROTOCOL=http`: the `/api/v3` prefix is accepted). The same port is the web
 * host too, for the OAuth web flow (`/login/oauth/*`, see `oauth.ts`), as on GitHub Enterprise Server.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  FaultPlan,
  failureAnswer,
  type FaultTarget,
  type HeldCall,
  type InjectedFailure,
  type LostAfterWrite,
  type LostAnswer,
  type LostAnswerPlan,
  type ResponseRewrite,
} from './faults.ts';
import type { Links } from './fixtures.ts';
import { isOAuthPath, serveOAuth } from './oauth.ts';
import { loadApiDescription, type OperationSpec } from './openapi.ts';
import { appRoutes } from './routes/apps.ts';
import { checkRoutes } from './routes/checks.ts';
import { commentRoutes } from './routes/comments.ts';
import { commitPullRoutes } from './routes/commit-pulls.ts';
import { commitRoutes } from './routes/commits.ts';
import { contentRoutes } from './routes/contents.ts';
import { deploymentRoutes } from './routes/deployments.ts';
import { environmentRoutes } from './routes/environments.ts';
import { gitRoutes } from './routes/git.ts';
import {
  ApiError,
  type ApiAnswer,
  type ApiRequest,
  type RouteContext,
  type RouteTable,
} from './routes/handler.ts';
import { protectionRuleRoutes } from './routes/protection-rules.ts';
import { releaseRoutes } from './routes/releases.ts';
import { repositoryRoutes } from './routes/repositories.ts';
import { teamRoutes } from './routes/teams.ts';
import { userRoutes } from './routes/users.ts';
import { GitHubState, type Actor, type StateOptions } from './state.ts';
import { validateRequest, validateResponse, type ResponseBodyKind } from './validation.ts';

const routes: RouteTable = {
  ...appRoutes,
  ...checkRoutes,
  ...commentRoutes,
  ...commitPullRoutes,
  ...commitRoutes,
  ...contentRoutes,
  ...deploymentRoutes,
  ...environmentRoutes,
  ...gitRoutes,
  ...protectionRuleRoutes,
  ...releaseRoutes,
  ...repositoryRoutes,
  ...teamRoutes,
  ...userRoutes,
};

/** The operationIds the server implements; any other operation of the description answers 501. */
export const implementedOperationIds: readonly string[] = Object.keys(routes).sort();

export interface GitHubServerOptions extends StateOptions {
  /** Keep every call in `calls` (the default); a fuzz of a million calls turns it off to bound memory. */
  readonly recordCalls?: boolean;
}

/** One request as the server saw it. */
export interface RecordedCall {
  readonly method: string;
  /** Path and query as sent (an `/api/v3` prefix removed). */
  readonly path: string;
  readonly operationId: string | undefined;
  /** Its number among the calls of `operationId` since the server started (1 = the first): what `{ call }` targets. */
  readonly call?: number;
  readonly params: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** The status the server produced, also when the client never received it (see `lostAnswer`). */
  readonly status: number;
  /** `login` of the user or bot, `app` for a JWT, `anonymous` without a token. */
  readonly actor: string;
  /** Set when the call was carried out but its answer was lost as planned with `loseAnswer`. */
  readonly lostAnswer?: LostAnswer;
  /** The request's `If-None-Match`, when it was a conditional request. */
  readonly ifNoneMatch?: string;
}

export type ViolationKind = 'request' | 'response' | 'unknown-route' | 'not-implemented';

/** A way a request or a response broke GitHub's description (or reached a route the server lacks). */
export interface Violation {
  readonly kind: ViolationKind;
  readonly method: string;
  readonly path: string;
  readonly operationId: string | undefined;
  readonly status: number;
  readonly problems: readonly string[];
}

export interface GitHubServer {
  /** The API's base URL, for Octokit's `baseUrl`. */
  readonly url: string;
  /** `127.0.0.1:<port>`, for Probot's `GHE_HOST`. */
  readonly host: string;
  /** Seed data before the calls and read it after. */
  readonly state: GitHubState;
  readonly calls: readonly RecordedCall[];
  readonly violations: readonly Violation[];
  /** The calls made to one operation, in order. */
  callsTo(operationId: string): RecordedCall[];
  /**
   * Answers the next `times` calls of `operationId` (or `'*'`) with the failure instead, or only
   * its `{ call }`-th call since the server started.
   */
  failNext(operationId: string, failure: InjectedFailure, target?: FaultTarget): void;
  /**
   * Carries out the next `times` calls of `operationId` (or `'*'`), or only its `{ call }`-th,
   * then loses their answers: the connection is dropped (`lost`) or a 502 comes after a delay
   * (`timeout`). The next `times` skip calls GitHub refused (4xx/5xx); a `{ call }` hits that call whatever its answer.
   */
  loseNextAnswer(operationId: string, lost?: LostAfterWrite, target?: FaultTarget): void;
  /** Passes the next `times` response bodies of `operationId` (or only its `{ call }`-th) through `rewrite`. */
  rewriteNextResponse(operationId: string, rewrite: ResponseRewrite, target?: FaultTarget): void;
  /**
   * Carries out a call of `operationId` (or `'*'`) — the `call`-th since the server started, or the
   * next — then loses its answer: the socket is destroyed, or a 502 is sent instead. The write
   * happened; the client cannot know. For fault-matrix tests of reconciliation after a lost answer.
   */
  loseAnswer(operationId: string, plan?: LostAnswerPlan): void;
  /**
   * Holds the next call of `operationId` (or `'*'`) on arrival, before it is carried out, until
   * the test releases or drops it: to stop the App at a known point of a command and kill it there.
   */
  hold(operationId: string): HeldCall;
  /** Throws, listing them, when any violation was recorded. */
  assertNoViolations(): void;
  close(): Promise<void>;
}

/** Starts a server with empty state (plus the App and the viewer); seed it through `state`. */
export async function startGitHubServer(options: GitHubServerOptions = {}): Promise<GitHubServer> {
  const description = loadApiDescription();
  const state = new GitHubState(options);
  const calls: RecordedCall[] = [];
  const record = (call: RecordedCall): void => {
    if (options.recordCalls !== false) calls.push(call);
  };
  const violations: Violation[] = [];
  const faults = new FaultPlan();
  const links = state.links;
  const quota = new RateLimitQuota();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const web = new URL(req.url ?? '/', links.api);
      if (isOAuthPath(web.pathname)) {
        const method = req.method ?? 'GET';
        const done = serveOAuth(state, method, web, req.headers, text);
        const path = `${web.pathname}${web.search}`;
        const status = done.answer.status;
        record({
          method,
          path,
          operationId: undefined,
          params: {},
          body: text,
          status,
          actor: 'anonymous',
        });
        if (done.problems.length > 0)
          violations.push({
            kind: 'request',
            method,
            path,
            operationId: undefined,
            status,
            problems: done.problems,
          });
        send(res, done.answer, state.now(), quota.peek('anonymous'));
        return;
      }
      const held = faults.takeHold(operationOf(req) ?? '');
      if (held === undefined) answer(req, res, text);
      else
        held.arrive(
          () => {
            answer(req, res, text);
          },
          () => res.socket?.destroy(),
        );
    });
  });
  const answer = (req: http.IncomingMessage, res: http.ServerResponse, text: string): void => {
    const exchange = conditional(req, serve(req, text, { state, faults, links }));
    const rate = quota.spend(exchange, req.headers.authorization !== undefined);
    const { operationId, call } = exchange.call;
    const lost =
      operationId === undefined || call === undefined ? undefined : faults.takeLoss(operationId, call);
    const after =
      lost !== undefined || operationId === undefined || call === undefined
        ? undefined
        : faults.take(operationId, 'after', call, exchange.call.status >= 400)?.after;
    record(
      lost !== undefined
        ? { ...exchange.call, lostAnswer: lost }
        : after === undefined
          ? exchange.call
          : { ...exchange.call, status: after.kind === 'lost' ? 0 : 502 },
    );
    if (exchange.violation) violations.push(exchange.violation);
    if (lost === 'socket' || after?.kind === 'lost') res.socket?.destroy();
    else if (lost === 502) send(res, badGateway, state.now(), rate);
    else if (after?.kind === 'timeout')
      setTimeout(() => {
        send(res, timeoutAnswer(), state.now(), rate);
      }, after.delayMs);
    else send(res, exchange.answer, state.now(), rate);
  };
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  links.api = `http://127.0.0.1:${port}`;

  return {
    url: links.api,
    host: `127.0.0.1:${port}`,
    state,
    calls,
    violations,
    callsTo: (operationId) => calls.filter((call) => call.operationId === operationId),
    failNext: (operationId, failure, target = 1) => {
      checkOperation(operationId);
      faults.add(operationId, { kind: 'failure', failure }, target);
    },
    loseNextAnswer: (operationId, lost = { kind: 'lost' }, target = 1) => {
      checkOperation(operationId);
      faults.add(operationId, { kind: 'after', after: lost }, target);
    },
    rewriteNextResponse: (operationId, rewrite, target = 1) => {
      checkOperation(operationId);
      faults.add(operationId, { kind: 'rewrite', rewrite }, target);
    },
    loseAnswer: (operationId, plan = {}) => {
      checkOperation(operationId);
      faults.loseAnswer(operationId, plan);
    },
    hold: (operationId) => {
      checkOperation(operationId);
      return faults.hold(operationId);
    },
    assertNoViolations: () => {
      if (violations.length === 0) return;
      const lines = violations.map(
        (v) =>
          `- ${v.kind}: ${v.method} ${v.path} (${v.operationId ?? 'no operation'}) → ${v.status}\n    ${v.problems.join('\n    ')}`,
      );
      throw new Error(
        `The GitHub test server recorded ${violations.length} violation(s):\n${lines.join('\n')}`,
      );
    },
    close: () =>
      new Promise((closed) => {
        server.closeAllConnections();
        server.close(() => {
          closed();
        });
      }),
  };

  function checkOperation(operationId: string): void {
    if (operationId !== '*' && !description.operations.has(operationId)) {
      throw new Error(`'${operationId}' is not an operationId of GitHub's REST API description`);
    }
  }
}

/** The operation a request is for, before it is served (a hold is planned by operation). */
function operationOf(req: http.IncomingMessage): string | undefined {
  const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname.replace(/^\/api\/v3(?=\/)/, '');
  const match = loadApiDescription().match(req.method ?? 'GET', pathname);
  return match.kind === 'operation' ? match.operation.operationId : undefined;
}

interface ServerParts {
  readonly state: GitHubState;
  readonly faults: FaultPlan;
  readonly links: Links;
}

interface Exchange {
  readonly answer: ApiAnswer;
  readonly call: RecordedCall;
  readonly violation: Violation | undefined;
}

function serve(req: http.IncomingMessage, text: string, parts: ServerParts): Exchange {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', parts.links.api);
  const pathname = url.pathname.replace(/^\/api\/v3(?=\/)/, '');
  const path = `${pathname}${url.search}`;
  const actor = parts.state.actorFor(req.headers.authorization);
  // The call's number among its operation's, known once the route names the operation.
  const counted: { call?: number } = {};
  const exchange = (
    answer: ApiAnswer,
    operationId: string | undefined,
    params: Record<string, string>,
    body: unknown,
    violation?: { kind: ViolationKind; problems: readonly string[] },
  ): Exchange => ({
    answer,
    call: {
      method,
      path,
      operationId,
      ...(counted.call === undefined ? {} : { call: counted.call }),
      params,
      body,
      status: answer.status,
      actor: actorName(actor),
    },
    violation: violation && { ...violation, method, path, operationId, status: answer.status },
  });

  const match = loadApiDescription().match(method, pathname);
  if (match.kind !== 'operation') {
    const problem =
      match.kind === 'unknown'
        ? `${pathname} matches no path of GitHub's REST API description`
        : `${method} is not an operation of ${pathname} (it has ${match.allowed.join(', ')})`;
    const answer = new ApiError(404, 'Not Found').answer('https://docs.github.com/rest');
    return exchange(answer, undefined, {}, text, { kind: 'unknown-route', problems: [problem] });
  }
  const { operation, params } = match;
  // Every request of an operation counts, also one refused for breaking the description.
  const call = parts.faults.countCall(operation.operationId);
  counted.call = call;
  const fail = (answer: ApiAnswer, body: unknown, problems: readonly string[]): Exchange =>
    exchange(answer, operation.operationId, params, body, { kind: 'request', problems });

  let body: unknown;
  try {
    body = text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return fail(new ApiError(400, 'Problems parsing JSON').answer(operation.documentationUrl), text, [
      'the body is not JSON',
    ]);
  }
  const verdict = validateRequest(operation, { params, query: url.searchParams, body });
  if (!verdict.ok) {
    const message =
      verdict.status === 404 ? 'Not Found' : `Invalid request.\n\n${verdict.problems.join('\n')}`;
    return fail(
      new ApiError(verdict.status, message).answer(operation.documentationUrl),
      body,
      verdict.problems,
    );
  }

  const request: ApiRequest = {
    operationId: operation.operationId,
    method,
    params: verdict.params,
    query: verdict.query,
    body,
    actor,
    headers: req.headers,
    url: new URL(req.url ?? '/', parts.links.api),
  };
  const context: RouteContext = {
    state: parts.state,
    links: parts.links,
    documentationUrl: operation.documentationUrl,
  };
  const produced = produce(operation, request, context, parts, call);
  if ('problems' in produced) {
    return exchange(produced.answer, operation.operationId, params, body, {
      kind: produced.kind,
      problems: produced.problems,
    });
  }
  const problems = validateResponse(operation, produced.status, produced.body, bodyKind(produced));
  if (problems.length === 0) return exchange(produced, operation.operationId, params, body);
  const broken = new ApiError(
    500,
    `The test server's response breaks GitHub's description of ${operation.operationId}: ${problems.join('; ')}`,
  ).answer(operation.documentationUrl);
  return exchange(broken, operation.operationId, params, body, { kind: 'response', problems });
}

/** The handler's answer, an injected failure, or a violation (no handler, or the handler crashed). */
function produce(
  operation: OperationSpec,
  request: ApiRequest,
  context: RouteContext,
  parts: ServerParts,
  call: number,
): ApiAnswer | { answer: ApiAnswer; kind: ViolationKind; problems: string[] } {
  const injected = parts.faults.take(operation.operationId, 'failure', call);
  if (injected) return failureAnswer(injected.failure, rateLimitSubject(request.actor), parts.state.now());
  const handler = routes[operation.operationId];
  if (!handler) {
    const message = `${operation.operationId} is not implemented by the Rollgate GitHub test server`;
    return {
      answer: new ApiError(501, message).answer(operation.documentationUrl),
      kind: 'not-implemented',
      problems: [message],
    };
  }
  let answer: ApiAnswer;
  try {
    answer = handler(request, context);
  } catch (error) {
    if (!(error instanceof ApiError)) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      return {
        answer: new ApiError(500, `The test server failed: ${message}`).answer(operation.documentationUrl),
        kind: 'response',
        problems: [`the handler threw: ${message}`],
      };
    }
    answer = error.answer(operation.documentationUrl);
  }
  const rewrite = parts.faults.take(operation.operationId, 'rewrite', call);
  return rewrite ? { ...answer, body: rewrite.rewrite(structuredClone(answer.body)) } : answer;
}

/** What a client receives when GitHub's front end loses the backend's answer. */
const badGateway: ApiAnswer = {
  status: 502,
  body: { message: 'Server Error', documentation_url: 'https://docs.github.com/rest', status: '502' },
};

function bodyKind(answer: ApiAnswer): ResponseBodyKind {
  if (answer.raw) return 'raw';
  return answer.body === undefined ? 'none' : 'json';
}

function actorName(actor: Actor): string {
  if (actor.kind === 'user' || actor.kind === 'installation') return actor.account.login;
  return actor.kind;
}

function rateLimitSubject(actor: Actor): string {
  if (actor.kind === 'installation') return `installation ID ${actor.installation.id}`;
  if (actor.kind === 'user') return `user ID ${actor.account.id}`;
  return '127.0.0.1';
}

/** GitHub's answer when a request ran out of time, whether or not the work was done. */
function timeoutAnswer(): ApiAnswer {
  return {
    status: 502,
    body: {
      message:
        "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.",
    },
  };
}

/**
 * GitHub's conditional requests: a successful GET's answer carries an `ETag` (a hash of what it
 * returns), and a GET whose `If-None-Match` names that tag is answered `304 Not Modified` with no
 * body. "Most endpoints return an etag header … If the data has not changed, you will receive a
 * 304 Not Modified response. Making a conditional request does not count against your primary
 * rate limit if a 304 response is returned and the request was made while correctly authorized
 * with an Authorization header." (docs.github.com, REST API best practices, "Use conditional
 * requests if appropriate":
 * https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).
 * GitHub's JSON answers carry weak tags (`W/"…"`); `If-None-Match` compares weakly (RFC 9110 §13.1.2).
 * Both answers say how long they may be reused as GitHub's do: `Cache-Control: private, max-age=60,
 * s-maxage=60` for an authorized request, `public, …` otherwise, `Vary: Accept, Authorization, Cookie`.
 */
function conditional(req: http.IncomingMessage, exchange: Exchange): Exchange {
  const { answer } = exchange;
  if (exchange.call.method !== 'GET' || answer.status !== 200) return exchange;
  const representation = answer.raw ? answer.raw.text : JSON.stringify(answer.body ?? null);
  const tag = `W/"${createHash('sha256')
    .update(`${answer.raw?.contentType ?? 'json'}\n${representation}`)
    .digest('hex')
    .slice(0, 32)}"`;
  const caching = {
    'cache-control': `${req.headers.authorization === undefined ? 'public' : 'private'}, max-age=60, s-maxage=60`,
    vary: 'Accept, Authorization, Cookie',
  };
  const header = req.headers['if-none-match'];
  const tags = typeof header === 'string' ? header.split(',').map((t) => t.trim().replace(/^W\//, '')) : [];
  const conditionalCall = typeof header === 'string' ? { ifNoneMatch: header } : {};
  if (tags.includes('*') || tags.includes(tag.replace(/^W\//, '')))
    return {
      ...exchange,
      answer: { status: 304, headers: { ...pick(answer.headers, 'link'), ...caching, etag: tag } },
      call: { ...exchange.call, ...conditionalCall, status: 304 },
    };
  return {
    ...exchange,
    answer: { ...answer, headers: { ...answer.headers, ...caching, etag: tag } },
    call: { ...exchange.call, ...conditionalCall },
  };
}

function pick(headers: Readonly<Record<string, string>> | undefined, name: string): Record<string, string> {
  const value = headers?.[name];
  return value === undefined ? {} : { [name]: value };
}

/** What the rate-limit headers of one answer say. */
interface RateCount {
  readonly used: number;
  readonly resetAt: number;
}

const HOURLY_QUOTA = 5000;

/**
 * The primary rate limit's counter per subject (an installation, a user, anonymous callers), as
 * GitHub reports it in `x-ratelimit-*`: every request counts, except a 304 to an authorized
 * conditional request (see `conditional`). It counts and reports; it refuses nothing (the fault
 * plan's `rateLimit` failures model a spent quota).
 */
class RateLimitQuota {
  readonly #used = new Map<string, RateCount>();

  spend(exchange: Exchange, authorized: boolean): RateCount {
    const subject = exchange.call.actor;
    const free = exchange.answer.status === 304 && authorized;
    const current = this.peek(subject);
    const next = free ? current : { ...current, used: current.used + 1 };
    this.#used.set(subject, next);
    return next;
  }

  peek(subject: string): RateCount {
    const now = Date.now();
    const current = this.#used.get(subject);
    return current === undefined || current.resetAt <= now ? { used: 0, resetAt: now + 3_600_000 } : current;
  }
}

/** GitHub's response headers that clients read: rate-limit counters, request id, API version. */
function send(res: http.ServerResponse, answer: ApiAnswer, now: Date, rate: RateCount): void {
  const headers: Record<string, string> = {
    'x-github-api-version-selected': '2022-11-28',
    'x-github-request-id': `ROLLGATE:${process.hrtime.bigint().toString(16).toUpperCase()}`,
    'x-ratelimit-limit': String(HOURLY_QUOTA),
    'x-ratelimit-remaining': String(Math.max(0, HOURLY_QUOTA - rate.used)),
    'x-ratelimit-used': String(rate.used),
    'x-ratelimit-reset': String(Math.ceil(Math.max(rate.resetAt, now.getTime()) / 1000)),
    'x-ratelimit-resource': 'core',
  };
  if (answer.raw) headers['content-type'] = answer.raw.contentType;
  else if (answer.body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
  res.writeHead(answer.status, { ...headers, ...answer.headers });
  if (answer.raw) res.end(answer.raw.text);
  else res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
}
