import type {
  KubeConfig,
  KubernetesObject,
  V1ControllerRevision,
  V1Deployment,
  V1Pod,
  V1ReplicaSet,
  V1Service,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import { RollgateError } from '../errors.ts';
import { ApplyConflictError, applyConflictsOf } from './apply-conflicts.ts';
import type { Workload, WorkloadKind } from './rollout-status.ts';

export type PatchKind = 'json' | 'merge' | 'strategic';

export interface ApplyOptions {
  /** Take fields other managers own (`force=true`); without it their fields fail the apply. */
  readonly force?: boolean;
  /** Another field manager than `rollgate` (the replicas hand-over to an HPA). */
  readonly fieldManager?: string;
}

/** What Rollgate does to a cluster, over client-node's typed APIs; errors arrive as RollgateErrors. */
export interface Cluster {
  readonly kubeConfig: KubeConfig;
  readDeployment(namespace: string, name: string): Promise<V1Deployment>;
  createDeployment(namespace: string, body: V1Deployment): Promise<V1Deployment>;
  patchDeployment(namespace: string, name: string, body: object, kind: PatchKind): Promise<V1Deployment>;
  deleteDeployment(namespace: string, name: string): Promise<void>;
  listReplicaSets(namespace: string, labelSelector: string): Promise<V1ReplicaSet[]>;
  patchReplicaSet(namespace: string, name: string, body: object, kind: PatchKind): Promise<V1ReplicaSet>;
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
  /**
   * Server-side apply under the field manager `rollgate`; `dryRun` validates without changing
   * anything. A field another manager owns fails it with ApplyConflictError unless `force`.
   */
  apply(object: KubernetesObject, dryRun: boolean, options?: ApplyOptions): Promise<KubernetesObject>;
  /** The HorizontalPodAutoscalers (autoscaling/v2) of a namespace; none where the API is not served. */
  listHorizontalPodAutoscalers(namespace: string): Promise<V2HorizontalPodAutoscaler[]>;
}

export const FIELD_MANAGER = 'rollgate';

/** Connects client-node's APIs to a KubeConfig; client-node is loaded here, only when a run needs it. */
export async function connectCluster(kubeConfig: KubeConfig): Promise<Cluster> {
  const k8s = await import('@kubernetes/client-node');
  const apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const autoscaling = kubeConfig.makeApiClient(k8s.AutoscalingV2Api);
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
    patchReplicaSet: (namespace, name, body, kind) =>
      call(`patching replicaset ${namespace}/${name}`, () =>
        apps.patchNamespacedReplicaSet({ name, namespace, body, fieldManager: FIELD_MANAGER }, as(kind)),
      ),
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
    apply: async (object, dryRun, options = {}) => {
      try {
        return await objects.patch(
          object,
          undefined,
          dryRun ? 'All' : undefined,
          options.fieldManager ?? FIELD_MANAGER,
          options.force ?? false,
          k8s.PatchStrategy.ServerSideApply,
        );
      } catch (error) {
        const conflicts = applyConflictsOf(error);
        if (conflicts !== undefined) throw new ApplyConflictError(object, conflicts);
        throw describeKubernetesError(
          error,
          `${dryRun ? 'validating' : 'applying'} ${object.kind ?? 'object'} ${object.metadata?.name ?? ''}`,
          kubeConfig.getCurrentCluster()?.server,
        );
      }
    },
    listHorizontalPodAutoscalers: async (namespace) => {
      try {
        return (await autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace })).items;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        // autoscaling/v2 is served from Kubernetes 1.23 on: a cluster without it has no such HPAs.
        if (code === 404) return [];
        if (code === 403) {
          throw new RollgateError(
            `Kubernetes forbade listing horizontalpodautoscalers in ${namespace}.`,
            'Rollgate reads them to leave spec.replicas to the HorizontalPodAutoscaler that scales a Deployment.',
            'Grant the identity in the kubeconfig list on horizontalpodautoscalers.autoscaling in the namespace.',
          );
        }
        throw describeKubernetesError(
          error,
          `listing horizontalpodautoscalers in ${namespace}`,
          kubeConfig.getCurrentCluster()?.server,
        );
      }
    },
  };
}

