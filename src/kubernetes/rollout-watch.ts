import type { KubeConfig, V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import { findPodFailures, type PodFailure } from './pod-failures.ts';
import { rolloutStatus } from './rollout-status.ts';
import { labelSelectorString } from './selectors.ts';
import { ownedReplicaSets, revisionOf } from './undo.ts';

export interface RolloutWatchOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly name: string;
  /** Give up after this long (the action's `timeout`). */
  readonly timeoutMs: number;
  /**
   * Container restarts that count as a failed rollout; fatal waiting reasons fail it too.
   * Undefined: judge only as `kubectl rollout status` does (no fail-fast on pods).
   */
  readonly restartThreshold: number | undefined;
  readonly now: () => number;
  readonly onProgress: (line: string) => void;
}

export type RolloutResult =
  | {
      readonly outcome: 'complete';
      readonly message: string;
      readonly revision: number | undefined;
      readonly progressingAtMs: number | undefined;
      readonly durationMs: number;
    }
  | {
      readonly outcome: 'failed';
      readonly reason: 'pods' | 'progress-deadline' | 'timeout' | 'deleted';
      readonly message: string;
      readonly podFailures: readonly PodFailure[];
      readonly revision: number | undefined;
      readonly progressingAtMs: number | undefined;
      readonly durationMs: number;
    };

type Json = Record<string, unknown>;

/**
 * Waits for a Deployment's rollout the way `kubectl rollout status` decides it, driven by
 * watches on the Deployment and on its pods — never by fixed sleeps. A watch the server or
 * client-node ends (client-node closes idle watches after 30 s) resumes from the last
 * resourceVersion; a 410 Gone relists. New pods that crash-loop, cannot pull their image or
 * cannot be configured fail the rollout at once instead of at the progress deadline.
 */
export async function waitForRollout(options: RolloutWatchOptions): Promise<RolloutResult> {
  const { AppsV1Api, CoreV1Api, Watch } = await import('@kubernetes/client-node');
  const apps = options.kubeConfig.makeApiClient(AppsV1Api);
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const watch = new Watch(options.kubeConfig);
  const { namespace, name } = options;
  const started = options.now();

  let deployment = await apps.readNamespacedDeployment({ name, namespace });
  const selector = labelSelectorString(deployment.spec?.selector);
  const pods = new Map<string, V1Pod>();
  let newHash: { revision: number; hash: string | undefined } | undefined;
  let progressingAtMs: number | undefined;
  let lastLine = '';
  const controllers: AbortController[] = [];
  let settle: (result: RolloutResult) => void = () => undefined;
  const result = new Promise<RolloutResult>((resolve) => {
    settle = resolve;
  });
  // Mutated from watch callbacks: an object, so that control-flow narrowing does not assume it constant.
  const run = { settled: false };
  const finish = (value: RolloutResult): void => {
    if (run.settled) return;
    run.settled = true;
    clearTimeout(timer);
    for (const controller of controllers) controller.abort();
    settle(value);
  };
  const elapsed = (): number => Math.round(options.now() - started);
  const fail = (
    reason: 'pods' | 'progress-deadline' | 'timeout' | 'deleted',
    message: string,
    podFailures: readonly PodFailure[] = [],
  ): void => {
    finish({
      outcome: 'failed',
      reason,
      message,
      podFailures,
      revision: revisionOf(deployment),
      progressingAtMs,
      durationMs: elapsed(),
    });
  };
  const timer = setTimeout(() => {
    fail(
      'timeout',
      `deployment "${name}" did not finish its rollout within ${Math.round(options.timeoutMs / 1000)} s (${rolloutStatus(deployment).message})`,
    );
  }, options.timeoutMs);

  /** Finds the hash of the ReplicaSet of the Deployment's current revision, once per revision. */
  const refreshNewReplicaSet = async (): Promise<void> => {
    const revision = revisionOf(deployment);
    if (
      revision === undefined ||
      newHash?.revision === revision ||
      (deployment.metadata?.generation ?? 0) > (deployment.status?.observedGeneration ?? 0)
    )
      return;
    const list = await apps.listNamespacedReplicaSet({ namespace, labelSelector: selector });
    const current = ownedReplicaSets(deployment, list.items).find(
      (rs: V1ReplicaSet) => revisionOf(rs) === revision,
    );
    newHash = { revision, hash: current?.metadata?.labels?.['pod-template-hash'] };
  };
  const judgePods = (): void => {
    if (newHash?.hash === undefined || options.restartThreshold === undefined) return;
    const hash = newHash.hash;
    const failures = findPodFailures(
      [...pods.values()].filter((pod) => pod.metadata?.labels?.['pod-template-hash'] === hash),
      options.restartThreshold,
    );
    if (failures.length > 0) fail('pods', `new pods of deployment "${name}" are failing`, failures);
  };
  const judgeDeployment = async (): Promise<void> => {
    const state = rolloutStatus(deployment);
    if ((deployment.status?.updatedReplicas ?? 0) > 0 && progressingAtMs === undefined)
      progressingAtMs = elapsed();
    if (state.message !== lastLine) {
      lastLine = state.message;
      options.onProgress(state.message);
    }
    if (state.phase === 'complete') {
      finish({
        outcome: 'complete',
        message: state.message,
        revision: revisionOf(deployment),
        progressingAtMs: progressingAtMs ?? elapsed(),
        durationMs: elapsed(),
      });
      return;
    }
    if (state.phase === 'failed') {
      fail('progress-deadline', state.message);
      return;
    }
    await refreshNewReplicaSet();
    judgePods();
  };

  const initialPods = await core.listNamespacedPod({ namespace, labelSelector: selector });
  for (const pod of initialPods.items) pods.set(pod.metadata?.name ?? '', pod);
  await judgeDeployment();
  if (run.settled) return result;

  void followWatch(
    watch,
    `/apis/apps/v1/namespaces/${namespace}/deployments`,
    { fieldSelector: `metadata.name=${name}` },
    deployment.metadata?.resourceVersion,
    controllers,
    () => run.settled,
    {
      onEvent: (type, object) => {
        if (type === 'DELETED') {
          fail('deleted', `deployment "${name}" was deleted during the rollout`);
          return;
        }
        deployment = object;
        void judgeDeployment().catch((error: unknown) => {
          fail('timeout', `watching deployment "${name}" failed: ${(error as Error).message}`);
        });
      },
      relist: async () => {
        deployment = await apps.readNamespacedDeployment({ name, namespace });
        await judgeDeployment();
        return deployment.metadata?.resourceVersion;
      },
    },
  );
  void followWatch(
    watch,
    `/api/v1/namespaces/${namespace}/pods`,
    { labelSelector: selector },
    initialPods.metadata?.resourceVersion,
    controllers,
    () => run.settled,
    {
      onEvent: (type, object) => {
        const pod = object as V1Pod;
        const podName = pod.metadata?.name ?? '';
        if (type === 'DELETED') pods.delete(podName);
        else pods.set(podName, pod);
        judgePods();
      },
      relist: async () => {
        const list = await core.listNamespacedPod({ namespace, labelSelector: selector });
        pods.clear();
        for (const pod of list.items) pods.set(pod.metadata?.name ?? '', pod);
        judgePods();
        return list.metadata?.resourceVersion;
      },
    },
  );
  return result;
}

