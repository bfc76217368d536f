// Deploy benchmarks against the Kubernetes API test server: how soon the action reports a
// completed rollout, and how soon a crash-looping release is rolled back, beside a
// kubectl-style waiter that only gives up at the progress deadline.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout } from 'node:timers';
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

/**
 * kubectl's rule for a Deployment's rollout (`pkg/polymorphichelpers/rollout_status.go`,
 * DeploymentStatusViewer), written out here on purpose: the reference events of these
 * benchmarks must not come from the code under test. 'complete', 'failed' or 'waiting'.
 */
function kubectlRolloutPhase(d) {
  const status = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (status.observedGeneration ?? 0)) return 'waiting';
  const progressing = (status.conditions ?? []).find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return 'failed';
  const updated = status.updatedReplicas ?? 0;
  if (d.spec?.replicas !== undefined && updated < d.spec.replicas) return 'waiting';
  if ((status.replicas ?? 0) > updated) return 'waiting';
  if ((status.availableReplicas ?? 0) < updated) return 'waiting';
  return 'complete';
}

const imageOfDeployment = (d) => d.spec?.template?.spec?.containers?.[0]?.image ?? '';

export async function deployBenchmarks(runs = 5) {
  const { startDeployStand } = await import('../test/support/deploy-stand.ts');
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfigOf = (stand) => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(stand.kube.kubeconfig());
    return kubeConfig;
  };

  // 1. Rollout complete, by an independent watch applying kubectl's rule → the action has
  // reported success and exited.
  const reportLatency = [];
  for (let i = 0; i < runs; i++) {
    const stand = await startDeployStand();
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
    let completeAt;
    const stop = await watch(kubeConfigOf(stand), '/apis/apps/v1/namespaces/shop/deployments', (_type, d) => {
      if (
        completeAt === undefined &&
        imageOfDeployment(d).endsWith(':1.1.0') &&
        kubectlRolloutPhase(d) === 'complete'
      )
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

  // 2. A crash-looping release, timed from the change (the Deployment's template takes the new
  // image) through the first CrashLoopBackOff to the rollback started (the template is the old
  // image again) and done (the action exited). Real times are real; cluster times are read
  // from the test server's simulated clock at the same events, never computed by scaling.
  const timeScale = 20;
  const samples = {
    changeToCrash: [],
    crashToStarted: [],
    crashToDone: [],
    changeToDone: [],
    clusterChangeToDone: [],
  };
  for (let i = 0; i < runs; i++) {
    const stand = await startDeployStand({ timeScale });
    await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
    const kubeConfig = kubeConfigOf(stand);
    let changedAt;
    let changedAtCluster;
    let crashAt;
    let revertedAt;
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
        const image = imageOfDeployment(d);
        if (image.endsWith('crashloop') && changedAt === undefined) {
          changedAt = performance.now();
          changedAtCluster = stand.kube.clock.now();
        }
        if (changedAt !== undefined && image.endsWith(':1.0.0') && revertedAt === undefined)
          revertedAt = performance.now();
      },
    );
    const run = await runDeployBundle(
      { ...baseInputs(stand.kube), image: 'ghcr.io/octo-org/api:1.1.0-crashloop' },
      stand.env,
    );
    const doneAtCluster = stand.kube.clock.now();
    stopPods();
    stopDeployments();
    if (
      run.status !== 'rolled-back' ||
      changedAt === undefined ||
      crashAt === undefined ||
      revertedAt === undefined
    )
      throw new Error(`crash-loop benchmark run ended ${run.status}`);
    samples.changeToCrash.push(crashAt - changedAt);
    samples.crashToStarted.push(revertedAt - crashAt);
    samples.crashToDone.push(run.exitedAt - crashAt);
    samples.changeToDone.push(run.exitedAt - changedAt);
    samples.clusterChangeToDone.push(doneAtCluster - changedAtCluster);
    await stand.close();
  }

  // 3. The kubectl-style baseline: the same release, judged only by kubectl's rule (no
  // fail-fast), by an independent watch: it fails when Progressing turns ProgressDeadlineExceeded.
  const baselineScale = 200;
  const stand = await startDeployStand({ timeScale: baselineScale });
  await stand.seedDeployment('api', 'ghcr.io/octo-org/api:1.0.0');
  const kubeConfig = kubeConfigOf(stand);
  let failedAt;
  let failedAtCluster;
  let reason = '';
  const failed = new Promise((resolve) => {
    void watch(kubeConfig, '/apis/apps/v1/namespaces/shop/deployments', (_type, d) => {
      if (!imageOfDeployment(d).endsWith('crashloop') || failedAt !== undefined) return;
      if (kubectlRolloutPhase(d) !== 'failed') return;
      failedAt = performance.now();
      failedAtCluster = stand.kube.clock.now();
      reason = (d.status?.conditions ?? []).find((c) => c.type === 'Progressing')?.message ?? '';
      resolve(undefined);
    }).then((stop) => failed.then(stop));
  });
  const { AppsV1Api, PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
  const baselineStart = performance.now();
  const changedAtCluster = stand.kube.clock.now();
  await kubeConfig.makeApiClient(AppsV1Api).patchNamespacedDeployment(
    {
      name: 'api',
      namespace: 'shop',
      body: {
        spec: {
          template: {
            spec: { containers: [{ name: 'app', image: 'ghcr.io/octo-org/api:1.1.0-crashloop' }] },
          },
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  await Promise.race([
    failed,
    new Promise((_, reject) =>
      setTimeout(
        () => reject(new Error('the kubectl-style baseline did not fail in 120 s')),
        120_000,
      ).unref(),
    ),
  ]);
  await stand.close();

  const ms = (values) => Math.round(median(values));
  return {
    runs,
    rolloutCompleteToReportedMs: ms(reportLatency),
    crashLoop: {
      timeScale,
      changeToFirstCrashLoopMs: ms(samples.changeToCrash),
      rollbackStartedAfterFirstCrashLoopMs: ms(samples.crashToStarted),
      rollbackDoneAfterFirstCrashLoopMs: ms(samples.crashToDone),
      changeToRollbackDoneMs: ms(samples.changeToDone),
      changeToRollbackDoneClusterSeconds: Math.round(median(samples.clusterChangeToDone) / 100) / 10,
    },
    kubectlBaseline: {
      failsAfterClusterSeconds: Math.round((failedAtCluster - changedAtCluster) / 1000),
      realMs: Math.round(failedAt - baselineStart),
      timeScale: baselineScale,
      reason,
    },
  };
}
