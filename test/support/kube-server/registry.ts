/**
 * The API server's storage layer between HTTP and etcd: per-kind create/update/delete strategies
 * (`pkg/registry/apps/deployment/strategy.go` and friends) — server-set metadata, status reset on
 * create and kept on update, generation bumps, defaulting, validation, preconditions, graceful pod
 * deletion. HTTP handlers, seeding and the controllers all write through it.
 */
import type { V1Status } from '@kubernetes/client-node';
import type { SimulatedClock } from './clock.ts';
import { applyDefaults } from './defaults.ts';
import { canonicalJson, isJsonObject, removeKey, semanticEqual, type JsonObject } from './json-value.ts';
import { randomSuffix, randomUid } from './names.ts';
import {
  applyManagedFields,
  conflictMessage,
  fieldSetOf,
  managedView,
  printManager,
  pruneUnapplied,
  renderPath,
  updateManagedFields,
  type FieldConflict,
  type FieldWriter,
  type ManagedFieldsEntry,
} from './field-managers.ts';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  mergeSchemaOf,
  type PatchContentType,
} from './patch.ts';
import {
  apiVersionOf,
  namespaces,
  type KubeObject,
  type ObjectMeta,
  type ResourceType,
} from './resources.ts';
import {
  alreadyExists,
  applyConflict,
  badRequest,
  conflict,
  deletedStatus,
  invalid,
  invalidObject,
  notFound,
  type FieldError,
} from './status.ts';
import type { ObjectStore } from './store.ts';
import { schemaFieldErrors, validateObject } from './validation.ts';

export interface WriteOptions {
  /** Recorded in metadata.managedFields, as the `fieldManager` query parameter is. */
  readonly fieldManager?: string;
  /** `dryRun=All`: run every stage, answer the result, store nothing. */
  readonly dryRun?: boolean;
}

export interface PatchOptions extends WriteOptions {
  readonly subresource?: 'status';
  /** The `force` query parameter as sent (undefined when absent). */
  readonly force?: string;
}

export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
}

const stringFields = [
  'name',
  'generateName',
  'namespace',
  'resourceVersion',
  'uid',
  'creationTimestamp',
  'deletionTimestamp',
];

function isStringMap(value: unknown): boolean {
  return isJsonObject(value) && Object.values(value).every((v) => typeof v === 'string');
}

/** Narrows decoded metadata to ObjectMeta when the fields the server relies on have their types. */
function isObjectMeta(value: unknown): value is ObjectMeta {
  if (!isJsonObject(value)) return false;
  if (stringFields.some((f) => value[f] !== undefined && typeof value[f] !== 'string')) return false;
  if (value.generation !== undefined && typeof value.generation !== 'number') return false;
  if (value.labels !== undefined && !isStringMap(value.labels)) return false;
  if (value.annotations !== undefined && !isStringMap(value.annotations)) return false;
  return ['ownerReferences', 'finalizers', 'managedFields'].every(
    (f) => value[f] === undefined || Array.isArray(value[f]),
  );
}

