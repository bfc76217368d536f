/** The resource types the server serves, named as the API names them (kind, plural, group). */
import type { IControllerRevision } from 'kubernetes-models/apps/v1/ControllerRevision';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';

export type ObjectMeta = NonNullable<IDeployment['metadata']>;

/** Any stored object: typed access to a kind goes through that kind's model interface. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/*
 * Stored objects passed defaulting and schema validation, so their kind tells their shape: these
 * guards are where untyped JSON becomes the kubernetes-models interfaces.
 */
export type Deployment = IDeployment & KubeObject;
export type ReplicaSet = IReplicaSet & KubeObject;
export type Pod = IPod & KubeObject;
export type Service = IService & KubeObject;
export type Namespace = INamespace & KubeObject;
export type StatefulSet = IStatefulSet & KubeObject;
export type DaemonSet = IDaemonSet & KubeObject;
export type ControllerRevision = IControllerRevision & KubeObject;

export function isDeployment(object: KubeObject): object is Deployment {
  return object.kind === 'Deployment';
}
export function isReplicaSet(object: KubeObject): object is ReplicaSet {
  return object.kind === 'ReplicaSet';
}
export function isPod(object: KubeObject): object is Pod {
  return object.kind === 'Pod';
}
export function isService(object: KubeObject): object is Service {
  return object.kind === 'Service';
}
export function isNamespace(object: KubeObject): object is Namespace {
  return object.kind === 'Namespace';
}
export function isStatefulSet(object: KubeObject): object is StatefulSet {
  return object.kind === 'StatefulSet';
}
export function isDaemonSet(object: KubeObject): object is DaemonSet {
  return object.kind === 'DaemonSet';
}
export function isControllerRevision(object: KubeObject): object is ControllerRevision {
  return object.kind === 'ControllerRevision';
}

export interface ResourceType {
  readonly group: '' | 'apps' | 'autoscaling';
  readonly version: 'v1' | 'v2';
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  /** Kinds whose spec changes bump metadata.generation (the workload controllers' kinds). */
  readonly hasGeneration: boolean;
  readonly hasStatus: boolean;
}

const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] as const;

export const deployments: ResourceType = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  singular: 'deployment',
  namespaced: true,
  shortNames: ['deploy'],
  hasGeneration: true,
  hasStatus: true,
};
export const replicaSets: ResourceType = {
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  singular: 'replicaset',
  namespaced: true,
  shortNames: ['rs'],
  hasGeneration: true,
  hasStatus: true,
};
export const pods: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  hasGeneration: false,
  hasStatus: true,
};
export const services: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  singular: 'service',
  namespaced: true,
  shortNames: ['svc'],
  hasGeneration: false,
  hasStatus: true,
};
export const namespaces: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  hasGeneration: false,
  hasStatus: true,
};

export const horizontalPodAutoscalers: ResourceType = {
  group: 'autoscaling',
  version: 'v2',
  kind: 'HorizontalPodAutoscaler',
  plural: 'horizontalpodautoscalers',
  singular: 'horizontalpodautoscaler',
  namespaced: true,
  shortNames: ['hpa'],
  hasGeneration: false,
  hasStatus: true,
};
export const statefulSets: ResourceType = {
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  plural: 'statefulsets',
  singular: 'statefulset',
  namespaced: true,
  shortNames: ['sts'],
  hasGeneration: true,
  hasStatus: true,
};
export const daemonSets: ResourceType = {
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  plural: 'daemonsets',
  singular: 'daemonset',
  namespaced: true,
  shortNames: ['ds'],
  hasGeneration: true,
  hasStatus: true,
};
/** Immutable snapshots of a StatefulSet's or DaemonSet's template, numbered by `revision`. */
export const controllerRevisions: ResourceType = {
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  plural: 'controllerrevisions',
  singular: 'controllerrevision',
  namespaced: true,
  shortNames: [],
  hasGeneration: false,
  hasStatus: false,
};

export const resourceTypes: readonly ResourceType[] = [
  namespaces,
  pods,
  services,
  deployments,
  replicaSets,
  horizontalPodAutoscalers,
  statefulSets,
  daemonSets,
  controllerRevisions,
];

export const resourceVerbs: readonly string[] = verbs;

export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** `deployments.apps`, `pods`: how Status messages name a resource. */
export function qualifiedResource(type: ResourceType): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

/** `Deployment.apps`, `Pod`: how Invalid messages name a kind. */
export function qualifiedKind(type: ResourceType): string {
  return type.group === '' ? type.kind : `${type.kind}.${type.group}`;
}

export function resourceByPlural(group: string, version: string, plural: string): ResourceType | undefined {
  return resourceTypes.find((t) => t.group === group && t.version === version && t.plural === plural);
}

export function resourceByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return resourceTypes.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
}
