// Dashboard benchmarks, the App run as `npm start` runs it against the GitHub API test server:
//
// 1. render: the overview of 1,000 environments (50 repositories × 20 environments, each with its
//    newest deployment and status, some with an older one, one lock), timed over HTTP from the
//    request to the last byte — cold (a fresh App process: no token, no ETag cache) and warm
//    (every read a conditional request answered 304) — beside a trivial GET (`/ping`) to the same
//    server in the same run;
// 2. live: a signed `deployment_status` webhook → the row of an open headless-Chromium page
//    changes, to the replica the page is on and, through Redis, to the other of two replicas;
// 3. size: the page's own code and styles (its inline script and style), gzip.
/* global Buffer, fetch, setTimeout */
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const CHROMIUM = '/usr/bin/chromium';
const REPO = 'octo-org/hello-service';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p * sorted.length) / 100) - 1)];
};
const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const now = () => performance.timeOrigin + performance.now();
/** A process's peak resident set (VmHWM) in MiB, from /proc. */
const peakRssMiB = (pid) =>
  Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);

async function stand(extraEnv = {}) {
  const { startDashboardStand } = await import('../test/support/dashboard-stand.ts');
  // One key for every process of the stand (a restart, a replica): the session stays valid.
  const { stand: s, octokit } = await startDashboardStand({ env: { LOG_LEVEL: 'warn', ...extraEnv } });
  return { s, octokit };
}

const cookieOf = (response, name) =>
  response.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0];

/** The OAuth web flow as a browser goes through it; the session cookie. */
async function signIn(s, login, origin = s.url) {
  const started = await fetch(`${origin}/dashboard/login`, { redirect: 'manual' });
  const state = new URL(started.headers.get('location')).searchParams.get('state');
  const code = s.github.state.issueOAuthCode(s.github.state.user(login), `${origin}/dashboard/callback`);
  const back = await fetch(`${origin}/dashboard/callback?code=${code}&state=${state}`, {
    redirect: 'manual',
    headers: { cookie: cookieOf(started, 'rollgate_sign_in') },
  });
  if (back.status !== 302) throw new Error(`sign-in answered ${back.status}`);
  return cookieOf(back, 'rollgate_session');
}

async function deploy(octokit, fullName, environment, version) {
  const { seedDeployment } = await import('../test/support/dashboard-stand.ts');
  return seedDeployment(octokit, fullName, environment, version, 'success');
}

/** Runs `jobs` (functions) `width` at a time. */
async function inParallel(jobs, width) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) await jobs[next++]();
    }),
  );
}

/** 50 repositories × 20 environments: GitHub environments, a deployment and status each, a second one for every other. */
async function seedOrganisation(s, octokit, repositories, environments) {
  const names = [REPO, ...Array.from({ length: repositories - 1 }, (_, i) => `octo-org/service-${i + 1}`)];
  for (const fullName of names.slice(1)) {
    s.github.state.addRepository(fullName, { files: { 'README.md': `# ${fullName}\n` } });
    s.github.state.addCollaborator(fullName, 'hubot', 'read');
  }
  const envNames = Array.from({ length: environments }, (_, i) =>
    i === 0 ? 'staging' : i === 1 ? 'production' : `region-${String(i).padStart(2, '0')}`,
  );
  const jobs = [];
  for (const fullName of names)
    for (const [i, environment] of envNames.entries()) {
      s.github.state.addEnvironment(fullName, environment);
      jobs.push(async () => {
        if (i % 2 === 0) await deploy(octokit, fullName, environment, 'v1.0.0');
        await deploy(octokit, fullName, environment, 'v1.1.0');
      });
    }
  await inParallel(jobs, 8);
  return { names, environments: names.length * envNames.length };
}

/** One GET, timed from the request to the last byte of the answer. */
async function timedGet(url, cookie) {
  const started = performance.now();
  const response = await fetch(url, { headers: cookie === undefined ? {} : { cookie } });
  const body = await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  return { ms, body };
}

