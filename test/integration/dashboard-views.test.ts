/**
 * The dashboard's views as a user meets them, in Debian's headless Chromium driven by
 * playwright-core, against the App started as `npm start` runs it: a repository with three weeks
 * of production and staging history (deploys, a failed deploy and its automatic rollback, a
 * `/rollback`, a failed staging deploy), releases, and a `/deploy production` waiting for its
 * approval. Each view is checked for what a user reads there — the metrics against numbers worked
 * out by hand below — and, with ROLLGATE_SCREENSHOTS=1, photographed into docs/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { REPOSITORY, type AppStand } from '../support/app-stand.ts';
import { launchChromium, startDashboardStand } from '../support/dashboard-stand.ts';
import type { DeploymentRecord, DeploymentState } from '../support/github-server/state.ts';
import { repositoryRoot } from '../support/runner.ts';

const SECRET_REPOSITORY = 'octo-org/secret-service';
const SCREENSHOTS =
  process.env.ROLLGATE_SCREENSHOTS === '1' ? join(repositoryRoot, 'docs/screenshots') : undefined;
const WEB = `https://github.com/${REPOSITORY}`;
const HOUR = 60 * 60 * 1000;
const MINUTE = 60 * 1000;

const CONFIG = `environments:
  staging:
    url: https://staging.example.com
  production:
    url: https://example.com
    production: true
    requires:
      approvals: 1
      approvers: ["admin-alice"]
commands:
  permission: write
`;

let stand: AppStand;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** The instant the history is measured back from (whole seconds: GitHub's times have no milliseconds). */
const T0 = Math.floor(Date.now() / 1000) * 1000;
const ago = (hours: number): Date => new Date(T0 - hours * HOUR);
const ids: Record<string, number> = {};
const shas: Record<string, string> = {};
let searchPull = 0;
let runNumber = 7000;

/** A commit on main made `hours` ago. */
function commit(name: string, hours: number, message: string): string {
  shas[name] = stand.github.state.addCommit(REPOSITORY, { message, date: ago(hours), author: 'octocat' });
  return shas[name];
}

/**
 * A Deployment as GitHub holds it after Rollgate made it and its run reported: created `hours`
 * ago, its final status `took` later with the run's `log_url`.
 */
function deployment(
  name: string,
  seed: {
    environment: string;
    task?: 'deploy' | 'deploy:rollback';
    sha: string;
    hours: number;
    took: number;
    state: DeploymentState;
    payload: Record<string, unknown>;
    creator?: string;
  },
): void {
  const state = stand.github.state;
  const repository = state.seeded(REPOSITORY);
  state.environment(repository, seed.environment);
  const id = state.nextId();
  const createdAt = ago(seed.hours);
  const finishedAt = new Date(createdAt.getTime() + seed.took);
  const creator = state.user(seed.creator ?? 'rollgate[bot]');
  const status = (statusState: DeploymentState, at: Date, logUrl: string) => ({
    id: state.nextId(),
    deploymentId: id,
    state: statusState,
    description: '',
    environment: seed.environment,
    targetUrl: logUrl,
    logUrl,
    environmentUrl: '',
    creator,
    viaApp: true,
    createdAt: at,
  });
  const run = `${WEB}/actions/runs/${(runNumber += 1)}`;
  const record: DeploymentRecord = {
    id,
    sha: seed.sha,
    ref: seed.sha,
    task: seed.task ?? 'deploy',
    payload: seed.payload,
    originalEnvironment: seed.environment,
    environment: seed.environment,
    description: null,
    creator,
    viaApp: true,
    transient: false,
    production: seed.environment === 'production',
    createdAt,
    updatedAt: finishedAt,
    statuses: [
      status('in_progress', new Date(createdAt.getTime() + 1000), run),
      status(seed.state, finishedAt, run),
    ],
  };
  // GitHub's auto_inactive: a success marks the environment's earlier successes inactive, outside
  // production environments (https://docs.github.com/rest/deployments/statuses#create-a-deployment-status).
  if (seed.state === 'success' && seed.environment !== 'production')
    for (const earlier of repository.deployments.values())
      if (earlier.environment === seed.environment && earlier.statuses.at(-1)?.state === 'success')
        earlier.statuses.push(status('inactive', finishedAt, ''));
  repository.deployments.set(id, record);
  ids[name] = id;
}

