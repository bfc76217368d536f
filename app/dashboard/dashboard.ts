/**
 * The dashboard's HTTP routes under `/dashboard`, served by the App's own server:
 * - `GET /dashboard/login`: starts GitHub's OAuth web flow with a fresh `state`, kept in a sealed
 *   cookie that lives 10 minutes (as long as GitHub's code);
 * - `GET /dashboard/callback?code&state`: refuses (400) a state that does not match the cookie,
 *   exchanges the code, and keeps the user access token in the sealed session cookie only;
 * - `GET /dashboard`: the overview; `GET /dashboard/<owner>/<repo>`: one repository (404 for a
 *   repository the user cannot see, as for one that does not exist);
 * - `GET /dashboard/<owner>/<repo>/environments/<env>`, `…/releases`, `…/metrics?days=`: a
 *   repository's views (views.ts); `GET /dashboard/assets/…`: their script and styles (assets.ts);
 * - `POST /dashboard/logout`: clears the session cookie;
 * - `GET /dashboard/events`: server-sent events for the repositories the user can see;
 * - `POST /dashboard/<owner>/<repo>/actions`: an action from the repository's page (action-route.ts).
 * Visibility is decided with the user's token; the data is read with the App's installation token.
 * Nothing is served without a session: pages redirect to the sign-in, the event stream answers 401.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DashboardConfig } from './config.ts';
import { isLoopback } from './config.ts';
import { serveAsset } from './assets.ts';
import { pendingVerdictForm, rowActions, resultNotice } from './action-forms.ts';
import { actionTarget, postAction, takeResult, type ActionPorts } from './action-route.ts';
import { csrfToken, newCsrfSecret, sourceProblem } from './csrf.ts';
import { readEnvironmentRows, type InstallationGitHub } from './environments.ts';
import { eventFromWebhook, streamName, type DashboardEvent, type EventBus } from './events.ts';
import { messagePage, overviewPage, repositoryPage, type RepositoryView } from './page.ts';
import { cookie, open, readCookies, seal } from './session.ts';
import { authorizeUrl, exchangeCode, SignInError } from './sign-in.ts';
import { repositorySubpage } from './views.ts';
import {
  findVisible,
  userGitHub,
  visibleRepositories,
  type UserGitHub,
  type VisibleRepository,
} from './visible-repositories.ts';

const SESSION_COOKIE = 'rollgate_session';
const STATE_COOKIE = 'rollgate_sign_in';
/** GitHub's OAuth codes expire after 10 minutes: a sign-in that takes longer starts again. */
const STATE_LIFETIME_MS = 10 * 60 * 1000;
/** User access tokens expire after 8 hours by default; the session never outlives its token. */
const SESSION_LIFETIME_MS = 8 * 60 * 60 * 1000;
/** Proxies close idle connections; a comment line every 25 s keeps the event stream open. */
const HEARTBEAT_MS = 25_000;

export interface DashboardOptions {
  readonly config: DashboardConfig;
  readonly bus: EventBus;
  /** The App's id: only its own `rollgate / <env>` check runs are pushed to pages. */
  readonly appId?: number;
  /** The App's Octokit for an installation (Probot's `auth(id)`). */
  installation(installationId: number): Promise<InstallationGitHub>;
  /** The user's GitHub, for deciding what they may see; `userGitHub` over Octokit by default. */
  readonly user?: (token: string) => UserGitHub;
  readonly now?: () => number;
  readonly log: { warn(message: string): void };
  /** How to act for a user (deploy, lock, approve…); without it the pages have no forms. */
  readonly actions?: ActionPorts;
}

