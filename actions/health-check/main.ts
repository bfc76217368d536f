import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEALTH_CHECK_INPUTS, healthCheckSecrets, parseHealthCheckSpec } from '../../src/health/spec.ts';
import { RollgateError } from '../../src/errors.ts';
import { splitLines } from '../../src/inputs/scalars.ts';
import * as core from '../runner-io.ts';

void core.runAction(
  async () => {
    const raw = core.readInputs(HEALTH_CHECK_INPUTS);
    const kube = core.readInputs(['deployment', 'namespace', 'kubeconfig']);
    for (const secret of healthCheckSecrets(raw)) core.setSecret(secret);
    const deployments = splitLines(kube.deployment);
    const spec = parseHealthCheckSpec(raw, { urlRequired: deployments.length === 0 });
    // The prober (node:http, node:https) and the report renderer load only once inputs are valid.
    const [{ runHealthCheck, systemClock }, { createHttpProber }, { renderHealthSummary }] =
      await Promise.all([
        import('../../src/health/check.ts'),
        import('../../src/health/probe.ts'),
        import('../../src/health/report.ts'),
      ]);

    // Kubernetes readiness and the HTTP probes run side by side, within the same deadline.
    const readiness =
      deployments.length === 0
        ? Promise.resolve([])
        : import('./readiness-step.ts').then(({ readinessStep }) =>
            readinessStep(deployments, kube.namespace, kube.kubeconfig, spec.deadlineMs),
          );
    core.info(
      `Checking ${spec.urls.length} URL(s) until ${spec.consecutiveSuccesses} consecutive success(es) or ${spec.deadlineMs} ms.`,
    );
    const prober = await createHttpProber();
    const probing = runHealthCheck(spec, prober, systemClock, (url, attempt, outcome, ok) => {
      core.info(`${ok ? '✓' : '✗'} ${url} attempt ${attempt}: ${outcome}`);
    }).finally(() => {
      prober.close();
    });
    const [report, ready] = await Promise.all([probing, readiness]);

    const reportPath = join(
      process.env.RUNNER_TEMP ?? tmpdir(),
      `rollgate-health-${process.pid}-${Date.now()}.json`,
    );
    writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
    const notReady = ready.filter((r) => !r.ready);
    core.setOutput('healthy', String(report.healthy && notReady.length === 0));
    core.setOutput('attempts', String(report.attempts));
    core.setOutput('latency-p50-ms', report.latencyP50Ms === undefined ? '' : String(report.latencyP50Ms));
    core.setOutput('latency-p95-ms', report.latencyP95Ms === undefined ? '' : String(report.latencyP95Ms));
    core.setOutput('duration-ms', String(report.durationMs));
    core.setOutput('report', reportPath);
    core.appendSummary(renderHealthSummary(report, ready));

    const unhealthy = [
      ...report.urls.filter((u) => !u.healthy).map((u) => `${u.url}: ${u.reason ?? 'unhealthy'}`),
      ...notReady.map((r) => `deployment ${r.deployment}: ${r.message}`),
    ];
    for (const line of unhealthy) core.error(line, { title: 'Unhealthy' });
    if (unhealthy.length > 0) {
      throw new RollgateError(
        `Health check failed: ${unhealthy.length} of ${report.urls.length + ready.length} check(s) unhealthy (${unhealthy.join('; ')}).`,
        '',
        'See the job summary for each URL; fix the service, or adjust expected-status, expect-body, expect-json, deadline or max-latency-ms if the expectation is wrong.',
      );
    }
    core.info(`All ${report.urls.length} URL(s) healthy after ${report.attempts} attempt(s).`);
  },
  { healthy: 'false' },
);