/** The history the views show; every number the tests expect follows from these lines. */
function seedHistory(pull: number): void {
  commit('c0', 482, 'Checkout: card payments');
  commit('c1', 102, 'Checkout: saved addresses');
  commit('c3', 81, 'Checkout: new tax rules');
  commit('c4', 60, 'Checkout: fix the tax rounding');
  commit('c6', 11, 'Checkout: gift cards');
  commit('c7', 4, 'Checkout: coupons');
  const by = (requester: string, extra: Record<string, unknown> = {}) => ({ requester, ...extra });
  // Production. Lead times: P0 2 h 10 min, P1 2 h 30 min, P4 11 h, P6 1 h 30 min.
  deployment('P0', {
    environment: 'production',
    sha: shas.c0 ?? '',
    hours: 480,
    took: 10 * MINUTE,
    state: 'success',
    payload: { version: '1.1.0', ...by('octocat') },
  });
  deployment('P1', {
    environment: 'production',
    sha: shas.c1 ?? '',
    hours: 100,
    took: 30 * MINUTE,
    state: 'success',
    payload: { version: '1.2.0', ...by('octocat', { pull_request: pull }) },
  });
  // Failed after 15 min; the deploy action's automatic rollback 3 min later took 6 min: restored in 9 min.
  deployment('P2', {
    environment: 'production',
    sha: shas.c3 ?? '',
    hours: 80,
    took: 15 * MINUTE,
    state: 'failure',
    payload: { version: '1.3.0', ...by('monalisa') },
  });
  deployment('P3', {
    environment: 'production',
    task: 'deploy:rollback',
    sha: shas.c1 ?? '',
    hours: 80 - 18 / 60,
    took: 6 * MINUTE,
    state: 'success',
    creator: 'github-actions[bot]',
    payload: { version: '1.2.0', rolled_back_from: '1.3.0', failed_deployment_id: ids.P2, revision: 4 },
  });
  // Deployed fine, then rolled back with /rollback 2 h later: a failed change, restored in 30 min.
  deployment('P4', {
    environment: 'production',
    sha: shas.c4 ?? '',
    hours: 50,
    took: HOUR,
    state: 'success',
    payload: { version: '1.3.1', ...by('monalisa', { pull_request: pull }) },
  });
  deployment('P5', {
    environment: 'production',
    task: 'deploy:rollback',
    sha: shas.c1 ?? '',
    hours: 48,
    took: 30 * MINUTE,
    state: 'success',
    payload: { version: '1.2.0', rolled_back_from: '1.3.1', ...by('admin-alice', { pull_request: pull }) },
  });
  deployment('P6', {
    environment: 'production',
    sha: shas.c6 ?? '',
    hours: 10,
    took: 30 * MINUTE,
    state: 'success',
    payload: { version: '1.4.0', ...by('octocat', { pull_request: pull }) },
  });
  // Staging. Lead times: S0 2 h 6 min, S1 18 min; S2 failed and nothing restored it yet.
  deployment('S0', {
    environment: 'staging',
    sha: shas.c4 ?? '',
    hours: 58,
    took: 6 * MINUTE,
    state: 'success',
    payload: { version: '1.3.1', ...by('monalisa') },
  });
  deployment('S1', {
    environment: 'staging',
    sha: shas.c6 ?? '',
    hours: 10.8,
    took: 6 * MINUTE,
    state: 'success',
    payload: { version: '1.4.0', ...by('octocat') },
  });
  deployment('S2', {
    environment: 'staging',
    sha: shas.c7 ?? '',
    hours: 3,
    took: 12 * MINUTE,
    state: 'failure',
    payload: { version: '1.5.0', ...by('octocat') },
  });

  const state = stand.github.state;
  for (const [tag, target, hours] of [
    ['v1.2.0', shas.c1, 101],
    ['v1.3.0', shas.c3, 80.5],
    ['v1.4.0', shas.c6, 10.9],
    ['v1.5.0', shas.c7, 3.5],
  ] as const)
    state.addRelease(REPOSITORY, { tag, target: target ?? '', createdAt: ago(hours), author: 'octocat' });
  state.addRelease(REPOSITORY, { tag: 'v1.6.0', draft: true, name: 'Search (draft)' });
}

