/**
 * Watch streams: newline-delimited `{"type","object"}` events over a chunked response, as the
 * apiserver's watch cache serves them — initial ADDED events when no resourceVersion is given,
 * replay from the history window otherwise (ERROR with a 410 Expired Status when it is too old),
 * selector transitions turned into ADDED/DELETED, and BOOKMARKs when the client allows them.
 */
import type { ServerResponse } from 'node:http';
import { apiVersionOf, type KubeObject, type ResourceType } from './resources.ts';
import { matchesFields, matchesLabels, type FieldSelector, type LabelSelector } from './selectors.ts';
import { badRequest, expired } from './status.ts';
import type { ObjectStore, StoreEvent } from './store.ts';

export interface WatchRequest {
  readonly type: ResourceType;
  readonly namespace?: string;
  readonly labelSelector: LabelSelector;
  readonly fieldSelector: FieldSelector;
  readonly resourceVersion: string | null;
  readonly allowBookmarks: boolean;
  /** The client's `timeoutSeconds`: real seconds, as the client counts them (not simulated ones). */
  readonly timeoutSeconds?: number;
}

type WireEvent = { readonly type: string; readonly object: unknown };

export class WatchHub {
  readonly #store: ObjectStore;
  readonly #maxDurationMs: number | undefined;
  readonly #open = new Set<() => void>();

  constructor(store: ObjectStore, options: { readonly maxDurationMs?: number }) {
    this.#store = store;
    this.#maxDurationMs = options.maxDurationMs;
  }

  get openWatches(): number {
    return this.#open.size;
  }

  /** Streams events to `response` until the timeout, the server's limit or the client goes away. */
  serve(request: WatchRequest, response: ServerResponse): void {
    const start = this.#startingEvents(request);
    response.writeHead(200, {
      'content-type': 'application/json',
      'cache-control': 'no-cache, private',
      'transfer-encoding': 'chunked',
    });
    const send = (event: WireEvent): void => {
      if (!response.writableEnded && !response.destroyed) response.write(`${JSON.stringify(event)}\n`);
    };
    if (start === 'expired') {
      const requested = Number(request.resourceVersion);
      send({ type: 'ERROR', object: expired(requested, this.#store.compactedAt).status });
      response.end();
      return;
    }
    for (const event of start) send(event);
    const unsubscribe = this.#store.subscribe((event) => {
      const wire = translate(request, event);
      if (wire) send(wire);
    });
    let timer: NodeJS.Timeout | undefined;
    const finish = (graceful: boolean): void => {
      if (!this.#open.delete(end)) return;
      unsubscribe();
      if (timer) clearTimeout(timer);
      if (graceful && !response.writableEnded) {
        if (request.allowBookmarks) send(this.#bookmark(request.type));
        response.end();
      }
    };
    const end = (): void => {
      finish(true);
    };
    this.#open.add(end);
    response.on('close', () => {
      finish(false);
    });
    const limits = [
      request.timeoutSeconds === undefined ? undefined : request.timeoutSeconds * 1000,
      this.#maxDurationMs,
    ];
    const duration = Math.min(...limits.filter((l): l is number => l !== undefined));
    if (Number.isFinite(duration)) {
      timer = setTimeout(end, duration);
      timer.unref();
    }
  }

  /** Ends every open watch the way a server-side timeout does: clients have to resume. */
  endAll(): void {
    for (const end of [...this.#open]) end();
  }

  #startingEvents(request: WatchRequest): WireEvent[] | 'expired' {
    const version = request.resourceVersion;
    if (version === null || version === '' || version === '0') {
      return this.#store
        .list(request.type, request.namespace)
        .filter((object) => matches(request, object))
        .map((object) => ({ type: 'ADDED', object }));
    }
    if (!/^\d+$/.test(version))
      throw badRequest(`resourceVersion: Invalid value: "${version}": must be a number`);
    const events = this.#store.eventsSince(Number(version));
    if (!events) return 'expired';
    return events.map((event) => translate(request, event)).filter((e): e is WireEvent => e !== undefined);
  }

  #bookmark(type: ResourceType): WireEvent {
    return {
      type: 'BOOKMARK',
      object: {
        kind: type.kind,
        apiVersion: apiVersionOf(type),
        metadata: { resourceVersion: String(this.#store.resourceVersion) },
      },
    };
  }
}

function matches(request: WatchRequest, object: KubeObject): boolean {
  return (
    (request.namespace === undefined || object.metadata.namespace === request.namespace) &&
    matchesLabels(request.labelSelector, object.metadata.labels) &&
    matchesFields(request.fieldSelector, object)
  );
}

/** What a watcher sees of a store event: objects moving in or out of its selection appear or vanish. */
function translate(request: WatchRequest, event: StoreEvent): WireEvent | undefined {
  if (event.resource !== request.type) return undefined;
  const now = event.type !== 'DELETED' && matches(request, event.object);
  const previous = event.previous && matches(request, event.previous) ? event.previous : undefined;
  if (event.type === 'DELETED') return previous ? { type: 'DELETED', object: event.object } : undefined;
  if (now) return { type: previous ? 'MODIFIED' : 'ADDED', object: event.object };
  if (!previous) return undefined;
  const gone = structuredClone(previous);
  gone.metadata.resourceVersion = String(event.resourceVersion);
  return { type: 'DELETED', object: gone };
}
