/**
 * `POST /dashboard/<owner>/<repo>/actions`: one action from a form of the repository's page. In
 * order, before anything is read from GitHub: a session, a request from the dashboard's own pages
 * (csrf.ts `sourceProblem`), a form body, and the session's CSRF token — any missing is a 403 that
 * changes nothing. Then the repository must be one the user can see (else 404, as for its page),
 * the values must parse (actions.ts), and the user's login comes from the user's own token
 * (`GET /user`). The result is kept for one page view in a sealed cookie and the browser is sent
 * back to the repository's page (POST/redirect/GET: a reload does not post again).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Octokit } from '@octokit/rest';
import { carryOutAction, parseActionForm, type ActionResult } from './actions.ts';
import { csrfTokenMatches, sourceProblem } from './csrf.ts';
import type { GitHubIo } from '../handlers/github-io.ts';
import { cookie, open, readCookies, seal } from './session.ts';
import { findVisible, type VisibleRepository } from './visible-repositories.ts';
import { describeError } from '../../src/errors.ts';
import { cleanValue } from '../../src/github/markdown.ts';

/** What the App gives the dashboard to act with. */
export interface ActionPorts {
  /** The installation's ports for one of its repositories (the App's token, its id, a logger). */
  io(installationId: number, repo: { readonly owner: string; readonly repo: string }): Promise<GitHubIo>;
  /** The login of a user's token; `GET /user` over Octokit by default. */
  readonly login?: (token: string) => Promise<string>;
}

/** A form is a few short fields: anything longer is not one of ours. */
const MAX_FORM_BYTES = 16 * 1024;
const RESULT_COOKIE = 'rollgate_result';
/** The result is shown by the page the redirect opens, right away. */
const RESULT_LIFETIME_MS = 60_000;
/** A cookie holds at most 4 KB; the sealed, base64url result stays well inside it. */
const RESULT_MESSAGE_MAX = 1_800;

/** The path of a repository's actions, its owner and name decoded; undefined for any other path. */
export function actionTarget(path: string): { owner: string; repo: string } | undefined {
  const parts = /^\/dashboard\/([^/]+)\/([^/]+)\/actions$/.exec(path);
  if (parts?.[1] === undefined || parts[2] === undefined) return undefined;
  try {
    return { owner: decodeURIComponent(parts[1]), repo: decodeURIComponent(parts[2]) };
  } catch {
    return undefined;
  }
}

export interface ActionRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly target: { readonly owner: string; readonly repo: string };
  /** The dashboard's origin. */
  readonly origin: string;
  /** The session's token and CSRF secret, if signed in. */
  readonly session: { readonly token: string; readonly csrf?: string | undefined } | undefined;
  readonly sessionKey: Buffer;
  readonly apiUrl: string;
  readonly secure: boolean;
  readonly now: number;
  readonly ports: ActionPorts;
  /** The repositories the user may see. */
  visible(): Promise<readonly VisibleRepository[] | undefined>;
  /** Answers with a page saying why (a message page of the dashboard). */
  refuse(status: number, title: string, message: string): void;
}

