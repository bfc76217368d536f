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
import { traceAnnotations, type RevisionOutcome } from '../kubernetes/annotations.ts';
import type { Cluster } from '../kubernetes/cluster.ts';
import { recordOutcome } from '../kubernetes/outcome.ts';
import type { PodFailure } from '../kubernetes/pod-failures.ts';
import type { RollbackResult } from '../kubernetes/rollback.ts';
import { waitForRollout } from '../kubernetes/rollout-watch.ts';
import { deployBlueGreen } from './blue-green.ts';
import { deployCanary } from './canary.ts';
import { deployRolling } from './rolling.ts';
import type { DeploySpec } from './spec.ts';
import type { StrategyContext, StrategyResult } from './strategy.ts';
import { prepareTargets, type ChangedDeployment } from './targets.ts';
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
  /** The health check to run once the new version is up. */
  readonly health: HealthCheckSpec | undefined;
  /** What the gates said (src/deploy/workflow-gates.ts), kept in the payload of a Deployment this run creates. */
  readonly gates?: Readonly<Record<string, unknown>> | undefined;
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
  /** What runs now after an automatic revert. */
  readonly reverted: string | undefined;
  readonly rollbacks: readonly RollbackResult[];
  readonly rollbackDeploymentId: number | undefined;
  readonly health: HealthReport | undefined;
}

const STRATEGIES = { rolling: deployRolling, 'blue-green': deployBlueGreen, canary: deployCanary } as const;

/**
 * A deploy: validate every target (nothing changes if one is wrong), create or adopt the GitHub
 * Deployment (`in_progress`, linked to the run), carry out the strategy — which watches the
 * rollouts, checks health and reverts on failure — then record `success` with the environment
 * URL, or `failure` saying why and what runs now; an automatic revert is its own
 * `deploy:rollback` Deployment, so the Deployments tab tells what really runs.
 */
export async function runDeploy(
  spec: DeploySpec,
  facts: DeployFacts,
  ports: DeployPorts,
): Promise<DeployOutcome> {
  const timeline = new Timeline(ports.now);
  const { cluster, github } = ports;
  const prepared = await prepareTargets(cluster, spec.namespace, spec, facts.workspace, ports.log);

  const deploymentId =
    facts.event?.id ??
    facts.deploymentId ??
    (github ? await createGitHubDeployment(github, spec, facts) : undefined);
  if (github && deploymentId !== undefined) {
    await setDeploymentStatus(github.api, github.repo, deploymentId, 'in_progress', {
      logUrl: facts.runUrl,
      description: `Rolling out ${facts.version} to ${spec.environment} (${spec.strategy})`,
    });
  }

  // The revision each Deployment's own rollout reached (its first fail-fast watch; a revert's
  // watch comes later and has fail-fast off): the ReplicaSet that gets this deploy's outcome.
  const rolledOut = new Map<string, number>();
  const context: StrategyContext = {
    spec,
    facts,
    ports,
    prepared,
    timeline,
    annotations: traceAnnotations({
      version: facts.version,
      sha: facts.sha,
      deploymentId,
      runUrl: facts.runUrl,
      actor: facts.actor,
    }),
    watch: async (namespace, name, failFast = true, kind = 'Deployment') => {
      const rollout = await waitForRollout({
        kubeConfig: cluster.kubeConfig,
        namespace,
        name,
        kind,
        timeoutMs: spec.timeoutMs,
        restartThreshold: failFast ? spec.restartThreshold : undefined,
        now: ports.now,
        onProgress: ports.log,
      });
      const key = `${namespace}/${name}`;
      // Outcomes are recorded on ReplicaSets: a Deployment's revisions.
      if (kind === 'Deployment' && failFast && rollout.revision !== undefined && !rolledOut.has(key))
        rolledOut.set(key, rollout.revision);
      return rollout;
    },
    checkHealth: async () => {
      if (facts.health === undefined) return undefined;
      const prober = await ports.createProber();
      return runHealthCheck(facts.health, prober).finally(() => {
        prober.close();
      });
    },
    mark: (step, detail, atMs) => {
      const entry = timeline.mark(step, detail, atMs);
      ports.log(`[${(entry.atMs / 1000).toFixed(1)} s] ${entry.step}: ${entry.detail}`);
    },
  };
  let result: StrategyResult;
  try {
    result = await STRATEGIES[spec.strategy](context);
  } catch (error) {
    // The change is half-done: say so on GitHub before the error reaches the user.
    if (github && deploymentId !== undefined) {
      const message = error instanceof RollgateError ? error.message : (error as Error).message;
      await setDeploymentStatus(github.api, github.repo, deploymentId, 'error', {
        logUrl: facts.runUrl,
        description: message,
      }).catch(() => undefined);
    }
    throw error;
  }

  const status =
    result.failure === undefined ? 'success' : result.reverted === undefined ? 'failure' : 'rolled-back';
  await recordOutcomes(ports, result, rolledOut, status === 'failure' ? 'failed' : status);

  let rollbackDeploymentId: number | undefined;
  if (github && deploymentId !== undefined) {
    if (result.failure === undefined) {
      await setDeploymentStatus(github.api, github.repo, deploymentId, 'success', {
        logUrl: facts.runUrl,
        environmentUrl: spec.environmentUrl,
        description: `${facts.version} is live in ${spec.environment}`,
      });
    } else {
      await setDeploymentStatus(github.api, github.repo, deploymentId, 'failure', {
        logUrl: facts.runUrl,
        // What runs now comes first: GitHub keeps 140 characters, and pod messages are long.
        description:
          result.reverted === undefined ? result.failure : `${result.reverted} after: ${result.failure}`,
      });
      if (result.reverted !== undefined)
        rollbackDeploymentId = await recordRevert(github, spec, facts, result, deploymentId);
    }
  }
  return {
    status,
    deploymentId,
    revision: result.revision,
    previousRevision: result.previousRevision,
    environmentUrl: spec.environmentUrl,
    durationMs: timeline.elapsed(),
    timeline: timeline.entries,
    deployments: result.deployments,
    failure: result.failure,
    podFailures: result.podFailures,
    reverted: result.reverted,
    rollbacks: result.rollbacks,
    rollbackDeploymentId,
    health: result.health,
  };
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
    payload: {
      version: facts.version,
      ...(spec.image ? { image: spec.image } : {}),
      strategy: spec.strategy,
      ...(facts.gates === undefined ? {} : { workflow_gates: facts.gates }),
    },
    description: `Deploy ${facts.version} to ${spec.environment}`,
    // The workflow running this step already gated the commit; GitHub's commit-status check would see this run as pending.
    requiredContexts: [],
  });
  return deployment.id;
}