export interface Dashboard {
  /** Answers the request when it is the dashboard's; resolves false otherwise. */
  routes(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Tells open pages about a webhook the App received (ignored unless it changes an environment). */
  notify(name: string, payload: unknown): void;
  close(): Promise<void>;
}

interface Session {
  readonly token: string;
  /** The synchronizer secret of the actions' forms (csrf.ts), made at sign-in. */
  readonly csrf?: string;
}

/** The sealed sign-in cookie's content. */
interface SignInState {
  readonly state: string;
}

function isSession(value: unknown): value is Session {
  if (typeof value !== 'object' || value === null) return false;
  const { token, csrf } = value as Session;
  return typeof token === 'string' && (csrf === undefined || typeof csrf === 'string');
}

function isSignInState(value: unknown): value is SignInState {
  return typeof value === 'object' && value !== null && typeof (value as SignInState).state === 'string';
}

/** The GitHub status of a failed Octokit call, if it was one. */
function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** A path segment decoded, or undefined when its escapes are malformed (the page is then not found). */
function decodedSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createDashboard(options: DashboardOptions): Dashboard {
  const { config, bus } = options;
  const now = options.now ?? Date.now;
  const user = options.user ?? ((token: string) => userGitHub(config.apiUrl, token));
  const streams = new Set<ServerResponse>();

  /** The dashboard's origin: the configured one, else the request's (http on loopback only). */
  const originOf = (req: IncomingMessage): string => {
    if (config.publicUrl !== undefined) return config.publicUrl;
    const host = req.headers.host ?? 'localhost';
    // A Host header that is no host name gets https: never plain http off the loopback.
    const hostname = URL.canParse(`http://${host}`) ? new URL(`http://${host}`).hostname : '';
    return `${isLoopback(hostname) ? 'http' : 'https'}://${host}`;
  };
  // Secure unless the dashboard is plain http on this machine's loopback (the tests, a laptop):
  // a browser drops Secure cookies set over http, so sign-in could not work there at all.
  const secureFor = (req: IncomingMessage): boolean => originOf(req).startsWith('https:');

  const send = (
    res: ServerResponse,
    status: number,
    html: (nonce: string) => string,
    headers: Record<string, string | string[]> = {},
  ): void => {
    const nonce = randomBytes(16).toString('base64');
    res
      .writeHead(status, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        // The callback's URL carries the code: no page of the dashboard sends a Referer anywhere.
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
        'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
        ...headers,
      })
      .end(html(nonce));
  };
  const redirect = (res: ServerResponse, location: string, cookies: string[] = []): void => {
    res
      .writeHead(302, {
        location,
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'set-cookie': cookies,
      })
      .end();
  };
  const clearSession = (req: IncomingMessage): string =>
    cookie(SESSION_COOKIE, '', { path: '/dashboard', maxAge: 0, secure: secureFor(req) });

