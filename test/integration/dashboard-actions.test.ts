/**
 * Actions from the dashboard, as a user takes them in Debian's headless Chromium: the App runs as
 * `npm start` does, the user signs in through the GitHub test server's OAuth web flow, fills a form
 * of the repository's page and reads the result there. Every assertion on GitHub's side reads what
 * the test server holds over HTTP (Deployments, refs, comments), as a user of the API would.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Octokit } from '@octokit/rest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { examplePayload, REPOSITORY, type AppStand } from '../support/app-stand.ts';
import { launchChromium, startDashboardStand } from '../support/dashboard-stand.ts';
import { eventually, settled, statusEvent } from '../support/app-view.ts';

const [OWNER = '', NAME = ''] = REPOSITORY.split('/');
const CONFIG = `environments:
  staging:
    url: https://staging.example.com
  qa:
    url: https://qa.example.com
  canary:
    requires:
      approvals: 1
      approvers: ["monalisa"]
  preview:
    requires:
      approvals: 1
      approvers: ["monalisa"]
  edge:
    auto_deploy: [release]
    requires:
      approvals: 1
      approvers: ["monalisa"]
      self_approval: false
  production:
    url: https://example.com
    production: true
    requires:
      approvals: 1
      approvers: ["monalisa", "admin-alice"]
      self_approval: false
commands:
  permission: write
`;

let stand: AppStand;
let browser: Browser;
let octokit: Octokit;
const contexts: BrowserContext[] = [];
const repo = { owner: OWNER, repo: NAME };

beforeAll(async () => {
  ({ stand, octokit } = await startDashboardStand({
    config: CONFIG,
    // A dozen commands and actions in a minute pass GitHub's 80 writes a minute, which the
    // limiter would wait out (app-limits.test.ts proves it); the actions are what is tested here.
    env: { ROLLGATE_WRITES_PER_MINUTE: '100000', ROLLGATE_WRITES_PER_HOUR: '1000000' },
  }));
  // The page lists the repository's GitHub environments (and those deployed to).
  for (const environment of ['staging', 'qa', 'canary', 'preview', 'edge', 'production'])
    await octokit.rest.repos.createOrUpdateEnvironment({ ...repo, environment_name: environment });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser.close();
  stand.github.assertNoViolations();
  expect(stand.log()).not.toMatch(/gh[us]_[0-9a-f]{8}/);
  await stand.close();
});

/** A fresh browser signed in as `login`, on the repository's page. */
async function signIn(login: string): Promise<Page> {
  const context = await browser.newContext();
  context.setDefaultTimeout(30_000);
  contexts.push(context);
  const page = await context.newPage();
  stand.github.state.authorizeAs(login);
  // The sign-in ends on the overview; the repository's page holds the forms.
  await page.goto(`${stand.url}/dashboard`);
  expect(new URL(page.url()).pathname).toBe('/dashboard');
  await page.goto(`${stand.url}/dashboard/${REPOSITORY}`);
  return page;
}

/** The form `kind` of `environment`'s row, its disclosure opened. */
async function formOf(page: Page, environment: string, kind: string) {
  const row = page.locator(`table[data-repo="${REPOSITORY}"] tr[data-env="${environment}"]`);
  const details = row.locator('details');
  if ((await details.getAttribute('open')) === null) await row.locator('summary').click();
  return row.locator(`form[data-kind="${kind}"]`);
}