/**
 * Writes the deploy's outcome on the ReplicaSet of each changed Deployment's new revision, where
 * a later rollback without a target reads it. The deploy is over by now: a cluster that refuses
 * the write is reported in the log rather than turning a finished deploy into an error.
 */
async function recordOutcomes(
  ports: DeployPorts,
  result: StrategyResult,
  rolledOut: ReadonlyMap<string, number>,
  outcome: RevisionOutcome,
): Promise<void> {
  for (const { namespace, name } of result.deployments) {
    const revision = rolledOut.get(`${namespace}/${name}`);
    if (revision === undefined) continue;
    try {
      const replicaSet = await recordOutcome(ports.cluster, namespace, name, revision, outcome);
      if (replicaSet !== undefined)
        ports.log(`recorded rollgate.dev/outcome=${outcome} on replicaset ${replicaSet}`);
    } catch (error) {
      ports.log(
        `warning: could not record the outcome of ${name} revision ${revision}: ${error instanceof RollgateError ? error.render() : (error as Error).message} A rollback without a target cannot tell whether this revision was good.`,
      );
    }
  }
}

/**
 * An automatic revert is its own GitHub Deployment (`task: deploy:rollback`) of what runs again:
 * its ref is the commit of that version (`rollgate.dev/sha` where it was recorded), so the
 * Deployments tab shows the commit that runs, not the one that failed. Only a version Rollgate
 * never stamped falls back to the failed deploy's commit, since GitHub needs some ref.
 */
async function recordRevert(
  github: NonNullable<DeployPorts['github']>,
  spec: DeploySpec,
  facts: DeployFacts,
  result: StrategyResult,
  failedId: number,
): Promise<number> {
  try {
    const deployment = await createDeployment(github.api, github.repo, {
      ref:
        result.revertedToSha ??
        result.rollbacks.find((r) => r.sha !== undefined)?.sha ??
        (facts.sha || facts.ref),
      environment: spec.environment,
      task: 'deploy:rollback',
      payload: {
        version: result.revertedToVersion ?? null,
        rolled_back_from: facts.version,
        failed_deployment_id: failedId,
        revision: result.rollbacks[0]?.toRevision ?? null,
      },
      description: `Automatic rollback of ${facts.version}${result.revertedToVersion ? ` to ${result.revertedToVersion}` : ''}`,
      requiredContexts: [],
    });
    await setDeploymentStatus(github.api, github.repo, deployment.id, 'success', {
      logUrl: facts.runUrl,
      environmentUrl: spec.environmentUrl,
      description: result.reverted ?? 'rolled back',
    });
    return deployment.id;
  } catch (error) {
    throw new RollgateError(
      `The rollback worked but recording it on GitHub failed: ${(error as Error).message}`,
      'The cluster runs the previous version; the Deployments tab does not show it yet.',
      'Check that the token may write deployments (permissions: deployments: write).',
    );
  }
}