/** A fresh browser signed in as `login` through the OAuth web flow, on the overview. */
async function signIn(login: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  stand.github.state.authorizeAs(login);
  await page.goto(`${stand.url}/dashboard`);
  expect(new URL(page.url()).pathname).toBe('/dashboard');
  return page;
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS === undefined) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The text of each cell of the history row of deployment `name`, by field. */
async function historyRow(page: Page, name: string): Promise<Record<string, string>> {
  const row = page.locator(`tr[data-deployment="${ids[name]}"]`);
  const fields = ['kind', 'version', 'sha', 'by', 'state', 'duration', 'run', 'pull'];
  const cells = await Promise.all(
    fields.map(async (f) => [f, ((await row.locator(`[data-field="${f}"]`).textContent()) ?? '').trim()]),
  );
  return Object.fromEntries(cells) as Record<string, string>;
}

/** The four figures of a metrics section (`*`: all environments). */
async function figures(page: Page, environment: string): Promise<Record<string, string>> {
  const section = page.locator(`dl[data-metrics="${environment}"]`);
  const names = ['frequency', 'lead-time', 'failure-rate', 'restore'];
  const values = await Promise.all(
    names.map(async (n) => [n, ((await section.locator(`[data-metric="${n}"]`).textContent()) ?? '').trim()]),
  );
  return Object.fromEntries(values) as Record<string, string>;
}

/** Collects the CSP violations a page reports. */
function cspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) seen.push(message.text());
  });
  return seen;
}

beforeAll(async () => {
  ({ stand } = await startDashboardStand({ config: CONFIG }));
  const state = stand.github.state;
  state.addRepository(SECRET_REPOSITORY, { private: true });
  state.addCollaborator(SECRET_REPOSITORY, 'admin-alice', 'admin');
  state.addEnvironment(REPOSITORY, 'staging');
  state.addEnvironment(REPOSITORY, 'production');
  seedHistory(stand.pullNumber);
  // A pull request two commits ahead of main, asked for production: it waits for admin-alice.
  shas.search1 = state.addCommit(REPOSITORY, {
    branch: 'feature/search',
    message: 'Search: index products',
    date: ago(2),
    author: 'monalisa',
  });
  shas.search2 = state.addCommit(REPOSITORY, {
    branch: 'feature/search',
    message: 'Search: results page',
    date: ago(1),
    author: 'monalisa',
  });
  state.addCommitStatus(REPOSITORY, shas.search2, { context: 'ci/test', state: 'success' });
  searchPull = state.addPullRequest(REPOSITORY, {
    head: 'feature/search',
    title: 'Product search',
    user: 'monalisa',
  }).number;
  const asked = await stand.comment('/deploy production version=1.6.0-rc.1', {
    user: 'octocat',
    pullNumber: searchPull,
  });
  expect(asked.status).toBe(200);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser.close();
  stand.github.assertNoViolations();
  expect(stand.log()).not.toMatch(/gh[us]_[0-9a-f]{8}/);
  await stand.close();
});

