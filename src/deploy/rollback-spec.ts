/** What a rollback run is asked, what it knows, what it talks to and what it answers; and its GitHub Deployment. */
import {
  createDeployment,
  setDeploymentStatus,
  type DeploymentsApi,
  type Repo,
} from '../github/deployments.ts';
import type { DeploymentEvent } from '../github/deployment-event.ts';
import type { Cluster } from '../kubernetes/cluster.ts';
import type { RollbackResult, RollbackTarget } from '../kubernetes/rollback.ts';
import type { TimelineEntry } from './timeline.ts';

export interface RollbackSpec {
  readonly environment: string;
  readonly namespace: string;
  /** `NAME` (a Deployment) or `statefulset/NAME`, `daemonset/NAME`, as `kubectl rollout undo` names them. */
  readonly deployments: readonly string[];
  readonly target: RollbackTarget;
  readonly reason: string;
  readonly timeoutMs: number;
}

export interface RollbackFacts {
  readonly sha: string;
  readonly runUrl: string | undefined;
  readonly actor: string | undefined;
  readonly event: DeploymentEvent | undefined;
}

export interface RollbackPorts {
  readonly cluster: Cluster;
  readonly github: { readonly api: DeploymentsApi; readonly repo: Repo } | undefined;
  readonly now: () => number;
  readonly log: (line: string) => void;
}

export interface RollbackOutcome {
  readonly results: readonly RollbackResult[];
  readonly deploymentId: number | undefined;
  readonly revision: number | undefined;
  readonly rolledBackTo: string;
  readonly durationMs: number;
  readonly timeline: readonly TimelineEntry[];
  readonly failure: string | undefined;
  /** After a failure: what runs now (what ran before, restored, or the failing target). */
  readonly runningNow: string | undefined;
}

/**
 * The `deploy:rollback` GitHub Deployment of a rollback — the one a `deployment` event carries, or
 * a new one on `target.sha` — set `in_progress`; undefined without a token.
 */
export async function openRollbackDeployment(
  spec: RollbackSpec,
  facts: RollbackFacts,
  github: RollbackPorts['github'],
  target: {
    readonly sha: string;
    readonly version: string | undefined;
    readonly fromVersion: string | undefined;
  },
): Promise<number | undefined> {
  if (github === undefined) return facts.event?.id;
  const { version, fromVersion } = target;
  const deploymentId =
    facts.event?.id ??
    (
      await createDeployment(github.api, github.repo, {
        ref: target.sha,
        environment: spec.environment,
        task: 'deploy:rollback',
        payload: {
          reason: spec.reason,
          ...(version ? { version } : {}),
          ...(fromVersion ? { rolled_back_from: fromVersion } : {}),
          ...(spec.target.revision ? { revision: spec.target.revision } : {}),
        },
        description: `Rollback of ${spec.environment}${version ? ` to ${version}` : ''}${spec.reason ? `: ${spec.reason}` : ''}`,
        requiredContexts: [],
      })
    ).id;
  await setDeploymentStatus(github.api, github.repo, deploymentId, 'in_progress', {
    logUrl: facts.runUrl,
    description: `Rolling back ${spec.environment}`,
  });
  return deploymentId;
}
