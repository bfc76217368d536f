/** What a `deployment` webhook event (a Deployment created by the App) tells the workflow. */
export interface DeploymentEvent {
  readonly id: number;
  readonly environment: string;
  readonly ref: string;
  readonly sha: string;
  readonly task: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/**
 * Reads the deployment from a `deployment` event payload (the file at GITHUB_EVENT_PATH);
 * undefined for any other event. The payload's `payload` may be an object or a JSON string.
 */
export function parseDeploymentEvent(eventName: string, event: unknown): DeploymentEvent | undefined {
  if (eventName !== 'deployment') return undefined;
  const deployment = (event as { deployment?: unknown } | null)?.deployment;
  if (deployment === null || typeof deployment !== 'object') return undefined;
  const d = deployment as Record<string, unknown>;
  const id = typeof d.id === 'number' ? d.id : undefined;
  const environment = typeof d.environment === 'string' ? d.environment : undefined;
  if (id === undefined || environment === undefined) return undefined;
  return {
    id,
    environment,
    ref: typeof d.ref === 'string' ? d.ref : '',
    sha: typeof d.sha === 'string' ? d.sha : '',
    task: typeof d.task === 'string' ? d.task : 'deploy',
    payload: asPayload(d.payload),
  };
}

function asPayload(value: unknown): Record<string, unknown> {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return {};
    }
  }
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : {};
}
