import { capBody, cell, CHECK_RUN_TEXT_LIMIT, cleanValue, code, mention } from './markdown.ts';
import { linkable } from './sticky-comment.ts';

/** What a `rollgate / <env>` check run shows. */
export interface CheckRunFacts {
  readonly environment: string;
  readonly state: string;
  readonly version: string;
  readonly sha: string;
  readonly requester: string;
  readonly deploymentId: number;
  readonly description: string | undefined;
  readonly logUrl: string | undefined;
  readonly environmentUrl: string | undefined;
}

export type CheckRunStatus =
  | { status: 'queued' | 'in_progress' }
  | { status: 'completed'; conclusion: 'success' | 'failure' | 'cancelled' | 'neutral' };

/** The check-run name for an environment: `rollgate / staging`. */
export function checkRunName(environment: string): string {
  return `rollgate / ${environment}`;
}

/** Maps a deployment status to the check run's status and conclusion. */
export function checkRunStatus(state: string): CheckRunStatus {
  switch (state) {
    case 'queued':
    case 'pending':
      return { status: 'queued' };
    case 'in_progress':
      return { status: 'in_progress' };
    case 'success':
      return { status: 'completed', conclusion: 'success' };
    case 'inactive':
      return { status: 'completed', conclusion: 'neutral' };
    default:
      return { status: 'completed', conclusion: 'failure' };
  }
}

/** The check run's title and Markdown summary (GitHub keeps 65,535 characters). */
export function renderCheckRun(facts: CheckRunFacts): { title: string; summary: string } {
  const title = `${cleanValue(facts.version, 64)} → ${facts.environment}: ${facts.state.replace('_', ' ')}`;
  const lines = [
    `${code(facts.version)} (\`${facts.sha.slice(0, 7)}\`) to ${code(facts.environment)}, asked by ${mention(facts.requester)}.`,
    '',
    `| | |`,
    `|---|---|`,
    `| State | ${facts.state.replace('_', ' ')} |`,
    `| Deployment | #${facts.deploymentId} |`,
    ...(facts.description ? [`| Detail | ${cell(facts.description, 512)} |`] : []),
    ...(linkable(facts.logUrl) ? [`| Run | ${facts.logUrl} |`] : []),
    ...(linkable(facts.environmentUrl) ? [`| Environment | ${facts.environmentUrl} |`] : []),
  ];
  return { title: title.slice(0, 255), summary: capBody(lines.join('\n'), CHECK_RUN_TEXT_LIMIT) };
}
