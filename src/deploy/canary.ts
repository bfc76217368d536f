import { autoscalerOf } from '../kubernetes/autoscalers.ts';
import { describePodFailure } from '../kubernetes/pod-failures.ts';
import { rollbackDeployment } from '../kubernetes/rollback.ts';
import { imagePatch } from '../kubernetes/set-image.ts';
import { revisionOf } from '../kubernetes/undo.ts';
import { derivedDeployment } from './derived-deployment.ts';
import {
  healthFailure,
  rolloutFailureOf,
  singleDeployment,
  type StrategyContext,
  type StrategyResult,
} from './strategy.ts';

export const TRACK_LABEL = 'rollgate.dev/track';

/** Canary and stable replicas at a step: the canary's share rounded up (at least one pod). */
export function canarySplit(replicas: number, percent: number): { canary: number; stable: number } {
  const canary = Math.min(replicas, Math.max(1, Math.ceil((replicas * percent) / 100)));
  return { canary, stable: replicas - canary };
}

/**
 * Canary: a `<name>-canary` Deployment with the new version takes a growing share of the
 * replicas at each of `canary-steps`, the stable Deployment shrinking by as much so the total
 * stays the same; the rollout and the health check are judged at every step. At 100 % the
 * stable Deployment is updated (promote) and the canary removed; on a failure the canary is
 * removed and the stable Deployment scaled back. When a HorizontalPodAutoscaler scales the stable
 * Deployment its replicas are the HPA's: the canary's share is taken of the live count and the
 * stable Deployment keeps its replicas throughout.
 */
export async function deployCanary(ctx: StrategyContext): Promise<StrategyResult> {
  const { spec, ports } = ctx;
  const { cluster } = ports;
  const { deployment: stable, changes } = singleDeployment(ctx.prepared);
  const name = stable.metadata?.name ?? '';
  const canaryName = `${name}-canary`;
  const replicas = stable.spec?.replicas ?? 1;
  const autoscaler = autoscalerOf(await cluster.listHorizontalPodAutoscalers(spec.namespace), name);
  const previousRevision = revisionOf(stable);
  const deployments = [{ name, namespace: spec.namespace, previousRevision, changes }];
  let health: StrategyResult['health'];

  const abort = async (
    step: number,
    failure: string,
    podFailures: StrategyResult['podFailures'],
  ): Promise<StrategyResult> => {
    ctx.mark('failed', `${failure} (at ${step} %)`);
    await cluster.deleteDeployment(spec.namespace, canaryName);
    if (autoscaler === undefined)
      await cluster.patchDeployment(spec.namespace, name, { spec: { replicas } }, 'merge');
    await ctx.watch(spec.namespace, name, false);
    const reverted = `removed the canary at ${step} %; ${name} runs its ${replicas} replica(s) of the previous version again`;
    ctx.mark('rolled back', reverted);
    return {
      deployments,
      revision: previousRevision,
      previousRevision,
      failure,
      podFailures,
      health,
      reverted,
      revertedToVersion: stable.metadata?.annotations?.['rollgate.dev/version'],
      revertedToSha: stable.metadata?.annotations?.['rollgate.dev/sha'],
      rollbacks: [],
    };
  };

  for (const step of spec.canarySteps.filter((s) => s < 100)) {
    const split = canarySplit(replicas, step);
    await cluster.apply(
      derivedDeployment(
        stable,
        canaryName,
        { [TRACK_LABEL]: 'canary' },
        changes,
        ctx.annotations,
        split.canary,
      ),
      false,
      { force: spec.forceConflicts },
    );
    if (autoscaler === undefined) {
      await cluster.patchDeployment(spec.namespace, name, { spec: { replicas: split.stable } }, 'merge');
      ctx.mark('canary', `${step} %: ${split.canary} canary, ${split.stable} stable`);
    } else {
      ctx.mark(
        'canary',
        `${step} %: ${split.canary} canary, ${replicas} stable (scaled by HorizontalPodAutoscaler ${autoscaler.metadata?.name ?? ''})`,
      );
    }
    const rollout = await ctx.watch(spec.namespace, canaryName);
    const failure = rolloutFailureOf(canaryName, rollout, describePodFailure);
    if (failure !== undefined)
      return abort(step, failure, rollout.outcome === 'failed' ? rollout.podFailures : []);
    health = await ctx.checkHealth();
    const unhealthy = healthFailure(health);
    if (unhealthy !== undefined) return abort(step, unhealthy, []);
  }

  const promote = imagePatch(changes, ctx.annotations) as { metadata: object; spec: { template: object } };
  await cluster.patchDeployment(
    spec.namespace,
    name,
    {
      metadata: promote.metadata,
      spec: autoscaler === undefined ? { ...promote.spec, replicas } : promote.spec,
    },
    'strategic',
  );
  const promoted = await ctx.watch(spec.namespace, name);
  const failure = rolloutFailureOf(name, promoted, describePodFailure);
  if (failure !== undefined) {
    // The stable Deployment already has the new template: undo it, then drop the canary.
    const rollback =
      spec.autoRollback && previousRevision !== undefined
        ? await rollbackDeployment(cluster, spec.namespace, name, { revision: previousRevision })
        : undefined;
    const result = await abort(100, failure, promoted.outcome === 'failed' ? promoted.podFailures : []);
    return rollback === undefined ? result : { ...result, rollbacks: [rollback] };
  }
  await cluster.deleteDeployment(spec.namespace, canaryName);
  ctx.mark('promoted', `${name} runs ${ctx.facts.version} on ${replicas} replica(s); canary removed`);
  health = await ctx.checkHealth();
  return {
    deployments,
    revision: promoted.revision,
    previousRevision,
    failure: healthFailure(health),
    podFailures: [],
    health,
    reverted: undefined,
    revertedToVersion: undefined,
    rollbacks: [],
  };
}
