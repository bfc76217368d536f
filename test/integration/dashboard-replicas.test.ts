/**
 * The dashboard across two App replicas (`npm start` twice) sharing one real `redis-server`, in
 * Debian's headless Chromium: a page open on replica A hears what replica B receives — a signed
 * `deployment_status` webhook, Rollgate's own check run, a lock taken by a `/lock` comment — within
 * a second, without a reload, and each event reaches a page once, also on the replica that
 * received it.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Octokit } from '@octokit/rest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { REPOSITORY, type AppStand } from '../support/app-stand.ts';
import { launchChromium, seedDeployment, startDashboardStand } from '../support/dashboard-stand.ts';
import { startRedis, type RedisServer } from '../support/redis.ts';

let redis: RedisServer;
let stand: AppStand;
let replicaB: { url: string; log(): string };
let browser: Browser;
let octokit: Octokit;
const contexts: BrowserContext[] = [];

const deploy = (environment: string, version: string, state: 'success' | 'in_progress') =>
  seedDeployment(octokit, REPOSITORY, environment, version, state);

/** A browser signed in as `login` on `origin`'s overview (both replicas share the session key). */
async function openOverview(origin: string, login: string): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  stand.github.state.authorizeAs(login);
  await page.goto(`${origin}/dashboard`);
  expect(new URL(page.url()).pathname).toBe('/dashboard');
  await page.waitForSelector('#live[data-live="open"]');
  // A second stream on the same page counts the events this browser is sent, by kind.
  await page.evaluate(`
    const counts = {};
    const stream = new EventSource('/dashboard/events');
    stream.onopen = () => { document.body.dataset.stream = 'open'; };
    for (const name of ['environment', 'lock', 'check'])
      stream.addEventListener(name, (e) => {
        const key = name + ':' + JSON.parse(e.data).environment;
        counts[key] = (counts[key] ?? 0) + 1;
        document.body.dataset.counts = JSON.stringify(counts);
      });
    document.body.dataset.marker = 'not reloaded';
  `);
  await page.locator('body[data-stream="open"]').waitFor();
  return page;
}

const row = (page: Page, environment: string) =>
  page.locator(`table[data-repo="${REPOSITORY}"] tbody tr[data-env="${environment}"]`);
const cell = async (page: Page, environment: string, field: string): Promise<string> =>
  ((await row(page, environment).locator(`[data-field="${field}"]`).textContent()) ?? '').trim();
const counts = async (page: Page): Promise<Record<string, number>> =>
  JSON.parse((await page.locator('body').getAttribute('data-counts')) ?? '{}') as Record<string, number>;

beforeAll(async () => {
  redis = await startRedis();
  // One key for both replicas: a session sealed by one is opened by the other.
  ({ stand, octokit } = await startDashboardStand({ env: { REDIS_URL: redis.url } }));
  replicaB = await stand.replica();
  await deploy('staging', 'v1.4.0', 'success');
  await deploy('production', 'v1.3.0', 'success');
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser.close();
  stand.github.assertNoViolations();
  await stand.close();
  await redis.close();
});

describe('the dashboard with two replicas sharing Redis', () => {
  test('a deployment_status webhook delivered to replica B updates a page on replica A within a second', async () => {
    const onA = await openOverview(stand.url, 'hubot');
    const onB = await openOverview(replicaB.url, 'hubot');
    expect(await cell(onA, 'staging', 'version')).toBe('v1.4.0');

    const { deployment, status } = await deploy('staging', 'v1.5.0', 'in_progress');
    const sentAt = Date.now();
    const delivered = stand.send(
      'deployment_status',
      { ...stand.event('deployment_status', 'created'), deployment, deployment_status: status },
      { to: replicaB.url },
    );
    await row(onA, 'staging').and(onA.locator('[data-updated="live"]')).waitFor({ timeout: 1_000 });
    expect(Date.now() - sentAt).toBeLessThan(1_000);
    expect(await cell(onA, 'staging', 'version')).toBe('v1.5.0');
    expect(await cell(onA, 'staging', 'state')).toBe('in_progress');
    expect(await cell(onA, 'staging', 'by')).toBe('monalisa');
    expect(await onA.evaluate('document.body.dataset.marker')).toBe('not reloaded');
    expect(await delivered).toBeLessThan(500);

    // The replica that received it delivered it to its own page once, not again from Redis.
    await row(onB, 'staging').and(onB.locator('[data-updated="live"]')).waitFor({ timeout: 1_000 });
    expect(await cell(onB, 'staging', 'version')).toBe('v1.5.0');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await counts(onA)).toEqual({ 'environment:staging': 1 });
    expect(await counts(onB)).toEqual({ 'environment:staging': 1 });
  });

  test("Rollgate's own check run, reported to replica B, marks the row on replica A", async () => {
    const onA = await openOverview(stand.url, 'hubot');
    const example = stand.event('check_run', 'completed');
    const run = example.check_run as { app: object };
    const check = (name: string, appId: number) => ({
      ...example,
      check_run: { ...run, name, status: 'completed', conclusion: 'failure', app: { ...run.app, id: appId } },
    });
    // Another App's run of the same name, and a run of another name, are not Rollgate's.
    expect(
      await stand.send('check_run', check('rollgate / staging', stand.github.state.app.id + 1), {
        to: replicaB.url,
      }),
    ).toBeLessThan(300);
    expect(
      await stand.send('check_run', check('ci / staging', stand.github.state.app.id), { to: replicaB.url }),
    ).toBeLessThan(300);
    expect(
      await stand.send('check_run', check('rollgate / staging', stand.github.state.app.id), {
        to: replicaB.url,
      }),
    ).toBeLessThan(300);
    await onA
      .locator(`table[data-repo="${REPOSITORY}"] tr[data-env="staging"][data-check="failure"]`)
      .waitFor({ timeout: 1_000 });
    expect(await counts(onA)).toEqual({ 'check:staging': 1 });
  });

  test('a /lock comment handled by replica B updates the lock cell on replica A, and /unlock clears it', async () => {
    const onA = await openOverview(stand.url, 'hubot');
    expect(await cell(onA, 'production', 'lock')).toBe('—');

    const sentAt = Date.now();
    const locked = await stand.comment('/lock production release freeze', {
      user: 'octocat',
      to: replicaB.url,
    });
    expect(locked.status).toBe(200);
    await row(onA, 'production')
      .locator('[data-field="lock"]', { hasText: /^octocat \(since \d{4}-\d\d-\d\d \d\d:\d\d UTC\)$/ })
      .waitFor({ timeout: 1_000 });
    // The comment's handling (its reads, the lock's commit and ref, the reply) is inside this time.
    expect(Date.now() - sentAt).toBeLessThan(5_000);
    // GitHub holds the lock the page shows: a reload reads the same.
    const reloaded = await browser.newContext();
    contexts.push(reloaded);
    const fresh = await reloaded.newPage();
    stand.github.state.authorizeAs('hubot');
    await fresh.goto(`${stand.url}/dashboard`);
    expect(await cell(fresh, 'production', 'lock')).toBe(await cell(onA, 'production', 'lock'));

    expect((await stand.comment('/unlock production', { user: 'octocat', to: replicaB.url })).status).toBe(
      200,
    );
    await row(onA, 'production')
      .locator('[data-field="lock"]', { hasText: /^—$/ })
      .waitFor({ timeout: 2_000 });
    expect(await counts(onA)).toEqual({ 'lock:production': 2 });
    expect(await onA.evaluate('document.body.dataset.marker')).toBe('not reloaded');
  });
});
