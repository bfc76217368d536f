// App benchmarks: signed webhooks through the App as `npm start` runs it, against the GitHub API
// test server, every request timed by a recording proxy in front of that server. Beside it, in the
// same run, a bare Probot app (bench/bare-probot-app.mjs: one reaction, one deployment, Probot's
// default throttling) is measured the same way.
//
// 1. one /deploy at a time, GitHub's limits: webhook → 👀 and webhook → Deployment;
// 2. twenty /deploy at once on twenty repositories of one installation, GitHub's limits: every
//    Deployment's delay, and whether the traffic kept within GitHub's secondary limits;
// 3. `count` /deploy, each on its own pull request, `concurrency` in flight, limits raised (the
//    test server has none, and 500 writes an hour would make this take hours): p50/p99, RSS.
/* global Buffer, fetch, setTimeout */
import { spawn } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

const root = new URL('..', import.meta.url).pathname;

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p * sorted.length) / 100) - 1)];
};
const round = (value) => Math.round(value);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The App's peak resident set (VmHWM) in MiB, from /proc. */
function peakRssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
}

/** A proxy in front of the test server recording each request's method, path, start, end, status, body. */
async function recordingProxy(target) {
  const records = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    const record = {
      method: req.method,
      path: req.url,
      start: performance.now(),
      end: 0,
      status: 0,
      body: '',
    };
    records.push(record);
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      record.body = Buffer.concat(chunks).toString('utf8');
      const upstream = http.request(
        `${target}${req.url}`,
        { method: req.method, headers: req.headers, agent },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', () => {
            record.end = performance.now();
            record.status = answer.statusCode;
          });
        },
      );
      upstream.end(record.body);
    });
  });
  await new Promise((ready) => server.listen(0, '127.0.0.1', ready));
  return {
    host: `127.0.0.1:${server.address().port}`,
    records,
    close: () =>
      new Promise((closed) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(closed);
      }),
  };
}

const config = (environments) =>
  `environments:\n${environments.map((e) => `  ${e}:\n    url: https://${e}.example.com\n    requires: { checks: none }\n`).join('')}`;

/** A pull request of its own (a branch with one commit) on `fullName`. */
function addPull(github, fullName, i) {
  const branch = `bench/pr-${i}-${randomUUID().slice(0, 8)}`;
  const sha = github.state.addCommit(fullName, { branch, files: { [`src/${i}.ts`]: 'export {};\n' } });
  const pull = github.state.addPullRequest(fullName, { head: branch, title: `PR ${i}`, user: 'octocat' });
  return { number: pull.number, sha };
}

/** A comment `text` by octocat on `fullName`#`number`, delivered as `issue_comment.created` to `url`. */
async function deliver(stand, url, fullName, number, text) {
  const [owner, name] = fullName.split('/');
  const seeded = stand.github.state.addComment(fullName, number, { user: 'octocat', body: text });
  const payload = stand.commentPayload(seeded.id, text, 'octocat', number);
  payload.repository = {
    ...payload.repository,
    name,
    full_name: fullName,
    owner: { ...payload.repository.owner, login: owner },
  };
  const body = JSON.stringify(payload);
  const sentAt = performance.now();
  const response = await fetch(`${url}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'issue_comment',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', 'rollgate-webhook-secret').update(body).digest('hex')}`,
    },
    body,
  });
  await response.arrayBuffer();
  return { commentId: seeded.id, sentAt, answeredAt: performance.now(), status: response.status };
}

/** When the proxy saw the reaction to `commentId` and the Deployment of `sha` answered (ms after `sentAt`). */
function timings(records, command, sha) {
  const reaction = records.find(
    (r) => r.method === 'POST' && r.path.includes(`/comments/${command.commentId}/reactions`) && r.end > 0,
  );
  const deployment = records.find(
    (r) => r.method === 'POST' && /\/deployments$/.test(r.path) && r.status === 201 && r.body.includes(sha),
  );
  return {
    reactionMs: reaction ? reaction.end - command.sentAt : undefined,
    deploymentMs: deployment ? deployment.end - command.sentAt : undefined,
  };
}

async function waitFor(check, timeoutMs) {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs) return false;
    await sleep(20);
  }
  return true;
}

/** Most writes of one owner in any 60 s window, and most writes and requests in flight at once. */
function limitsSeen(records) {
  const writes = records.filter((r) => r.method !== 'GET' && r.path.startsWith('/api/v3/repos/'));
  const starts = writes.map((r) => r.start).sort((a, b) => a - b);
  let perMinute = 0;
  for (let i = 0, j = 0; i < starts.length; i++) {
    while (starts[i] - starts[j] >= 60_000) j++;
    perMinute = Math.max(perMinute, i - j + 1);
  }
  const concurrency = (list) => {
    const events = list.flatMap((r) => [
      [r.start, 1],
      [r.end || Infinity, -1],
    ]);
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    let most = 0;
    for (const [, delta] of events) most = Math.max(most, (now += delta));
    return most;
  };
  return {
    writesInAnyMinute: perMinute,
    writesInFlightAtOnce: concurrency(writes),
    requestsInFlightAtOnce: concurrency(records.filter((r) => r.path.startsWith('/api/v3/repos/'))),
  };
}

