/**
 * Object storage with etcd's observable behaviour: one global, increasing resourceVersion stamped
 * on every write, an event history window that watches resume from (older versions are
 * "compacted" and answer 410 Expired), and synchronous fan-out of every change to subscribers.
 */
import type { KubeObject, ResourceType } from './resources.ts';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: StoreEventType;
  readonly resource: ResourceType;
  readonly resourceVersion: number;
  /** The object after the change (for DELETED: its last state, stamped with the deletion's version). */
  readonly object: KubeObject;
  /** The object before the change (MODIFIED and DELETED). */
  readonly previous?: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export class ObjectStore {
  readonly #objects = new Map<ResourceType, Map<string, KubeObject>>();
  readonly #history: StoreEvent[] = [];
  readonly #historyLimit: number;
  readonly #listeners = new Set<StoreListener>();
  #resourceVersion = 0;
  /** Events at or below this version are gone from the history. */
  #compactedAt = 0;

  constructor(options: { readonly historyLimit: number }) {
    this.#historyLimit = options.historyLimit;
  }

  get resourceVersion(): number {
    return this.#resourceVersion;
  }

  get compactedAt(): number {
    return this.#compactedAt;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.#bucket(type).get(keyOf(type.namespaced ? namespace : undefined, name));
    return found && structuredClone(found);
  }

  /** Objects of `type` (in `namespace` when given), in etcd key order. */
  list(type: ResourceType, namespace?: string): KubeObject[] {
    return [...this.#bucket(type).entries()]
      .filter(([, o]) => namespace === undefined || o.metadata.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => structuredClone(o));
  }

  /** Stores `object` (created or replaced) under the next resourceVersion and tells subscribers. */
  write(type: ResourceType, object: KubeObject): KubeObject {
    const key = keyOf(object.metadata.namespace, object.metadata.name ?? '');
    const previous = this.#bucket(type).get(key);
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.#resourceVersion);
    this.#bucket(type).set(key, stored);
    this.#record(
      previous
        ? {
            type: 'MODIFIED',
            resource: type,
            resourceVersion: this.#resourceVersion,
            object: stored,
            previous,
          }
        : { type: 'ADDED', resource: type, resourceVersion: this.#resourceVersion, object: stored },
    );
    return structuredClone(stored);
  }

  remove(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = keyOf(type.namespaced ? namespace : undefined, name);
    const previous = this.#bucket(type).get(key);
    if (!previous) return undefined;
    this.#bucket(type).delete(key);
    const last = structuredClone(previous);
    last.metadata.resourceVersion = String(++this.#resourceVersion);
    this.#record({
      type: 'DELETED',
      resource: type,
      resourceVersion: this.#resourceVersion,
      object: last,
      previous,
    });
    return structuredClone(last);
  }

  /** Events after `resourceVersion`, or undefined when the window no longer reaches back that far. */
  eventsSince(resourceVersion: number): StoreEvent[] | undefined {
    if (resourceVersion < this.#compactedAt) return undefined;
    return this.#history.filter((e) => e.resourceVersion > resourceVersion);
  }

  /** Drops the whole event history, as etcd compaction does: older versions become Expired. */
  compact(): void {
    this.#history.length = 0;
    this.#compactedAt = this.#resourceVersion;
  }

  subscribe(listener: StoreListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #bucket(type: ResourceType): Map<string, KubeObject> {
    let bucket = this.#objects.get(type);
    if (!bucket) {
      bucket = new Map();
      this.#objects.set(type, bucket);
    }
    return bucket;
  }

  #record(event: StoreEvent): void {
    this.#history.push(event);
    while (this.#history.length > this.#historyLimit) {
      const dropped = this.#history.shift();
      if (dropped) this.#compactedAt = dropped.resourceVersion;
    }
    for (const listener of [...this.#listeners]) listener(event);
  }
}
