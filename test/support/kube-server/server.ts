/**
 * A Kubernetes API server for tests: HTTPS on 127.0.0.1 with the test CA, bearer-token auth,
 * discovery, the apps/v1, core/v1 and autoscaling/v2 resources Rollgate uses (Deployments,
 * ReplicaSets, Pods, Services, Namespaces, HorizontalPodAutoscalers) with real shapes, errors,
 * patches, field managers and watches, and a simulated control plane (Deployment, ReplicaSet and
 * HorizontalPodAutoscaler controllers, a kubelet) running on a fast simulated clock.
 * Clients — `@kubernetes/client-node`, kubectl, the bundled actions in child processes — talk to it
 * unchanged through `kubeconfig()`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { testCertificates } from '../tls.ts';
import { SimulatedClock } from './clock.ts';
import { ClusterControllers } from './controller.ts';
import { simulatedNodes } from './daemonset-controller.ts';
import { apiGroupDocument, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.ts';
import { renderKubeconfig, type KubeconfigOptions } from './kubeconfig.ts';
import { defaultPodTimings, type ContainerBehaviourRule, type PodTimings } from './pods.ts';
import { Registry } from './registry.ts';
import { ResourceHandlers, type ResourceRoute } from './rest.ts';
import { parseRoute, type Route } from './routes.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { KubeState } from './state.ts';
import { KubeError, methodNotAllowed, pathNotFound, unauthorized } from './status.ts';
import { ObjectStore } from './store.ts';
import { WatchHub } from './watch.ts';

export interface KubeServerOptions {
  /** The bearer token clients must present (default: a fixed test token). */
  readonly token?: string;
  /** Namespaces to create besides `default`, `kube-system`, `kube-public` and `kube-node-lease`. */
  readonly namespaces?: readonly string[];
  /** Simulated seconds per real second (default 20: a 2 s pod start takes 100 ms). */
  readonly timeScale?: number;
  /** Where the simulated clock starts (default: now). */
  readonly start?: Date;
  /** Simulated durations of each step of a pod's life (defaults in `defaultPodTimings`). */
  readonly podTimings?: Partial<PodTimings>;
  /** Overrides the image rule that decides how a container behaves. */
  readonly containerBehaviour?: ContainerBehaviourRule;
  /** Simulated seconds between a change and the controllers acting on it (default 0.1). */
  readonly controllerDelaySeconds?: number;
  /** Ends every watch after this many real milliseconds, so clients must resume (default: never). */
  readonly watchTimeoutMs?: number;
  /** Watch events kept for resuming; older resourceVersions are Expired (default 10 000). */
  readonly watchHistorySize?: number;
  /** The cluster's nodes, where DaemonSets run a pod each (default: three; other pods use the first). */
  readonly nodes?: readonly string[];
  /** The source of every random choice (uids, pod names, IPs); default Math.random. */
  readonly random?: () => number;
}

/** One request as the server saw it. */
export interface KubeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  /** The request body as sent (empty for GET and watches). */
  readonly body: string;
  readonly status: number;
  readonly watch: boolean;
}

