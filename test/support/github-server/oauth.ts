/**
 * GitHub's OAuth web flow on the web host (not the REST API, so not in the OpenAPI description),
 * as a GitHub App's user authorization uses it
 * (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app,
 * "Using the web application flow to generate a user access token"):
 * - `GET /login/oauth/authorize?client_id&redirect_uri&state`: the user (the one the test chose with
 *   `state.authorizeAs`, as if they clicked "Authorize") is sent back to `redirect_uri` with a
 *   one-time `code` and the `state` unchanged;
 * - `POST /login/oauth/access_token` (`client_id`, `client_secret`, `code`, `redirect_uri`; a form or
 *   JSON body): a user access token `ghu_…`. GitHub answers its errors with 200 and an `error`
 *   field (`bad_verification_code`, `incorrect_client_credentials`, `redirect_uri_mismatch`;
 *   https://docs.github.com/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors),
 *   as JSON when the request accepts it, else form-encoded.
 * Anything else a client does wrong here is a violation, as on the REST routes.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiAnswer } from './routes/handler.ts';
import type { GitHubState } from './state.ts';

/** User access tokens of GitHub Apps expire after eight hours by default (same page, "About user access tokens"). */
const USER_TOKEN_LIFETIME_S = 8 * 60 * 60;

export interface OAuthExchange {
  readonly answer: ApiAnswer;
  /** What the client did wrong, when it broke the flow's rules. */
  readonly problems: readonly string[];
}

/** Whether a path belongs to the OAuth web flow. */
export function isOAuthPath(pathname: string): boolean {
  return pathname === '/login/oauth/authorize' || pathname === '/login/oauth/access_token';
}

/** Serves one request of the OAuth web flow. */
export function serveOAuth(
  state: GitHubState,
  method: string,
  url: URL,
  headers: IncomingHttpHeaders,
  text: string,
): OAuthExchange {
  if (url.pathname === '/login/oauth/authorize') {
    if (method !== 'GET') return misuse(405, `${method} is not how a browser opens /login/oauth/authorize`);
    return authorize(state, url.searchParams);
  }
  if (method !== 'POST') return misuse(405, `/login/oauth/access_token takes POST, not ${method}`);
  return exchange(state, headers, text);
}

function authorize(state: GitHubState, query: URLSearchParams): OAuthExchange {
  const clientId = query.get('client_id');
  if (clientId !== state.app.clientId)
    return misuse(404, `client_id '${clientId ?? ''}' is not the App's (${state.app.clientId})`);
  const redirectUri = query.get('redirect_uri') ?? undefined;
  if (redirectUri === undefined || !/^https?:\/\//.test(redirectUri))
    return misuse(400, 'the test server needs an absolute http(s) redirect_uri to send the browser back to');
  const problems = query.get('state') === null ? ['no state: the flow is open to CSRF'] : [];
  const target = new URL(redirectUri);
  target.searchParams.set('code', state.issueOAuthCode(state.authorizingUser(), redirectUri));
  const sent = query.get('state');
  if (sent !== null) target.searchParams.set('state', sent);
  return { answer: { status: 302, headers: { location: target.href } }, problems };
}

function exchange(state: GitHubState, headers: IncomingHttpHeaders, text: string): OAuthExchange {
  const fields = bodyFields(headers['content-type'] ?? '', text);
  if (fields === undefined) return misuse(400, 'the body is neither a form nor a JSON object');
  const json = /application\/json/i.test(headers.accept ?? '');
  const answer = (body: Record<string, string | number>): ApiAnswer =>
    json
      ? { status: 200, body }
      : {
          status: 200,
          raw: {
            contentType: 'application/x-www-form-urlencoded; charset=utf-8',
            text: new URLSearchParams(
              Object.entries(body).map(([k, v]): [string, string] => [k, String(v)]),
            ).toString(),
          },
        };
  const failure = (error: string, description: string): OAuthExchange => ({
    answer: answer({
      error,
      error_description: description,
      error_uri:
        'https://docs.github.com/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors',
    }),
    problems: [],
  });
  if (fields.client_id !== state.app.clientId || fields.client_secret !== state.app.clientSecret)
    return failure(
      'incorrect_client_credentials',
      'The client_id and/or client_secret passed are incorrect.',
    );
  const grant = fields.code === undefined ? undefined : state.takeOAuthCode(fields.code);
  if (grant === undefined)
    return failure('bad_verification_code', 'The code passed is incorrect or expired.');
  if (fields.redirect_uri !== undefined && fields.redirect_uri !== grant.redirectUri)
    return failure(
      'redirect_uri_mismatch',
      'The redirect_uri MUST match the registered callback URL for this application.',
    );
  return {
    answer: answer({
      access_token: state.issueUserToken(grant.account.login),
      expires_in: USER_TOKEN_LIFETIME_S,
      token_type: 'bearer',
      scope: '',
    }),
    problems: [],
  };
}

function bodyFields(contentType: string, text: string): Record<string, string | undefined> | undefined {
  if (/application\/json/i.test(contentType)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    return Object.fromEntries(
      Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : undefined]),
    );
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function misuse(status: number, problem: string): OAuthExchange {
  return { answer: { status, body: { message: problem } }, problems: [problem] };
}
