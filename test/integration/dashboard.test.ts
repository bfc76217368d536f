/**
 * The dashboard as a user meets it, in Debian's headless Chromium driven by playwright-core: the
 * App runs as `npm start` does, signs users in through the GitHub test server's OAuth web flow,
 * shows what the test server holds, and updates an open page when a signed webhook arrives.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Octokit } from '@octokit/rest';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { REPOSITORY, startArguments, WEBHOOK_SECRET, type AppStand } from '../support/app-stand.ts';
import { launchChromium, seedDeployment, startDashboardStand } from '../support/dashboard-stand.ts';
import { closedPort } from '../support/http-target.ts';
import { repositoryRoot } from '../support/runner.ts';

const SECRET_REPOSITORY = 'octo-org/secret-service';

let stand: AppStand;
let browser: Browser;
let octokit: Octokit;
const contexts: BrowserContext[] = [];

/** A Rollgate deployment of `version` to `environment` with one status, as the deploy action writes them. */
const deploy = (
  repository: string,
  environment: string,
  version: string,
  state: 'success' | 'in_progress' | 'failure',
  requester: string,
) => seedDeployment(octokit, repository, environment, version, state, requester);

/** A fresh browser signed in as `login` through the OAuth web flow, on the overview. */
async function signIn(login: string): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  stand.github.state.authorizeAs(login);
  await page.goto(`${stand.url}/dashboard`);
  expect(new URL(page.url()).pathname).toBe('/dashboard');
  return page;
}

const FIELDS = ['environment', 'version', 'sha', 'state', 'since', 'by', 'lock'] as const;

/** The overview's row of `environment` in `repository`, cell by cell (the test's names need no quoting). */
async function rowOf(page: Page, repository: string, environment: string): Promise<Record<string, string>> {
  const row = page.locator(`table[data-repo="${repository}"] tbody tr[data-env="${environment}"]`);
  const cells = await Promise.all(
    FIELDS.map(async (field) => [
      field,
      ((await row.locator(`[data-field="${field}"]`).textContent()) ?? '').trim(),
    ]),
  );
  return Object.fromEntries(cells) as Record<string, string>;
}

/** The status line and first cookie of a request to the App, redirects not followed. */
async function request(path: string, cookie?: string): Promise<Response> {
  return fetch(`${stand.url}${path}`, {
    redirect: 'manual',
    headers: cookie === undefined ? {} : { cookie },
  });
}

/** `name=value` of a `Set-Cookie` header. */
function cookiePair(response: Response, name: string): string {
  const found = response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  if (found === undefined)
    throw new Error(`no ${name} cookie in ${JSON.stringify(response.headers.getSetCookie())}`);
  return found.split(';')[0] ?? '';
}

beforeAll(async () => {
  ({ stand, octokit } = await startDashboardStand());
  const state = stand.github.state;
  state.addRepository(SECRET_REPOSITORY, { private: true });
  state.addCollaborator(SECRET_REPOSITORY, 'admin-alice', 'admin');
  await deploy(REPOSITORY, 'staging', 'v1.4.0', 'success', 'monalisa');
  await deploy(REPOSITORY, 'production', 'v1.3.0', 'success', 'octocat');
  await deploy(SECRET_REPOSITORY, 'staging', 'v9.9.9', 'success', 'admin-alice');
  expect((await stand.comment('/lock production release freeze', { user: 'octocat' })).status).toBe(200);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser.close();
  stand.github.assertNoViolations();
  expect(stand.log()).not.toMatch(/gh[us]_[0-9a-f]{8}/);
  await stand.close();
});

