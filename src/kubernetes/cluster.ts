import type {
  KubeConfig,
  KubernetesObject,
  V1ControllerRevision,
  V1Deployment,
  V1Pod,
  V1ReplicaSet,
  V1Service,
} from '@kubernetes/client-node';
import { RollgateError } from '../errors.ts';
import type { Workload, WorkloadKind } from './rollout-status.ts';

export type PatchKind = 'json' | 'merge' | 'strategic';

/** What Rollgate does to a cluster, over client-node's typed APIs; errors arrive as RollgateErrors. */
export interface Cluster {
  readonly kubeConfig: KubeConfig;
  readDeployment(namespace: string, name: string): Promise<V1Deployment>;
  createDeployment(namespace: string, body: V1Deployment): Promise<V1Deployment>;
  patchDeployment(namespace: string, name: string, body: object, kind: PatchKind): Promise<V1Deployment>;
  deleteDeployment(namespace: string, name: string): Promise<void>;
  listReplicaSets(namespace: string, labelSelector: string): Promise<V1ReplicaSet[]>;
  listPods(namespace: string, labelSelector: string): Promise<V1Pod[]>;
  readService(namespace: string, name: string): Promise<V1Service>;
  patchService(namespace: string, name: string, body: object, kind: PatchKind): Promise<V1Service>;
  /** Reads a Deployment, StatefulSet or DaemonSet, tagged with its kind. */
  readWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<Workload>;
  patchWorkload(
    kind: WorkloadKind,
    namespace: string,
    name: string,
    body: object,
    patch: PatchKind,
  ): Promise<void>;
  listControllerRevisions(namespace: string, labelSelector: string): Promise<V1ControllerRevision[]>;
  deletePod(namespace: string, name: string): Promise<void>;
  /** Server-side apply under the field manager `rollgate`; `dryRun` validates without changing anything. */
  apply(object: KubernetesObject, dryRun: boolean): Promise<KubernetesObject>;
}

export const FIELD_MANAGER = 'rollgate';

/** Connects client-node's APIs to a KubeConfig; client-node is loaded here, only when a run needs it. */
export async function connectCluster(kubeConfig: KubeConfig): Promise<Cluster> {
  const k8s = await import('@kubernetes/client-node');
  const apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
  const contentType: Record<PatchKind, string> = {
    json: k8s.PatchStrategy.JsonPatch,
    merge: k8s.PatchStrategy.MergePatch,
    strategic: k8s.PatchStrategy.StrategicMergePatch,
  };
  const as = (kind: PatchKind) => k8s.setHeaderOptions('Content-Type', contentType[kind]);
  const call = async <T>(what: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      throw describeKubernetesError(error, what, kubeConfig.getCurrentCluster()?.server);
    }
  };
  return {
    kubeConfig,
    readDeployment: (namespace, name) =>
      call(`reading deployment ${namespace}/${name}`, () =>
        apps.readNamespacedDeployment({ name, namespace }),
      ),
    createDeployment: (namespace, body) =>
      call(`creating deployment ${namespace}/${body.metadata?.name ?? ''}`, () =>
        apps.createNamespacedDeployment({ namespace, body, fieldManager: FIELD_MANAGER }),
      ),
    patchDeployment: (namespace, name, body, kind) =>
      call(`patching deployment ${namespace}/${name}`, () =>
        apps.patchNamespacedDeployment({ name, namespace, body, fieldManager: FIELD_MANAGER }, as(kind)),
      ),
    deleteDeployment: async (namespace, name) => {
      await call(`deleting deployment ${namespace}/${name}`, () =>
        apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Background' }),
      );
    },
    listReplicaSets: async (namespace, labelSelector) =>
      (
        await call(`listing replicasets in ${namespace}`, () =>
          apps.listNamespacedReplicaSet({ namespace, labelSelector }),
        )
      ).items,
    listPods: async (namespace, labelSelector) =>
      (await call(`listing pods in ${namespace}`, () => core.listNamespacedPod({ namespace, labelSelector })))
        .items,
    readService: (namespace, name) =>
      call(`reading service ${namespace}/${name}`, () => core.readNamespacedService({ name, namespace })),
    patchService: (namespace, name, body, kind) =>
      call(`patching service ${namespace}/${name}`, () =>
        core.patchNamespacedService({ name, namespace, body, fieldManager: FIELD_MANAGER }, as(kind)),
      ),
    readWorkload: async (kind, namespace, name): Promise<Workload> => {
      const what = `reading ${kind.toLowerCase()} ${namespace}/${name}`;
      switch (kind) {
        case 'Deployment':
          return { kind, object: await call(what, () => apps.readNamespacedDeployment({ name, namespace })) };
        case 'StatefulSet':
          return {
            kind,
            object: await call(what, () => apps.readNamespacedStatefulSet({ name, namespace })),
          };
        case 'DaemonSet':
          return { kind, object: await call(what, () => apps.readNamespacedDaemonSet({ name, namespace })) };
      }
    },
    patchWorkload: async (kind, namespace, name, body, patch) => {
      const request = { name, namespace, body, fieldManager: FIELD_MANAGER };
      const what = `patching ${kind.toLowerCase()} ${namespace}/${name}`;
      switch (kind) {
        case 'Deployment':
          await call(what, () => apps.patchNamespacedDeployment(request, as(patch)));
          return;
        case 'StatefulSet':
          await call(what, () => apps.patchNamespacedStatefulSet(request, as(patch)));
          return;
        case 'DaemonSet':
          await call(what, () => apps.patchNamespacedDaemonSet(request, as(patch)));
          return;
      }
    },
    listControllerRevisions: async (namespace, labelSelector) =>
      (
        await call(`listing controllerrevisions in ${namespace}`, () =>
          apps.listNamespacedControllerRevision({ namespace, labelSelector }),
        )
      ).items,
    deletePod: async (namespace, name) => {
      await call(`deleting pod ${namespace}/${name}`, () => core.deleteNamespacedPod({ name, namespace }));
    },
    apply: (object, dryRun) =>
      call(
        `${dryRun ? 'validating' : 'applying'} ${object.kind ?? 'object'} ${object.metadata?.name ?? ''}`,
        () =>
          objects.patch(
            object,
            undefined,
            dryRun ? 'All' : undefined,
            FIELD_MANAGER,
            true,
            k8s.PatchStrategy.ServerSideApply,
          ),
      ),
  };
}