/** A decoded value as an error message shows it. */
function describe(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function withoutVersion(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  removeKey(copy.metadata, 'resourceVersion');
  return copy;
}

/** Whether an update of `type` from `previous` to `next` bumps metadata.generation. */
function changesGeneration(type: ResourceType, previous: KubeObject, next: KubeObject): boolean {
  if (!type.hasGeneration) return false;
  // Deployments also count annotation changes: they are copied to the ReplicaSets (deployment strategy.go).
  const annotationsChanged =
    type.kind === 'Deployment' && !semanticEqual(previous.metadata.annotations, next.metadata.annotations);
  return annotationsChanged || !semanticEqual(previous.spec, next.spec);
}

/** The status a freshly created object starts with (each kind's PrepareForCreate). */
function initialStatus(kind: string): JsonObject | undefined {
  switch (kind) {
    case 'Deployment':
      return {};
    case 'ReplicaSet':
      return { replicas: 0 };
    case 'Pod':
      return { phase: 'Pending', qosClass: 'BestEffort' };
    case 'Service':
      return { loadBalancer: {} };
    case 'Namespace':
      return { phase: 'Active' };
    case 'HorizontalPodAutoscaler':
      return { desiredReplicas: 0 };
    // Fields without `omitempty` in apps/v1 types.go are on the wire from the start.
    case 'StatefulSet':
      return { replicas: 0, availableReplicas: 0 };
    case 'DaemonSet':
      return { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    default:
      return undefined;
  }
}

export class Registry {
  readonly store: ObjectStore;
  readonly clock: SimulatedClock;
  readonly #random: () => number;
  #nextClusterIp = 10;
  #nextNodePort = 30000;

  constructor(store: ObjectStore, clock: SimulatedClock, random: () => number) {
    this.store = store;
    this.clock = clock;
    this.#random = random;
  }

  find(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(type, namespace, name);
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.find(type, namespace, name);
    if (!found) throw notFound(type, name);
    return found;
  }

  list(type: ResourceType, namespace?: string): KubeObject[] {
    return this.store.list(type, type.namespaced ? namespace : undefined);
  }

  create(
    type: ResourceType,
    namespace: string | undefined,
    body: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    return this.#create(type, namespace, this.#decode(type, body), options);
  }

  /** PUT: replaces everything but server-owned metadata and (on the main resource) status. */
  replace(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    const object = this.#decode(type, body);
    this.#checkIdentity(type, namespace, name, object);
    const current = this.get(type, namespace, name);
    return this.#update(type, current, object, { ...options, subresource: undefined, operation: 'Update' });
  }

  /** PUT on `/status`: only status (and, as the status strategies allow, annotations) change. */
  replaceStatus(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    const object = this.#decode(type, body);
    this.#checkIdentity(type, namespace, name, object);
    const current = this.get(type, namespace, name);
    return this.#update(type, current, object, { ...options, subresource: 'status', operation: 'Update' });
  }

  /**
   * An update of `spec.replicas` through the `/scale` subresource, as the HPA controller and
   * `kubectl scale` make it: the manager's entry names the subresource.
   */
  scale(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    replicas: number,
    options: WriteOptions = {},
  ): KubeObject {
    const current = this.get(type, namespace, name);
    const object = structuredClone(current);
    object.spec = { ...(isJsonObject(object.spec) ? object.spec : {}), replicas };
    return this.#update(type, current, object, { ...options, subresource: 'scale', operation: 'Update' });
  }

  /** PATCH with one of the four patch content types; server-side apply creates a missing object. */
  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: PatchContentType,
    patch: unknown,
    options: PatchOptions = {},
  ): { readonly object: KubeObject; readonly created: boolean } {
    const apply = contentType === 'application/apply-patch+yaml';
    this.#validatePatchOptions(apply, options);
    const current = this.find(type, namespace, name);
    if (apply) return this.#apply(type, namespace, name, current, patch, options);
    if (!current) throw notFound(type, name);
    const patched =
      contentType === 'application/json-patch+json'
        ? applyJsonPatch(current, patch)
        : contentType === 'application/merge-patch+json'
          ? applyMergePatch(current, patch)
          : applyStrategicMergePatch(current, patch, type.kind);
    const object = this.#decode(type, patched);
    this.#checkIdentity(type, namespace, name, object);
    return {
      object: this.#update(type, current, object, {
        ...options,
        subresource: options.subresource,
        operation: 'Update',
      }),
      created: false,
    };
  }

  /**
   * DELETE. Pods on a node terminate gracefully (deletionTimestamp now, removal by the kubelet);
   * everything else goes at once and its dependents are garbage-collected in the background.
   */
  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): KubeObject | V1Status {
    const current = this.get(type, namespace, name);
    if (type.kind === 'Pod') {
      const spec = isJsonObject(current.spec) ? current.spec : {};
      const grace =
        options.gracePeriodSeconds ??
        (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
      if (current.metadata.deletionTimestamp) return current;
      if (grace > 0 && typeof spec.nodeName === 'string') {
        current.metadata.deletionTimestamp = this.clock.timestamp(this.clock.now() + grace * 1000);
        current.metadata.deletionGracePeriodSeconds = grace;
        return this.store.write(type, current);
      }
    }
    this.store.remove(type, namespace, name);
    return deletedStatus(type, name, current.metadata.uid ?? '');
  }

  #apply(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    current: KubeObject | undefined,
    patch: unknown,
    options: PatchOptions,
  ): { readonly object: KubeObject; readonly created: boolean } {
    if (!isJsonObject(patch)) throw badRequest('the apply configuration is not an object');
    const expected = apiVersionOf(type);
    if (patch.apiVersion !== expected || patch.kind !== type.kind) {
      throw badRequest(
        `the API version in the data (${describe(patch.apiVersion)}) and kind (${describe(patch.kind)}) do not match the expected ${expected} ${type.kind}`,
      );
    }
    const configuration = this.#decode(type, patch);
    this.#checkIdentity(type, namespace, name, configuration);
    const schema = mergeSchemaOf(type.kind);
    const writer = this.#writer(configuration, options.fieldManager ?? '', 'Apply', options.subresource);
    const applied = fieldSetOf(managedView(configuration, options.subresource), schema);
    // PatchOptions.force is a bool: anything but "true" leaves conflicts to fail the apply.
    const force = options.force === 'true';
    if (!current) {
      const object = structuredClone(configuration);
      object.metadata.name = name;
      const { entries } = applyManagedFields([], {}, object, applied, writer, force, schema);
      return { object: this.#create(type, namespace, object, options, entries), created: true };
    }
    // The merge keeps the current resourceVersion unless the configuration names one (then it is a precondition).
    const merged = this.#decode(type, applyStrategicMergePatch(current, configuration, type.kind));
    const entries = current.metadata.managedFields ?? [];
    pruneUnapplied(entries, merged, applied, writer, schema);
    const settled = applyManagedFields(entries, current, merged, applied, writer, force, schema);
    if (settled.conflicts.length > 0) throw applyConflictError(settled.conflicts);
    return {
      object: this.#update(type, current, merged, {
        ...options,
        subresource: options.subresource,
        operation: 'Apply',
        managedFields: settled.entries,
      }),
      created: false,
    };
  }

  #writer(
    object: KubeObject,
    manager: string,
    operation: 'Apply' | 'Update',
    subresource: string | undefined,
  ): FieldWriter {
    return {
      manager,
      operation,
      apiVersion: object.apiVersion,
      time: this.clock.timestamp(),
      ...(subresource ? { subresource } : {}),
    };
  }

  #validatePatchOptions(apply: boolean, options: PatchOptions): void {
    const errors: FieldError[] = [];
    if (apply && !options.fieldManager) {
      errors.push({
        field: 'fieldManager',
        type: 'FieldValueRequired',
        detail: 'is required for apply patch',
      });
    }
    if (!apply && options.force !== undefined) {
      errors.push({
        field: 'force',
        type: 'FieldValueForbidden',
        detail: 'may not be specified for non-apply patch',
      });
    }
    if (errors.length > 0) invalidPatchOptions(errors);
  }

  /** Parses a body into an object of `type`: apiVersion and kind default to the endpoint's. */
  #decode(type: ResourceType, body: unknown): KubeObject {
    if (!isJsonObject(body))
      throw badRequest(`the object provided is unrecognized (must be of type ${type.kind})`);
    const apiVersion = body.apiVersion ?? apiVersionOf(type);
    const kind = body.kind ?? type.kind;
    if (apiVersion !== apiVersionOf(type) || kind !== type.kind) {
      throw badRequest(
        `the API version in the data (${describe(apiVersion)}) and kind (${describe(kind)}) do not match the expected ${apiVersionOf(type)} ${type.kind}`,
      );
    }
    const metadata = body.metadata ?? {};
    if (!isObjectMeta(metadata)) {
      const name = isJsonObject(metadata) && typeof metadata.name === 'string' ? metadata.name : '';
      throw invalidObject(type, name, schemaFieldErrors(type.kind, { ...body, apiVersion, kind }));
    }
    return { ...structuredClone(body), apiVersion, kind: type.kind, metadata: structuredClone(metadata) };
  }

  #checkIdentity(type: ResourceType, namespace: string | undefined, name: string, object: KubeObject): void {
    if (object.metadata.name !== undefined && object.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    object.metadata.name = name;
    this.#checkNamespace(type, namespace, object);
  }

  #checkNamespace(type: ResourceType, namespace: string | undefined, object: KubeObject): void {
    if (!type.namespaced) {
      removeKey(object.metadata, 'namespace');
      return;
    }
    if (object.metadata.namespace !== undefined && object.metadata.namespace !== namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    object.metadata.namespace = namespace ?? 'default';
  }

  #create(
    type: ResourceType,
    namespace: string | undefined,
    object: KubeObject,
    options: WriteOptions,
    applied?: ManagedFieldsEntry[],
  ): KubeObject {
    this.#checkNamespace(type, namespace, object);
    const metadata = object.metadata;
    if (!metadata.name && metadata.generateName)
      metadata.name = metadata.generateName + randomSuffix(this.#random);
    if (!metadata.name) {
      throw invalidObject(type, '', [
        { field: 'metadata.name', type: 'FieldValueRequired', detail: 'name or generateName is required' },
      ]);
    }
    if (type.namespaced && !this.find(namespaces, undefined, metadata.namespace ?? '')) {
      throw notFound(namespaces, metadata.namespace ?? '');
    }
    if (this.find(type, metadata.namespace, metadata.name)) throw alreadyExists(type, metadata.name);
    for (const field of [
      'uid',
      'resourceVersion',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'managedFields',
    ] as const) {
      removeKey(metadata, field);
    }
    metadata.uid = randomUid(this.#random);
    metadata.creationTimestamp = this.clock.timestamp();
    if (type.hasGeneration) metadata.generation = 1;
    else removeKey(metadata, 'generation');
    const status = initialStatus(type.kind);
    if (status) object.status = status;
    applyDefaults(object);
    this.#allocateServiceAddresses(object);
    this.#validate(type, object);
    this.#setManagedFields(
      object,
      applied ??
        updateManagedFields(
          [],
          undefined,
          object,
          this.#writer(object, options.fieldManager ?? '', 'Update', undefined),
          mergeSchemaOf(type.kind),
        ),
    );
    return options.dryRun ? object : this.store.write(type, object);
  }

  #update(
    type: ResourceType,
    current: KubeObject,
    requested: KubeObject,
    options: WriteOptions & {
      readonly subresource: 'status' | 'scale' | undefined;
      readonly operation: 'Update' | 'Apply';
      /** An apply's settled managedFields (an update's are worked out here). */
      readonly managedFields?: ManagedFieldsEntry[];
    },
  ): KubeObject {
    const requestedVersion = requested.metadata.resourceVersion;
    if (requestedVersion && requestedVersion !== current.metadata.resourceVersion) {
      throw conflict(type, current.metadata.name ?? '');
    }
    const statusUpdate = options.subresource === 'status';
    const next = statusUpdate
      ? this.#statusUpdate(current, requested)
      : this.#specUpdate(type, current, requested);
    applyDefaults(next);
    this.#keepServiceAddresses(current, next);
    this.#validate(type, next, current);
    if (!statusUpdate && changesGeneration(type, current, next)) {
      next.metadata.generation = (current.metadata.generation ?? 0) + 1;
    }
    this.#setManagedFields(
      next,
      options.managedFields ??
        updateManagedFields(
          current.metadata.managedFields ?? [],
          current,
          next,
          this.#writer(next, options.fieldManager ?? '', 'Update', options.subresource),
          mergeSchemaOf(type.kind),
        ),
    );
    const sameOwners =
      canonicalJson(next.metadata.managedFields) === canonicalJson(current.metadata.managedFields);
    if (options.dryRun || (sameOwners && semanticEqual(withoutVersion(next), withoutVersion(current)))) {
      return options.dryRun ? next : current;
    }
    return this.store.write(type, next);
  }

  /** Everything from the request except server-owned metadata and status. */
  #specUpdate(type: ResourceType, current: KubeObject, requested: KubeObject): KubeObject {
    const next = structuredClone(requested);
    const owned = [
      'uid',
      'creationTimestamp',
      'generation',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
    ] as const;
    for (const field of owned) {
      if (current.metadata[field] === undefined) removeKey(next.metadata, field);
      else Object.assign(next.metadata, { [field]: current.metadata[field] });
    }
    next.metadata.managedFields = current.metadata.managedFields ?? [];
    if (type.hasStatus) next.status = current.status;
    return next;
  }

  /** The current object with the request's status and annotations (the status strategies). */
  #statusUpdate(current: KubeObject, requested: KubeObject): KubeObject {
    const next = structuredClone(current);
    next.status = requested.status;
    if (requested.metadata.annotations) next.metadata.annotations = requested.metadata.annotations;
    return next;
  }

  #validate(type: ResourceType, object: KubeObject, previous?: KubeObject): void {
    const errors = validateObject(object, previous);
    if (errors.length > 0) throw invalidObject(type, object.metadata.name ?? '', errors);
  }

  #setManagedFields(object: KubeObject, entries: ManagedFieldsEntry[]): void {
    if (entries.length > 0) object.metadata.managedFields = entries;
    else removeKey(object.metadata, 'managedFields');
  }

  #allocateServiceAddresses(object: KubeObject): void {
    if (object.kind !== 'Service' || !isJsonObject(object.spec)) return;
    const spec = object.spec;
    if (spec.type !== 'ExternalName' && spec.clusterIP === undefined) {
      const n = this.#nextClusterIp++;
      spec.clusterIP = `10.96.${Math.floor(n / 256)}.${n % 256}`;
    }
    if (typeof spec.clusterIP === 'string') spec.clusterIPs ??= [spec.clusterIP];
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
      for (const port of Array.isArray(spec.ports) ? spec.ports.filter(isJsonObject) : []) {
        port.nodePort ??= this.#nextNodePort++;
      }
    }
  }

  /** An update that omits the allocated clusterIP keeps it (service strategy's patchAllocatedValues). */
  #keepServiceAddresses(current: KubeObject, next: KubeObject): void {
    if (next.kind !== 'Service' || !isJsonObject(next.spec) || !isJsonObject(current.spec)) return;
    next.spec.clusterIP ??= current.spec.clusterIP;
    next.spec.clusterIPs ??= current.spec.clusterIPs;
  }
}

function invalidPatchOptions(errors: readonly FieldError[]): never {
  throw invalid(
    { qualified: 'PatchOptions.meta.k8s.io', kind: 'PatchOptions', group: 'meta.k8s.io' },
    '',
    errors,
  );
}

/** The 409 an apply meets on fields other managers own (conflict.go's NewConflictError). */
function applyConflictError(conflicts: readonly FieldConflict[]): Error {
  const rendered = conflicts.map((c) => ({ manager: c.manager, path: renderPath(c.path) }));
  return applyConflict(
    rendered.map((c) => ({ field: c.path, message: `conflict with ${printManager(c.manager)}` })),
    conflictMessage(rendered),
  );
}
