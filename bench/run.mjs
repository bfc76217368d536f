// npm run bench — Rollgate's performance figures, each beside a baseline measured in the same
// run on the same machine (these machines are shared and noisy: ratios and medians, not
// absolute times). Writes bench/results.json and docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const RUNS = Math.max(15, Number(process.env.BENCH_RUNS ?? 21));

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Wall time of one process from spawn to exit, in ms. */
function timeProcess(args, env) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: 'ignore' });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  return { elapsed, status: result.status };
}

/**
 * Cold start: each bundle run to exit on a missing required input (what every action pays
 * before doing any work), and a script that prints one line and exits (the floor of any
 * action). Each run is paired one for one with a bare `node -e 0` run right before it, and
 * the figure is the median of the per-pair ratios: on a shared machine the noise moves both
 * runs of a pair alike, which an unpaired median of each does not cancel.
 */
function coldStarts(names) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  const printAndExit = join(os.tmpdir(), `rollgate-bench-print-and-exit-${process.pid}.mjs`);
  writeFileSync(printAndExit, "process.stdout.write('::error::input required\\n'); process.exitCode = 1;\n");
  const subjects = [
    ...names.map((name) => ({ name: `dist/${name}`, args: [join(root, 'dist', name, 'index.js')] })),
    { name: 'print-and-exit script', args: [printAndExit] },
  ];
  const pairs = Object.fromEntries(subjects.map((s) => [s.name, { ratios: [], ms: [], baseMs: [] }]));
  for (let i = 0; i < RUNS + 2; i++) {
    const warmup = i < 2;
    for (const subject of subjects) {
      const base = timeProcess(['-e', '0'], env);
      const run = timeProcess(subject.args, env);
      if (run.status !== 1)
        throw new Error(`${subject.name} exited ${run.status} without inputs; expected 1 (missing input)`);
      if (warmup) continue;
      pairs[subject.name].ratios.push(run.elapsed / base.elapsed);
      pairs[subject.name].ms.push(run.elapsed);
      pairs[subject.name].baseMs.push(base.elapsed);
    }
  }
  rmSync(printAndExit, { force: true });
  return {
    pairs: RUNS,
    subjects: Object.fromEntries(
      Object.entries(pairs).map(([name, p]) => [
        name,
        {
          ratio: round(median(p.ratios), 2),
          medianMs: round(median(p.ms)),
          bareNodeMedianMs: round(median(p.baseMs)),
        },
      ]),
    ),
  };
}

function bundleSizes(names) {
  return Object.fromEntries(
    names.map((name) => {
      const dir = join(root, 'dist', name);
      const js = readdirSync(dir).filter((file) => file.endsWith('.js'));
      return [
        name,
        { bytes: js.reduce((sum, file) => sum + statSync(join(dir, file)).size, 0), files: js.length },
      ];
    }),
  );
}

/**
 * Health-check probe rate against a local server: Rollgate's prober and verdict loop, beside a
 * bare keep-alive `node:http` request loop to the same server (the most it could do).
 */