describe('the dashboard views', () => {
  test('overview and repository link to each environment, the releases and the metrics, by keyboard', async () => {
    const page = await signIn('hubot');
    await screenshot(page, 'overview');
    const production = page.locator(`table[data-repo="${REPOSITORY}"] tr[data-env="production"] a`);
    expect(await production.getAttribute('href')).toBe(`/dashboard/${REPOSITORY}/environments/production`);
    for (const [name, view] of [
      ['Releases', 'releases'],
      ['Delivery metrics', 'metrics'],
    ])
      expect(await page.getByRole('link', { name: `${name} of ${REPOSITORY}` }).getAttribute('href')).toBe(
        `/dashboard/${REPOSITORY}/${view}`,
      );

    await page.goto(`${stand.url}/dashboard/${REPOSITORY}`);
    await page.locator('#live[data-live="open"]').waitFor();
    await screenshot(page, 'repository');
    // The actions of an environment, as a user opens them.
    await page.locator('tr[data-env="production"] details summary').click();
    await screenshot(page, 'actions');
    await page.locator('tr[data-env="production"] details summary').click();
    const nav = page.getByRole('navigation', { name: REPOSITORY });
    expect(await nav.getByRole('link').allTextContents()).toEqual([
      'All repositories',
      `${REPOSITORY}: environments`,
      'Releases',
      'Delivery metrics',
    ]);
    expect(
      await nav.getByRole('link', { name: `${REPOSITORY}: environments` }).getAttribute('aria-current'),
    ).toBe('page');
    // Tab through the page until the metrics link has the focus, then follow it with Enter.
    let focused = '';
    for (let i = 0; i < 20 && focused !== 'Delivery metrics'; i += 1) {
      await page.keyboard.press('Tab');
      focused = String(await page.evaluate('document.activeElement.textContent'));
    }
    expect(focused).toBe('Delivery metrics');
    await Promise.all([page.waitForURL(`**/dashboard/${REPOSITORY}/metrics`), page.keyboard.press('Enter')]);
  });

  test('an environment shows its history, the request waiting for approval with its gates, and the commits it adds', async () => {
    const page = await signIn('hubot');
    const violations = cspViolations(page);
    const response = await page.goto(`${stand.url}/dashboard/${REPOSITORY}/environments/production`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).not.toContain('unsafe-inline');
    await screenshot(page, 'environment');

    expect(((await page.locator('[data-live]').textContent()) ?? '').replace(/\s+/g, ' ')).toMatch(
      /^1\.4\.0 \(\w{7}\) since \d{4}-\d\d-\d\d \d\d:\d\d UTC, deployed by octocat\.$/,
    );
    const rows = page.locator('table[data-history] tbody tr');
    expect(await rows.count()).toBe(7);
    expect(await rows.first().getAttribute('data-deployment')).toBe(String(ids.P6));
    expect(await historyRow(page, 'P6')).toEqual({
      kind: 'deploy',
      version: '1.4.0',
      sha: shas.c6?.slice(0, 7),
      by: 'octocat',
      state: 'success',
      duration: '30 min',
      run: 'run',
      pull: `#${stand.pullNumber}`,
    });
    expect(await historyRow(page, 'P5')).toMatchObject({
      kind: 'rollback',
      version: '1.2.0 (from 1.3.1)',
      by: 'admin-alice',
      duration: '30 min',
    });
    expect(await historyRow(page, 'P3')).toMatchObject({
      kind: 'rollback',
      by: 'github-actions[bot]',
      state: 'success',
      duration: '6 min',
      pull: '—',
    });
    expect(await historyRow(page, 'P2')).toMatchObject({
      kind: 'deploy',
      version: '1.3.0',
      state: 'failure',
      duration: '15 min',
    });
    const p6 = page.locator(`tr[data-deployment="${ids.P6}"]`);
    expect(
      await p6.getByRole('link', { name: `workflow run of deployment ${ids.P6}` }).getAttribute('href'),
    ).toMatch(new RegExp(`^${WEB}/actions/runs/\\d+$`));
    // Links to GitHub's web UI go to the App's GitHub: here the test server, as on a GHES host.
    expect(
      await p6.getByRole('link', { name: `pull request ${stand.pullNumber}` }).getAttribute('href'),
    ).toBe(`${stand.github.url}/${REPOSITORY}/pull/${stand.pullNumber}`);

    const pending = page.locator('section[data-pending]');
    expect(await pending.textContent()).toContain(
      `1.6.0-rc.1 (${shas.search2?.slice(0, 7)}), asked by octocat in #${searchPull}`,
    );
    const approvals = pending.locator('li[data-gate="approvals"]');
    expect(await approvals.getAttribute('data-state')).toBe('waiting');
    expect(await approvals.textContent()).toMatch(/… waiting approvals: 0 of 1 approval/);
    expect(await pending.locator('li[data-gate="checks"]').getAttribute('data-state')).toBe('passed');
    // What waits is c7 (released to staging only) and the two commits of the pull request.
    expect(await pending.locator('[data-diff]').getAttribute('data-diff')).toBe('ahead');
    expect(await pending.locator('[data-diff]').textContent()).toContain('3 commits ahead of what runs');
    expect(await pending.locator('table.commits tbody tr td:nth-child(2)').allTextContents()).toEqual([
      'Search: results page',
      'Search: index products',
      'Checkout: coupons',
    ]);
    expect(violations).toEqual([]);

    // GitHub's environment names are case-insensitive: so is the page's URL.
    const staging = await page.goto(`${stand.url}/dashboard/${REPOSITORY}/environments/Staging`);
    expect(staging?.status()).toBe(200);
    expect(await page.locator('section[aria-labelledby="pending-title"]').textContent()).toContain(
      'No request waits for this environment’s gates.',
    );
    // A staging run that ended inactive (superseded) still shows the success it reached.
    expect(await historyRow(page, 'S0')).toMatchObject({ state: 'success', duration: '6 min' });
    expect(await page.locator('table[data-history="staging"] tbody tr').count()).toBe(3);
  });

  test('releases: the published ones, newest first, and where each runs now', async () => {
    const page = await signIn('hubot');
    await page.goto(`${stand.url}/dashboard/${REPOSITORY}/releases`);
    await screenshot(page, 'releases');
    const rows = page.locator('table[data-releases] tbody tr');
    const tags = await Promise.all((await rows.all()).map((row) => row.getAttribute('data-release')));
    expect(tags).toEqual(['v1.5.0', 'v1.4.0', 'v1.3.0', 'v1.2.0']);
    const runs = async (tag: string) =>
      ((await page.locator(`tr[data-release="${tag}"] [data-field="runs"]`).textContent()) ?? '').trim();
    // Production and staging run 1.4.0; 1.5.0 failed on staging; 1.2.0 was rolled back to, then replaced.
    expect(await runs('v1.4.0')).toBe('production, staging');
    expect(await runs('v1.5.0')).toBe('nowhere');
    expect(await runs('v1.2.0')).toBe('nowhere');
    expect(await page.locator(`tr[data-release="v1.4.0"] a[href$="/environments/staging"]`).count()).toBe(1);
  });

  test('delivery metrics over 7 and 30 days: the numbers worked out by hand, drawn by uPlot under the strict CSP', async () => {
    const page = await signIn('hubot');
    const violations = cspViolations(page);
    await page.goto(`${stand.url}/dashboard/${REPOSITORY}/metrics?days=7`);
    await page.locator('[data-chart][data-drawn="true"]').first().waitFor();
    await screenshot(page, 'metrics');
    // Production, 7 days: P1, P4, P6 succeeded (lead 2.5 h, 11 h, 1.5 h: median 2.5 h); of the four
    // finished deploys P2 failed and P4 was rolled back (50%); restored in 9 and 30 min (19.5 min).
    expect(await figures(page, 'production')).toEqual({
      frequency: '3 in 7 days',
      'lead-time': '2 h 30 min',
      'failure-rate': '50%',
      restore: '19 min 30 s',
    });
    // Staging: S0, S1 succeeded (2.1 h and 0.3 h: median 1.2 h); S2 of three failed; not restored.
    expect(await figures(page, 'staging')).toEqual({
      frequency: '2 in 7 days',
      'lead-time': '1 h 12 min',
      'failure-rate': '33.3%',
      restore: '—',
    });
    // Together: five deploys (median of 0.3, 1.5, 2.1, 2.5, 11 h is 2.1 h); 3 of 7 changes failed.
    expect(await figures(page, '*')).toEqual({
      frequency: '5 in 7 days',
      'lead-time': '2 h 6 min',
      'failure-rate': '42.9%',
      restore: '19 min 30 s',
    });
    expect(await page.locator('dl[data-metrics="staging"]').textContent()).toContain('0 restored, 1 not yet');
    // Every chart with data is drawn on a canvas, and its numbers are in a table too.
    expect(await page.locator('[data-chart][data-drawn="true"] canvas').count()).toBeGreaterThanOrEqual(7);
    expect(await page.locator('details table').first().textContent()).toContain('Succeeded');
    expect(await page.getByRole('link', { name: '7 days' }).getAttribute('aria-current')).toBe('page');
    expect(violations).toEqual([]);

    // 30 days adds P0 (lead 2 h 10 min): median of 1.5, 2.17, 2.5, 11 h is 2 h 20 min; 2 of 5 failed.
    await page.getByRole('link', { name: '30 days' }).click();
    await page.waitForURL('**/metrics?days=30');
    expect(await figures(page, 'production')).toEqual({
      frequency: '4 in 30 days',
      'lead-time': '2 h 20 min',
      'failure-rate': '40%',
      restore: '19 min 30 s',
    });
  });

  test('uPlot is served from /dashboard/assets with long cache headers, to signed-in users', async () => {
    const page = await signIn('hubot');
    await page.goto(`${stand.url}/dashboard/${REPOSITORY}/metrics`);
    const script = await page.locator('script[src]').getAttribute('src');
    const css = await page.locator('link[rel="stylesheet"]').getAttribute('href');
    expect(script).toMatch(/^\/dashboard\/assets\/uplot-1\.6\.\d+\/uPlot\.iife\.min\.js$/);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'rollgate_session');
    for (const path of [script, css]) {
      const answer = await fetch(`${stand.url}${path}`, {
        headers: { cookie: `rollgate_session=${cookie?.value}` },
      });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
      expect((await answer.text()).length).toBeGreaterThan(1000);
      expect((await fetch(`${stand.url}${path}`, { redirect: 'manual' })).status).toBe(302);
    }
    expect(
      (
        await fetch(`${stand.url}/dashboard/assets/nothing.js`, {
          headers: { cookie: `rollgate_session=${cookie?.value}` },
        })
      ).status,
    ).toBe(404);
  });

  test('a repository the user cannot read, an unknown environment or view: 404', async () => {
    const page = await signIn('hubot');
    for (const path of [
      `/dashboard/${SECRET_REPOSITORY}/releases`,
      `/dashboard/${SECRET_REPOSITORY}/metrics`,
      `/dashboard/${SECRET_REPOSITORY}/environments/staging`,
      `/dashboard/${REPOSITORY}/environments/nowhere`,
      `/dashboard/${REPOSITORY}/history`,
    ])
      expect([path, (await page.goto(`${stand.url}${path}`))?.status()]).toEqual([path, 404]);
  });

  test('every view passes axe-core’s WCAG 2.1 A and AA rules: contrast, labels, landmarks, tables', async () => {
    // axe runs inside the page; its script is injected, which the dashboard's CSP would refuse,
    // so this one context bypasses the CSP (the other tests prove the CSP holds).
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    contexts.push(context);
    const page = await context.newPage();
    stand.github.state.authorizeAs('hubot');
    const axe = readFileSync(join(repositoryRoot, 'node_modules/axe-core/axe.min.js'), 'utf8');
    const found: string[] = [];
    for (const path of [
      '/dashboard',
      `/dashboard/${REPOSITORY}`,
      `/dashboard/${REPOSITORY}/environments/production`,
      `/dashboard/${REPOSITORY}/releases`,
      `/dashboard/${REPOSITORY}/metrics?days=30`,
    ]) {
      await page.goto(`${stand.url}${path}`);
      // Every disclosure open, so that the action forms are checked too.
      await page
        .locator('details')
        .evaluateAll((all: { setAttribute(name: string, value: string): void }[]) => {
          for (const details of all) details.setAttribute('open', '');
        });
      await page.addScriptTag({ content: axe });
      const { violations, passes } = await page.evaluate<{ violations: string[]; passes: number }>(
        async () => {
          const { axe } = globalThis as unknown as {
            axe: {
              run: (options: object) => Promise<{
                violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
                passes: unknown[];
              }>;
            };
          };
          const result = await axe.run({
            runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
          });
          return {
            violations: result.violations.map(
              (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
            ),
            passes: result.passes.length,
          };
        },
      );
      // The rules ran: contrast, names of links and buttons, table headers, the document's language…
      expect(passes).toBeGreaterThan(10);
      found.push(...violations.map((v) => `${path}: ${v}`));
    }
    expect(found).toEqual([]);
  });

  test('sign-out clears the session: the next page asks to sign in again', async () => {
    const page = await signIn('hubot');
    await page.goto(`${stand.url}/dashboard/${REPOSITORY}/releases`);
    const session = (await page.context().cookies()).find((c) => c.name === 'rollgate_session');
    // Only a POST signs out: a GET (a link, an image on another page) finds no page and changes nothing.
    const get = await fetch(`${stand.url}/dashboard/logout`, {
      redirect: 'manual',
      headers: { cookie: `rollgate_session=${session?.value}` },
    });
    expect(get.status).toBe(404);
    expect(get.headers.getSetCookie()).toEqual([]);
    // A form on another site posting here is refused, and signs nobody out.
    for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, {}]) {
      const forged = await fetch(`${stand.url}/dashboard/logout`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: `rollgate_session=${session?.value}`, ...headers },
      });
      expect(forged.status).toBe(403);
      expect(forged.headers.getSetCookie()).toEqual([]);
    }
    await Promise.all([
      page.waitForURL('**/dashboard/signed-out'),
      page.getByRole('button', { name: 'Sign out' }).click(),
    ]);
    expect(await page.locator('main').textContent()).toContain('You are signed out');
    expect((await page.context().cookies()).some((c) => c.name === 'rollgate_session')).toBe(false);
    const again = await fetch(`${stand.url}/dashboard/${REPOSITORY}/releases`, { redirect: 'manual' });
    expect(again.status).toBe(302);
    expect(again.headers.get('location')).toBe('/dashboard/login');
  });
});
