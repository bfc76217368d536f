/**
 * What open dashboards are told, and how it travels. A webhook the App receives becomes a
 * `DashboardEvent` (plain JSON, so it can cross processes); an `EventBus` carries it to every
 * open page of this replica. The bus is a port: `MemoryEventBus` serves one replica, and a Redis
 * pub/sub bus with the same interface can carry events between replicas (each replica then
 * publishes what it receives and delivers what any replica published).
 */

/** A change to one environment of one repository. */
export interface DashboardEvent {
  readonly kind: 'deployment' | 'deployment_status';
  /** `owner/repo` as GitHub spells it. */
  readonly repository: string;
  readonly environment: string;
  readonly deploymentId: number;
  readonly version: string | undefined;
  readonly sha: string;
  /** The status' state; undefined for a deployment without a status yet. */
  readonly state: string | undefined;
  readonly since: string;
  readonly by: string | undefined;
}

export interface EventBus {
  /** Delivers `event` to every subscriber (of every replica, for a shared bus). */
  publish(event: DashboardEvent): Promise<void>;
  /** Calls `listener` with each event from now on; returns the unsubscribe. */
  subscribe(listener: (event: DashboardEvent) => void): () => void;
  close(): Promise<void>;
}

/** The bus of one process. */
export class MemoryEventBus implements EventBus {
  readonly #listeners = new Set<(event: DashboardEvent) => void>();

  publish(event: DashboardEvent): Promise<void> {
    for (const listener of this.#listeners) listener(event);
    return Promise.resolve();
  }

  subscribe(listener: (event: DashboardEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  close(): Promise<void> {
    this.#listeners.clear();
    return Promise.resolve();
  }
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** The deployment's payload as an object (GitHub sends it as JSON or as a JSON string). */
function payloadOf(deployment: Record<string, unknown>): Record<string, unknown> {
  const payload = deployment.payload;
  if (typeof payload !== 'string') return record(payload) ?? {};
  try {
    return record(JSON.parse(payload)) ?? {};
  } catch {
    return {};
  }
}

/**
 * The event a `deployment` or `deployment_status` webhook means for the dashboard, or undefined
 * for other webhooks and payloads without the fields it needs. The payload is GitHub's (its
 * signature was checked) but its shape is still checked here, field by field.
 */
export function eventFromWebhook(name: string, payload: unknown): DashboardEvent | undefined {
  if (name !== 'deployment' && name !== 'deployment_status') return undefined;
  const body = record(payload);
  const repository = text(record(body?.repository)?.full_name);
  const deployment = record(body?.deployment);
  if (repository === undefined || deployment === undefined) return undefined;
  const id = deployment.id;
  const environment = text(deployment.environment);
  const sha = text(deployment.sha);
  if (typeof id !== 'number' || environment === undefined || sha === undefined) return undefined;
  const status = name === 'deployment_status' ? record(body?.deployment_status) : undefined;
  if (name === 'deployment_status' && text(status?.state) === undefined) return undefined;
  const fields = payloadOf(deployment);
  return {
    kind: name,
    repository,
    environment,
    deploymentId: id,
    version: text(fields.version),
    sha,
    state: text(status?.state),
    since: text(status?.updated_at) ?? text(status?.created_at) ?? text(deployment.created_at) ?? '',
    by: text(fields.requester) ?? text(record(deployment.creator)?.login),
  };
}
