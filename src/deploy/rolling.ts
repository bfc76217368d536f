import { kindNoun } from '../kubernetes/controller-revisions.ts';
import { describePodFailure } from '../kubernetes/pod-failures.ts';
import { describeRollbacks, type RollbackResult } from '../kubernetes/rollback.ts';
import { rollbackWorkload } from '../kubernetes/workload-rollback.ts';
import { healthFailure, rolloutFailureOf, type StrategyContext, type StrategyResult } from './strategy.ts';
import { applyTargets, type ChangedDeployment } from './targets.ts';

/** `api` for a Deployment, `statefulset/db` and `daemonset/agent` for the others. */
function workloadName(d: ChangedDeployment): string {
  return d.kind === undefined || d.kind === 'Deployment' ? d.name : `${kindNoun(d.kind)}/${d.name}`;
}

/**
 * The native rolling update: apply, watch every rollout (Deployments, StatefulSets, DaemonSets),
 * check health, and on failure undo each changed workload to the revision it ran before
 * (kubectl rollout undo --to-revision: ReplicaSets for a Deployment, ControllerRevisions for the
 * others).
 */
export async function deployRolling(ctx: StrategyContext): Promise<StrategyResult> {
  const { spec, ports } = ctx;
  const changed = await applyTargets(ports.cluster, spec.namespace, ctx.prepared, ctx.annotations);
  ctx.mark('applied', `${changed.map(workloadName).join(', ') || 'manifests'} → ${ctx.facts.version}`);
  const applied = ctx.timeline.elapsed();
  const rollouts = await Promise.all(changed.map((d) => ctx.watch(d.namespace, d.name, true, d.kind)));
  for (const rollout of rollouts)
    if (rollout.outcome === 'complete' && rollout.unawaitable) ports.log(rollout.message);
  const progressing = Math.min(...rollouts.map((r) => r.progressingAtMs ?? r.durationMs));
  if (Number.isFinite(progressing)) ctx.mark('progressing', 'new pods starting', applied + progressing);

  const failures = rollouts
    .map((r, i) => rolloutFailureOf(workloadNameAt(changed, i), r, describePodFailure))
    .filter((f) => f !== undefined);
  let failure = failures.length > 0 ? failures.join('; ') : undefined;
  let health: StrategyResult['health'];
  if (failure === undefined) {
    // kubectl's StatefulSet messages do not name it.
    const done = rollouts.map((r, i) =>
      changed[i]?.kind === 'StatefulSet' && !(r.outcome === 'complete' && r.unawaitable === true)
        ? `${workloadNameAt(changed, i)}: ${r.message}`
        : r.message,
    );
    ctx.mark('available', done.join('; ') || 'applied');
    health = await ctx.checkHealth();
    failure = healthFailure(health);
    if (health !== undefined && failure === undefined)
      ctx.mark('healthy', `${health.urls.length} URL(s) healthy, p95 ${health.latencyP95Ms ?? '?'} ms`);
  }
  const rollbacks: RollbackResult[] = [];
  if (failure !== undefined) {
    ctx.mark('failed', failure);
    const restorable = spec.autoRollback ? changed.filter((d) => d.previousRevision !== undefined) : [];
    if (restorable.length > 0) {
      ctx.mark(
        'rolling back',
        restorable.map((d) => `${workloadName(d)} → revision ${d.previousRevision ?? '?'}`).join(', '),
      );
      for (const d of restorable) {
        rollbacks.push(
          await rollbackWorkload(ports.cluster, d.namespace, d.kind ?? 'Deployment', d.name, {
            revision: d.previousRevision,
          }),
        );
        await ctx.watch(d.namespace, d.name, false, d.kind);
      }
      ctx.mark('rolled back', rollbacks.map((r) => r.message).join('; '));
    }
  }
  return {
    deployments: changed,
    revision: rollouts.find((r) => r.revision !== undefined)?.revision,
    previousRevision: changed.find((d) => d.previousRevision !== undefined)?.previousRevision,
    failure,
    podFailures: rollouts.flatMap((r) => (r.outcome === 'failed' ? r.podFailures : [])),
    health,
    reverted: rollbacks.length > 0 ? describeRollbacks(rollbacks) : undefined,
    revertedToVersion: rollbacks[0]?.version,
    rollbacks,
  };
}

function workloadNameAt(changed: readonly ChangedDeployment[], index: number): string {
  const d = changed[index];
  return d === undefined ? '' : workloadName(d);
}
