import { RollgateError } from '../errors.ts';
import {
  createDeployment,
  setDeploymentStatus,
  type DeploymentsApi,
  type Repo,
} from '../github/deployments.ts';
import type { DeploymentEvent } from '../github/deployment-event.ts';
import { runHealthCheck, type HealthReport } from '../health/check.ts';
import type { HealthProber } from '../health/probe.ts';
import type { HealthCheckSpec } from '../health/spec.ts';
import { traceAnnotations } from '../kubernetes/annotations.ts';
import type { Cluster } from '../kubernetes/cluster.ts';
import { describePodFailure, type PodFailure } from '../kubernetes/pod-failures.ts';
import { rollbackDeployment, type RollbackResult } from '../kubernetes/rollback.ts';
import { waitForRollout, type RolloutResult } from '../kubernetes/rollout-watch.ts';
import type { DeploySpec } from './spec.ts';
import { applyTargets, prepareTargets, type ChangedDeployment } from './targets.ts';
import { Timeline, type TimelineEntry } from './timeline.ts';

/** Facts of this deploy beyond the inputs: what is deployed, from where, by whom. */
export interface DeployFacts {
  readonly version: string;
  readonly sha: string;
  readonly ref: string;
  readonly actor: string | undefined;
  readonly runUrl: string | undefined;
  readonly workspace: string;
  /** The deployment event that started the workflow, when there is one: adopted, not created. */
  readonly event: DeploymentEvent | undefined;
  /** An existing GitHub Deployment to report on (the `deployment-id` input). */
  readonly deploymentId: number | undefined;
  /** The health check to run once the rollout is complete. */
  readonly health: HealthCheckSpec | undefined;
}

export interface DeployPorts {
  readonly cluster: Cluster;
  /** GitHub Deployments; undefined when no token was given (the deploy still runs). */
  readonly github: { readonly api: DeploymentsApi; readonly repo: Repo } | undefined;
  readonly createProber: () => Promise<HealthProber>;
  readonly now: () => number;
  readonly log: (line: string) => void;
}

export interface DeployOutcome {
  readonly status: 'success' | 'failure' | 'rolled-back';
  readonly deploymentId: number | undefined;
  readonly revision: number | undefined;
  readonly previousRevision: number | undefined;
  readonly environmentUrl: string | undefined;
  readonly durationMs: number;
  readonly timeline: readonly TimelineEntry[];
  readonly deployments: readonly ChangedDeployment[];
  readonly failure: string | undefined;
  readonly podFailures: readonly PodFailure[];
  readonly rollbacks: readonly RollbackResult[];
  readonly rollbackDeploymentId: number | undefined;
  readonly health: HealthReport | undefined;
}

/**
 * A rolling deploy: validate every target (nothing changes if one is wrong), create or adopt
 * the GitHub Deployment, apply, watch every rollout, run the health check, and on failure roll
 * each Deployment back to the revision it ran before — recorded as its own `deploy:rollback`
 * GitHub Deployment, so the Deployments tab tells what really runs.
 */
