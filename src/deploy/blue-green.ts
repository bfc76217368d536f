import { autoscalerOf, withoutReplicas } from '../kubernetes/autoscalers.ts';
import { SHA_ANNOTATION, VERSION_ANNOTATION } from '../kubernetes/annotations.ts';
import { describePodFailure } from '../kubernetes/pod-failures.ts';
import { revisionOf } from '../kubernetes/undo.ts';
import { derivedDeployment } from './derived-deployment.ts';
import {
  healthFailure,
  rolloutFailureOf,
  singleDeployment,
  type StrategyContext,
  type StrategyResult,
} from './strategy.ts';

export const COLOR_LABEL = 'rollgate.dev/color';

/**
 * Blue-green: the new version runs as the idle colour (`<name>-blue` or `<name>-green`) next
 * to the live one; only when it has rolled out does the Service's selector switch to it. The
 * health check then runs against live traffic; if it fails the selector switches back at once,
 * since the old colour was never touched.
 *
 * Nothing else is left running: once a switch holds, the plain Deployment (live only before the
 * first switch) is scaled to zero; a colour that failed is scaled to zero (with auto-rollback).
 * The live colour and the previous one, kept for an instant switch-back, are the only ones with
 * pods.
 */
export async function deployBlueGreen(ctx: StrategyContext): Promise<StrategyResult> {
  const { spec, ports } = ctx;
  const { deployment: base, changes } = singleDeployment(ctx.prepared);
  const baseName = base.metadata?.name ?? '';
  const serviceName = spec.service || baseName;
  const service = await ports.cluster.readService(spec.namespace, serviceName);
  const live = service.spec?.selector?.[COLOR_LABEL];
  const idle = live === 'blue' ? 'green' : 'blue';
  const liveName = live === undefined ? baseName : `${baseName}-${live}`;
  const source = live === undefined ? base : await ports.cluster.readDeployment(spec.namespace, liveName);
  const name = `${baseName}-${idle}`;

  // The new colour gets the live colour's live count, unless an HPA scales the colour itself.
  const colour = derivedDeployment(
    source,
    name,
    { [COLOR_LABEL]: idle },
    changes,
    ctx.annotations,
    source.spec?.replicas ?? 1,
  );
  const autoscaled = autoscalerOf(await ports.cluster.listHorizontalPodAutoscalers(spec.namespace), name);
  await ports.cluster.apply(autoscaled === undefined ? colour : withoutReplicas(colour), false, {
    force: spec.forceConflicts,
  });
  ctx.mark('applied', `${name} (idle colour) → ${ctx.facts.version}`);
  const rollout = await ctx.watch(spec.namespace, name);
  const base_ = {
    deployments: [{ name, namespace: spec.namespace, previousRevision: revisionOf(source), changes }],
    revision: rollout.revision,
    previousRevision: revisionOf(source),
    rollbacks: [],
  };
  const notReady = rolloutFailureOf(name, rollout, describePodFailure);
  if (notReady !== undefined) {
    ctx.mark('failed', `${notReady}; traffic stays on ${liveName}`);
    if (spec.autoRollback) await scaleToZero(ctx, name, 'its rollout failed');
    return {
      ...base_,
      failure: notReady,
      podFailures: rollout.outcome === 'failed' ? rollout.podFailures : [],
      health: undefined,
      reverted: undefined,
      revertedToVersion: undefined,
    };
  }
  ctx.mark('available', rollout.message);

  await ports.cluster.patchService(
    spec.namespace,
    serviceName,
    { spec: { selector: { [COLOR_LABEL]: idle } } },
    'merge',
  );
  ctx.mark('switched', `service ${serviceName} → ${idle}`);
  const health = await ctx.checkHealth();
  const failure = healthFailure(health);
  if (failure === undefined) {
    if (health !== undefined) ctx.mark('healthy', `${health.urls.length} URL(s) healthy on ${idle}`);
    if ((base.spec?.replicas ?? 1) !== 0)
      await scaleToZero(ctx, baseName, `service ${serviceName} selects the colours now`);
    return {
      ...base_,
      failure: undefined,
      podFailures: [],
      health,
      reverted: undefined,
      revertedToVersion: undefined,
    };
  }
  ctx.mark('failed', failure);
  if (!spec.autoRollback)
    return { ...base_, failure, podFailures: [], health, reverted: undefined, revertedToVersion: undefined };
  // JSON merge patch: null removes the colour, returning the selector to the uncoloured Deployment.
  await ports.cluster.patchService(
    spec.namespace,
    serviceName,
    { spec: { selector: { [COLOR_LABEL]: live ?? null } } },
    'merge',
  );
  const reverted = `switched service ${serviceName} back to ${liveName}`;
  ctx.mark('rolled back', reverted);
  await scaleToZero(ctx, name, 'it failed its health check');
  return {
    ...base_,
    failure,
    podFailures: [],
    health,
    reverted,
    revertedToVersion: source.metadata?.annotations?.[VERSION_ANNOTATION],
    revertedToSha: source.metadata?.annotations?.[SHA_ANNOTATION],
  };
}

/** Scales a Deployment that serves no traffic to zero replicas (it stays, for its history). */
async function scaleToZero(ctx: StrategyContext, name: string, why: string): Promise<void> {
  await ctx.ports.cluster.patchDeployment(ctx.spec.namespace, name, { spec: { replicas: 0 } }, 'merge');
  ctx.ports.log(`scaled deployment ${name} to 0 replicas: ${why}`);
}
