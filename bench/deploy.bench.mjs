// Deploy benchmarks against the Kubernetes API test server: how soon the action reports a
// completed rollout, and how soon a crash-looping release is rolled back, beside a
// kubectl-style waiter that only gives up at the progress deadline.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Starts dist/deploy like the runner does; resolves with the exit time and the outputs. */
function runDeployBundle(inputs, env) {
  const dir = mkdtempSync(join(tmpdir(), 'rollgate-bench-'));
  const output = join(dir, 'output');
  writeFileSync(output, '');
  const child = spawn(process.execPath, [join(root, 'dist', 'deploy', 'index.js')], {
    env: {
      PATH: process.env.PATH,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: join(dir, 'summary'),
      RUNNER_TEMP: dir,
      GITHUB_WORKSPACE: dir,
      ...env,
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    },
    stdio: 'ignore',
  });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      const exitedAt = performance.now();
      const text = readFileSync(output, 'utf8');
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, exitedAt, status: /status<<(\S+)\n(.*)\n/.exec(text)?.[2] });
    });
  });
}

/** Calls `onEvent(type, object)` for every watch event on `path` until `stop()` is called. */
async function watch(kubeConfig, path, onEvent) {
  const { Watch } = await import('@kubernetes/client-node');
  const controller = await new Watch(kubeConfig).watch(path, {}, onEvent, () => undefined);
  return () => controller.abort();
}

const baseInputs = (kube) => ({
  environment: 'staging',
  namespace: 'shop',
  deployment: 'api',
  kubeconfig: kube.kubeconfig(),
  token: '',
  timeout: '10m',
});

export async function deployBenchmarks(runs = 5) {
  const { startDeployStand } = await import('../test/support/deploy-stand.ts');
  const { rolloutStatus } = await import('../src/kubernetes/rollout-status.ts');
  const { waitForRollout } = await import('../src/kubernetes/rollout-watch.ts');
  const { KubeConfig } = await import('@kubernetes/client-node');

  // 1. Rollout complete (as kubectl would judge it) → the action has reported success and exited.
  const reportLatency = [];
  for (let i = 0; i < runs; i++) {
    const stand = await startDeployStand();
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(stand.kube.kubeconfig());
    let completeAt;
    const stop = await watch(kubeConfig, '/apis/apps/v1/namespaces/shop/deployments', (_type, d) => {
      const image = d.spec?.template?.spec?.containers?.[0]?.image;
      if (completeAt === undefined && image?.endsWith(':1.1.0') && rolloutStatus(d).phase === 'complete')
        completeAt = performance.now();
    });
    const run = await runDeployBundle(
      { ...baseInputs(stand.kube), image: 'ghcr.io/octo-org/api:1.1.0' },
      stand.env,
    );
    stop();
    if (run.status !== 'success' || completeAt === undefined)
      throw new Error(`deploy benchmark run failed: ${run.status}`);
    reportLatency.push(run.exitedAt - completeAt);
    await stand.close();
  }

  // 2. A crash-looping release: first CrashLoopBackOff → rollback started (the template is the old
  // image again) → rollback done (the action exited, the old version available).
  const timeScale = 20;
  const started = [];
  const done = [];
  for (let i = 0; i < runs; i++) {
    const stand = await startDeployStand({ timeScale });
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(stand.kube.kubeconfig());
    let crashAt;
    let revertedAt;
    let changed = false;
    const stopPods = await watch(kubeConfig, '/api/v1/namespaces/shop/pods', (_type, pod) => {
      const crashing = (pod.status?.containerStatuses ?? []).some(
        (c) => c.state?.waiting?.reason === 'CrashLoopBackOff',
      );
      if (crashing && crashAt === undefined) crashAt = performance.now();
    });
    const stopDeployments = await watch(
      kubeConfig,
      '/apis/apps/v1/namespaces/shop/deployments',
      (_type, d) => {
        const image = d.spec?.template?.spec?.containers?.[0]?.image ?? '';
        if (image.endsWith('crashloop')) changed = true;
        if (changed && image.endsWith(':1.0.0') && revertedAt === undefined) revertedAt = performance.now();
      },
    );
    const run = await runDeployBundle(
      { ...baseInputs(stand.kube), image: 'ghcr.io/octo-org/api:1.1.0-crashloop' },
      stand.env,
    );
    stopPods();
    stopDeployments();
    if (run.status !== 'rolled-back' || crashAt === undefined || revertedAt === undefined)
      throw new Error(`crash-loop benchmark run ended ${run.status}`);
    started.push(revertedAt - crashAt);
    done.push(run.exitedAt - crashAt);
    await stand.close();
  }

  // 3. The kubectl-style baseline: the same release, judged only by `kubectl rollout status`
  // semantics, fails when the Progressing condition turns ProgressDeadlineExceeded (600 s).
  const baselineScale = 200;
  const stand = await startDeployStand({ timeScale: baselineScale });
  await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(stand.kube.kubeconfig());
  const { connectCluster } = await import('../src/kubernetes/cluster.ts');
  const cluster = await connectCluster(kubeConfig);
  await cluster.patchDeployment(
    'shop',
    'api',
    {
      spec: {
        template: { spec: { containers: [{ name: 'app', image: 'ghcr.io/octo-org/api:1.1.0-crashloop' }] } },
      },
    },
    'strategic',
  );
  const baselineStart = performance.now();
  const clusterStart = stand.kube.clock.now();
  const verdict = await waitForRollout({
    kubeConfig,
    namespace: 'shop',
    name: 'api',
    timeoutMs: 120_000,
    restartThreshold: undefined,
    now: () => performance.now(),
    onProgress: () => undefined,
  });
  const baselineClusterSeconds = (stand.kube.clock.now() - clusterStart) / 1000;
  const baselineRealMs = performance.now() - baselineStart;
  await stand.close();
  if (verdict.outcome !== 'failed') throw new Error('the kubectl-style baseline did not fail');

  return {
    runs,
    rolloutCompleteToReportedMs: Math.round(median(reportLatency)),
    crashLoop: {
      timeScale,
      rollbackStartedAfterFirstCrashLoopMs: Math.round(median(started)),
      rollbackDoneAfterFirstCrashLoopMs: Math.round(median(done)),
    },
    kubectlBaseline: {
      failsAfterClusterSeconds: Math.round(baselineClusterSeconds),
      realMsAtTimeScale: Math.round(baselineRealMs),
      timeScale: baselineScale,
      reason: verdict.message,
    },
  };
}