/**
 * Turns a client-node failure into a message with the API server's own words (its `Status`
 * message) and what to do, by HTTP code: 401/403 credentials and RBAC, 404 missing, 409
 * conflict, 422 invalid; no code at all means the server could not be reached.
 */
export function describeKubernetesError(
  error: unknown,
  what: string,
  server: string | undefined,
): RollgateError {
  const code = (error as { code?: unknown }).code;
  const status = typeof code === 'number' ? code : undefined;
  const message =
    statusMessage((error as { body?: unknown }).body) ??
    (error as Error).message.split('\n')[0] ??
    String(error);
  switch (status) {
    case undefined:
      return new RollgateError(
        `The Kubernetes API server${server ? ` at ${server}` : ''} could not be reached while ${what}: ${message}.`,
        'The connection failed before an answer came.',
        'Check the kubeconfig server address, that the runner can reach the cluster (network, VPN, private endpoint) and that its certificate is trusted.',
      );
    case 401:
      return new RollgateError(
        `Kubernetes rejected the credentials while ${what}: ${message}.`,
        'The token or client certificate in the kubeconfig is not accepted (expired?).',
        'Refresh the kubeconfig secret.',
      );
    case 403:
      return new RollgateError(
        `Kubernetes forbade ${what}: ${message}.`,
        'The identity in the kubeconfig lacks RBAC permission.',
        'Grant its service account get, list, watch and patch on deployments, statefulsets, daemonsets, replicasets, controllerrevisions, pods and services in the namespace (and delete on pods, for a StatefulSet rollback).',
      );
    case 404:
      return new RollgateError(
        `Not found while ${what}: ${message}.`,
        'The object or namespace does not exist in this cluster.',
        'Check the deployment, namespace and kubeconfig context; create the object first (for example with manifests).',
      );
    case 409:
      return new RollgateError(
        `Conflict while ${what}: ${message}.`,
        'Someone else changed the object at the same time.',
        'Run the deploy again.',
      );
    case 422:
      return new RollgateError(
        `Kubernetes rejected the object while ${what}: ${message}.`,
        'It does not pass the API server validation.',
        'Fix the manifest; kubectl apply --dry-run=server shows the same error.',
      );
    default:
      return new RollgateError(
        `Kubernetes answered HTTP ${status} while ${what}: ${message}.`,
        'The API server refused the request.',
        'Retry; if it persists, check the API server health.',
      );
  }
}

function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body === '' ? undefined : body;
    }
  }
  const message = (parsed as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : undefined;
}