/** Reads a form body, or says why it is none. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams | string> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded')
    return 'it is not a form (application/x-www-form-urlencoded)';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return `its body is longer than ${MAX_FORM_BYTES} bytes`;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function loginOf(apiUrl: string, token: string): Promise<string> {
  const octokit = new Octokit({ auth: token, baseUrl: apiUrl, userAgent: 'rollgate-dashboard' });
  return (await octokit.rest.users.getAuthenticated()).data.login;
}

const FIX = 'Nothing was changed. Open the repository’s page on the dashboard and use its form.';

/** Answers one POST of an action. */
export async function postAction(request: ActionRequest): Promise<void> {
  const { req, res, session } = request;
  if (session === undefined) {
    request.refuse(
      403,
      'Not signed in',
      `The action was refused: you are not signed in (or your session expired). Sign in at /dashboard/login, then use the form again. Nothing was changed.`,
    );
    return;
  }
  const source = sourceProblem(
    { origin: req.headers.origin, 'sec-fetch-site': single(req.headers['sec-fetch-site']) },
    request.origin,
  );
  if (source !== undefined) {
    request.refuse(
      403,
      'Action refused',
      `The action was refused because ${source}: only the dashboard’s own pages may act. ${FIX}`,
    );
    return;
  }
  const form = await readForm(req);
  if (typeof form === 'string') {
    request.refuse(403, 'Action refused', `The action was refused because ${form}. ${FIX}`);
    return;
  }
  if (session.csrf === undefined || !csrfTokenMatches(session.csrf, form.get('csrf') ?? undefined)) {
    request.refuse(
      403,
      'Action refused',
      `The action was refused because its form token is missing or is not this session’s (a page from before you signed in again, or a request from elsewhere). ${FIX}`,
    );
    return;
  }
  const visible = await request.visible();
  if (visible === undefined) return;
  const repository = findVisible(visible, request.target.owner, request.target.repo);
  if (repository === undefined) {
    request.refuse(404, 'Not found', 'There is no repository of that name that you can access.');
    return;
  }
  const result = await answer(request, session.token, repository, parseActionForm(form));
  const sealed = seal(
    request.sessionKey,
    RESULT_COOKIE,
    { repository: repository.fullName, ...capped(result) },
    request.now + RESULT_LIFETIME_MS,
  );
  res
    .writeHead(303, {
      location: `/dashboard/${repository.fullName.split('/').map(encodeURIComponent).join('/')}#result`,
      'cache-control': 'no-store',
      'referrer-policy': 'same-origin',
      'set-cookie': [
        cookie(RESULT_COOKIE, sealed, {
          path: '/dashboard',
          maxAge: RESULT_LIFETIME_MS / 1000,
          secure: request.secure,
        }),
      ],
    })
    .end();
}

/** Carries a parsed action out for the user of `token`, or says why it was not. */
async function answer(
  request: ActionRequest,
  token: string,
  repository: VisibleRepository,
  parsed: ReturnType<typeof parseActionForm>,
): Promise<ActionResult> {
  if (!parsed.ok)
    return {
      ok: false,
      message: `The form was not sent on to GitHub: ${parsed.problem}. Correct it and send it again.`,
    };
  const login = request.ports.login ?? ((user: string) => loginOf(request.apiUrl, user));
  let context;
  try {
    context = {
      login: await login(token),
      io: await request.ports.io(repository.installationId, {
        owner: repository.owner,
        repo: repository.repo,
      }),
    };
  } catch (error) {
    // Nothing was asked of the repository yet: the action can simply be sent again.
    return {
      ok: false,
      message: `Rollgate could not reach GitHub to act for you (${describeError(error)}), so nothing was done. Send the form again in a minute; if GitHub refuses your sign-in, sign in again.`,
    };
  }
  return carryOutAction(context, parsed.action);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function capped(result: ActionResult): ActionResult {
  const message =
    result.message.length <= RESULT_MESSAGE_MAX
      ? result.message
      : `${result.message.slice(0, RESULT_MESSAGE_MAX)}… (the rest is on GitHub)`;
  return {
    ...result,
    message,
    ...(result.link === undefined
      ? {}
      : { link: { href: result.link.href, text: cleanValue(result.link.text, 80) } }),
  };
}

/**
 * The result of the last action on `repository`, for the page the redirect opened, and the
 * `Set-Cookie` that drops it (it is shown once).
 */
export function takeResult(
  req: IncomingMessage,
  sessionKey: Buffer,
  repository: string,
  now: number,
  secure: boolean,
): { result: ActionResult; clear: string } | undefined {
  const text = readCookies(req.headers.cookie).get(RESULT_COOKIE);
  if (text === undefined) return undefined;
  const clear = cookie(RESULT_COOKIE, '', { path: '/dashboard', maxAge: 0, secure });
  const opened = open(sessionKey, RESULT_COOKIE, text, now);
  if (typeof opened !== 'object' || opened === null) return undefined;
  const value = opened as Record<string, unknown>;
  if (typeof value.repository !== 'string' || value.repository.toLowerCase() !== repository.toLowerCase())
    return undefined;
  if (typeof value.ok !== 'boolean' || typeof value.message !== 'string') return undefined;
  const link = value.link as { href?: unknown; text?: unknown } | undefined;
  const href = typeof link?.href === 'string' && /^https?:\/\//.test(link.href) ? link.href : undefined;
  return {
    result: {
      ok: value.ok,
      message: value.message,
      ...(href === undefined || typeof link?.text !== 'string' ? {} : { link: { href, text: link.text } }),
    },
    clear,
  };
}