async function probeRate() {
  const { runHealthCheck } = await import('../src/health/check.ts');
  const { createHttpProber } = await import('../src/health/probe.ts');
  const { parseHealthCheckSpec } = await import('../src/health/spec.ts');
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok","checks":{"db":"up"}}');
  });
  await new Promise((ready) => server.listen(0, '127.0.0.1', ready));
  const url = `http://127.0.0.1:${server.address().port}/healthz`;
  const probes = 1000;
  const rounds = 5;

  const bare = [];
  const rollgate = [];
  const agent = new http.Agent({ keepAlive: true });
  const get = () =>
    new Promise((done, fail) => {
      http
        .get(url, { agent }, (res) => {
          res.resume();
          res.on('end', done);
        })
        .on('error', fail);
    });
  // No wait between probes: the figure is the prober's own cost (the input floor of 100 ms is
  // for users' services; the spec is built from valid inputs, then the wait is taken out).
  const parsed = parseHealthCheckSpec({
    url,
    method: '',
    headers: '',
    'expected-status': '200-299',
    'expect-body': '',
    'expect-json': 'checks.db=up',
    timeout: '5s',
    interval: '100ms',
    'max-interval': '',
    backoff: '',
    deadline: '10m',
    'consecutive-successes': String(probes),
    'max-latency-ms': '',
    'max-redirects': '',
  });
  const spec = { ...parsed, intervalMs: 0, maxIntervalMs: 0 };
  for (let round_ = 0; round_ < rounds; round_++) {
    let started = performance.now();
    for (let i = 0; i < probes; i++) await get();
    bare.push((probes / (performance.now() - started)) * 1000);

    const prober = await createHttpProber();
    const clock = { now: () => performance.now(), sleep: () => Promise.resolve() };
    started = performance.now();
    const report = await runHealthCheck(spec, prober, clock);
    rollgate.push((report.attempts / (performance.now() - started)) * 1000);
    prober.close();
    if (!report.healthy) throw new Error('probe benchmark target was judged unhealthy');
  }
  agent.destroy();
  server.close();
  const rollgateRate = median(rollgate);
  const bareRate = median(bare);
  return {
    probesPerRound: probes,
    rounds,
    rollgatePerSecond: Math.round(rollgateRate),
    bareNodeHttpPerSecond: Math.round(bareRate),
    ratio: round(rollgateRate / bareRate, 2),
  };
}

async function dashboard() {
  const { dashboardBenchmarks } = await import('./dashboard.bench.mjs');
  try {
    return {
      date: new Date().toISOString(),
      ...(await dashboardBenchmarks(
        Number(process.env.BENCH_DASHBOARD_RUNS ?? 9),
        Number(process.env.BENCH_DASHBOARD_SAMPLES ?? 20),
      )),
    };
  } catch (error) {
    // A failed measurement is reported as such, never replaced by an older figure.
    const message = error instanceof Error ? error.message : String(error);
    console.error(`dashboard benchmark failed: ${message}`);
    return { date: new Date().toISOString(), error: message };
  }
}

// `npm run bench -- --dashboard`: the dashboard's figures alone, measured anew and written into
// the last full run's results (each section says when it was measured).
if (process.argv.includes('--dashboard')) {
  console.log('dashboard: 1,000 environments rendered, webhook → browser, page size …');
  const previous = JSON.parse(readFileSync(join(root, 'bench', 'results.json'), 'utf8'));
  const results = { ...previous, dashboard: await dashboard() };
  writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(root, 'docs', 'benchmarks.md'), renderMarkdown(results));
  console.log(JSON.stringify(results.dashboard, null, 2));
  process.exit(0);
}

const names = readdirSync(join(root, 'dist'))
  .filter((name) => statSync(join(root, 'dist', name)).isDirectory())
  .sort();
console.log(`cold start: ${RUNS} pairs each of ${names.join(', ')} and node -e 0 …`);
if (process.argv.includes('--cold-start')) {
  console.log(JSON.stringify(coldStarts(names), null, 2));
  process.exit(0);
}
const results = {
  date: new Date().toISOString(),
  machine: {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    platform: `${os.platform()} ${os.arch()}`,
  },
  coldStart: coldStarts(names),
  bundleSizes: bundleSizes(names),
};
console.log('health-check probe rate …');
results.healthProbes = await probeRate();
console.log('deploy: rollout to report, crash-loop to rollback, kubectl-style baseline …');
const { deployBenchmarks } = await import('./deploy.bench.mjs');
results.deploy = await deployBenchmarks(Number(process.env.BENCH_DEPLOY_RUNS ?? 5));
console.log('app: /deploy webhooks through the Probot server …');
const { appBenchmarks } = await import('./app.bench.mjs');
try {
  results.app = await appBenchmarks(Number(process.env.BENCH_APP_WEBHOOKS ?? 200), 10);
} catch (error) {
  // A failed measurement is reported as such, never replaced by an older figure.
  results.app = { error: error instanceof Error ? error.message : String(error) };
  console.error(`app benchmark failed: ${results.app.error}`);
}

