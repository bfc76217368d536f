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
  const title = `${facts.version} → ${facts.environment}: ${facts.state.replace('_', ' ')}`;
  const lines = [
    `**${facts.version}** (\`${facts.sha.slice(0, 7)}\`) to **${facts.environment}**, asked by @${facts.requester}.`,
    '',
    `| | |`,
    `|---|---|`,
    `| State | ${facts.state.replace('_', ' ')} |`,
    `| Deployment | #${facts.deploymentId} |`,
    ...(facts.description ? [`| Detail | ${facts.description.replaceAll('|', '\\|')} |`] : []),
    ...(facts.logUrl ? [`| Run | ${facts.logUrl} |`] : []),
    ...(facts.environmentUrl ? [`| Environment | ${facts.environmentUrl} |`] : []),
  ];
  return { title: title.slice(0, 255), summary: lines.join('\n').slice(0, 65_535) };
}
