import { RollgateError } from '../errors.ts';
import { setDeploymentStatus } from '../github/deployments.ts';
import { outcomeOf } from '../kubernetes/annotations.ts';
import { recordOutcome } from '../kubernetes/outcome.ts';
import { describePodFailure } from '../kubernetes/pod-failures.ts';
import {
  applyRollback,
  prepareRollback,
  type PreparedRollback,
  type RollbackResult,
} from '../kubernetes/rollback.ts';
import { waitForRollout, type RolloutResult } from '../kubernetes/rollout-watch.ts';
import { rolloutFailureOf } from './strategy.ts';
import { Timeline } from './timeline.ts';
import {
  openRollbackDeployment,
  type RollbackFacts,
  type RollbackOutcome,
  type RollbackPorts,
  type RollbackSpec,
} from './rollback-spec.ts';
import { runWorkloadRollback } from './workload-rollback-run.ts';
import { parseWorkloadRef } from '../kubernetes/workload-ref.ts';

export type { RollbackFacts, RollbackOutcome, RollbackPorts, RollbackSpec } from './rollback-spec.ts';

/**
 * Container restarts of a rollback's new pods that fail it at once: the deploy action's default
 * `restart-threshold`. A rollback target that crash-loops is as failed as a deploy that does.
 */
const RESTART_THRESHOLD = 3;

/** One Deployment of the rollback once its undo was applied and its rollout watched. */
interface Attempt {
  readonly prepared: PreparedRollback;
  readonly result: RollbackResult;
  readonly rollout: RolloutResult;
}

/**
 * Returns each Deployment to its previous good (or a named) revision or version with kubectl's
 * undo, waits for the rollout — failing fast on crash-looping or unpullable pods, as a deploy
 * does — and records it as a `deploy:rollback` GitHub Deployment of the commit that runs again
 * (or reports on the one a `deployment` event carries), so the Deployments tab tells what runs.
 * Each ReplicaSet gets its outcome: the revision returned to `success`, the one left
 * `rolled-back`. When the target fails, what ran before is restored (unless Rollgate had
 * recorded it failed too) and the failure says what runs now.
 */
