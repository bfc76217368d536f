import type { Probot } from 'probot';
import { handleComment } from './handlers/comment.ts';
import { handleDeploymentStatus } from './handlers/deployment-status.ts';
import { handleProtectionRule } from './handlers/protection-rule.ts';
import { handlePullPush } from './handlers/pull-push.ts';
import { handleRelease } from './handlers/release.ts';
import { handleRequestedAction } from './handlers/release-approval.ts';

/** The Rollgate GitHub App: wires webhook events to their handlers. */
export default function rollgate(app: Probot): void {
  app.on('issue_comment.created', handleComment);
  app.on('deployment_status.created', handleDeploymentStatus);
  app.on('release.published', handleRelease);
  app.on('deployment_protection_rule.requested', handleProtectionRule);
  app.on('pull_request.synchronize', handlePullPush);
  app.on('check_run.requested_action', handleRequestedAction);
}
