/**
 * Defaulting as the API server applies it before validation (`pkg/apis/apps/v1/defaults.go`,
 * `pkg/apis/core/v1/defaults.go`, and the admission plugins every cluster runs), so stored objects
 * and the templates the controller compares look like a real cluster's.
 */
import { isJsonObject, type JsonObject } from './json-value.ts';
import { defaultHorizontalPodAutoscaler } from './horizontal-pod-autoscaler.ts';
import type { KubeObject } from './resources.ts';

/** The child object at `key`, created when absent; a detached one when the field has another type. */
function child(parent: JsonObject, key: string): JsonObject {
  const value = parent[key];
  if (value === undefined) {
    const created: JsonObject = {};
    parent[key] = created;
    return created;
  }
  return isJsonObject(value) ? value : {};
}

function objects(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

function setDefault(target: JsonObject, key: string, value: unknown): void {
  if (target[key] === undefined) target[key] = value;
}

/** `Always` for `:latest` or untagged images, else `IfNotPresent` (core/v1 SetDefaults_Container). */
function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(container: JsonObject): void {
  setDefault(container, 'terminationMessagePath', '/dev/termination-log');
  setDefault(container, 'terminationMessagePolicy', 'File');
  if (typeof container.image === 'string')
    setDefault(container, 'imagePullPolicy', defaultPullPolicy(container.image));
  setDefault(container, 'resources', {});
  for (const port of objects(container.ports)) setDefault(port, 'protocol', 'TCP');
}

function defaultPodSpec(spec: JsonObject): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const container of [...objects(spec.containers), ...objects(spec.initContainers)]) {
    defaultContainer(container);
  }
}

function defaultPodTemplate(spec: JsonObject): void {
  const template = child(spec, 'template');
  defaultPodSpec(child(template, 'spec'));
}

function defaultDeployment(object: KubeObject): void {
  const spec = child(object, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rollingUpdate = child(strategy, 'rollingUpdate');
    setDefault(rollingUpdate, 'maxUnavailable', '25%');
    setDefault(rollingUpdate, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(spec);
}

function defaultReplicaSet(object: KubeObject): void {
  const spec = child(object, 'spec');
  setDefault(spec, 'replicas', 1);
  defaultPodTemplate(spec);
}

/** `SetDefaults_StatefulSet`: an explicit `RollingUpdate` without a `rollingUpdate` block stays without one. */
function defaultStatefulSet(object: KubeObject): void {
  const spec = child(object, 'spec');
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = child(spec, 'updateStrategy');
  if (strategy.type === undefined) {
    strategy.type = 'RollingUpdate';
    setDefault(strategy, 'rollingUpdate', {});
  }
  if (strategy.type === 'RollingUpdate' && isJsonObject(strategy.rollingUpdate))
    setDefault(strategy.rollingUpdate, 'partition', 0);
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  setDefault(retention, 'whenDeleted', 'Retain');
  setDefault(retention, 'whenScaled', 'Retain');
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec);
}

/** `SetDefaults_DaemonSet`: RollingUpdate with maxUnavailable 1 and maxSurge 0. */
function defaultDaemonSet(object: KubeObject): void {
  const spec = child(object, 'spec');
  const strategy = child(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rollingUpdate = child(strategy, 'rollingUpdate');
    setDefault(rollingUpdate, 'maxUnavailable', 1);
    setDefault(rollingUpdate, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec);
}

function defaultPod(object: KubeObject): void {
  const spec = child(object, 'spec');
  defaultPodSpec(spec);
  setDefault(spec, 'enableServiceLinks', true);
  setDefault(spec, 'serviceAccountName', 'default');
  setDefault(spec, 'serviceAccount', 'default');
  setDefault(spec, 'priority', 0);
  setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  // The DefaultTolerationSeconds admission plugin adds these to every pod.
  setDefault(spec, 'tolerations', [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    {
      key: 'node.kubernetes.io/unreachable',
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: 300,
    },
  ]);
}

function defaultService(object: KubeObject): void {
  const spec = child(object, 'spec');
  setDefault(spec, 'type', 'ClusterIP');
  setDefault(spec, 'sessionAffinity', 'None');
  setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
  setDefault(spec, 'ipFamilies', ['IPv4']);
  for (const port of objects(spec.ports)) {
    setDefault(port, 'protocol', 'TCP');
    setDefault(port, 'targetPort', port.port);
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer')
    setDefault(spec, 'externalTrafficPolicy', 'Cluster');
}

function defaultNamespace(object: KubeObject): void {
  const name = object.metadata.name ?? '';
  object.metadata.labels = { ...object.metadata.labels, 'kubernetes.io/metadata.name': name };
  setDefault(child(object, 'spec'), 'finalizers', ['kubernetes']);
}

const byKind: Readonly<Record<string, (object: KubeObject) => void>> = {
  Deployment: defaultDeployment,
  ReplicaSet: defaultReplicaSet,
  StatefulSet: defaultStatefulSet,
  DaemonSet: defaultDaemonSet,
  Pod: defaultPod,
  Service: defaultService,
  Namespace: defaultNamespace,
  HorizontalPodAutoscaler: defaultHorizontalPodAutoscaler,
};

/** Fills in the fields the API server defaults, in place. */
export function applyDefaults(object: KubeObject): void {
  byKind[object.kind]?.(object);
}
