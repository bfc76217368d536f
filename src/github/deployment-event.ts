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

/** What a `deployment_status` webhook says, read once at the trust boundary. */
export interface DeploymentStatusEvent {
  readonly deploymentId: number;
  readonly environment: string;
  readonly sha: string;
  readonly state: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly version: string;
  readonly requester: string;
  readonly pullRequest: number | undefined;
  readonly description: string | undefined;
  readonly logUrl: string | undefined;
  readonly environmentUrl: string | undefined;
  readonly updatedAt: string;
}

/** Reads a `deployment_status` event payload; Rollgate's own fields come from the deployment's payload. */
export function parseDeploymentStatusEvent(event: unknown): DeploymentStatusEvent {
  const root = asRecord(event);
  const deployment = asRecord(root.deployment);
  const status = asRecord(root.deployment_status);
  const payload = asPayload(deployment.payload);
  const sha = text(deployment.sha) ?? '';
  const creator = asRecord(deployment.creator);
  return {
    deploymentId: typeof deployment.id === 'number' ? deployment.id : 0,
    environment: text(status.environment) ?? text(deployment.environment) ?? '',
    sha,
    state: text(status.state) ?? 'pending',
    payload,
    version: text(payload.version) ?? sha.slice(0, 7),
    requester: text(payload.requester) ?? text(creator.login) ?? 'someone',
    pullRequest: typeof payload.pull_request === 'number' ? payload.pull_request : undefined,
    description: text(status.description),
    logUrl: text(status.log_url) ?? text(status.target_url),
    environmentUrl: text(status.environment_url),
    updatedAt: text(status.updated_at) ?? text(status.created_at) ?? new Date(0).toISOString(),
  };
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** A non-empty string, or undefined. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