export interface KubeServer {
  readonly url: string;
  readonly token: string;
  /** PEM of the CA that signed the server's certificate. */
  readonly ca: string;
  /** Seed and inspect objects directly. */
  readonly state: KubeState;
  /** The simulated clock: `now()`, `timestamp()`, `advance(seconds)`. */
  readonly clock: SimulatedClock;
  readonly requests: readonly KubeRequest[];
  /** Failures inside the simulated controllers; a healthy run leaves it empty. */
  readonly controllerErrors: readonly unknown[];
  /** A kubeconfig (YAML) pointing at this server. */
  kubeconfig(options?: KubeconfigOptions): string;
  /** Resolves when the controllers and kubelet have nothing left to do but restarts and deadline checks. */
  waitForIdle(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Ends every open watch now, as a server-side timeout would. */
  endWatches(): void;
  close(): Promise<void>;
}

const defaultToken = 'rollgate-test-token';
const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function mediaType(header: string | undefined): string | undefined {
  const value = header?.split(';')[0]?.trim().toLowerCase();
  return value || undefined;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the server on a random port of 127.0.0.1 with its controllers running. */
export async function startKubeServer(options: KubeServerOptions = {}): Promise<KubeServer> {
  const certificates = testCertificates();
  const token = options.token ?? defaultToken;
  const random = options.random ?? Math.random;
  const clock = new SimulatedClock({
    timeScale: options.timeScale ?? 20,
    ...(options.start ? { start: options.start } : {}),
  });
  const store = new ObjectStore({ historyLimit: options.watchHistorySize ?? 10_000 });
  const registry = new Registry(store, clock, random);
  const nodes = simulatedNodes(options.nodes ?? ['rollgate-node', 'rollgate-node-2', 'rollgate-node-3']);
  const controllers = new ClusterControllers(registry, clock, {
    delaySeconds: options.controllerDelaySeconds ?? 0.1,
    kubelet: {
      timings: { ...defaultPodTimings, ...options.podTimings },
      ...(options.containerBehaviour ? { rule: options.containerBehaviour } : {}),
      random,
      nodeName: nodes[0]?.name ?? 'rollgate-node',
    },
    nodes,
  });
  controllers.start();
  const state = new KubeState(registry);
  for (const name of [...systemNamespaces, ...(options.namespaces ?? [])]) state.namespace(name);
  const watches = new WatchHub(
    store,
    options.watchTimeoutMs === undefined ? {} : { maxDurationMs: options.watchTimeoutMs },
  );
  const handlers = new ResourceHandlers(registry);
  const requests: KubeRequest[] = [];
  const bodies = new WeakMap<IncomingMessage, string>();
  let serverAddress = '';

  const respond = (
    request: IncomingMessage,
    response: ServerResponse,
    status: number,
    body: unknown,
    watch = false,
  ): void => {
    const url = new URL(request.url ?? '/', 'https://127.0.0.1');
    requests.push({
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: mediaType(request.headers['content-type']),
      body: bodies.get(request) ?? '',
      status,
      watch,
    });
    if (watch) return;
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
    response.end(JSON.stringify(body));
  };

  const discovery = (route: Extract<Route, { kind: 'discovery' }>): unknown => {
    switch (route.document) {
      case 'version':
        return versionInfo;
      case 'api':
        return apiVersions(serverAddress);
      case 'apis':
        return apiGroupList();
      case 'group':
        return apiGroupDocument(route.group);
      case 'resources':
        return apiResourceList(route.group, route.version);
    }
  };

  const watch = (
    request: IncomingMessage,
    response: ServerResponse,
    route: ResourceRoute,
    query: URLSearchParams,
  ): void => {
    const names = route.name === undefined ? [] : [`metadata.name=${route.name}`];
    const fieldSelector = [query.get('fieldSelector'), ...names].filter(Boolean).join(',');
    const timeout = query.get('timeoutSeconds');
    watches.serve(
      {
        type: route.type,
        ...(route.namespace === undefined ? {} : { namespace: route.namespace }),
        labelSelector: parseLabelSelector(query.get('labelSelector')),
        fieldSelector: parseFieldSelector(fieldSelector, route.type.kind),
        resourceVersion: query.get('resourceVersion'),
        allowBookmarks: query.get('allowWatchBookmarks') === 'true',
        ...(timeout && /^\d+$/.test(timeout) ? { timeoutSeconds: Number(timeout) } : {}),
      },
      response,
    );
    respond(request, response, 200, undefined, true);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'https://127.0.0.1');
    if (request.headers.authorization !== `Bearer ${token}`) throw unauthorized();
    const body = await readBody(request);
    bodies.set(request, body);
    const route = parseRoute(url.pathname);
    if (!route) throw pathNotFound();
    const method = request.method ?? 'GET';
    if (route.kind === 'discovery') {
      if (method !== 'GET') throw methodNotAllowed();
      const document = discovery(route);
      if (document === undefined) throw pathNotFound();
      respond(request, response, 200, document);
      return;
    }
    const watching = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
    if (method === 'GET' && watching) {
      watch(request, response, route, url.searchParams);
      return;
    }
    const answer = handlers.handle({
      method,
      route,
      query: url.searchParams,
      contentType: mediaType(request.headers['content-type']),
      body,
    });
    respond(request, response, answer.status, answer.body);
  };

  const server = https.createServer(
    { cert: certificates.cert, key: certificates.key },
    (request, response) => {
      handle(request, response).catch((error: unknown) => {
        if (response.headersSent) {
          response.destroy();
          return;
        }
        const status =
          error instanceof KubeError
            ? error.status
            : new KubeError(
                500,
                'InternalError',
                `Internal error occurred: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
              ).status;
        respond(request, response, status.code, status);
      });
    },
  );
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  serverAddress = `127.0.0.1:${port}`;
  const url = `https://127.0.0.1:${port}`;

  return {
    url,
    token,
    ca: certificates.ca,
    state,
    clock,
    requests,
    controllerErrors: controllers.errors,
    kubeconfig: (kubeconfigOptions) =>
      renderKubeconfig({ url, ca: certificates.ca, token }, kubeconfigOptions),
    waitForIdle: (waitOptions) => controllers.waitForIdle(waitOptions?.timeoutMs),
    endWatches: () => {
      watches.endAll();
    },
    close: async () => {
      controllers.stop();
      clock.stop();
      watches.endAll();
      await new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => {
          closed();
        });
      });
    },
  };
}