/**
 * Turns a client-node failure into a message with the API server's own words (its `Status`
 * message) and what to do, by cause: a server that is not Kubernetes (an HTML page: a proxy's
 * login, a wrong URL), a plain-HTTP server client-node refuses, 401 credentials, 403 RBAC, 404
 * missing, 409 conflict, 422 invalid; no code at all means the server could not be reached.
 */
export function describeKubernetesError(
  error: unknown,
  what: string,
  server: string | undefined,
): RollgateError {
  const code = (error as { code?: unknown } | null)?.code;
  const status = typeof code === 'number' ? code : undefined;
  const at = server ? ` at ${server}` : '';
  if (isPlainHttpRefusal(error)) return plainHttpRefused(server);
  if (answeredHtml(error)) return notKubernetes(server, `it answered ${what} with an HTML page`);
  const message =
    statusMessage((error as { body?: unknown } | null)?.body) ?? firstLine(error) ?? String(error);
  switch (status) {
    case undefined:
      return new RollgateError(
        `The Kubernetes API server${at} could not be reached while ${what}: ${connectionFailure(error)}.`,
        'The connection failed before an answer came.',
        'Check the kubeconfig server address, that the runner can reach the cluster (network, VPN, private endpoint) and that its certificate is trusted.',
      );
    case 401:
      return new RollgateError(
        `The Kubernetes API server${at} refused the credentials (HTTP 401 Unauthorized) while ${what}.`,
        'The token, client certificate or password of the kubeconfig user was not accepted: it is wrong, expired or revoked, or it belongs to another cluster.',
        'Refresh the kubeconfig secret (kubectl config view --raw --minify prints the current one), or issue a new service-account token (kubectl create token).',
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

/** The server answered, but not as Kubernetes does (JSON objects and `Status` errors). */
export function notKubernetes(server: string | undefined, why: string): RollgateError {
  return new RollgateError(
    `The kubeconfig server${server ? ` ${server}` : ''} is not a Kubernetes API server: ${why}.`,
    'A Kubernetes API server answers in JSON; an HTML page comes from something else at that address — a proxy or single sign-on login page, a web site, or a wrong URL or port.',
    "Set the cluster's server in the kubeconfig to the API server's address (kubectl cluster-info prints it, usually https://…:6443 or the cloud's endpoint), and make sure the runner reaches it without a login proxy.",
  );
}

/**
 * client-node 2.x refuses an `http://` server before sending anything unless the cluster sets
 * `insecure-skip-tls-verify` (`KubeConfig.createDispatcherOptions` in its src/config.ts throws
 * "HTTP protocol is not allowed when skipTLSVerify is not set or false").
 */
function isPlainHttpRefusal(error: unknown): boolean {
  return error instanceof Error && error.message.includes('HTTP protocol is not allowed');
}

function plainHttpRefused(server: string | undefined): RollgateError {
  return new RollgateError(
    `The kubeconfig server${server ? ` ${server}` : ''} uses plain HTTP, which is refused.`,
    'Credentials would cross the network unencrypted, so the Kubernetes client (@kubernetes/client-node) sends nothing over http:// unless the cluster entry allows it explicitly.',
    "Use the API server's https:// address. Only for a local test cluster (kind, kubectl proxy) allow plain HTTP by adding 'insecure-skip-tls-verify: true' to that cluster in the kubeconfig.",
  );
}

/** An answer whose body or content type is HTML: client-node puts both on its ApiException. */
function answeredHtml(error: unknown): boolean {
  const { body, headers } = (error ?? {}) as { body?: unknown; headers?: unknown };
  const contentType =
    headers !== null && typeof headers === 'object'
      ? (headers as Record<string, unknown>)['content-type']
      : undefined;
  if (typeof contentType === 'string' && /^text\/html\b/i.test(contentType)) return true;
  return typeof body === 'string' && /^\s*<(?:!doctype|html|head|body)\b/i.test(body);
}

/** The reason a request got no answer, from fetch's `cause` (`fetch failed` alone says nothing). */
function connectionFailure(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const causeCode = (cause as { code?: unknown } | null)?.code;
  const causeMessage = cause instanceof Error ? cause.message : undefined;
  const own = firstLine(error) ?? String(error);
  if (causeMessage === undefined) return own;
  return `${own} (${typeof causeCode === 'string' ? `${causeCode}: ` : ''}${causeMessage})`;
}

function firstLine(error: unknown): string | undefined {
  return error instanceof Error ? error.message.split('\n')[0] : undefined;
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
