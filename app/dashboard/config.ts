/**
 * The dashboard's settings from the environment. The dashboard is off unless `GITHUB_CLIENT_ID` is
 * set; once it is, a missing client secret or a session key that is not 32 random bytes stops the
 * App at startup rather than serving sign-ins it cannot protect.
 */
import { StartupError } from '../server/config.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** AES-256-GCM takes a 32-byte key. */
const SESSION_KEY_BYTES = 32;

export interface DashboardConfig {
  /** The App's OAuth client id and secret (the App's settings page, "Client secrets"). */
  readonly clientId: string;
  readonly clientSecret: string;
  /** Encrypts the session and sign-in cookies. */
  readonly sessionKey: Buffer;
  /** GitHub's web host, where users authorize the App: `https://github.com` or a GHES host. */
  readonly webUrl: string;
  /** GitHub's REST API, where the user's token is used. */
  readonly apiUrl: string;
  /**
   * Where users reach the dashboard (the origin of the App's public URL), for the OAuth
   * `redirect_uri` and the cookies' `Secure`; undefined: taken from each request's `Host`.
   */
  readonly publicUrl: string | undefined;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

/** Whether a host name is this machine's loopback, where plain http stays on the machine. */
export function isLoopback(hostname: string): boolean {
  return /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(hostname);
}

/**
 * GitHub's web host for an API base URL: api.github.com's is github.com; GitHub Enterprise
 * Server serves its API under `/api/v3` of the web host (the App's GHE_HOST / GHE_PROTOCOL).
 */
export function webUrlOf(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname === 'api.github.com') return 'https://github.com';
  return `${url.origin}${url.pathname.replace(/\/api\/v3\/?$/, '').replace(/\/+$/, '')}`;
}

function sessionKeyOf(env: Env): Buffer {
  const raw = nonEmpty(env.ROLLGATE_SESSION_KEY);
  const fix =
    'Set ROLLGATE_SESSION_KEY to 32 random bytes in base64, e.g. the output of `openssl rand -base64 32`.';
  if (raw === undefined)
    throw new StartupError(
      'GITHUB_CLIENT_ID is set (the dashboard is on), but ROLLGATE_SESSION_KEY is not.',
      "The dashboard keeps each user's GitHub token in a cookie encrypted with that key.",
      `${fix} Or unset GITHUB_CLIENT_ID to turn the dashboard off.`,
    );
  const key = Buffer.from(raw, 'base64');
  const canonical = key.toString('base64').replace(/=+$/, '');
  if (canonical !== raw.replace(/=+$/, '') || key.length < SESSION_KEY_BYTES)
    throw new StartupError(
      `ROLLGATE_SESSION_KEY is not ${SESSION_KEY_BYTES} bytes of base64 (it decodes to ${key.length} byte(s)).`,
      'The session cookies are encrypted with AES-256-GCM, whose key is 32 bytes.',
      fix,
    );
  return key.subarray(0, SESSION_KEY_BYTES);
}

function publicUrlOf(env: Env): string | undefined {
  const raw = nonEmpty(env.ROLLGATE_DASHBOARD_URL);
  if (raw === undefined) return undefined;
  if (!URL.canParse(raw))
    throw new StartupError(
      `ROLLGATE_DASHBOARD_URL '${raw}' is not a URL.`,
      'It is where users open the dashboard, and where GitHub sends them back after signing in.',
      'Set it to the App’s public origin, e.g. https://rollgate.example.com, or unset it.',
    );
  const url = new URL(raw);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname)))
    throw new StartupError(
      `ROLLGATE_DASHBOARD_URL '${raw}' is not https.`,
      'Session cookies carry GitHub tokens: outside this machine they travel over https only.',
      'Serve the dashboard behind https and set ROLLGATE_DASHBOARD_URL to its https:// origin.',
    );
  return url.origin;
}

/** The dashboard's settings, or undefined when it is off (no `GITHUB_CLIENT_ID`). */
export function readDashboardConfig(env: Env, apiUrl: string): DashboardConfig | undefined {
  const clientId = nonEmpty(env.GITHUB_CLIENT_ID);
  if (clientId === undefined) return undefined;
  const clientSecret = nonEmpty(env.GITHUB_CLIENT_SECRET);
  if (clientSecret === undefined)
    throw new StartupError(
      'GITHUB_CLIENT_ID is set (the dashboard is on), but GITHUB_CLIENT_SECRET is not.',
      'Signing a user in exchanges their code for a token with the App’s client secret.',
      "Generate a client secret on the App's settings page and set GITHUB_CLIENT_SECRET, or unset GITHUB_CLIENT_ID.",
    );
  return {
    clientId,
    clientSecret,
    sessionKey: sessionKeyOf(env),
    webUrl: webUrlOf(apiUrl),
    apiUrl: apiUrl.replace(/\/+$/, ''),
    publicUrl: publicUrlOf(env),
  };
}