export async function runDeploy(
  spec: DeploySpec,
  facts: DeployFacts,
  ports: DeployPorts,
): Promise<DeployOutcome> {
  const timeline = new Timeline(ports.now);
  const { cluster, github } = ports;
  const prepared = await prepareTargets(cluster, spec.namespace, spec, facts.workspace);

  const deploymentId =
    facts.event?.id ??
    facts.deploymentId ??
    (github ? await createGitHubDeployment(github, spec, facts) : undefined);
  if (github && deploymentId !== undefined) {
    await setDeploymentStatus(github.api, github.repo, deploymentId, 'in_progress', {
      logUrl: facts.runUrl,
      description: `Rolling out ${facts.version} to ${spec.environment}`,
    });
  }

  const annotations = traceAnnotations({
    version: facts.version,
    sha: facts.sha,
    deploymentId,
    runUrl: facts.runUrl,
    actor: facts.actor,
  });
  const changed = await applyTargets(cluster, spec.namespace, prepared, annotations);
  log(
    ports,
    timeline.mark('applied', `${changed.map((d) => d.name).join(', ') || 'manifests'} → ${facts.version}`),
  );

  const rollouts = await Promise.all(
    changed.map((d) =>
      waitForRollout({
        kubeConfig: cluster.kubeConfig,
        namespace: d.namespace,
        name: d.name,
        timeoutMs: spec.timeoutMs,
        restartThreshold: spec.restartThreshold,
        now: ports.now,
        onProgress: (line) => {
          ports.log(line);
        },
      }),
    ),
  );
  const progressing = Math.min(...rollouts.map((r) => r.progressingAtMs ?? r.durationMs));
  if (Number.isFinite(progressing))
    timeline.mark(
      'progressing',
      'new pods starting',
      timeline.entries[0] ? timeline.entries[0].atMs + progressing : progressing,
    );

  let failure = rolloutFailure(changed, rollouts);
  const podFailures = rollouts.flatMap((r) => (r.outcome === 'failed' ? r.podFailures : []));
  let health: HealthReport | undefined;
  if (failure === undefined) {
    log(ports, timeline.mark('available', rollouts.map((r) => r.message).join('; ') || 'applied'));
    if (facts.health !== undefined) {
      const prober = await ports.createProber();
      health = await runHealthCheck(facts.health, prober).finally(() => {
        prober.close();
      });
      if (health.healthy)
        log(
          ports,
          timeline.mark(
            'healthy',
            `${health.urls.length} URL(s) healthy, p95 ${health.latencyP95Ms ?? '?'} ms`,
          ),
        );
      else
        failure = `health check failed: ${health.urls
          .filter((u) => !u.healthy)
          .map((u) => `${u.url}: ${u.reason ?? 'unhealthy'}`)
          .join('; ')}`;
    }
  }
  const revision = rollouts.find((r) => r.revision !== undefined)?.revision;
  const previousRevision = changed.find((d) => d.previousRevision !== undefined)?.previousRevision;
  const finish = (
    status: DeployOutcome['status'],
    end: Pick<DeployOutcome, 'failure' | 'rollbacks' | 'rollbackDeploymentId'>,
  ): DeployOutcome => ({
    status,
    deploymentId,
    revision,
    previousRevision,
    environmentUrl: spec.environmentUrl,
    durationMs: timeline.elapsed(),
    timeline: timeline.entries,
    deployments: changed,
    podFailures,
    health,
    ...end,
  });

  if (failure === undefined) {
    if (github && deploymentId !== undefined) {
      await setDeploymentStatus(github.api, github.repo, deploymentId, 'success', {
        logUrl: facts.runUrl,
        environmentUrl: spec.environmentUrl,
        description: `${facts.version} is live in ${spec.environment}`,
      });
    }
    return finish('success', { failure: undefined, rollbacks: [], rollbackDeploymentId: undefined });
  }

  log(ports, timeline.mark('failed', failure));
  const rollbacks: RollbackResult[] = [];
  let rollbackDeploymentId: number | undefined;
  if (spec.autoRollback) {
    const restorable = changed.filter((d) => d.previousRevision !== undefined);
    if (restorable.length > 0) {
      log(
        ports,
        timeline.mark(
          'rolling back',
          restorable.map((d) => `${d.name} → revision ${d.previousRevision ?? '?'}`).join(', '),
        ),
      );
      for (const d of restorable) {
        const result = await rollbackDeployment(cluster, d.namespace, d.name, {
          revision: d.previousRevision,
        });
        rollbacks.push(result);
        await waitForRollout({
          kubeConfig: cluster.kubeConfig,
          namespace: d.namespace,
          name: d.name,
          timeoutMs: spec.timeoutMs,
          restartThreshold: Number.MAX_SAFE_INTEGER,
          now: ports.now,
          onProgress: (line) => {
            ports.log(line);
          },
        });
      }
      log(ports, timeline.mark('rolled back', rollbacks.map((r) => r.message).join('; ')));
    }
  }
  const rolledBackTo = describeRollbacks(rollbacks);
  if (github && deploymentId !== undefined) {
    await setDeploymentStatus(github.api, github.repo, deploymentId, 'failure', {
      logUrl: facts.runUrl,
      description: `${failure}${rolledBackTo ? `; ${rolledBackTo}` : ''}`,
    });
    if (rollbacks.length > 0)
      rollbackDeploymentId = await recordRollback(github, spec, facts, rollbacks, deploymentId);
  }
  return finish(rollbacks.length > 0 ? 'rolled-back' : 'failure', {
    failure,
    rollbacks,
    rollbackDeploymentId,
  });
}

