/**
 * GitHub's OAuth web flow for a GitHub App's user authorization
 * (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app,
 * "Using the web application flow to generate a user access token"; the same flow as
 * https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#web-application-flow):
 * 1. the browser goes to `<web>/login/oauth/authorize?client_id&redirect_uri&state`; `state` is
 *    "an unguessable random string … used to protect against cross-site request forgery attacks";
 * 2. GitHub sends it back to `redirect_uri` with `code` and the same `state`; the code expires after
 *    10 minutes;
 * 3. the server posts `client_id`, `client_secret`, `code` (and `redirect_uri`) to
 *    `<web>/login/oauth/access_token`, with `Accept: application/json` for a JSON answer, and gets
 *    the user access token (`ghu_…`, 8 hours unless expiry is off for the App). GitHub reports a bad
 *    code or secret with status 200 and an `error` field, not an HTTP error.
 */
import { RollgateError } from '../../src/errors.ts';
import type { DashboardConfig } from './config.ts';

/** Signing in failed on GitHub's side; the user can start again. */
export class SignInError extends RollgateError {}

/** Where to send the browser to authorize the App. */
export function authorizeUrl(config: DashboardConfig, redirectUri: string, state: string): string {
  const url = new URL('/login/oauth/authorize', `${config.webUrl}/`);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('state', state);
  // A GitHub App has no scopes: the token acts with the App's permissions, narrowed to the user's.
  url.searchParams.set('allow_signup', 'false');
  return url.href;
}

export interface UserToken {
  readonly token: string;
  /** When GitHub says the token expires (ms since the epoch), if it expires. */
  readonly expiresAt: number | undefined;
}

/** Exchanges the callback's `code` for a user access token. */
export async function exchangeCode(
  config: DashboardConfig,
  code: string,
  redirectUri: string,
  now: number,
): Promise<UserToken> {
  const response = await fetch(new URL('/login/oauth/access_token', `${config.webUrl}/`), {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: config.clientId,
      client_secret: config.clientSecret,
      code,
      redirect_uri: redirectUri,
    }),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const fields = (body ?? {}) as Record<string, unknown>;
  if (!response.ok || typeof fields.access_token !== 'string' || fields.access_token === '') {
    const error = typeof fields.error === 'string' ? fields.error : `HTTP ${response.status}`;
    const description = typeof fields.error_description === 'string' ? ` (${fields.error_description})` : '';
    throw new SignInError(
      `GitHub did not give a token for the sign-in: ${error}${description}.`,
      error === 'incorrect_client_credentials'
        ? 'GITHUB_CLIENT_ID or GITHUB_CLIENT_SECRET is not the App’s.'
        : 'The code from GitHub was refused: it is used once and expires after 10 minutes.',
      'Sign in again; if it keeps failing, check the App’s client id and secret.',
    );
  }
  const expiresIn = typeof fields.expires_in === 'number' ? fields.expires_in : undefined;
  return {
    token: fields.access_token,
    expiresAt: expiresIn === undefined ? undefined : now + expiresIn * 1000,
  };
}