/** The bare Probot app, on the stand's GitHub server (through `proxyHost`), as a child process. */
async function startBareProbot(proxyHost) {
  const { closedPort } = await import('../test/support/http-target.ts');
  const port = await closedPort();
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const child = spawn(process.execPath, [`${root}bench/bare-probot-app.mjs`], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      APP_ID: '4243',
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET: 'rollgate-webhook-secret',
      PORT: String(port),
      HOST: '127.0.0.1',
      GHE_HOST: proxyHost,
      GHE_PROTOCOL: 'http',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await (await fetch(`${url}/ping`)).text()) === 'PONG') break;
    } catch {
      if (i > 400) throw new Error('the bare Probot app did not start');
      await sleep(50);
    }
  }
  return {
    url,
    close: () => {
      child.kill('SIGINT');
      return new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

async function startStand(env, proxies) {
  const { startAppStand } = await import('../test/support/app-stand.ts');
  return startAppStand({
    config: config(Array.from({ length: 12 }, (_, i) => `env-${i}`)),
    env: { LOG_LEVEL: 'warn', ROLLGATE_SHUTDOWN_GRACE_MS: '2000', ...env },
    githubHost: async (github) => {
      const proxy = await recordingProxy(github.url);
      proxies.push(proxy);
      return proxy.host;
    },
  });
}

const REPO = 'octo-org/hello-service';
const free = (stand, fullName, environment) =>
  stand.github.state.seeded(fullName).refs.delete(`refs/rollgate/deploying/${environment}`);

/** 1. One /deploy at a time, GitHub's limits, beside the bare Probot app on the same server. */
async function oneAtATime(samples) {
  const proxies = [];
  const stand = await startStand({}, proxies);
  const proxy = proxies[0];
  const bare = await startBareProbot(proxy.host);
  try {
    const rollgate = [];
    const baseline = [];
    // Warm-up (installation tokens, the server's first validation of each operation).
    for (const target of ['rollgate', 'bare']) {
      const pull = addPull(stand.github, REPO, `warm-${target}`);
      const url = target === 'rollgate' ? stand.url : bare.url;
      await deliver(
        stand,
        url,
        REPO,
        pull.number,
        target === 'rollgate' ? '/deploy env-0' : `/deploy ${pull.sha}`,
      );
      free(stand, REPO, 'env-0');
    }
    let calls = [];
    for (let i = 0; i < samples; i++) {
      for (const target of ['rollgate', 'bare']) {
        const pull = addPull(stand.github, REPO, `${target}-${i}`);
        const url = target === 'rollgate' ? stand.url : bare.url;
        const before = proxy.records.length;
        const command = await deliver(
          stand,
          url,
          REPO,
          pull.number,
          target === 'rollgate' ? '/deploy env-0' : `/deploy ${pull.sha}`,
        );
        await waitFor(() => timings(proxy.records, command, pull.sha).deploymentMs !== undefined, 10_000);
        (target === 'rollgate' ? rollgate : baseline).push(timings(proxy.records, command, pull.sha));
        // The webhook is answered once its handler is done: these are all the calls of one /deploy.
        if (target === 'rollgate' && i === 0)
          calls = proxy.records
            .slice(before)
            .map((r) => `${r.method} ${r.path.replace(/^\/api\/v3/, '').replace(/\?.*$/, '')}`);
        free(stand, REPO, 'env-0');
        await sleep(100);
      }
    }
    const summary = (list, key) => ({
      medianMs: round(
        percentile(
          list.map((t) => t[key]),
          50,
        ),
      ),
      maxMs: round(Math.max(...list.map((t) => t[key]))),
    });
    return {
      samples,
      rollgate: { reaction: summary(rollgate, 'reactionMs'), deployment: summary(rollgate, 'deploymentMs') },
      bareProbot: {
        reaction: summary(baseline, 'reactionMs'),
        deployment: summary(baseline, 'deploymentMs'),
      },
      callsOfOneDeploy: calls,
    };
  } finally {
    await bare.close();
    await stand.close();
    for (const p of proxies) await p.close();
  }
}

/** 2. Twenty /deploy at once on twenty repositories of one installation, GitHub's limits. */
async function burst(repositories) {
  const proxies = [];
  const stand = await startStand({}, proxies);
  const proxy = proxies[0];
  try {
    const targets = Array.from({ length: repositories }, (_, i) => {
      const fullName = `octo-org/service-${i}`;
      stand.github.state.addRepository(fullName, {
        files: { 'README.md': '# s\n', '.github/rollgate.yml': config(['env-0']) },
      });
      stand.github.state.addCollaborator(fullName, 'octocat', 'write');
      return { fullName, ...addPull(stand.github, fullName, i) };
    });
    // Cold, as a real burst is: the installation token is fetched inside it, and no warm-up
    // command spends the installation's minute budget beforehand.
    const startedAt = performance.now();
    const commands = await Promise.all(
      targets.map((t) => deliver(stand, stand.url, t.fullName, t.number, '/deploy env-0')),
    );
    const results = commands.map((c, i) => ({ command: c, sha: targets[i].sha }));
    const deployed = () =>
      results.every((r) => timings(proxy.records, r.command, r.sha).deploymentMs !== undefined);
    await waitFor(deployed, 120_000);
    const delays = results.map((r) => timings(proxy.records, r.command, r.sha).deploymentMs ?? Infinity);
    const finished = () =>
      targets.every((t) =>
        stand.github.state
          .seeded(t.fullName)
          .reactions.some((r) => r.content === 'rocket' || r.content === 'confused'),
      );
    await waitFor(finished, 120_000);
    return {
      commands: repositories,
      deploymentP50Ms: round(percentile(delays, 50)),
      lastDeploymentMs: round(Math.max(...delays)),
      allFinishedMs: round(performance.now() - startedAt),
      answers: commands.map((c) => c.status),
      answeredWithinMs: round(Math.max(...commands.map((c) => c.answeredAt - c.sentAt))),
      ...limitsSeen(proxy.records),
      peakRssMiB: stand.pid === undefined ? undefined : peakRssMiB(stand.pid),
    };
  } finally {
    await stand.close();
    for (const p of proxies) await p.close();
  }
}

/** 3. `count` /deploy, each on its own pull request, `concurrency` in flight, limits raised. */
async function throughput(count, concurrency) {
  const proxies = [];
  const stand = await startStand(
    { ROLLGATE_WRITES_PER_MINUTE: '1000000', ROLLGATE_WRITES_PER_HOUR: '1000000' },
    proxies,
  );
  const proxy = proxies[0];
  try {
    await deliver(stand, stand.url, REPO, stand.pullNumber, '/help');
    const pulls = Array.from({ length: count }, (_, i) => addPull(stand.github, REPO, i));
    const answered = [];
    const handled = [];
    const deployedMs = [];
    const statuses = {};
    const done = (commentId) =>
      stand.github.state
        .seeded(REPO)
        .reactions.some(
          (r) => r.commentId === commentId && (r.content === 'rocket' || r.content === 'confused'),
        );
    let next = 0;
    const started = performance.now();
    const worker = async (slot) => {
      const environment = `env-${slot}`;
      while (next < count) {
        const pull = pulls[next++];
        const command = await deliver(stand, stand.url, REPO, pull.number, `/deploy ${environment}`);
        statuses[command.status] = (statuses[command.status] ?? 0) + 1;
        answered.push(command.answeredAt - command.sentAt);
        // A 202 means the handler goes on after the answer: its final reaction says it is done.
        await waitFor(() => done(command.commentId), 120_000);
        handled.push(performance.now() - command.sentAt);
        deployedMs.push(timings(proxy.records, command, pull.sha).deploymentMs ?? Infinity);
        free(stand, REPO, environment);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, slot) => worker(slot)));
    const seconds = (performance.now() - started) / 1000;
    return {
      webhooks: count,
      concurrency,
      webhooksPerSecond: Math.round((count / seconds) * 10) / 10,
      answers: statuses,
      answerP50Ms: round(percentile(answered, 50)),
      answerP99Ms: round(percentile(answered, 99)),
      latencyP50Ms: round(percentile(handled, 50)),
      latencyP99Ms: round(percentile(handled, 99)),
      deploymentP50Ms: round(percentile(deployedMs, 50)),
      deploymentP99Ms: round(percentile(deployedMs, 99)),
      peakRssMiB: stand.pid === undefined ? undefined : peakRssMiB(stand.pid),
    };
  } finally {
    await stand.close();
    for (const p of proxies) await p.close();
  }
}

export async function appBenchmarks(count = 200, concurrency = 10) {
  const single = await oneAtATime(Number(process.env.BENCH_APP_SINGLE ?? 8));
  console.error(JSON.stringify(single));
  const simultaneous = await burst(20);
  console.error(JSON.stringify(simultaneous));
  const load = await throughput(count, concurrency);
  return {
    ...load,
    apiCallsPerDeploy: single.callsOfOneDeploy.length,
    apiCalls: single.callsOfOneDeploy,
    single,
    burst: simultaneous,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await appBenchmarks(Number(process.env.BENCH_APP_WEBHOOKS ?? 200), 10);
  console.log(JSON.stringify(results, null, 2));
}