function log(ports: DeployPorts, entry: TimelineEntry): void {
  ports.log(`[${(entry.atMs / 1000).toFixed(1)} s] ${entry.step}: ${entry.detail}`);
}

function rolloutFailure(
  changed: readonly ChangedDeployment[],
  rollouts: readonly RolloutResult[],
): string | undefined {
  const reasons: string[] = [];
  rollouts.forEach((r, index) => {
    if (r.outcome !== 'failed') return;
    const name = changed[index]?.name ?? '';
    const why =
      r.reason === 'pods' ? r.podFailures.slice(0, 3).map(describePodFailure).join('; ') : r.message;
    reasons.push(`${name}: ${why}`);
  });
  return reasons.length === 0 ? undefined : reasons.join('; ');
}

/** `rolled back to revision 3 (version 1.4.0)` for the status description and the summary. */
export function describeRollbacks(rollbacks: readonly RollbackResult[]): string {
  if (rollbacks.length === 0) return '';
  return `rolled back to ${rollbacks.map((r) => `revision ${r.toRevision}${r.version ? ` (version ${r.version})` : ''}`).join(', ')}`;
}

async function createGitHubDeployment(
  github: NonNullable<DeployPorts['github']>,
  spec: DeploySpec,
  facts: DeployFacts,
): Promise<number> {
  const deployment = await createDeployment(github.api, github.repo, {
    ref: facts.sha || facts.ref,
    environment: spec.environment,
    task: 'deploy',
    payload: { version: facts.version, ...(spec.image ? { image: spec.image } : {}) },
    description: `Deploy ${facts.version} to ${spec.environment}`,
    // The workflow that runs this step already gated the commit; GitHub's own status check would see the run itself as pending.
    requiredContexts: [],
  });
  return deployment.id;
}

/** A rollback is its own GitHub Deployment (`task: deploy:rollback`) of what runs again. */
async function recordRollback(
  github: NonNullable<DeployPorts['github']>,
  spec: DeploySpec,
  facts: DeployFacts,
  rollbacks: readonly RollbackResult[],
  failedId: number,
): Promise<number | undefined> {
  try {
    const version = rollbacks[0]?.version;
    const deployment = await createDeployment(github.api, github.repo, {
      ref: facts.sha || facts.ref,
      environment: spec.environment,
      task: 'deploy:rollback',
      payload: {
        version: version ?? null,
        rolled_back_from: facts.version,
        failed_deployment_id: failedId,
        revision: rollbacks[0]?.toRevision ?? null,
      },
      description: `Automatic rollback of ${facts.version}${version ? ` to ${version}` : ''}`,
      requiredContexts: [],
    });
    const id = deployment.id;
    await setDeploymentStatus(github.api, github.repo, id, 'success', {
      logUrl: facts.runUrl,
      environmentUrl: spec.environmentUrl,
      description: describeRollbacks(rollbacks),
    });
    return id;
  } catch (error) {
    throw new RollgateError(
      `The rollback worked but recording it on GitHub failed: ${(error as Error).message}`,
      'The cluster runs the previous version; the Deployments tab does not show it yet.',
      'Check the token may write deployments.',
    );
  }
}