interface WatchHandlers {
  onEvent(type: string, object: Json): void;
  /** Lists afresh after a 410 Gone and returns the list's resourceVersion. */
  relist(): Promise<string | undefined>;
}

/**
 * Keeps one watch running until `stopped()`: when the stream ends it resumes from the last
 * resourceVersion seen; when the server says that version is gone (410), it relists.
 */
async function followWatch(
  watch: {
    watch: (
      path: string,
      query: Record<string, string | boolean | undefined>,
      callback: (type: string, object: Json) => void,
      done: (error: unknown) => void,
    ) => Promise<AbortController>;
  },
  path: string,
  query: Record<string, string>,
  resourceVersion: string | undefined,
  controllers: AbortController[],
  stopped: () => boolean,
  handlers: WatchHandlers,
): Promise<void> {
  let version = resourceVersion;
  let failures = 0;
  while (!stopped()) {
    const gone = { expired: false };
    const ended = await new Promise<unknown>((resolve) => {
      watch
        .watch(
          path,
          { ...query, resourceVersion: version, allowWatchBookmarks: true },
          (type, object) => {
            if (type === 'ERROR') {
              gone.expired = (object as { code?: number }).code === 410;
              return;
            }
            const metadata = object.metadata as { resourceVersion?: string } | undefined;
            if (metadata?.resourceVersion) version = metadata.resourceVersion;
            if (type !== 'BOOKMARK') handlers.onEvent(type, object);
          },
          resolve,
        )
        .then((controller) => {
          // The rollout may have been decided while this watch was connecting: an open watch would
          // keep the process alive until client-node's 30 s idle timeout.
          if (stopped()) controller.abort();
          else controllers.push(controller);
        }, resolve);
    });
    if (stopped()) return;
    const status = (ended as { statusCode?: number } | null)?.statusCode;
    if (gone.expired || status === 410) {
      version = await handlers.relist().catch(() => undefined);
      continue;
    }
    if (ended !== null && ended !== undefined) {
      failures++;
      // A broken connection: back off briefly before resuming, give up after a handful.
      if (failures > 5) return;
      await new Promise((resolve) => setTimeout(resolve, 200 * failures));
    } else {
      failures = 0;
    }
  }
}
