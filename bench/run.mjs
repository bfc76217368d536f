// npm run bench — Rollgate's performance figures, each beside a baseline measured in the same
// run on the same machine (these machines are shared and noisy: ratios and medians, not
// absolute times). Writes bench/results.json and docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const RUNS = Number(process.env.BENCH_RUNS ?? 21);

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
 * before doing any work), interleaved with bare `node -e 0` so both see the same noise.
 */
function coldStarts(names) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  const baseline = [];
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < RUNS + 2; i++) {
    const warmup = i < 2;
    const base = timeProcess(['-e', '0'], env);
    if (!warmup) baseline.push(base.elapsed);
    for (const name of names) {
      const run = timeProcess([join(root, 'dist', name, 'index.js')], env);
      if (run.status !== 1)
        throw new Error(`dist/${name} exited ${run.status} without inputs; expected 1 (missing input)`);
      if (!warmup) samples[name].push(run.elapsed);
    }
  }
  const baselineMedian = median(baseline);
  return {
    runs: RUNS,
    baselineMs: round(baselineMedian),
    bundles: Object.fromEntries(
      names.map((name) => {
        const ms = median(samples[name]);
        return [name, { medianMs: round(ms), ratio: round(ms / baselineMedian, 2) }];
      }),
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
  const spec = parseHealthCheckSpec({
    url,
    method: '',
    headers: '',
    'expected-status': '200-299',
    'expect-body': '',
    'expect-json': 'checks.db=up',
    timeout: '5s',
    interval: '0ms',
    'max-interval': '',
    backoff: '',
    deadline: '10m',
    'consecutive-successes': String(probes),
    'max-latency-ms': '',
    'max-redirects': '',
  });
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

const names = readdirSync(join(root, 'dist'))
  .filter((name) => statSync(join(root, 'dist', name)).isDirectory())
  .sort();
console.log(`cold start: ${RUNS} runs each of ${names.join(', ')} beside node -e 0 …`);
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
results.app = await appBenchmarks(Number(process.env.BENCH_APP_WEBHOOKS ?? 200), 10);

writeFileSync(join(root, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(root, 'docs', 'benchmarks.md'), renderMarkdown(results));
console.log(renderMarkdown(results));

function renderMarkdown(r) {
  const cold = r.coldStart;
  const targets = {
    'health-check': '≤ 1.5×',
    build: '≤ 1.5×',
    deploy: '< 2.6×',
    rollback: '< 2.6×',
    rollgate: '< 2.6×',
  };
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
    `Each bundle run to exit on a missing required input (\`build\` has none: it exits on "nothing to do"), median of ${cold.runs} runs, interleaved with bare`,
    `\`node -e 0\` (median ${cold.baselineMs} ms in this run).`,
    '',
    '| bundle | median | × bare node | target | bundle size |',
    '|---|---:|---:|---:|---:|',
    ...Object.entries(cold.bundles).map(
      ([name, b]) =>
        `| \`dist/${name}\` | ${b.medianMs} ms | ${b.ratio}× | ${targets[name] ?? '—'} | ${(r.bundleSizes[name].bytes / 1024).toFixed(0)} KiB in ${r.bundleSizes[name].files} file(s) |`,
    ),
    '',
    'For comparison, the most used URL-check action starts at 1.5× bare node, and Azure/k8s-deploy v7 at 2.6× on node24. Rollgate stays low by writing the',
    "runner's file protocol directly instead of loading `@actions/core` (whose import pulls an HTTP client), and by",
    'loading `node:http`/`node:https`, `@actions/exec`, Octokit and `@kubernetes/client-node` only once inputs are valid.',
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
    `\`dist/deploy\` run as the runner runs it against the Kubernetes API test server (\`test/support/kube-server\`), median of ${d.runs} runs. The`,
    'test server simulates cluster time faster than real time (time scale below); the watch latencies are real.',
    '',
    '| measure | Rollgate | target |',
    '|---|---:|---:|',
    `| rollout complete (kubectl's rule) → action reported success and exited | ${d.rolloutCompleteToReportedMs} ms | < 250 ms |`,
    `| first \`CrashLoopBackOff\` → rollback started (old template written back) | ${d.crashLoop.rollbackStartedAfterFirstCrashLoopMs} ms | ≤ 2 s |`,
    `| first \`CrashLoopBackOff\` → rollback done (old version available, action exited) | ${d.crashLoop.rollbackDoneAfterFirstCrashLoopMs} ms real, ${((d.crashLoop.rollbackDoneAfterFirstCrashLoopMs * d.crashLoop.timeScale) / 1000).toFixed(1)} s of cluster time (×${d.crashLoop.timeScale}) | < 60 s |`,
    `| kubectl-style baseline (\`kubectl rollout status\`, no fail-fast): failure known after | ${d.kubectlBaseline.failsAfterClusterSeconds} s of cluster time (${d.kubectlBaseline.realMsAtTimeScale} ms real at ×${d.kubectlBaseline.timeScale}) | — |`,
    '',
    `The baseline learns of the crash loop only when the Deployment's \`progressDeadlineSeconds\` (600) passes: "${d.kubectlBaseline.reason}".`,
    '',
    '## GitHub App',
    '',
    'Signed `issue_comment` webhooks through the App as `npm start` runs it, against the GitHub API test server (which validates',
    'every request and response against the OpenAPI description in the measuring process, so these figures are a floor), each',
    'request timed by a proxy in front of it. Beside it, on the same server in the same run, a bare Probot app',
    '(`bench/bare-probot-app.mjs`: one reaction, one deployment, Probot 14 defaults).',
    '',
    '| measure | Rollgate | bare Probot | target |',
    '|---|---:|---:|---:|',
    `| one /deploy: webhook → 👀 (median / max of ${r.app.single.samples}) | ${r.app.single.rollgate.reaction.medianMs} / ${r.app.single.rollgate.reaction.maxMs} ms | ${r.app.single.bareProbot.reaction.medianMs} / ${r.app.single.bareProbot.reaction.maxMs} ms | < 200 ms |`,
    `| one /deploy: webhook → Deployment | ${r.app.single.rollgate.deployment.medianMs} / ${r.app.single.rollgate.deployment.maxMs} ms | ${r.app.single.bareProbot.deployment.medianMs} / ${r.app.single.bareProbot.deployment.maxMs} ms | < 500 ms |`,
    `| ${r.app.burst.commands} /deploy at once, ${r.app.burst.commands} repositories, GitHub's limits: Deployment p50 / last | ${r.app.burst.deploymentP50Ms} / ${r.app.burst.lastDeploymentMs} ms | — | all < 20 s |`,
    `| that burst: most writes in any 60 s / writes in flight at once / requests in flight | ${r.app.burst.writesInAnyMinute} / ${r.app.burst.writesInFlightAtOnce} / ${r.app.burst.requestsInFlightAtOnce} | — | ≤ 80 / 1 / ≤ 100 |`,
    `| ${r.app.webhooks} /deploy, each on its own PR, ${r.app.concurrency} in flight (limits raised): handled p50 / p99 | ${r.app.latencyP50Ms} / ${r.app.latencyP99Ms} ms | — | — |`,
    `| that load: webhook → Deployment p50 / p99 | ${r.app.deploymentP50Ms} / ${r.app.deploymentP99Ms} ms | — | — |`,
    `| App peak RSS (burst / load) | ${r.app.burst.peakRssMiB} / ${r.app.peakRssMiB} MiB | — | < 200 MB |`,
    `| GitHub API calls per /deploy | ${r.app.apiCallsPerDeploy} | 2 | ≤ 6 |`,
    '',
    'The calls of one `/deploy`, in order:',
    '',
    ...r.app.apiCalls.map((call, i) => `${i + 1}. \`${call}\``),
    '',
    'Over the target of 6: the claim reaction (👀) is what makes redeliveries and replicas safe; the lock read, the',
    'in-progress commit and branch are what make twenty simultaneous requests safe; the check run, the sticky comment (list and',
    'edit), the reply and the final reaction are what the user sees. Candidates to cut: reading the configuration with a',
    'conditional request (ETag), and leaving the sticky comment to the first deployment status.',
    '',
  ].join('\n');
}
