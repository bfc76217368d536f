import { describePodFailure } from '../kubernetes/pod-failures.ts';
import { describeRollbacks, rollbackDeployment, type RollbackResult } from '../kubernetes/rollback.ts';
import { healthFailure, rolloutFailureOf, type StrategyContext, type StrategyResult } from './strategy.ts';
import { applyTargets } from './targets.ts';

/**
 * The native rolling update: apply, watch every rollout, check health, and on failure undo
 * each changed Deployment to the revision it ran before (kubectl rollout undo --to-revision).
 */
export async function deployRolling(ctx: StrategyContext): Promise<StrategyResult> {
  const { spec, ports } = ctx;
  const changed = await applyTargets(ports.cluster, spec.namespace, ctx.prepared, ctx.annotations);
  ctx.mark('applied', `${changed.map((d) => d.name).join(', ') || 'manifests'} → ${ctx.facts.version}`);
  const applied = ctx.timeline.elapsed();
  const rollouts = await Promise.all(changed.map((d) => ctx.watch(d.namespace, d.name)));
  const progressing = Math.min(...rollouts.map((r) => r.progressingAtMs ?? r.durationMs));
  if (Number.isFinite(progressing)) ctx.mark('progressing', 'new pods starting', applied + progressing);

  const failures = rollouts
    .map((r, i) => rolloutFailureOf(changed[i]?.name ?? '', r, describePodFailure))
    .filter((f) => f !== undefined);
  let failure = failures.length > 0 ? failures.join('; ') : undefined;
  let health: StrategyResult['health'];
  if (failure === undefined) {
    ctx.mark('available', rollouts.map((r) => r.message).join('; ') || 'applied');
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
        restorable.map((d) => `${d.name} → revision ${d.previousRevision ?? '?'}`).join(', '),
      );
      for (const d of restorable) {
        rollbacks.push(
          await rollbackDeployment(ports.cluster, d.namespace, d.name, { revision: d.previousRevision }),
        );
        await ctx.watch(d.namespace, d.name, false);
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
