import { RollgateError } from '../errors.ts';
import { setDeploymentStatus } from '../github/deployments.ts';
import type { RollbackResult } from '../kubernetes/rollback.ts';
import { waitForRollout } from '../kubernetes/rollout-watch.ts';
import { parseWorkloadRef } from '../kubernetes/workload-ref.ts';
import {
  applyWorkloadRollback,
  prepareWorkloadRollback,
  type PreparedWorkloadRollback,
} from '../kubernetes/workload-rollback.ts';
import { Timeline } from './timeline.ts';
import {
  openRollbackDeployment,
  type RollbackFacts,
  type RollbackOutcome,
  type RollbackPorts,
  type RollbackSpec,
} from './rollback-spec.ts';

/**
 * Returns StatefulSets and DaemonSets to their previous (or a named) ControllerRevision with kubectl's undo,
 * waits for the rollout, and records it as a `deploy:rollback` GitHub Deployment (or reports on
 * the one a `deployment` event carries), so the Deployments tab tells what runs.
 */
export async function runWorkloadRollback(
  spec: RollbackSpec,
  facts: RollbackFacts,
  ports: RollbackPorts,
): Promise<RollbackOutcome> {
  const timeline = new Timeline(ports.now);
  const { cluster, github } = ports;
  // Plan every rollback before changing anything: a typo or an unknown version changes nothing.
  const refs = spec.deployments.map((text) => parseWorkloadRef('deployment', text));
  const prepared: PreparedWorkloadRollback[] = [];
  for (const { kind, name } of refs)
    prepared.push(await prepareWorkloadRollback(cluster, spec.namespace, kind, name, spec.target));

  const deploymentId = await openRollbackDeployment(spec, facts, github, {
    sha: facts.sha,
    version: spec.target.version,
    fromVersion: undefined,
  });

  const results: RollbackResult[] = [];
  let failure: string | undefined;
  try {
    for (const plan of prepared) {
      const name = plan.name;
      const result = await applyWorkloadRollback(cluster, plan);
      results.push(result);
      ports.log(`[${(timeline.elapsed() / 1000).toFixed(1)} s] ${result.message}`);
      timeline.mark('rolling back', result.message);
      const rollout = await waitForRollout({
        kubeConfig: cluster.kubeConfig,
        namespace: spec.namespace,
        name,
        kind: plan.kind,
        timeoutMs: spec.timeoutMs,
        restartThreshold: undefined,
        now: ports.now,
        onProgress: ports.log,
      });
      if (rollout.outcome === 'failed') {
        failure = `${name}: ${rollout.message}`;
        break;
      }
      timeline.mark('rolled back', rollout.message);
    }
  } catch (error) {
    failure = error instanceof RollgateError ? error.render() : (error as Error).message;
  }
  const rolledBackTo = results
    .map((r) => (r.version ? `${r.version} (revision ${r.toRevision})` : `revision ${r.toRevision}`))
    .join(', ');
  if (github && deploymentId !== undefined) {
    await setDeploymentStatus(
      github.api,
      github.repo,
      deploymentId,
      failure === undefined ? 'success' : 'failure',
      {
        logUrl: facts.runUrl,
        description: failure === undefined ? `Rolled back to ${rolledBackTo}` : `Rollback failed: ${failure}`,
      },
    );
  }
  return {
    results,
    deploymentId,
    revision: results[0]?.toRevision,
    rolledBackTo,
    durationMs: timeline.elapsed(),
    timeline: timeline.entries,
    failure,
    runningNow: undefined,
  };
}