describe('the dashboard', () => {
  test('signs a user in with GitHub and shows every environment the test server holds', async () => {
    const page = await signIn('hubot');
    expect(await rowOf(page, REPOSITORY, 'staging')).toEqual({
      environment: 'staging',
      version: 'v1.4.0',
      sha: stand.github.state.seeded(REPOSITORY).refs.get('refs/heads/main')?.slice(0, 7),
      state: 'success',
      since: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/) as unknown as string,
      by: 'monalisa',
      lock: '—',
    });
    const production = await rowOf(page, REPOSITORY, 'production');
    expect(production).toMatchObject({ version: 'v1.3.0', state: 'success', by: 'octocat' });
    expect(production.lock).toMatch(/^octocat \(since /);
    // The user's token decided what is visible; the App's installation token read the data.
    const listed = stand.github.callsTo('apps/list-installation-repos-for-authenticated-user');
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((c) => c.actor === 'hubot')).toBe(true);
    expect(stand.github.callsTo('repos/list-deployments').every((c) => c.actor === 'rollgate[bot]')).toBe(
      true,
    );
  });

  test('hides a repository the user cannot read, and answers 404 for its page', async () => {
    const hubot = await signIn('hubot');
    const tables = hubot.locator('table[data-repo]');
    expect(await tables.count()).toBe(1);
    expect(await tables.getAttribute('data-repo')).toBe(REPOSITORY);
    expect(await hubot.content()).not.toContain('secret-service');
    expect((await hubot.goto(`${stand.url}/dashboard/${SECRET_REPOSITORY}`))?.status()).toBe(404);
    expect((await hubot.goto(`${stand.url}/dashboard/${REPOSITORY}`))?.status()).toBe(200);

    const alice = await signIn('admin-alice');
    expect(await rowOf(alice, SECRET_REPOSITORY, 'staging')).toMatchObject({ version: 'v9.9.9' });
    expect((await alice.goto(`${stand.url}/dashboard/${SECRET_REPOSITORY}`))?.status()).toBe(200);
  });

  test('a deployment_status webhook updates the open page within a second, without a reload', async () => {
    const page = await signIn('hubot');
    await page.waitForSelector('#live[data-live="open"]');
    // A second stream of the same user records every event that reaches this user's browser.
    await page.evaluate(`
      const seen = [];
      const stream = new EventSource('/dashboard/events');
      stream.onopen = () => { document.body.dataset.stream = 'open'; };
      stream.addEventListener('environment', (e) => {
        seen.push(JSON.parse(e.data).repository);
        document.body.dataset.seen = seen.join(' ');
      });
      document.body.dataset.marker = 'not reloaded';
    `);
    // The page's CSP allows no eval, so the waits are for elements, not for script predicates.
    await page.locator('body[data-stream="open"]').waitFor();

    const hidden = await deploy(SECRET_REPOSITORY, 'staging', 'v10.0.0', 'success', 'admin-alice');
    expect(
      await stand.send('deployment_status', {
        ...stand.event('deployment_status', 'created'),
        repository: {
          ...(stand.event('deployment_status', 'created').repository as object),
          full_name: SECRET_REPOSITORY,
          name: 'secret-service',
        },
        deployment: hidden.deployment,
        deployment_status: hidden.status,
      }),
    ).toBeLessThan(500);

    const { deployment, status } = await deploy(REPOSITORY, 'staging', 'v1.5.0', 'in_progress', 'monalisa');
    const sentAt = Date.now();
    const delivered = stand.send('deployment_status', {
      ...stand.event('deployment_status', 'created'),
      deployment,
      deployment_status: status,
    });
    await page
      .locator(`table[data-repo="${REPOSITORY}"] tr[data-env="staging"][data-updated="live"]`)
      .waitFor({ timeout: 1_000 });
    expect(Date.now() - sentAt).toBeLessThan(1_000);
    expect(await rowOf(page, REPOSITORY, 'staging')).toMatchObject({
      version: 'v1.5.0',
      state: 'in_progress',
      by: 'monalisa',
    });
    expect(await page.evaluate('document.body.dataset.marker')).toBe('not reloaded');
    expect(await delivered).toBeLessThan(500);
    await page.locator('body[data-seen]').waitFor();
    expect(await page.locator('body').getAttribute('data-seen')).toBe(REPOSITORY);
  });

  test('refuses a sign-in whose state is forged or missing', async () => {
    const started = await request('/dashboard/login');
    expect(started.status).toBe(302);
    const authorize = new URL(started.headers.get('location') ?? '');
    expect(authorize.origin).toBe(stand.github.url);
    expect(authorize.pathname).toBe('/login/oauth/authorize');
    expect(authorize.searchParams.get('client_id')).toBe(stand.github.state.app.clientId);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${stand.url}/dashboard/callback`);
    const state = authorize.searchParams.get('state') ?? '';
    expect(state.length).toBeGreaterThanOrEqual(32);
    const stateCookie = started.headers.getSetCookie()[0] ?? '';
    expect(stateCookie).toMatch(/HttpOnly/);
    expect(stateCookie).toMatch(/SameSite=Lax/);
    const pair = cookiePair(started, 'rollgate_sign_in');

    const code = (): string => {
      const back = stand.github.state.issueOAuthCode(
        stand.github.state.user('hubot'),
        `${stand.url}/dashboard/callback`,
      );
      return back;
    };
    const forged = await request(`/dashboard/callback?code=${code()}&state=forged${state.slice(6)}`, pair);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('state does not match');
    expect((await request(`/dashboard/callback?code=${code()}`, pair)).status).toBe(400);
    expect((await request(`/dashboard/callback?code=${code()}&state=${state}`)).status).toBe(400);

    const accepted = await request(`/dashboard/callback?code=${code()}&state=${state}`, pair);
    expect(accepted.status).toBe(302);
    expect(accepted.headers.get('location')).toBe('/dashboard');
    const session = accepted.headers.getSetCookie().find((c) => c.startsWith('rollgate_session=')) ?? '';
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    // Plain http on the loopback (this test): a Secure cookie would never come back.
    expect(session).not.toMatch(/Secure/);
    expect(session).not.toMatch(/gh[us]_/);
  });

  test('refuses a tampered session cookie and anonymous requests', async () => {
    const page = await signIn('hubot');
    const session = (await page.context().cookies()).find((c) => c.name === 'rollgate_session');
    if (session === undefined) throw new Error('no session cookie after sign-in');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/dashboard' });
    expect((await request('/dashboard', `rollgate_session=${session.value}`)).status).toBe(200);

    const middle = Math.floor(session.value.length / 2);
    const flipped = session.value[middle] === 'A' ? 'B' : 'A';
    const tampered = `rollgate_session=${session.value.slice(0, middle)}${flipped}${session.value.slice(middle + 1)}`;
    const refused = await request('/dashboard', tampered);
    expect(refused.status).toBe(302);
    expect(refused.headers.get('location')).toBe('/dashboard/login');
    expect((await request('/dashboard/events', tampered)).status).toBe(401);
    expect((await request(`/dashboard/${REPOSITORY}`, tampered)).status).toBe(302);

    const anonymous = await request('/dashboard');
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toBe('/dashboard/login');
    expect((await request('/dashboard/events')).status).toBe(401);
  });
});

/** Runs `npm start` with the dashboard's `env` until it exits; its code and output (it must not start). */
async function startRefused(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const child = spawn(process.execPath, startArguments(), {
    cwd: repositoryRoot,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(await closedPort()),
      HOST: '127.0.0.1',
      APP_ID: '4242',
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET,
      GHE_HOST: '127.0.0.1:9',
      GHE_PROTOCOL: 'http',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, output };
}

describe('the App refuses to turn the dashboard on unsafely', () => {
  const dashboard = { GITHUB_CLIENT_ID: 'Iv23litest', GITHUB_CLIENT_SECRET: 'secret' };

  test('without ROLLGATE_SESSION_KEY it exits non-zero and says how to make one', async () => {
    const run = await startRefused(dashboard);
    expect(run.code).toBe(1);
    expect(run.output).toContain(
      'Rollgate cannot start: GITHUB_CLIENT_ID is set (the dashboard is on), but ROLLGATE_SESSION_KEY is not.',
    );
    expect(run.output).toContain('openssl rand -base64 32');
  });

  test('with a session key shorter than 32 bytes it exits non-zero', async () => {
    const run = await startRefused({
      ...dashboard,
      ROLLGATE_SESSION_KEY: randomBytes(16).toString('base64'),
    });
    expect(run.code).toBe(1);
    expect(run.output).toContain(
      'ROLLGATE_SESSION_KEY is not 32 bytes of base64 (it decodes to 16 byte(s)).',
    );
  });

  test('without GITHUB_CLIENT_SECRET it exits non-zero', async () => {
    const run = await startRefused({
      GITHUB_CLIENT_ID: 'Iv23litest',
      ROLLGATE_SESSION_KEY: randomBytes(32).toString('base64'),
    });
    expect(run.code).toBe(1);
    expect(run.output).toContain('GITHUB_CLIENT_SECRET is not');
  });
});
