/**
 * A held deploy request turned back into the order it was (`deployThroughGates`' two arguments):
 * the requester's Deployment of the request's commit, owned by the `/deploy` comment, so that it
 * is found again — never made twice — whoever carries it out (an `/approve`, a sweep of deferred
 * requests, another replica).
 */
import type { RollgateConfig } from '../../src/config/types.ts';
import type { PullFacts } from '../decisions/deploy.ts';
import { gateFactsOf, type DeploymentOrder, type GateFacts } from './deployment-plan.ts';
import type { EnvironmentState } from './environment-state.ts';
import type { GateRecords, RequestRecord } from './gate-records.ts';

export function requestOrder(
  request: RequestRecord,
  config: RollgateConfig,
  pull: PullFacts,
  environments: EnvironmentState,
  records: GateRecords,
  resume: boolean,
): { order: DeploymentOrder; facts: GateFacts } {
  const owner = { kind: 'comment', id: request.comment } as const;
  return {
    order: {
      environment: request.environment,
      task: 'deploy',
      version: request.version,
      requester: request.requester,
      owner,
      pullNumber: request.pull,
      payload: {
        version: request.version,
        requester: request.requester,
        pull_request: request.pull,
        params: request.params,
        comment_url: request.commentUrl,
      },
      description: `${request.version} to ${request.environment} for @${request.requester} (#${request.pull})`,
      resume,
      gated: { records, branch: request.branch },
    },
    facts: gateFactsOf(config, environments, {
      environmentName: request.environment,
      requester: request.requester,
      owner,
      pull,
      target: { kind: 'pull-head', sha: request.sha },
    }),
  };
}