console.log('dashboard: 1,000 environments rendered, webhook → browser, page size …');
results.dashboard = await dashboard();

writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(root, 'docs', 'benchmarks.md'), renderMarkdown(results));
console.log(renderMarkdown(results));

function renderMarkdown(r) {
  const cold = r.coldStart;
  const d = r.deploy;
  return [
    '# Benchmarks',
    '',
    'Reproduce with `npm run bench` (after `npm run bundle`); it rewrites `bench/results.json` and this page.',
    `Figures of ${r.date.slice(0, 10)} on ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}. The machines are`,
    'shared and noisy, so every figure is a median, given as a ratio to a baseline measured in the same run.',
    '',
    '## Action cold start',
    '',
    `Each bundle run until it exits on a missing required input (\`build\` has none: it exits on "nothing to do"), each run paired`,
    `one for one with a bare \`node -e 0\` run just before it; the figure is the median of ${cold.pairs} per-pair ratios. A script that`,
    'prints one line and exits is the floor any action can reach.',
    '',
    '| what starts | × bare node (median of pair ratios) | median | bare node median | target | bundle size |',
    '|---|---:|---:|---:|---:|---:|',
    ...Object.entries(cold.subjects).map(([name, b]) => {
      const bundle = name.startsWith('dist/') ? r.bundleSizes[name.slice(5)] : undefined;
      return `| \`${name}\` | ${b.ratio}× | ${b.medianMs} ms | ${b.bareNodeMedianMs} ms | ${bundle ? '≤ 1.35×' : '—'} | ${bundle ? `${(bundle.bytes / 1024).toFixed(0)} KiB in ${bundle.files} file(s)` : '—'} |`;
    }),
    '',
    'How: the runner protocol is written directly instead of loading `@actions/core` (whose import pulls an HTTP client); the',
    'inputs are checked with no third-party code loaded; `yaml`, `@kubernetes/client-node`, Octokit, `@actions/exec` and',
    '`node:http`/`node:https` are `import()`ed only after the inputs are valid, on the path that needs them (ncc keeps each',
    'such module in its own chunk file, evaluated only when imported).',
    '',
    '## Health-check probe rate',
    '',
    `${r.healthProbes.probesPerRound} sequential probes to a local HTTP server, each judged (status and a JSON path), median of ${r.healthProbes.rounds} rounds, beside a bare keep-alive \`node:http\` GET loop to the same server.`,
    '',
    '| prober | probes/s | ratio |',
    '|---|---:|---:|',
    `| Rollgate (\`runHealthCheck\`) | ${r.healthProbes.rollgatePerSecond} | ${r.healthProbes.ratio}× |`,
    `| bare \`node:http\` | ${r.healthProbes.bareNodeHttpPerSecond} | 1× |`,
    '',
    '## Deploy',
    '',
    `\`dist/deploy\` run as the runner runs it against the Kubernetes API test server (\`test/support/kube-server\`), median of ${d.runs} runs.`,
    "Every reference event comes from a separate watch in the benchmark that applies kubectl's rule",
    "(`rollout_status.go`) itself, not from Rollgate's code. The test server runs cluster time faster than real time (its",
    'time scale below); real times are measured, cluster times are read from its simulated clock.',
    '',
    '| measure | Rollgate | target |',
    '|---|---:|---:|',
    `| rollout complete (kubectl's rule) → action reported success and exited | ${d.rolloutCompleteToReportedMs} ms | < 250 ms |`,
    `| image changed → first \`CrashLoopBackOff\` (the cluster's part, at ×${d.crashLoop.timeScale}) | ${d.crashLoop.changeToFirstCrashLoopMs} ms | — |`,
    `| first \`CrashLoopBackOff\` → rollback started (old template written back) | ${d.crashLoop.rollbackStartedAfterFirstCrashLoopMs} ms | ≤ 2 s |`,
    `| first \`CrashLoopBackOff\` → rollback done (old version available, action exited) | ${d.crashLoop.rollbackDoneAfterFirstCrashLoopMs} ms | — |`,
    `| image changed → rollback done | ${d.crashLoop.changeToRollbackDoneMs} ms real; ${d.crashLoop.changeToRollbackDoneClusterSeconds} s on the cluster's clock | < 60 s of cluster time |`,
    `| kubectl-style baseline (\`kubectl rollout status\`, no fail-fast): image changed → failure known | ${d.kubectlBaseline.failsAfterClusterSeconds} s on the cluster's clock (${d.kubectlBaseline.realMs} ms real at ×${d.kubectlBaseline.timeScale}) | — |`,
    '',
    `The baseline learns of the crash loop only when the Deployment's \`progressDeadlineSeconds\` (600) passes: "${d.kubectlBaseline.reason}".`,
    '',
    ...renderApp(r.app),
    ...renderDashboard(r.dashboard),
  ].join('\n');
}

