/**
 * The dashboard's reads as GitHub sees them, with the App run as `npm start` runs it: the first
 * page load reads in full; a second load within GitHub's max-age reads nothing; once a webhook
 * makes the repository's answers stale, a load of unchanged data makes only conditional requests,
 * every one answered 304 (free of the rate limit), and shows the same page; after a change the
 * changed read comes back in full with a new ETag and the page shows the change.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Octokit } from '@octokit/rest';
import { REPOSITORY, type AppStand } from '../support/app-stand.ts';
import { seedDeployment, startDashboardStand } from '../support/dashboard-stand.ts';
import type { RecordedCall } from '../support/github-server/server.ts';

let stand: AppStand;
let octokit: Octokit;
let session: string;

async function deploy(environment: string, version: string): Promise<void> {
  await seedDeployment(octokit, REPOSITORY, environment, version, 'success');
}

/** `name=value` of a response's `Set-Cookie`. */
function cookiePair(response: Response, name: string): string {
  const found = response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  if (found === undefined) throw new Error(`no ${name} cookie`);
  return found.split(';')[0] ?? '';
}

/** Signs `login` in through the OAuth web flow, as a browser would, and returns the session cookie. */
async function signIn(login: string): Promise<string> {
  const started = await fetch(`${stand.url}/dashboard/login`, { redirect: 'manual' });
  const state = new URL(started.headers.get('location') ?? '').searchParams.get('state') ?? '';
  const code = stand.github.state.issueOAuthCode(
    stand.github.state.user(login),
    `${stand.url}/dashboard/callback`,
  );
  const back = await fetch(`${stand.url}/dashboard/callback?code=${code}&state=${state}`, {
    redirect: 'manual',
    headers: { cookie: cookiePair(started, 'rollgate_sign_in') },
  });
  expect(back.status).toBe(302);
  return cookiePair(back, 'rollgate_session');
}

/** One load of the overview: its tables, and the installation's calls to GitHub it made. */
async function load(): Promise<{ tables: string; calls: RecordedCall[] }> {
  const before = stand.github.calls.length;
  const response = await fetch(`${stand.url}/dashboard`, { headers: { cookie: session } });
  expect(response.status).toBe(200);
  const html = await response.text();
  const tables = /<main>([\s\S]*)<\/main>/.exec(html)?.[1] ?? '';
  expect(tables).toContain('<table');
  const calls = stand.github.calls.slice(before).filter((c) => c.actor === 'rollgate[bot]');
  return { tables, calls };
}

const paths = (calls: readonly RecordedCall[]): string[] => calls.map((c) => c.path).sort();

beforeAll(async () => {
  ({ stand, octokit } = await startDashboardStand());
  await deploy('staging', 'v1.4.0');
  await deploy('production', 'v1.3.0');
  expect((await stand.comment('/lock production release freeze', { user: 'octocat' })).status).toBe(200);
  session = await signIn('hubot');
}, 60_000);

afterAll(async () => {
  stand.github.assertNoViolations();
  await stand.close();
});

/** GitHub's `check_run.completed` of Rollgate's own `rollgate / staging` run: a change the App hears of. */
async function checkRunCompleted(): Promise<void> {
  const example = stand.event('check_run', 'completed');
  const status = await stand.send('check_run', {
    ...example,
    check_run: {
      ...(example.check_run as object),
      name: 'rollgate / staging',
      app: { ...(example.check_run as { app: object }).app, id: stand.github.state.app.id },
    },
  });
  expect(status).toBeLessThan(300);
}

describe("the dashboard's GitHub reads", () => {
  test("a second load within GitHub's max-age reads nothing; once stale, only conditional requests, all 304", async () => {
    const first = await load();
    expect(first.calls.length).toBeGreaterThanOrEqual(5);
    expect(first.calls.every((c) => c.method === 'GET' && c.status === 200)).toBe(true);
    expect(first.tables).toContain('v1.4.0');
    expect(first.tables).toMatch(/octocat \(since /);

    // GitHub's answers say `Cache-Control: private, max-age=60`: reused as they are.
    const second = await load();
    expect(second.calls).toEqual([]);
    expect(second.tables).toBe(first.tables);

    // A webhook about the repository makes its answers stale: each is asked for again, conditionally.
    await checkRunCompleted();
    const third = await load();
    expect(paths(third.calls)).toEqual(paths(first.calls));
    for (const call of third.calls) {
      expect(call.ifNoneMatch).toMatch(/^W\/"[0-9a-f]+"$/);
      expect(call.status).toBe(304);
    }
    expect(third.tables).toBe(first.tables);
  });

  test('a change is read in full, with a new ETag, and shown', async () => {
    const [owner = '', repo = ''] = REPOSITORY.split('/');
    const before = await load();
    await deploy('staging', 'v1.5.0');
    const { data: deployments } = await octokit.rest.repos.listDeployments({ owner, repo, per_page: 1 });
    const newest = deployments[0];
    if (newest === undefined) throw new Error('no deployment');
    const { data: statuses } = await octokit.rest.repos.listDeploymentStatuses({
      owner,
      repo,
      deployment_id: newest.id,
    });
    const webhook = stand.event('deployment_status', 'created');
    expect(
      await stand.send('deployment_status', {
        ...webhook,
        deployment: newest,
        deployment_status: statuses[0],
      }),
    ).toBeLessThan(300);

    const after = await load();
    const full = after.calls.filter((c) => c.status === 200);
    // The deployments list changed; the newest staging deployment's statuses are a first read.
    const listed = full.find((c) => c.operationId === 'repos/list-deployments');
    expect(listed?.ifNoneMatch).toBeDefined();
    expect(
      full.every((c) => c.ifNoneMatch !== undefined || c.operationId === 'repos/list-deployment-statuses'),
    ).toBe(true);
    expect(after.tables).toContain('v1.5.0');
    expect(after.tables).not.toBe(before.tables);

    await checkRunCompleted();
    const again = await load();
    expect(again.calls.length).toBeGreaterThan(0);
    expect(again.calls.every((c) => c.status === 304)).toBe(true);
    expect(again.tables).toBe(after.tables);
    // The tag sent now is the new one the changed answer carried.
    const listTag = again.calls.find((c) => c.operationId === 'repos/list-deployments')?.ifNoneMatch;
    expect(listTag).toBeDefined();
    expect(listTag).not.toBe(listed?.ifNoneMatch);
  });
});
