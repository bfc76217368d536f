/**
 * What open dashboards are told, and how it travels. A webhook the App receives becomes a
 * `DashboardEvent` (plain JSON, so it can cross processes); an `EventBus` carries it to every
 * open page of this replica. The bus is a port: `MemoryEventBus` serves one replica, and a Redis
 * pub/sub bus with the same interface can carry events between replicas (each replica then
 * publishes what it receives and delivers what any replica published).
 */
import { asRecord, payloadRecord } from '../../src/json/record.ts';

/** A deployment, or a new status of one, in one environment of one repository. */
export interface EnvironmentEvent {
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

/** Rollgate's own check run `rollgate / <environment>` was created or moved (a gate, a deploy). */
export interface CheckRunEvent {
  readonly kind: 'check_run';
  readonly repository: string;
  readonly environment: string;
  readonly sha: string;
  /** `queued`, `in_progress`, `completed`, … */
  readonly status: string;
  /** Set once completed: `success`, `failure`, `cancelled`, … */
  readonly conclusion: string | undefined;
  readonly url: string | undefined;
}

/** An environment's lock was taken (`holder` set) or released (`holder` undefined). */
export interface LockEvent {
  readonly kind: 'lock';
  readonly repository: string;
  readonly environment: string;
  readonly holder: string | undefined;
  readonly since: string | undefined;
}

/** A change to one environment of one repository. */
export type DashboardEvent = EnvironmentEvent | CheckRunEvent | LockEvent;

/** The server-sent event name a page listens to for `event`. */
export function streamName(event: DashboardEvent): 'environment' | 'check' | 'lock' {
  if (event.kind === 'check_run') return 'check';
  if (event.kind === 'lock') return 'lock';
  return 'environment';
}

const optionalText = (value: unknown): boolean => value === undefined || typeof value === 'string';

/**
 * Whether `value` (read from another replica, through Redis) is a `DashboardEvent`. Replicas
 * run the same code, but a message on a shared channel is still outside input.
 */
export function isDashboardEvent(value: unknown): value is DashboardEvent {
  const e = asRecord(value);
  if (e === undefined || typeof e.repository !== 'string' || typeof e.environment !== 'string') return false;
  switch (e.kind) {
    case 'deployment':
    case 'deployment_status':
      return (
        typeof e.deploymentId === 'number' &&
        typeof e.sha === 'string' &&
        typeof e.since === 'string' &&
        optionalText(e.version) &&
        optionalText(e.state) &&
        optionalText(e.by)
      );
    case 'check_run':
      return (
        typeof e.sha === 'string' &&
        typeof e.status === 'string' &&
        optionalText(e.conclusion) &&
        optionalText(e.url)
      );
    case 'lock':
      return optionalText(e.holder) && optionalText(e.since);
    default:
      return false;
  }
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

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** The check run's name for an environment: `rollgate / <environment>` (see `app/handlers/pending-request.ts`). */
const CHECK_RUN_PREFIX = 'rollgate / ';

/**
 * The event a `check_run` webhook means: only Rollgate's own `rollgate / <env>` runs, made by
 * this App (`appId`, when known: another App may name a run alike). GitHub sends `check_run`
 * `created` and `completed` to Apps with the checks permission
 * (https://docs.github.com/webhooks/webhook-events-and-payloads#check_run).
 */
function checkRunEvent(body: Record<string, unknown> | undefined, appId: number | undefined) {
  const repository = text(asRecord(body?.repository)?.full_name);
  const run = asRecord(body?.check_run);
  const name = text(run?.name);
  const sha = text(run?.head_sha);
  const status = text(run?.status);
  if (repository === undefined || name === undefined || sha === undefined || status === undefined)
    return undefined;
  if (!name.startsWith(CHECK_RUN_PREFIX) || name.length === CHECK_RUN_PREFIX.length) return undefined;
  if (appId !== undefined && asRecord(run?.app)?.id !== appId) return undefined;
  return {
    kind: 'check_run',
    repository,
    environment: name.slice(CHECK_RUN_PREFIX.length),
    sha,
    status,
    conclusion: text(run?.conclusion),
    url: text(run?.html_url),
  } satisfies CheckRunEvent;
}

/**
 * The event a `deployment`, `deployment_status` or `check_run` webhook means for the dashboard,
 * or undefined for other webhooks and payloads without the fields it needs. The payload is
 * GitHub's (its signature was checked) but its shape is still checked here, field by field.
 */
export function eventFromWebhook(name: string, payload: unknown, appId?: number): DashboardEvent | undefined {
  if (name === 'check_run') return checkRunEvent(asRecord(payload), appId);
  if (name !== 'deployment' && name !== 'deployment_status') return undefined;
  const body = asRecord(payload);
  const repository = text(asRecord(body?.repository)?.full_name);
  const deployment = asRecord(body?.deployment);
  if (repository === undefined || deployment === undefined) return undefined;
  const id = deployment.id;
  const environment = text(deployment.environment);
  const sha = text(deployment.sha);
  if (typeof id !== 'number' || environment === undefined || sha === undefined) return undefined;
  const status = name === 'deployment_status' ? asRecord(body?.deployment_status) : undefined;
  if (name === 'deployment_status' && text(status?.state) === undefined) return undefined;
  const fields = payloadRecord(deployment.payload) ?? {};
  return {
    kind: name,
    repository,
    environment,
    deploymentId: id,
    version: text(fields.version),
    sha,
    state: text(status?.state),
    since: text(status?.updated_at) ?? text(status?.created_at) ?? text(deployment.created_at) ?? '',
    by: text(fields.requester) ?? text(asRecord(deployment.creator)?.login),
  };
}

/** A lock change as the lock commands report it. */
export interface LockChange {
  /** `owner/repo` */
  readonly repository: string;
  readonly environment: string;
  readonly holder: string | undefined;
  readonly since: string | undefined;
}

let lockListener: ((change: LockChange) => void) | undefined;

/**
 * Where lock changes go. A lock is a branch the App writes itself (`rollgate/lock/<env>`), and the
 * App subscribes to no webhook about refs (`app/app.yml`), so the handlers that write locks say so
 * here; the dashboard (when on) listens, and `undefined` stops listening.
 */
export function onLockChange(listener: ((change: LockChange) => void) | undefined): void {
  lockListener = listener;
}

/** Called by the lock commands after GitHub holds the change; never throws. */
export function lockChanged(change: LockChange): void {
  try {
    lockListener?.(change);
  } catch {
    // Telling open pages is a courtesy: the command's answer does not depend on it.
  }
}

/** The event of a lock change. */
export function lockEvent(change: LockChange): LockEvent {
  return { kind: 'lock', ...change };
}
