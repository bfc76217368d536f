/**
 * What a test seeds and inspects directly, bypassing HTTP but not the API's rules: objects go
 * through the same registry (defaults, validation, generation) and the controllers react to them
 * as to a client's request.
 */
import { byCreation } from './deployment-replicas.ts';
import type { Registry } from './registry.ts';
import {
  controllerRevisions,
  isControllerRevision,
  deployments,
  isDeployment,
  isNamespace,
  isPod,
  isReplicaSet,
  isService,
  namespaces,
  pods,
  replicaSets,
  resourceByKind,
  services,
  type ControllerRevision,
  type Deployment,
  type KubeObject,
  type Namespace,
  type Pod,
  type ReplicaSet,
  type ResourceType,
  type Service,
} from './resources.ts';
import { parseLabelSelector, matchesLabels } from './selectors.ts';

/** An object to seed: apiVersion, kind and metadata.name are enough to route it. */
export interface SeedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly [field: string]: unknown;
  };
  readonly [field: string]: unknown;
}

export class KubeState {
  readonly #registry: Registry;

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  /** The resourceVersion of the latest write. */
  get resourceVersion(): string {
    return String(this.#registry.store.resourceVersion);
  }

  /** Creates `object` as a POST would; throws the API's KubeError (e.g. 409, 422) when refused. */
  create(object: SeedObject): KubeObject {
    return this.#registry.create(this.#type(object), object.metadata.namespace ?? 'default', object);
  }

  /** Creates `object`, or replaces it (status kept) when it exists. */
  put(object: SeedObject): KubeObject {
    const type = this.#type(object);
    const namespace = object.metadata.namespace ?? 'default';
    if (!this.#registry.find(type, namespace, object.metadata.name)) return this.create(object);
    const { resourceVersion: _ignored, ...metadata } = object.metadata;
    return this.#registry.replace(type, namespace, object.metadata.name, { ...object, metadata });
  }

  namespace(name: string, labels: Readonly<Record<string, string>> = {}): Namespace {
    const existing = this.#registry.find(namespaces, undefined, name);
    const object =
      existing ??
      this.#registry.create(namespaces, undefined, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels },
      });
    if (!isNamespace(object)) throw new Error(`stored namespace ${name} is not a Namespace`);
    return object;
  }

  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#registry.find(this.#type({ apiVersion, kind }), namespace, name);
  }

  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
    this.#registry.delete(this.#type({ apiVersion, kind }), namespace, name);
  }

  deployment(namespace: string, name: string): Deployment | undefined {
    const found = this.#registry.find(deployments, namespace, name);
    return found && isDeployment(found) ? found : undefined;
  }

  /** ReplicaSets in `namespace`, only those a Deployment controls when `deployment` is given; oldest first. */
  replicaSets(namespace: string, deployment?: string): ReplicaSet[] {
    const owner = deployment === undefined ? undefined : this.deployment(namespace, deployment);
    return this.#registry
      .list(replicaSets, namespace)
      .filter(isReplicaSet)
      .filter(
        (rs) =>
          deployment === undefined || rs.metadata.ownerReferences?.some((r) => r.uid === owner?.metadata.uid),
      )
      .sort(byCreation);
  }

  /** ControllerRevisions in `namespace` (the histories of StatefulSets and DaemonSets), lowest revision first. */
  controllerRevisions(namespace: string, labelSelector?: string): ControllerRevision[] {
    const selector = parseLabelSelector(labelSelector ?? null);
    return this.#registry
      .list(controllerRevisions, namespace)
      .filter(isControllerRevision)
      .filter((r) => matchesLabels(selector, r.metadata.labels))
      .sort((a, b) => a.revision - b.revision);
  }

  pods(namespace: string, labelSelector?: string): Pod[] {
    const selector = parseLabelSelector(labelSelector ?? null);
    return this.#registry
      .list(pods, namespace)
      .filter(isPod)
      .filter((pod) => matchesLabels(selector, pod.metadata.labels));
  }

  service(namespace: string, name: string): Service | undefined {
    const found = this.#registry.find(services, namespace, name);
    return found && isService(found) ? found : undefined;
  }

  namespaces(): Namespace[] {
    return this.#registry.list(namespaces).filter(isNamespace);
  }

  /** Forgets the watch history, as etcd compaction does: older resourceVersions answer 410 Expired. */
  compact(): void {
    this.#registry.store.compact();
  }

  #type(object: { readonly apiVersion: string; readonly kind: string }): ResourceType {
    const type = resourceByKind(object.apiVersion, object.kind);
    if (!type)
      throw new Error(`the test Kubernetes server does not serve ${object.apiVersion} ${object.kind}`);
    return type;
  }
}
