import type { V1Deployment } from '@kubernetes/client-node';
import type { HealthReport } from '../health/check.ts';
import type { PodFailure } from '../kubernetes/pod-failures.ts';
import type { RollbackResult } from '../kubernetes/rollback.ts';
import type { WorkloadKind } from '../kubernetes/rollout-status.ts';
import type { RolloutResult } from '../kubernetes/rollout-watch.ts';
import type { ImageChange } from '../kubernetes/set-image.ts';
import type { DeployFacts, DeployPorts } from './run.ts';
import type { DeploySpec } from './spec.ts';
import type { ChangedDeployment, PreparedTargets } from './targets.ts';
import type { Timeline } from './timeline.ts';

/** What every strategy is given: the validated change and the means to watch and verify it. */
export interface StrategyContext {
  readonly spec: DeploySpec;
  readonly facts: DeployFacts;
  readonly ports: DeployPorts;
  readonly prepared: PreparedTargets;
  readonly timeline: Timeline;
  readonly annotations: Readonly<Record<string, string>>;
  /** Waits for one workload's rollout (a Deployment unless `kind` says otherwise; fail-fast on pod reasons unless `failFast` is false). */
  watch(namespace: string, name: string, failFast?: boolean, kind?: WorkloadKind): Promise<RolloutResult>;
  /** Runs the health check, when there is one; undefined otherwise. */
  checkHealth(): Promise<HealthReport | undefined>;
  /** Marks a step on the timeline and logs it. */
  mark(step: Parameters<Timeline['mark']>[0], detail: string, atMs?: number): void;
}

/** How a strategy ended: what changed, and on failure why and what it put back. */
export interface StrategyResult {
  readonly deployments: readonly ChangedDeployment[];
  readonly revision: number | undefined;
  readonly previousRevision: number | undefined;
  readonly failure: string | undefined;
  readonly podFailures: readonly PodFailure[];
  readonly health: HealthReport | undefined;
  /** What runs now after an automatic revert (`rolled back to revision 3 (version 1.4.0)`), if one happened. */
  readonly reverted: string | undefined;
  /** The version that runs again after the revert, when known. */
  readonly revertedToVersion: string | undefined;
  /** The commit of the version that runs again (`rollgate.dev/sha`), when known; rollbacks carry their own. */
  readonly revertedToSha?: string | undefined;
  readonly rollbacks: readonly RollbackResult[];
}

/** A health report's failure in one line, or undefined when healthy or not checked. */
export function healthFailure(report: HealthReport | undefined): string | undefined {
  if (report === undefined || report.healthy) return undefined;
  return `health check failed: ${report.urls
    .filter((u) => !u.healthy)
    .map((u) => `${u.url}: ${u.reason ?? 'unhealthy'}`)
    .join('; ')}`;
}

/** A rollout's failure in one line (pod reasons first), or undefined when it completed. */
export function rolloutFailureOf(
  name: string,
  rollout: RolloutResult,
  describe: (f: PodFailure) => string,
): string | undefined {
  if (rollout.outcome === 'complete') return undefined;
  const why =
    rollout.reason === 'pods' ? rollout.podFailures.slice(0, 3).map(describe).join('; ') : rollout.message;
  return `${name}: ${why}`;
}

/**
 * The one Deployment, and its image changes, that a blue-green or canary deploy works on.
 * parseDeploySpec already refused anything else, before anything changed.
 */
export function singleDeployment(prepared: PreparedTargets): {
  deployment: V1Deployment;
  changes: ImageChange[];
} {
  const only =
    prepared.kind === 'set-image' && prepared.deployments.length === 1 ? prepared.deployments[0] : undefined;
  if (only === undefined)
    throw new Error('blue-green and canary work on exactly one named Deployment (parseDeploySpec checks it)');
  return only;
}