async function render(runs) {
  const { s, octokit } = await stand();
  try {
    const seeded = await seedOrganisation(s, octokit, 50, 20);
    const lock = await s.comment('/lock production release freeze', { user: 'octocat' });
    if (lock.status !== 200) throw new Error(`/lock answered ${lock.status}`);
    const cookie = await signIn(s, 'hubot');
    const overview = `${s.url}/dashboard`;
    const ping = `${s.url}/ping`;

    const cold = [];
    const coldCalls = [];
    for (let i = 0; i < Math.max(3, Math.ceil(runs / 2)); i++) {
      await s.restart();
      await timedGet(ping); // the process is up and its server warm; the dashboard's caches are empty
      const mark = s.github.calls.length;
      cold.push((await timedGet(overview, cookie)).ms);
      coldCalls.push(s.github.calls.length - mark);
    }
    const warm = [];
    const baseline = [];
    let page = '';
    let warmCalls = [];
    for (let i = 0; i < runs + 2; i++) {
      const mark = s.github.calls.length;
      const result = await timedGet(overview, cookie);
      const calls = s.github.calls.slice(mark);
      const base = await timedGet(ping);
      if (i < 2) continue; // the first warm loads fill what the cold one did not (JIT, sockets)
      warm.push(result.ms);
      baseline.push(base.ms);
      page = result.body;
      warmCalls = calls;
    }
    const rows = (page.match(/<tr data-env=/g) ?? []).length;
    if (rows !== seeded.environments)
      throw new Error(`the overview shows ${rows} rows, expected ${seeded.environments}`);
    if (!page.includes('octocat (since')) throw new Error('the overview does not show the lock');
    const installationCalls = warmCalls.filter((c) => c.actor === 'rollgate[bot]');
    const rss = s.pid === undefined ? undefined : peakRssMiB(s.pid);
    s.github.assertNoViolations();
    return {
      repositories: seeded.names.length,
      environments: seeded.environments,
      runs: warm.length,
      coldRuns: cold.length,
      coldMedianMs: round(median(cold)),
      warmMedianMs: round(median(warm)),
      warmP90Ms: round(percentile(warm, 90)),
      pingMedianMs: round(median(baseline), 2),
      githubCallsCold: median(coldCalls),
      githubCallsWarm: warmCalls.length,
      warmInstallationCallsAnswered304: installationCalls.filter((c) => c.status === 304).length,
      warmInstallationCalls: installationCalls.length,
      pageBytes: Buffer.byteLength(page),
      pageGzipBytes: gzipSync(page).length,
      ownCode: ownCodeSize(page),
      appPeakRssMiB: rss,
    };
  } finally {
    await s.close();
  }
}

/** The page's own code and styles: its inline scripts and styles (it loads no other file of its own). */
function ownCodeSize(html) {
  const parts = [...html.matchAll(/<(script|style)\b[^>]*>([\s\S]*?)<\/\1>/g)].map((m) => m[2]);
  const text = parts.join('\n');
  const external = [...html.matchAll(/<(?:script|link)\b[^>]*(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  return { files: parts.length, external, bytes: Buffer.byteLength(text), gzipBytes: gzipSync(text).length };
}

function signed(payload) {
  const body = JSON.stringify(payload);
  return {
    body,
    signature: `sha256=${createHmac('sha256', 'rollgate-webhook-secret').update(body).digest('hex')}`,
  };
}

/** Webhook → row changed on an open page, `samples` times; the webhook goes to `receiver`. */
async function liveLatency(s, octokit, page, receiver, samples) {
  const latencies = [];
  for (let i = 0; i < samples + 2; i++) {
    const { deployment, status } = await deploy(octokit, REPO, 'staging', `v2.${i}.0`);
    const { body, signature } = signed({
      ...s.event('deployment_status', 'created'),
      deployment,
      deployment_status: status,
    });
    const sentAt = now();
    const answer = await fetch(`${receiver}/api/github/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'deployment_status',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': signature,
      },
      body,
    });
    await answer.arrayBuffer();
    let seenAt;
    for (let waited = 0; seenAt === undefined; waited++) {
      seenAt = await page.evaluate(`window.rollgateSeen[${deployment.id}]`);
      if (seenAt === undefined && waited > 2000) throw new Error('the page did not change within 10 s');
      if (seenAt === undefined) await sleep(5);
    }
    if (i >= 2) latencies.push(seenAt - sentAt);
  }
  return {
    samples: latencies.length,
    medianMs: round(median(latencies)),
    p99Ms: round(percentile(latencies, 99)),
  };
}

async function openPage(browser, s, origin) {
  const context = await browser.newContext();
  const page = await context.newPage();
  s.github.state.authorizeAs('hubot');
  await page.goto(`${origin}/dashboard`);
  await page.waitForSelector('#live[data-live="open"]');
  // When each row first showed a deployment: the page's clock, as the browser applied the event.
  await page.evaluate(`
    window.rollgateSeen = {};
    new MutationObserver(() => {
      const at = performance.timeOrigin + performance.now();
      for (const tr of document.querySelectorAll('tr[data-env]'))
        window.rollgateSeen[tr.dataset.deployment] ??= at;
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-deployment'] });
  `);
  return { page, context };
}

async function live(samples) {
  if (!existsSync(CHROMIUM)) return { error: `no Chromium at ${CHROMIUM}` };
  const { chromium } = await import('playwright-core');
  const { startRedis } = await import('../test/support/redis.ts');
  const redis = await startRedis();
  const { s, octokit } = await stand({ REDIS_URL: redis.url });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const b = await s.replica();
    await deploy(octokit, REPO, 'staging', 'v1.0.0');
    const { page } = await openPage(browser, s, s.url);
    const sameReplica = await liveLatency(s, octokit, page, s.url, samples);
    const otherReplica = await liveLatency(s, octokit, page, b.url, samples);
    s.github.assertNoViolations();
    return { sameReplica, otherReplicaThroughRedis: otherReplica };
  } finally {
    await browser.close();
    await s.close();
    await redis.close();
  }
}

export async function dashboardBenchmarks(runs = 9, samples = 20) {
  const rendered = await render(runs);
  console.error(JSON.stringify(rendered));
  const latency = await live(samples);
  return { render: rendered, live: latency };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await dashboardBenchmarks(
    Number(process.env.BENCH_DASHBOARD_RUNS ?? 9),
    Number(process.env.BENCH_DASHBOARD_SAMPLES ?? 20),
  );
  console.log(JSON.stringify(results, null, 2));
}