export async function runRollback(
  spec: RollbackSpec,
  facts: RollbackFacts,
  ports: RollbackPorts,
): Promise<RollbackOutcome> {
  // StatefulSets and DaemonSets go back through their ControllerRevisions.
  const refs = spec.deployments.map((text) => parseWorkloadRef('deployment', text));
  if (refs.some((ref) => ref.kind !== 'Deployment')) return runWorkloadRollback(spec, facts, ports);
  const timeline = new Timeline(ports.now);
  const { cluster, github } = ports;
  // Plan every rollback before changing anything: a typo or an unknown version changes nothing.
  const prepared: PreparedRollback[] = [];
  for (const { name } of refs)
    prepared.push(await prepareRollback(cluster, spec.namespace, name, spec.target));

  const first = prepared[0];
  const deploymentId = await openRollbackDeployment(spec, facts, github, {
    // The commit of the version that runs again, not the workflow's: the Deployments tab shows it.
    sha: prepared.find((p) => p.sha !== undefined)?.sha ?? facts.sha,
    version: first?.version ?? spec.target.version,
    fromVersion: first?.fromVersion,
  });

  const attempts: Attempt[] = [];
  let failure: string | undefined;
  let runningNow: string | undefined;
  try {
    for (const plan of prepared) {
      const result = await applyRollback(cluster, plan);
      ports.log(`[${(timeline.elapsed() / 1000).toFixed(1)} s] ${result.message}`);
      timeline.mark('rolling back', result.message);
      const rollout = await watch(spec, ports, plan.name);
      attempts.push({ prepared: plan, result, rollout });
      failure = rolloutFailureOf(plan.name, rollout, describePodFailure);
      if (failure !== undefined) break;
      timeline.mark('rolled back', rollout.message);
    }
  } catch (error) {
    failure = describe(error);
  }
  if (failure === undefined) {
    // Bookkeeping only: a cluster that refuses it must not undo a rollback that worked.
    await recordSuccess(spec, ports, attempts).catch((error: unknown) => {
      ports.log(
        `warning: could not record rollgate.dev/outcome on the ReplicaSets: ${describe(error)} A later rollback without a target cannot tell which revisions were good.`,
      );
    });
  }
  if (failure !== undefined && attempts.length > 0) {
    timeline.mark('failed', failure);
    // The failure stays what it was; a restore that breaks too is part of what runs now.
    runningNow = await restoreAfterFailure(spec, ports, attempts).catch(
      (error: unknown) => `restoring what ran before failed: ${describe(error)}`,
    );
    timeline.mark('rolled back', runningNow);
  }
  const results = attempts.map((a) => a.result);
  const rolledBackTo = results.map(describeTarget).join(', ');
  if (github && deploymentId !== undefined) {
    const allSkipped = results.length > 0 && results.every((r) => r.kind === 'skipped');
    await setDeploymentStatus(
      github.api,
      github.repo,
      deploymentId,
      failure === undefined ? 'success' : 'failure',
      {
        logUrl: facts.runUrl,
        // What runs now comes first: GitHub keeps 140 characters, and pod messages are long.
        description:
          failure !== undefined
            ? `${runningNow ? `${runningNow} after: ` : 'Rollback failed: '}${failure}`
            : allSkipped
              ? `Already running the previous good version: ${rolledBackTo}`
              : `Rolled back to ${rolledBackTo}`,
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
    runningNow,
  };
}

function describe(error: unknown): string {
  return error instanceof RollgateError ? error.render() : (error as Error).message;
}

function watch(spec: RollbackSpec, ports: RollbackPorts, name: string): Promise<RolloutResult> {
  return waitForRollout({
    kubeConfig: ports.cluster.kubeConfig,
    namespace: spec.namespace,
    name,
    timeoutMs: spec.timeoutMs,
    restartThreshold: RESTART_THRESHOLD,
    now: ports.now,
    onProgress: ports.log,
  });
}

/** `1.1.0 (revision 2)`, or `1.1.0 (already running as revision 4)` when nothing had to change. */
function describeTarget(result: RollbackResult): string {
  const what = result.version ?? `revision ${result.toRevision}`;
  if (result.kind === 'skipped')
    return `${what} (already running${result.fromRevision === undefined ? '' : ` as revision ${result.fromRevision}`})`;
  return result.version ? `${result.version} (revision ${result.toRevision})` : what;
}

/** The revisions returned to are good; the ones they replaced were rolled back. */
async function recordSuccess(
  spec: RollbackSpec,
  ports: RollbackPorts,
  attempts: readonly Attempt[],
): Promise<void> {
  for (const { prepared, result, rollout } of attempts) {
    if (result.kind === 'skipped') continue;
    if (rollout.revision !== undefined)
      await recordOutcome(ports.cluster, spec.namespace, prepared.name, rollout.revision, 'success');
    if (prepared.fromRevision !== undefined)
      await recordOutcome(ports.cluster, spec.namespace, prepared.name, prepared.fromRevision, 'rolled-back');
  }
}

/**
 * The target failed: it is recorded `failed`, and every Deployment this rollback changed goes
 * back to the revision it ran before — as a failed deploy is reverted — unless Rollgate had
 * recorded that one as failed or rolled back too (bringing back a known-bad version helps no one).
 * Returns what runs now, in words.
 */
async function restoreAfterFailure(
  spec: RollbackSpec,
  ports: RollbackPorts,
  attempts: readonly Attempt[],
): Promise<string> {
  const failed = attempts.at(-1);
  if (failed?.rollout.outcome === 'failed' && failed.rollout.revision !== undefined) {
    const { name } = failed.prepared;
    const revision = failed.rollout.revision;
    // Bookkeeping must not stand in the way of restoring what ran.
    await recordOutcome(ports.cluster, spec.namespace, name, revision, 'failed').catch((error: unknown) => {
      ports.log(`warning: could not record revision ${revision} of ${name} as failed: ${describe(error)}`);
    });
  }
  const now: string[] = [];
  for (const { prepared, result, rollout } of [...attempts].reverse()) {
    const { name, fromRevision, fromVersion } = prepared;
    const before = `${fromVersion ?? 'the previous version'} (revision ${fromRevision ?? '?'})`;
    const target = `${result.version ?? 'the target'} (revision ${rollout.revision ?? result.toRevision})`;
    if (result.kind === 'skipped' || fromRevision === undefined) {
      now.push(`${name} runs ${target}`);
      continue;
    }
    const restore = await prepareRollback(ports.cluster, spec.namespace, name, { revision: fromRevision });
    const recorded = outcomeOf(restore.plan.replicaSet);
    if (recorded === 'failed' || recorded === 'rolled-back') {
      now.push(
        `${name} runs ${target}, whose rollout failed; ${before} was recorded ${recorded} and is not restored`,
      );
      continue;
    }
    const restored = await applyRollback(ports.cluster, restore);
    ports.log(`restoring what ran before: ${restored.message}`);
    const back = await watch(spec, ports, name);
    const why = rolloutFailureOf(name, back, describePodFailure);
    now.push(
      why === undefined
        ? `${name} runs ${before} again`
        : `${name} runs ${target}; restoring ${before} failed too (${why})`,
    );
  }
  return now.reverse().join('; ');
}