function renderDashboard(d) {
  if (d === undefined) return [];
  if (d.error !== undefined)
    return [
      '## Dashboard',
      '',
      `Not measured in the run of ${d.date.slice(0, 10)}: the benchmark failed (${d.error}).`,
      '',
    ];
  const r = d.render;
  const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
  const live = d.live;
  const liveRows =
    live.error !== undefined
      ? [`| webhook → open page's row changed | not measured: ${live.error} | — | < 1 s |`]
      : [
          `| \`deployment_status\` webhook → open page's row changed, same replica (median / p99 of ${live.sameReplica.samples}) | ${live.sameReplica.medianMs} / ${live.sameReplica.p99Ms} ms | — | < 1 s |`,
          `| the same, webhook to the other of two replicas, through Redis pub/sub | ${live.otherReplicaThroughRedis.medianMs} / ${live.otherReplicaThroughRedis.p99Ms} ms | — | < 1 s |`,
        ];
  return [
    '## Dashboard',
    '',
    `Measured ${d.date.slice(0, 10)} (\`npm run bench\`, or \`npm run bench -- --dashboard\` for this section alone). The App as`,
    '`npm start` runs it, against the GitHub API test server (which validates every request and response against the',
    'OpenAPI description in the measuring process: each read costs milliseconds of its CPU, so the reads dominate a cold',
    `page here). The overview of ${r.environments.toLocaleString('en')} environments (${r.repositories} repositories × ${r.environments / r.repositories} environments, each`,
    'with its newest deployment and status, every other with an older one too, one lock), timed over HTTP from the request to',
    'the last byte. Cold: a fresh App process (no installation token, nothing cached), median of',
    `${r.coldRuns}; warm: the next loads, median of ${r.runs}, each beside a \`GET /ping\` to the same server. Warm loads read what`,
    "GitHub's answers allow to be reused (`Cache-Control: private, max-age=60`) from the ETag cache; a repository the App hears",
    'a change of (a webhook, a lock) is asked for again with conditional requests, which GitHub answers 304 for free.',
    '',
    '| measure | dashboard | `GET /ping` (same server, same run) | target |',
    '|---|---:|---:|---:|',
    `| overview of ${r.environments.toLocaleString('en')} environments, warm (median / p90) | ${r.warmMedianMs} / ${r.warmP90Ms} ms | ${r.pingMedianMs} ms | < 300 ms |`,
    `| the same, cold | ${r.coldMedianMs} ms | — | — |`,
    `| GitHub requests per load: cold / warm | ${r.githubCallsCold} / ${r.githubCallsWarm} | — | — |`,
    ...(r.appPeakRssMiB === undefined
      ? []
      : [
          `| App peak RSS, the cache of ${r.environments.toLocaleString('en')} environments' reads held | ${r.appPeakRssMiB} MiB | — | < 200 MB |`,
        ]),
    ...liveRows,
    `| the page's own code and styles (inline script and style), gzip | ${kib(r.ownCode.gzipBytes)} (${kib(r.ownCode.bytes)} raw) | — | < 100 KiB |`,
    `| the whole overview page of ${r.environments.toLocaleString('en')} environments, gzip | ${kib(r.pageGzipBytes)} (${kib(r.pageBytes)} raw) | — | — |`,
    '',
    `The warm load's GitHub requests are the user's own (which installations and repositories they may see, read anew on every`,
    "load so a revoked access shows at once); the installation's reads all came from the cache. A cold load reads each",
    "repository's environments, deployments and lock refs, and each environment's newest status: one request per environment.",
    '',
  ];
}

