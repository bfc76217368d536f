import type { AppsV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import {
  CONTROLLER_REVISION_HASH,
  currentRevisionOf,
  kindNoun,
  ownedRevisions,
  podLabelOf,
} from './controller-revisions.ts';
import { findPodFailures, type PodFailure } from './pod-failures.ts';
import { workloadStatus, type Workload, type WorkloadKind } from './rollout-status.ts';
import { labelSelectorString } from './selectors.ts';
import { ownedReplicaSets, revisionOf } from './undo.ts';

export interface RolloutWatchOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly name: string;
  /** The workload's kind (default Deployment). */
  readonly kind?: WorkloadKind;
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
      /**
       * Set when kubectl cannot await the update strategy (`OnDelete`): the change is applied and
       * nothing rolls until someone deletes pods, so there is nothing to wait for or to fail.
       */
      readonly unawaitable?: true;
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

/** The revision a rollout moves to, and the pod label that marks its pods. */
interface NewRevision {
  /** What identifies the revision, so it is looked up once (a Deployment's revision, a StatefulSet's updateRevision…). */
  readonly key: string;
  readonly revision: number | undefined;
  readonly podLabel: { readonly key: string; readonly value: string } | undefined;
}

/** How one kind is read, watched and judged; everything else about a rollout is the same. */
interface WorkloadAccess {
  readonly plural: string;
  read(): Promise<Workload>;
  fromWatch(object: Json): Workload;
  /** Updated pods so far, for the timeline's "progressing" mark. */
  updated(workload: Workload): number;
  /** The revision being rolled out, or undefined until the controller has observed the spec. */
  newRevision(workload: Workload, known: NewRevision | undefined): Promise<NewRevision | undefined>;
}

function observed(workload: Workload): boolean {
  return (workload.object.metadata?.generation ?? 0) <= (workload.object.status?.observedGeneration ?? 0);
}

function accessFor(apps: AppsV1Api, kind: WorkloadKind, namespace: string, name: string): WorkloadAccess {
  if (kind === 'Deployment') {
    return {
      plural: 'deployments',
      read: async () => ({ kind, object: await apps.readNamespacedDeployment({ name, namespace }) }),
      fromWatch: (object) => ({ kind, object }),
      updated: (w) => (w.kind === 'Deployment' ? (w.object.status?.updatedReplicas ?? 0) : 0),
      newRevision: async (w, known) => {
        const revision = revisionOf(w.object);
        if (w.kind !== 'Deployment' || revision === undefined || !observed(w)) return known;
        if (known?.key === String(revision)) return known;
        const selector = labelSelectorString(w.object.spec?.selector);
        const list = await apps.listNamespacedReplicaSet({ namespace, labelSelector: selector });
        const current = ownedReplicaSets(w.object, list.items).find((rs) => revisionOf(rs) === revision);
        const hash = current?.metadata?.labels?.['pod-template-hash'];
        return {
          key: String(revision),
          revision,
          podLabel: hash === undefined ? undefined : { key: 'pod-template-hash', value: hash },
        };
      },
    };
  }
  // StatefulSet and DaemonSet: the revision is a ControllerRevision, its pods carry controller-revision-hash.
  const read = async (): Promise<Workload> =>
    kind === 'StatefulSet'
      ? { kind, object: await apps.readNamespacedStatefulSet({ name, namespace }) }
      : { kind, object: await apps.readNamespacedDaemonSet({ name, namespace }) };
  return {
    plural: kind === 'StatefulSet' ? 'statefulsets' : 'daemonsets',
    read,
    fromWatch: (object) => (kind === 'StatefulSet' ? { kind, object } : { kind: 'DaemonSet', object }),
    updated: (w) =>
      w.kind === 'StatefulSet'
        ? (w.object.status?.updatedReplicas ?? 0)
        : w.kind === 'DaemonSet'
          ? (w.object.status?.updatedNumberScheduled ?? 0)
          : 0,
    newRevision: async (w, known) => {
      if (w.kind === 'Deployment' || !observed(w)) return known;
      const key =
        w.kind === 'StatefulSet'
          ? (w.object.status?.updateRevision ?? '')
          : String(w.object.status?.observedGeneration ?? 0);
      if (key === '' || known?.key === key) return known;
      const list = await apps.listNamespacedControllerRevision({
        namespace,
        labelSelector: labelSelectorString(w.object.spec?.selector),
      });
      const revision = currentRevisionOf(w.kind, w.object, ownedRevisions(w.object, list.items));
      if (revision === undefined) return known;
      return {
        key,
        revision: revision.revision,
        podLabel: { key: CONTROLLER_REVISION_HASH, value: podLabelOf(w.kind, revision) },
      };
    },
  };
}

/**
 * Waits for a Deployment's, StatefulSet's or DaemonSet's rollout the way `kubectl rollout status`
 * decides it (one status viewer per kind), driven by watches on the object and on its pods —
 * never by fixed sleeps. A watch the server or client-node ends (client-node closes idle watches
 * after 30 s) resumes from the last resourceVersion; a 410 Gone relists. New pods — those of the
 * revision being rolled out: the new ReplicaSet's `pod-template-hash`, or the ControllerRevision's
 * `controller-revision-hash` — that crash-loop, cannot pull their image or cannot be configured
 * fail the rollout at once instead of at the progress deadline (StatefulSets and DaemonSets have
 * none: they would wait for ever).
 */
export async function waitForRollout(options: RolloutWatchOptions): Promise<RolloutResult> {
  const { AppsV1Api, CoreV1Api, Watch } = await import('@kubernetes/client-node');
  const apps = options.kubeConfig.makeApiClient(AppsV1Api);
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const watch = new Watch(options.kubeConfig);
  const { namespace, name } = options;
  const kind = options.kind ?? 'Deployment';
  const access = accessFor(apps, kind, namespace, name);
  const noun = kind === 'DaemonSet' ? 'daemon set' : kindNoun(kind);
  const started = options.now();

  let workload = await access.read();
  const selector = labelSelectorString(workload.object.spec?.selector);
  const pods = new Map<string, V1Pod>();
  let newRevision: NewRevision | undefined;
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
  const revisionNow = (): number | undefined =>
    workload.kind === 'Deployment' ? revisionOf(workload.object) : newRevision?.revision;
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
      revision: revisionNow(),
      progressingAtMs,
      durationMs: elapsed(),
    });
  };
  const timer = setTimeout(() => {
    fail(
      'timeout',
      `${noun} "${name}" did not finish its rollout within ${Math.round(options.timeoutMs / 1000)} s (${workloadStatus(workload).message})`,
    );
  }, options.timeoutMs);

  const judgePods = (): void => {
    const label = newRevision?.podLabel;
    if (label === undefined || options.restartThreshold === undefined) return;
    const failures = findPodFailures(
      [...pods.values()].filter((pod) => pod.metadata?.labels?.[label.key] === label.value),
      options.restartThreshold,
    );
    if (failures.length > 0) fail('pods', `new pods of ${noun} "${name}" are failing`, failures);
  };
  const judgeWorkload = async (): Promise<void> => {
    const state = workloadStatus(workload);
    if (access.updated(workload) > 0 && progressingAtMs === undefined) progressingAtMs = elapsed();
    // kubectl's StatefulSet lines do not name it; several rollouts share one log.
    const line = kind === 'StatefulSet' ? `statefulset/${name}: ${state.message}` : state.message;
    if (line !== lastLine) {
      lastLine = line;
      options.onProgress(line);
    }
    if (state.phase === 'unawaitable') {
      finish({
        outcome: 'complete',
        unawaitable: true,
        message: `${kindNoun(kind)}/${name} cannot be awaited: ${state.message} (its updateStrategy is ${updateStrategyOf(workload)}: pods change only when someone deletes them)`,
        revision: revisionNow(),
        progressingAtMs: undefined,
        durationMs: elapsed(),
      });
      return;
    }
    if (state.phase === 'complete') {
      newRevision = await access.newRevision(workload, newRevision).catch(() => newRevision);
      finish({
        outcome: 'complete',
        message: state.message,
        revision: revisionNow(),
        progressingAtMs: progressingAtMs ?? elapsed(),
        durationMs: elapsed(),
      });
      return;
    }
    if (state.phase === 'failed') {
      fail('progress-deadline', state.message);
      return;
    }
    newRevision = await access.newRevision(workload, newRevision);
    judgePods();
  };

  const initialPods = await core.listNamespacedPod({ namespace, labelSelector: selector });
  for (const pod of initialPods.items) pods.set(pod.metadata?.name ?? '', pod);
  await judgeWorkload();
  if (run.settled) return result;

  void followWatch(
    watch,
    `/apis/apps/v1/namespaces/${namespace}/${access.plural}`,
    { fieldSelector: `metadata.name=${name}` },
    workload.object.metadata?.resourceVersion,
    controllers,
    () => run.settled,
    {
      onEvent: (type, object) => {
        if (type === 'DELETED') {
          fail('deleted', `${noun} "${name}" was deleted during the rollout`);
          return;
        }
        workload = access.fromWatch(object);
        void judgeWorkload().catch((error: unknown) => {
          fail('timeout', `watching ${noun} "${name}" failed: ${(error as Error).message}`);
        });
      },
      relist: async () => {
        workload = await access.read();
        await judgeWorkload();
        return workload.object.metadata?.resourceVersion;
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

function updateStrategyOf(workload: Workload): string {
  return workload.kind === 'Deployment'
    ? (workload.object.spec?.strategy?.type ?? '')
    : (workload.object.spec?.updateStrategy?.type ?? 'unset');
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