  /** `POST /dashboard/logout`: the session cookie cleared, then a page that says so (303: a GET). */
  const signOut = (req: IncomingMessage, res: ServerResponse): void => {
    // Only the dashboard's own Sign out button signs out: another site cannot end the session.
    const site: string | string[] | undefined = req.headers['sec-fetch-site'];
    const problem = sourceProblem(
      { origin: req.headers.origin, 'sec-fetch-site': typeof site === 'string' ? site : site?.[0] },
      originOf(req),
    );
    if (problem !== undefined) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end(`Not signed out: ${problem}.`);
      return;
    }
    res
      .writeHead(303, {
        location: '/dashboard/signed-out',
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'set-cookie': [clearSession(req)],
      })
      .end();
  };

  const sessionOf = (req: IncomingMessage): Session | undefined => {
    const text = readCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (text === undefined) return undefined;
    const value = open(config.sessionKey, SESSION_COOKIE, text, now());
    return isSession(value) ? value : undefined;
  };

  const login = (req: IncomingMessage, res: ServerResponse): void => {
    const state = randomBytes(32).toString('base64url');
    const sealed = seal(
      config.sessionKey,
      STATE_COOKIE,
      { state } satisfies SignInState,
      now() + STATE_LIFETIME_MS,
    );
    const stateCookie = cookie(STATE_COOKIE, sealed, {
      path: '/dashboard/callback',
      maxAge: STATE_LIFETIME_MS / 1000,
      secure: secureFor(req),
    });
    redirect(res, authorizeUrl(config, `${originOf(req)}/dashboard/callback`, state), [stateCookie]);
  };

  const callback = async (
    req: IncomingMessage,
    res: ServerResponse,
    query: URLSearchParams,
  ): Promise<void> => {
    const secure = secureFor(req);
    const dropState = cookie(STATE_COOKIE, '', { path: '/dashboard/callback', maxAge: 0, secure });
    const again = { href: '/dashboard/login', text: 'Sign in again.' };
    const refuse = (message: string): void => {
      send(res, 400, (nonce) => messagePage(nonce, 'Sign-in refused', message, again), {
        'set-cookie': [dropState],
      });
    };
    const sealed = readCookies(req.headers.cookie).get(STATE_COOKIE);
    const expected = sealed === undefined ? undefined : open(config.sessionKey, STATE_COOKIE, sealed, now());
    const state = query.get('state');
    if (!isSignInState(expected) || state === null || !sameText(state, expected.state)) {
      refuse(
        'The sign-in did not start here, or took longer than 10 minutes: its state does not match this browser’s.',
      );
      return;
    }
    const error = query.get('error');
    if (error !== null) {
      refuse(`GitHub did not sign you in: ${query.get('error_description') ?? error}.`);
      return;
    }
    const code = query.get('code');
    if (code === null || code === '') {
      refuse('GitHub sent no code back.');
      return;
    }
    let token;
    try {
      token = await exchangeCode(config, code, `${originOf(req)}/dashboard/callback`, now());
    } catch (failure) {
      if (!(failure instanceof SignInError)) throw failure;
      options.log.warn(`dashboard sign-in failed: ${failure.message}`);
      refuse(failure.message);
      return;
    }
    const expiresAt = Math.min(token.expiresAt ?? Number.POSITIVE_INFINITY, now() + SESSION_LIFETIME_MS);
    const session = seal(
      config.sessionKey,
      SESSION_COOKIE,
      { token: token.token, csrf: newCsrfSecret() } satisfies Session,
      expiresAt,
    );
    const sessionCookie = cookie(SESSION_COOKIE, session, {
      path: '/dashboard',
      maxAge: Math.max(1, Math.floor((expiresAt - now()) / 1000)),
      secure,
    });
    redirect(res, '/dashboard', [dropState, sessionCookie]);
  };

  const repositoryView = async (repository: VisibleRepository): Promise<RepositoryView> => {
    try {
      const github = await options.installation(repository.installationId);
      const rows = await readEnvironmentRows(github, { owner: repository.owner, repo: repository.repo });
      return { fullName: repository.fullName, rows };
    } catch (error) {
      options.log.warn(
        `dashboard: reading ${repository.fullName} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      return {
        fullName: repository.fullName,
        rows: [],
        error: 'GitHub did not answer for this repository; reload to try again.',
      };
    }
  };

  /** The repositories the session's user may see; undefined (and the session dropped) once GitHub refuses its token. */
  const visibleTo = async (
    req: IncomingMessage,
    res: ServerResponse,
    session: Session,
  ): Promise<VisibleRepository[] | undefined> => {
    try {
      return await visibleRepositories(user(session.token));
    } catch (error) {
      if (statusOf(error) !== 401) throw error;
      redirect(res, '/dashboard/login', [clearSession(req)]);
      return undefined;
    }
  };

  const events = (req: IncomingMessage, res: ServerResponse, visible: readonly VisibleRepository[]): void => {
    const names = new Set(visible.map((r) => r.fullName.toLowerCase()));
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.write(': connected\n\n');
    streams.add(res);
    const write = (event: DashboardEvent): void => {
      if (names.has(event.repository.toLowerCase()))
        res.write(`event: ${streamName(event)}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    const unsubscribe = bus.subscribe(write);
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    req.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    });
  };

  const routes = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '');
    if (path !== '/dashboard' && !path.startsWith('/dashboard/')) return false;
    if (path === '/dashboard/logout' && req.method === 'POST') {
      signOut(req, res);
      return true;
    }
    const target = options.actions === undefined ? undefined : actionTarget(path);
    if (req.method === 'POST' && target !== undefined && options.actions !== undefined) {
      await action(req, res, target, options.actions);
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { allow: target === undefined ? 'GET' : 'POST', 'content-type': 'text/plain' })
        .end(target === undefined ? 'The dashboard takes GET only.' : 'Actions are sent with POST.');
      return true;
    }
    if (path === '/dashboard/login') {
      login(req, res);
      return true;
    }
    if (path === '/dashboard/callback') {
      await callback(req, res, url.searchParams);
      return true;
    }
    if (path === '/dashboard/signed-out') {
      send(res, 200, (nonce) =>
        messagePage(nonce, 'Signed out', 'You are signed out of the Rollgate dashboard.', {
          href: '/dashboard/login',
          text: 'Sign in again.',
        }),
      );
      return true;
    }
    const session = sessionOf(req);
    if (session === undefined) {
      if (path === '/dashboard/events')
        res.writeHead(401, { 'content-type': 'text/plain' }).end('Sign in at /dashboard/login first.');
      else
        redirect(
          res,
          '/dashboard/login',
          req.headers.cookie?.includes(`${SESSION_COOKIE}=`) ? [clearSession(req)] : [],
        );
      return true;
    }
    if (path.startsWith('/dashboard/assets/') && serveAsset(path, res)) return true;
    const visible = await visibleTo(req, res, session);
    if (visible === undefined) return true;
    if (path === '/dashboard') {
      const views = await Promise.all(visible.map(repositoryView));
      send(res, 200, (nonce) => overviewPage(nonce, views));
      return true;
    }
    if (path === '/dashboard/events') {
      events(req, res, visible);
      return true;
    }
    const parts = /^\/dashboard\/([^/]+)\/([^/]+)(\/.+)?$/.exec(path);
    const owner = parts?.[1] === undefined ? undefined : decodedSegment(parts[1]);
    const name = parts?.[2] === undefined ? undefined : decodedSegment(parts[2]);
    const repository =
      owner === undefined || name === undefined ? undefined : findVisible(visible, owner, name);
    if (repository === undefined) {
      send(res, 404, (nonce) =>
        messagePage(
          nonce,
          'Not found',
          'There is no such page, or no repository of that name that you can access.',
          {
            href: '/dashboard',
            text: 'All repositories.',
          },
        ),
      );
      return true;
    }
    const rest = parts?.[3];
    if (rest !== undefined) {
      const view = { repository, rest, query: url.searchParams, webUrl: config.webUrl, now: now() };
      const github = await options.installation(repository.installationId);
      // A request waiting on the environment's page can be approved there, as from its row.
      const secret = options.actions === undefined ? undefined : session.csrf;
      const verdictForm =
        secret === undefined
          ? undefined
          : (environment: string, pull: number) =>
              pendingVerdictForm(
                { repository: repository.fullName, csrfToken: csrfToken(secret) },
                environment,
                pull,
              );
      const answer = await repositorySubpage(
        { ...view, github, ...(verdictForm === undefined ? {} : { verdictForm }) },
        options.log,
      );
      send(
        res,
        answer.status,
        answer.page,
        // As on the repository's page: its forms post their origin to the dashboard itself.
        verdictForm === undefined ? {} : { 'referrer-policy': 'same-origin' },
      );
      return true;
    }
    const view = await repositoryView(repository);
    if (options.actions === undefined) {
      send(res, 200, (nonce) => repositoryPage(nonce, view));
      return true;
    }
    if (session.csrf === undefined) {
      // A session from before the dashboard could act has no form secret: signing in again makes one.
      const notice = `<p id="result" role="status"><a href="/dashboard/login">Sign in again</a> to deploy, lock or approve from here.</p>`;
      send(res, 200, (nonce) => repositoryPage(nonce, view, { notice }));
      return true;
    }
    const secure = secureFor(req);
    const taken = takeResult(req, config.sessionKey, repository.fullName, now(), secure);
    const forms = { repository: repository.fullName, csrfToken: csrfToken(session.csrf) };
    send(
      res,
      200,
      (nonce) =>
        repositoryPage(nonce, view, {
          ...(taken === undefined ? {} : { notice: resultNotice(taken.result) }),
          rowActions: (row) => rowActions(forms, row),
        }),
      // Forms post with an Origin a browser serialises as `null` under `no-referrer`; this page
      // sends its origin to the dashboard itself, and still nothing to any other site.
      { 'referrer-policy': 'same-origin', ...(taken === undefined ? {} : { 'set-cookie': [taken.clear] }) },
    );
    return true;
  };

  const action = async (
    req: IncomingMessage,
    res: ServerResponse,
    target: { owner: string; repo: string },
    ports: ActionPorts,
  ): Promise<void> => {
    const session = sessionOf(req);
    await postAction({
      req,
      res,
      target,
      origin: originOf(req),
      session,
      sessionKey: config.sessionKey,
      apiUrl: config.apiUrl,
      secure: secureFor(req),
      now: now(),
      ports,
      visible: () => (session === undefined ? Promise.resolve(undefined) : visibleTo(req, res, session)),
      refuse: (status, title, message) => {
        send(res, status, (nonce) =>
          messagePage(nonce, title, message, { href: '/dashboard', text: 'All repositories.' }),
        );
      },
    });
  };

  return {
    routes,
    notify(name, payload) {
      const event = eventFromWebhook(name, payload, options.appId);
      if (event === undefined) return;
      bus.publish(event).catch((error: unknown) => {
        options.log.warn(
          `dashboard: an event was not published: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
    },
    async close() {
      for (const stream of streams) stream.end();
      await bus.close();
    },
  };
}