function renderApp(a) {
  // Probot's webhook middleware (@octokit/webhooks, createNodeMiddleware) answers 202 "still
  // processing" once handling a delivery takes longer than its 9 s timeout.
  if (a.error !== undefined)
    return [
      '## GitHub App',
      '',
      `Not measured in this run: the benchmark failed (${a.error}). Probot answers 202 when a delivery takes longer than`,
      'its handling timeout, which on an overloaded machine means the figures would be meaningless; run `npm run bench` again on a quiet one.',
      '',
    ];
  return [
    '## GitHub App',
    '',
    'Signed `issue_comment` webhooks through the App as `npm start` runs it, against the GitHub API test server (which validates',
    'every request and response against the OpenAPI description in the measuring process, so these figures are a floor), each',
    'request timed by a proxy in front of it. Beside it, on the same server in the same run, a bare Probot app',
    '(`bench/bare-probot-app.mjs`: one reaction, one deployment, Probot 14 defaults).',
    '',
    '| measure | Rollgate | bare Probot | target |',
    '|---|---:|---:|---:|',
    `| one /deploy: webhook → 👀 (median / max of ${a.single.samples}) | ${a.single.rollgate.reaction.medianMs} / ${a.single.rollgate.reaction.maxMs} ms | ${a.single.bareProbot.reaction.medianMs} / ${a.single.bareProbot.reaction.maxMs} ms | < 200 ms |`,
    `| one /deploy: webhook → Deployment | ${a.single.rollgate.deployment.medianMs} / ${a.single.rollgate.deployment.maxMs} ms | ${a.single.bareProbot.deployment.medianMs} / ${a.single.bareProbot.deployment.maxMs} ms | < 500 ms |`,
    `| ${a.burst.commands} /deploy at once, ${a.burst.commands} repositories, GitHub's limits: Deployment p50 / last | ${a.burst.deploymentP50Ms} / ${a.burst.lastDeploymentMs} ms | — | all < 20 s |`,
    `| that burst: most writes in any 60 s / writes in flight at once / requests in flight | ${a.burst.writesInAnyMinute} / ${a.burst.writesInFlightAtOnce} / ${a.burst.requestsInFlightAtOnce} | — | ≤ 80 / 1 / ≤ 100 |`,
    `| ${a.webhooks} /deploy, each on its own PR, ${a.concurrency} in flight (limits raised): handled p50 / p99 | ${a.latencyP50Ms} / ${a.latencyP99Ms} ms | — | — |`,
    `| that load: webhook → Deployment p50 / p99 | ${a.deploymentP50Ms} / ${a.deploymentP99Ms} ms | — | — |`,
    `| App peak RSS (burst / load) | ${a.burst.peakRssMiB} / ${a.peakRssMiB} MiB | — | < 200 MB |`,
    `| GitHub API calls per /deploy | ${a.apiCallsPerDeploy} | 2 | ≤ 7 (≤ 5 writes) |`,
    '',
    'The calls of one `/deploy`, in order:',
    '',
    ...a.apiCalls.map((call, i) => `${i + 1}. \`${call}\``),
    '',
    'Over the target of 7 calls and 5 writes, and kept so: 8 writes, each one promised to the user — 👀 (the claim that',
    "makes redeliveries and replicas safe), the marker's commit and ref under `refs/rollgate/` (what keeps twenty",
    'simultaneous requests to one deploy), the Deployment, the check run, the sticky comment, the reply and 🚀. The reads',
    "all come before the first write, the Deployment is the fourth write, and a burst reserves the claims' writes first",
    "(`app/limits/limiter.ts`), so the last of twenty Deployments lands within seconds at GitHub's 80 writes a minute.",
    'Candidates to cut: the configuration read with a conditional request (ETag), the read-back of the sticky comment.',
    '',
  ];
}
