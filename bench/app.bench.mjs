// App benchmarks: /deploy webhooks through the real Probot server (signature verified) against
// the GitHub API test server — throughput, p50/p99 handling latency, the App's peak RSS, and
// the GitHub API calls one /deploy makes.
import { readFileSync } from 'node:fs';

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p * sorted.length) / 100) - 1)];
};

/** The App's peak resident set (VmHWM) in MiB, from /proc. */
function peakRssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return Math.round(kib / 1024);
}

export async function appBenchmarks(count = 200, concurrency = 10) {
  const { startAppStand } = await import('../test/support/app-stand.ts');
  // A realistic configuration (a handful of environments); the deploy-in-progress branch of an
  // environment is removed between deploys, as a finished deployment does.
  const environments = Array.from({ length: concurrency + 2 }, (_, i) => `env-${i}`);
  const config = `environments:\n${environments.map((e) => `  ${e}:\n    url: https://${e}.example.com\n    requires: { checks: none }\n`).join('')}`;
  // The test server has no secondary rate limits: no spacing of writes (GitHub's own is 1 s).
  const stand = await startAppStand({
    config,
    env: {
      LOG_LEVEL: 'warn',
      ROLLGATE_WRITE_INTERVAL_MS: '0',
      ROLLGATE_NOTIFICATION_INTERVAL_MS: '0',
      ...(process.env.APP_NODE_OPTIONS ? { NODE_OPTIONS: process.env.APP_NODE_OPTIONS } : {}),
    },
  });
  try {
    // The calls of one /deploy (after a warm-up deploy that also fetched the installation token).
    const free = (environment) =>
      stand.github.state
        .seeded('octo-org/hello-service')
        .refs.delete(`refs/rollgate/deploying/${environment}`);
    await stand.comment('/deploy env-0');
    const before = stand.github.calls.length;
    await stand.comment('/deploy env-1');
    free('env-0');
    free('env-1');
    const calls = stand.github.calls.slice(before).map((c) => `${c.method} ${c.operationId ?? c.path}`);

    const latencies = [];
    let sent = 0;
    const started = performance.now();
    const worker = async (slot) => {
      const environment = environments[slot];
      while (sent < count) {
        sent++;
        const t0 = performance.now();
        const { status } = await stand.comment(`/deploy ${environment}`);
        if (status !== 200) throw new Error(`webhook answered ${status}`);
        latencies.push(performance.now() - t0);
        free(environment);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, slot) => worker(slot)));
    const seconds = (performance.now() - started) / 1000;
    const deployments = stand.github.callsTo('repos/create-deployment').length;
    if (deployments !== count + 2) throw new Error(`expected ${count + 2} deployments, got ${deployments}`);
    return {
      webhooks: latencies.length,
      concurrency,
      webhooksPerSecond: Math.round((latencies.length / seconds) * 10) / 10,
      latencyP50Ms: Math.round(percentile(latencies, 50)),
      latencyP99Ms: Math.round(percentile(latencies, 99)),
      peakRssMiB: stand.pid === undefined ? undefined : peakRssMiB(stand.pid),
      apiCallsPerDeploy: calls.length,
      apiCalls: calls,
    };
  } finally {
    await stand.close();
  }
}