/** Clicks `button` of a form and waits for the page the redirect opens; its result. */
async function submit(
  page: Page,
  button: ReturnType<Page['locator']>,
): Promise<{ ok: string; text: string }> {
  await Promise.all([page.waitForURL(/#result$/), button.click()]);
  const result = page.locator('#result');
  return {
    ok: (await result.getAttribute('data-ok')) ?? '',
    text: ((await result.textContent()) ?? '').trim(),
  };
}

async function deploymentsOf(environment: string) {
  return (await octokit.rest.repos.listDeployments({ ...repo, environment, per_page: 100 })).data;
}

async function comments() {
  return (await octokit.rest.issues.listComments({ ...repo, issue_number: stand.pullNumber, per_page: 100 }))
    .data;
}

async function rollgateRefs(): Promise<string[]> {
  const { data } = await octokit.rest.git.listMatchingRefs({ ...repo, ref: 'rollgate/' });
  return data.map((r) => r.ref).sort();
}

/** Everything an action could have written, to compare before and after one that must write nothing. */
async function holdings(): Promise<unknown> {
  const [deployments, refs, all] = await Promise.all([
    octokit.rest.repos.listDeployments({ ...repo, per_page: 100 }),
    rollgateRefs(),
    comments(),
  ]);
  return { deployments: deployments.data.map((d) => d.id), refs, comments: all.map((c) => c.id) };
}

/** The session cookie of a signed-in page, for requests made outside the browser. */
async function sessionCookie(page: Page): Promise<string> {
  const session = (await page.context().cookies()).find((c) => c.name === 'rollgate_session');
  if (session === undefined) throw new Error('no session cookie after sign-in');
  return `rollgate_session=${session.value}`;
}

/** The hidden and filled fields of a form on the page, as the browser would send them. */
async function fieldsOf(form: ReturnType<Page['locator']>): Promise<Record<string, string>> {
  const inputs = form.locator('input');
  const fields: Record<string, string> = {};
  for (let i = 0; i < (await inputs.count()); i++) {
    const input = inputs.nth(i);
    fields[(await input.getAttribute('name')) ?? ''] = await input.inputValue();
  }
  return fields;
}

function post(
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string>,
): Promise<Response> {
  return fetch(`${stand.url}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

/** Reports a final status of a Deployment to GitHub and to the App, as the deploy workflow does. */
async function finish(deploymentId: number): Promise<void> {
  await octokit.rest.repos.createDeploymentStatus({ ...repo, deployment_id: deploymentId, state: 'success' });
  const record = stand.github.state.seeded(REPOSITORY).deployments.get(deploymentId);
  if (record === undefined) throw new Error(`no deployment ${deploymentId}`);
  expect(await stand.send('deployment_status', statusEvent(stand, record, 'success'))).toBeLessThan(300);
  await eventually(
    async () => !(await rollgateRefs()).some((r) => r.includes('deploying')),
    'the marker to go',
  );
}

/** A new pull request with a commit of its own, for a request of its own. */
function newPullRequest(branch: string): { number: number; sha: string } {
  const sha = stand.github.state.addCommit(REPOSITORY, {
    branch,
    files: { [`${branch}.txt`]: 'x\n' },
    message: branch,
  });
  const pull = stand.github.state.addPullRequest(REPOSITORY, {
    head: branch,
    title: branch,
    user: 'octocat',
  });
  return { number: pull.number, sha };
}

describe('actions from the dashboard', () => {
  test('an approval from the page creates the deployment the request waited for', async () => {
    const { commentId } = await stand.comment('/deploy production', { user: 'octocat' });
    await settled(stand, commentId);
    expect(await deploymentsOf('production')).toHaveLength(0);

    const page = await signIn('monalisa');
    const form = await formOf(page, 'production', 'verdict');
    await form.locator('input[name="pull"]').fill(String(stand.pullNumber));
    const result = await submit(page, form.locator('button[value="approve"]'));
    expect(result.ok).toBe('true');
    expect(result.text).toMatch(/Approval of production recorded\. Deploying/);

    const [deployment, ...more] = await deploymentsOf('production');
    expect(more).toHaveLength(0);
    expect(deployment?.sha).toBe(stand.headSha);
    const payload = deployment?.payload as { requester: string; gates: { verdict: string } };
    expect(payload.requester).toBe('octocat');
    expect(payload.gates.verdict).toBe('pass');
    // The pull request shows who approved, and from where; the reply carries the verdict's record.
    const reply = (await comments()).find((c) => c.body?.includes('from the Rollgate dashboard'));
    expect(reply?.performed_via_github_app?.id).toBe(stand.github.state.app.id);
    expect(reply?.body).toMatch(
      /^@monalisa from the Rollgate dashboard, as `\/approve production`: Approval/,
    );
    expect(reply?.body).toMatch(/<!-- rollgate:verdict \{[^\n]*"by":"monalisa","verdict":"approve"/);
    expect(
      await page.getByRole('link', { name: `The reply on #${stand.pullNumber}` }).getAttribute('href'),
    ).toBe(reply?.html_url);
  }, 120_000);

  test("an approval from the page of a release's waiting deploy creates its Deployment", async () => {
    const record = stand.github.state.addRelease(REPOSITORY, { tag: 'v5.0.0', author: 'octocat' });
    const example = examplePayload('release', 'published').release as { author: object };
    const published = stand.event('release', 'published', {
      release: {
        ...example,
        id: record.id,
        tag_name: 'v5.0.0',
        target_commitish: record.targetCommitish,
        draft: false,
        prerelease: false,
        published_at: new Date().toISOString(),
        author: { ...example.author, login: 'octocat' },
      },
    });
    expect(await stand.send('release', published)).toBe(200);
    const { data: tag } = await octokit.rest.repos.getCommit({ ...repo, ref: 'v5.0.0' });
    // The request's own run (the Deployment gets a run of the same name once it exists).
    const runOf = async () =>
      (
        await octokit.rest.checks.listForRef({
          ...repo,
          ref: tag.sha,
          check_name: 'rollgate / edge',
          filter: 'all',
        })
      ).data.check_runs.find((r) => r.external_id === `release:${record.id}:edge`);
    await eventually(async () => (await runOf())?.status === 'in_progress', 'the release request');

    const page = await signIn('monalisa');
    const form = await formOf(page, 'edge', 'verdict');
    await form.locator('input[name="release"]').fill('v5.0.0');
    const result = await submit(page, form.locator('button[value="approve"]'));
    expect(result.ok).toBe('true');
    expect(result.text).toMatch(
      /Approval of release v5\.0\.0 to edge recorded on its check run\. Deployment #\d+ was created, as @octocat's/,
    );
    const [deployment, ...more] = await deploymentsOf('edge');
    expect(more).toHaveLength(0);
    expect(deployment).toMatchObject({ sha: tag.sha });
    expect(deployment?.payload).toMatchObject({ requester: 'octocat', release: record.id });
    expect(await runOf()).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect((await runOf())?.output.text).toMatch(/"approvals":\[\{"by":"monalisa"/);
  }, 120_000);

  test('a rejection from the page ends the request; nothing is deployed', async () => {
    const pull = newPullRequest('feature/reject-me');
    const { commentId } = await stand.comment('/deploy canary', { user: 'octocat', pullNumber: pull.number });
    await settled(stand, commentId);

    const page = await signIn('monalisa');
    const form = await formOf(page, 'canary', 'verdict');
    await form.locator('input[name="pull"]').fill(String(pull.number));
    await form.locator('input[name="reason"]').fill('not <b>today</b>');
    const result = await submit(page, form.locator('button[value="reject"]'));
    expect(result.ok).toBe('true');
    expect(result.text).toMatch(/Rejected .* to canary: not <b>today<\/b>\. Nothing was deployed/);
    // Shown as text, never as markup.
    expect(await page.locator('#result b').count()).toBe(0);

    expect(await deploymentsOf('canary')).toHaveLength(0);
    const { data: runs } = await octokit.rest.checks.listForRef({
      ...repo,
      ref: pull.sha,
      check_name: 'rollgate / canary',
    });
    expect(runs.check_runs[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
    const { data: thread } = await octokit.rest.issues.listComments({ ...repo, issue_number: pull.number });
    expect(thread.at(-1)?.body).toMatch(
      /"by":"monalisa","verdict":"reject","reason":"not \\u003cb\\u003etoday/,
    );
  }, 120_000);

  test('lock then unlock from the page: the lock ref appears with the user as holder, then goes', async () => {
    const page = await signIn('octocat');
    const lock = await formOf(page, 'staging', 'lock');
    await lock.locator('input[name="reason"]').fill('db migration');
    const locked = await submit(page, lock.locator('button'));
    expect(locked).toMatchObject({ ok: 'true' });
    expect(locked.text).toMatch(/staging is locked for @octocat: db migration/);

    expect(await rollgateRefs()).toContain('refs/rollgate/lock/staging');
    const { data: ref } = await octokit.rest.git.getRef({ ...repo, ref: 'rollgate/lock/staging' });
    const { data: commit } = await octokit.rest.git.getCommit({ ...repo, commit_sha: ref.object.sha });
    const record = JSON.parse(commit.message.split('\n\n').slice(1).join('\n\n')) as Record<string, unknown>;
    expect(record).toMatchObject({ holder: 'octocat', reason: 'db migration', via: 'dashboard' });
    expect(record.pullRequest).toBeUndefined();
    // The audit trail's log line: who did what, from the dashboard.
    expect(stand.log()).toMatch(
      /"dashboard":\{"action":\d+,"command":"\/lock staging db migration","user":"octocat","repository":"octo-org\/hello-service","ok":true\}/,
    );
    expect(
      ((await page.locator('tr[data-env="staging"] [data-field="lock"]').textContent()) ?? '').trim(),
    ).toMatch(/^octocat \(since /);

    const unlock = await formOf(page, 'staging', 'unlock');
    const unlocked = await submit(page, unlock.locator('button'));
    expect(unlocked).toMatchObject({ ok: 'true' });
    expect(unlocked.text).toMatch(/staging is unlocked/);
    expect(await rollgateRefs()).not.toContain('refs/rollgate/lock/staging');
    await expect(octokit.rest.git.getRef({ ...repo, ref: 'rollgate/lock/staging' })).rejects.toMatchObject({
      status: 404,
    });
  }, 120_000);

  test('a deploy of a sha, of a branch, then a rollback from the page', async () => {
    const { data: main } = await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });
    const page = await signIn('octocat');

    let form = await formOf(page, 'qa', 'deploy');
    await form.locator('input[name="ref"]').fill(main.object.sha);
    await form.locator('input[name="version"]').fill('v1.0.0');
    let result = await submit(page, form.locator('button'));
    expect(result).toMatchObject({ ok: 'true' });
    expect(result.text).toMatch(/Deploying v1\.0\.0 \(\w{7}\) to qa for @octocat: Deployment #\d+ created/);
    const [first] = await deploymentsOf('qa');
    expect(first).toMatchObject({ sha: main.object.sha, task: 'deploy', environment: 'qa' });
    expect(first?.payload).toMatchObject({ version: 'v1.0.0', requester: 'octocat', via: 'dashboard' });
    expect(typeof (first?.payload as Record<string, unknown>).dashboard_action).toBe('number');
    await finish(first?.id ?? 0);

    form = await formOf(page, 'qa', 'deploy');
    await form.locator('input[name="ref"]').fill('feature/checkout');
    await form.locator('input[name="version"]').fill('v2.0.0');
    result = await submit(page, form.locator('button'));
    expect(result).toMatchObject({ ok: 'true' });
    const [second] = await deploymentsOf('qa');
    expect(second).toMatchObject({ sha: stand.headSha, task: 'deploy' });
    await finish(second?.id ?? 0);

    form = await formOf(page, 'qa', 'rollback');
    result = await submit(page, form.locator('button'));
    expect(result).toMatchObject({ ok: 'true' });
    expect(result.text).toMatch(
      /Rolling qa back to v1\.0\.0 .* from v2\.0\.0: rollback Deployment #\d+ created/,
    );
    const [rollback, ...rest] = await deploymentsOf('qa');
    expect(rest).toHaveLength(2);
    expect(rollback).toMatchObject({ sha: main.object.sha, task: 'deploy:rollback' });
    expect(rollback?.payload).toMatchObject({
      requester: 'octocat',
      via: 'dashboard',
      rollback_to_deployment: first?.id,
    });
    await finish(rollback?.id ?? 0);
  }, 120_000);

  test('a value the comment parser refuses is refused on the page, and nothing is sent to GitHub', async () => {
    const page = await signIn('octocat');
    const before = await holdings();
    const form = await formOf(page, 'qa', 'deploy');
    await form.locator('input[name="ref"]').fill('--dry-run');
    const result = await submit(page, form.locator('button'));
    expect(result.ok).toBe('false');
    expect(result.text).toMatch(/not sent on to GitHub/);
    expect(await holdings()).toEqual(before);
  }, 60_000);

  test('a user with only read permission is refused, and nothing is written', async () => {
    const pull = newPullRequest('feature/read-only');
    const { commentId } = await stand.comment('/deploy canary', { user: 'octocat', pullNumber: pull.number });
    await settled(stand, commentId);
    const before = await holdings();
    const thread = (await octokit.rest.issues.listComments({ ...repo, issue_number: pull.number })).data
      .length;

    const page = await signIn('hubot');
    const lock = await formOf(page, 'staging', 'lock');
    const refused = await submit(page, lock.locator('button'));
    expect(refused.ok).toBe('false');
    expect(refused.text).toMatch(/needs write permission on this repository; you have read/);

    const verdict = await formOf(page, 'canary', 'verdict');
    await verdict.locator('input[name="pull"]').fill(String(pull.number));
    expect((await submit(page, verdict.locator('button[value="approve"]'))).text).toMatch(
      /needs write permission/,
    );
    const deploy = await formOf(page, 'qa', 'deploy');
    await deploy.locator('input[name="ref"]').fill('main');
    expect((await submit(page, deploy.locator('button'))).ok).toBe('false');

    expect(await holdings()).toEqual(before);
    expect(
      (await octokit.rest.issues.listComments({ ...repo, issue_number: pull.number })).data,
    ).toHaveLength(thread);
  }, 120_000);

  test('a POST without the form token, or from another origin, gets 403 and GitHub holds nothing new', async () => {
    const page = await signIn('octocat');
    const form = await formOf(page, 'staging', 'lock');
    const fields = await fieldsOf(form);
    const cookie = await sessionCookie(page);
    const path = `/dashboard/${REPOSITORY}/actions`;
    const before = await holdings();

    const { csrf, ...withoutToken } = fields;
    expect(csrf?.length).toBeGreaterThan(40);
    const noToken = await post(path, withoutToken, {
      cookie,
      origin: stand.url,
      'sec-fetch-site': 'same-origin',
    });
    expect(noToken.status).toBe(403);
    expect(await noToken.text()).toMatch(/form token is missing/);
    expect(
      (await post(path, { ...fields, csrf: `x${csrf?.slice(1) ?? ''}` }, { cookie, origin: stand.url }))
        .status,
    ).toBe(403);
    const foreign = await post(path, fields, { cookie, origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toMatch(/came from https:\/\/evil\.example/);
    expect((await post(path, fields, { cookie, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post(path, fields, { cookie })).status).toBe(403);
    expect((await post(path, fields, { origin: stand.url })).status).toBe(403);

    // Another site in the same browser (same host, another port: same-site, so the Lax cookie goes
    // along) posts the form, even with a token it somehow got: the browser says where it came from.
    const evil = http.createServer((_req, res) => {
      const inputs = Object.entries(fields)
        .map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`)
        .join('');
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<form id="f" method="post" action="${stand.url}${path}">${inputs}<button>Win a prize</button></form>`,
      );
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      const attacker = await page.context().newPage();
      await attacker.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      const [answer] = await Promise.all([
        attacker.waitForResponse((r) => r.url().endsWith('/actions')),
        attacker.locator('button').click(),
      ]);
      expect(answer.status()).toBe(403);
      expect(await answer.text()).toMatch(/Sec-Fetch-Site: same-site/);
    } finally {
      evil.close();
    }
    expect(await holdings()).toEqual(before);
    expect(await rollgateRefs()).not.toContain('refs/rollgate/lock/staging');
  }, 60_000);

  test('one form sent twice, even at the same moment, creates one Deployment', async () => {
    const page = await signIn('octocat');
    const form = await formOf(page, 'staging', 'deploy');
    await form.locator('input[name="ref"]').fill('main');
    await form.locator('input[name="version"]').fill('v3.0.0');
    const fields = { ...(await fieldsOf(form)), kind: 'deploy' };
    const headers = { cookie: await sessionCookie(page), origin: stand.url, 'sec-fetch-site': 'same-origin' };
    const path = `/dashboard/${REPOSITORY}/actions`;

    const answers = await Promise.all([post(path, fields, headers), post(path, fields, headers)]);
    expect(answers.map((a) => a.status)).toEqual([303, 303]);
    const once = await deploymentsOf('staging');
    expect(once).toHaveLength(1);
    expect(once[0]?.payload).toMatchObject({ version: 'v3.0.0', requester: 'octocat' });

    // Sent again later (a reload that posts again, a retry after no answer): found, not repeated.
    const again = await post(path, fields, headers);
    expect(again.status).toBe(303);
    const shown = await fetch(`${stand.url}${again.headers.get('location') ?? ''}`, {
      headers: { cookie: `${headers.cookie}; ${again.headers.getSetCookie()[0]?.split(';')[0] ?? ''}` },
    });
    expect(await shown.text()).toMatch(
      new RegExp(`sent before and its Deployment #${once[0]?.id ?? 0} of <code>staging</code> exists`),
    );
    expect(await deploymentsOf('staging')).toHaveLength(1);
    await finish(once[0]?.id ?? 0);
  }, 60_000);

  test('the environment’s page offers Approve for the request it shows waiting, and it deploys', async () => {
    const pull = newPullRequest('feature/preview-me');
    const { commentId } = await stand.comment('/deploy preview', {
      user: 'octocat',
      pullNumber: pull.number,
    });
    await settled(stand, commentId);
    expect(await deploymentsOf('preview')).toHaveLength(0);

    const page = await signIn('monalisa');
    await page.goto(`${stand.url}/dashboard/${REPOSITORY}/environments/preview`);
    const waiting = page.locator(`section[aria-labelledby="pending-title"]`);
    expect(await waiting.getAttribute('data-pending')).toBe(String(commentId));
    // The pull request is filled in: the approver only presses the button.
    expect(await waiting.locator('input[name="pull"]').getAttribute('value')).toBe(String(pull.number));
    const result = await submit(page, waiting.getByRole('button', { name: 'Approve' }));
    expect(result.ok).toBe('true');
    expect(result.text).toMatch(/Approval of preview recorded\. Deploying/);
    const deployed = await deploymentsOf('preview');
    expect(deployed.map((d) => d.sha)).toEqual([pull.sha]);
  }, 120_000);
});

describe('actions whose answer GitHub lost', () => {
  test('a Deployment GitHub made without answering is found again, not made twice', async () => {
    const before = (await deploymentsOf('staging')).length;
    const page = await signIn('octocat');
    const form = await formOf(page, 'staging', 'deploy');
    await form.locator('input[name="ref"]').fill('main');
    await form.locator('input[name="version"]').fill('v3.1.0');
    stand.github.loseAnswer('repos/create-deployment');
    const result = await submit(page, form.locator('button'));
    expect(result.ok).toBe('true');
    expect(result.text).toMatch(/Deploying v3\.1\.0 .* to staging for @octocat: Deployment #\d+ created/);
    const after = await deploymentsOf('staging');
    expect(after).toHaveLength(before + 1);
    expect(after[0]?.payload).toMatchObject({ version: 'v3.1.0', via: 'dashboard' });
    // GitHub made it once and its answer was lost; the App looked for it instead of asking again.
    const asked = stand.github
      .callsTo('repos/create-deployment')
      .filter((c) => (c.body as { payload?: { version?: string } }).payload?.version === 'v3.1.0');
    expect(asked).toHaveLength(1);
    expect(asked[0]?.lostAnswer).toBeDefined();
    await finish(after[0]?.id ?? 0);
  }, 60_000);

  test('an approval whose reply GitHub posted without answering is recorded once and deploys once', async () => {
    const pull = newPullRequest('feature/lost-reply');
    const { commentId } = await stand.comment('/deploy canary', { user: 'octocat', pullNumber: pull.number });
    await settled(stand, commentId);
    const thread = async () =>
      (await octokit.rest.issues.listComments({ ...repo, issue_number: pull.number, per_page: 100 })).data;
    const before = (await thread()).length;

    const page = await signIn('monalisa');
    const form = await formOf(page, 'canary', 'verdict');
    await form.locator('input[name="pull"]').fill(String(pull.number));
    stand.github.loseAnswer('issues/create-comment');
    const result = await submit(page, form.locator('button[value="approve"]'));
    expect(result.ok).toBe('true');
    expect(result.text).toMatch(/Approval of canary recorded\. Deploying/);
    const replies = (await thread())
      .slice(before)
      .filter((c) => c.body?.includes('from the Rollgate dashboard'));
    expect(replies).toHaveLength(1);
    expect(replies[0]?.body).not.toContain('rollgate:provisional');
    expect(
      stand.github.callsTo('issues/create-comment').filter((c) => c.lostAnswer !== undefined),
    ).toHaveLength(1);
    const deployed = await deploymentsOf('canary');
    expect(deployed).toHaveLength(1);
    expect(deployed[0]).toMatchObject({ sha: pull.sha });
  }, 60_000);
});
