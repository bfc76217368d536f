/**
 * The control plane's loops in one place: a work queue (deduplicated keys, processed after a
 * short simulated delay, as informers and workqueues make a real controller lag a little),
 * the Deployment, ReplicaSet and HorizontalPodAutoscaler controllers, the kubelet, and the garbage collector that deletes
 * what a deleted owner controlled. `waitForIdle` resolves once nothing but never-ending work
 * (crash-loop restarts, progress-deadline checks) is left.
 */
import type { SimulatedClock, TimerKind } from './clock.ts';
import { syncDaemonSet, type SimulatedNode } from './daemonset-controller.ts';
import { syncDeployment } from './deployment-controller.ts';
import {
  isHorizontalPodAutoscaler,
  syncHorizontalPodAutoscaler,
  targetsDeployment,
} from './horizontal-pod-autoscaler.ts';
import { Kubelet, type KubeletOptions } from './kubelet.ts';
import type { Registry } from './registry.ts';
import { syncReplicaSet } from './replicaset-controller.ts';
import { syncStatefulSet } from './statefulset-controller.ts';
import {
  controllerRevisions,
  daemonSets,
  deployments,
  horizontalPodAutoscalers,
  isDaemonSet,
  isDeployment,
  isReplicaSet,
  isStatefulSet,
  pods,
  replicaSets,
  statefulSets,
  type KubeObject,
  type ResourceType,
} from './resources.ts';
import { KubeError } from './status.ts';
import type { StoreEvent } from './store.ts';

type WorkItem =
  | {
      readonly kind: 'deployment' | 'replicaset' | 'statefulset' | 'daemonset' | 'autoscaler';
      readonly namespace: string;
      readonly name: string;
    }
  | { readonly kind: 'collect'; readonly ownerUid: string; readonly namespace: string };

function keyOf(item: WorkItem): string {
  return item.kind === 'collect' ? `collect/${item.ownerUid}` : `${item.kind}/${item.namespace}/${item.name}`;
}

export interface ControllerOptions {
  /** Simulated seconds between a change and the controllers acting on it. */
  readonly delaySeconds: number;
  readonly kubelet: Omit<KubeletOptions, 'report'>;
  /** The nodes DaemonSets place a pod on. */
  readonly nodes: readonly SimulatedNode[];
}

/** The workload kinds whose pods their controller owns directly, and the queue key of each. */
const podOwners = { ReplicaSet: 'replicaset', StatefulSet: 'statefulset', DaemonSet: 'daemonset' } as const;

export class ClusterControllers {
  /** Failures inside the loops (a real controller would log and retry them). */
  readonly errors: unknown[] = [];
  readonly #registry: Registry;
  readonly #clock: SimulatedClock;
  readonly #delaySeconds: number;
  readonly #kubelet: Kubelet;
  readonly #nodes: readonly SimulatedNode[];
  readonly #queue = new Map<string, WorkItem>();
  readonly #requeues = new Map<string, { readonly due: number; readonly cancel: () => void }>();
  #cancelFlush: (() => void) | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #idleWaiters = new Set<() => void>();

  constructor(registry: Registry, clock: SimulatedClock, options: ControllerOptions) {
    this.#registry = registry;
    this.#clock = clock;
    this.#delaySeconds = options.delaySeconds;
    this.#nodes = options.nodes;
    this.#kubelet = new Kubelet(registry, clock, {
      ...options.kubelet,
      report: (error) => {
        this.errors.push(error);
      },
    });
  }

  start(): void {
    this.#unsubscribe = this.#registry.store.subscribe((event) => {
      this.#observe(event);
    });
    this.#clock.onSettle(() => {
      this.#checkIdle();
    });
  }

  /** Resolves when the cluster has settled; rejects after `timeoutMs` of real time. */
  waitForIdle(timeoutMs = 10_000): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#idleWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#idleWaiters.delete(done);
        reject(
          new Error(
            `the cluster did not settle within ${timeoutMs} ms: ${this.#queue.size} queued item(s), ${this.#clock.pending('progress')} pending step(s)`,
          ),
        );
      }, timeoutMs);
      timer.unref();
      this.#idleWaiters.add(done);
    });
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#cancelFlush?.();
    for (const { cancel } of this.#requeues.values()) cancel();
    this.#requeues.clear();
    this.#queue.clear();
    this.#kubelet.stop();
  }

  #observe(event: StoreEvent): void {
    const object = event.object;
    const namespace = object.metadata.namespace ?? '';
    if (event.resource === pods) {
      this.#kubelet.observe(event);
      this.#enqueueOwner(object, 'ReplicaSet');
      this.#enqueueOwner(object, 'StatefulSet');
      this.#enqueueOwner(object, 'DaemonSet');
      // The Deployment controller watches pods too: Recreate waits for the last old pod to go.
      if (event.type === 'DELETED') this.#enqueueDeploymentOfPod(object);
      return;
    }
    if (event.resource === horizontalPodAutoscalers) {
      if (event.type !== 'DELETED')
        this.#enqueue({ kind: 'autoscaler', namespace, name: object.metadata.name ?? '' });
      return;
    }
    // The HPA controller reads its target's scale: a change to the target brings it back.
    if (event.resource === deployments && event.type !== 'DELETED') this.#enqueueAutoscalersOf(object);
    const kind =
      event.resource === deployments
        ? 'deployment'
        : event.resource === replicaSets
          ? 'replicaset'
          : event.resource === statefulSets
            ? 'statefulset'
            : event.resource === daemonSets
              ? 'daemonset'
              : undefined;
    if (kind === undefined) return;
    if (event.type === 'DELETED') {
      this.#enqueue({ kind: 'collect', ownerUid: object.metadata.uid ?? '', namespace });
    } else {
      this.#enqueue({ kind, namespace, name: object.metadata.name ?? '' });
    }
    if (event.resource === replicaSets) this.#enqueueOwner(object, 'Deployment');
  }

  #enqueueOwner(object: KubeObject, ownerKind: keyof typeof podOwners | 'Deployment'): void {
    const owner = object.metadata.ownerReferences?.find((r) => r.controller === true && r.kind === ownerKind);
    if (!owner) return;
    const kind = ownerKind === 'Deployment' ? 'deployment' : podOwners[ownerKind];
    this.#enqueue({ kind, namespace: object.metadata.namespace ?? '', name: owner.name });
  }

  #enqueueAutoscalersOf(deployment: KubeObject): void {
    for (const hpa of this.#registry.list(horizontalPodAutoscalers, deployment.metadata.namespace)) {
      if (isHorizontalPodAutoscaler(hpa) && targetsDeployment(hpa, deployment.metadata.name ?? '')) {
        this.#enqueue({
          kind: 'autoscaler',
          namespace: hpa.metadata.namespace ?? '',
          name: hpa.metadata.name ?? '',
        });
      }
    }
  }

  #enqueueDeploymentOfPod(pod: KubeObject): void {
    const owner = pod.metadata.ownerReferences?.find((r) => r.controller === true && r.kind === 'ReplicaSet');
    const rs = owner && this.#registry.find(replicaSets, pod.metadata.namespace, owner.name);
    if (rs) this.#enqueueOwner(rs, 'Deployment');
  }

  #enqueue(item: WorkItem): void {
    this.#queue.set(keyOf(item), item);
    this.#cancelFlush ??= this.#clock.after(this.#delaySeconds, 'progress', () => {
      this.#cancelFlush = undefined;
      this.#flush();
    });
  }

  #requeueAfter(item: WorkItem, seconds: number, kind: TimerKind): void {
    const key = keyOf(item);
    const due = this.#clock.now() + seconds * 1000;
    const pending = this.#requeues.get(key);
    if (pending && pending.due <= due) return;
    pending?.cancel();
    const cancel = this.#clock.after(seconds, kind, () => {
      this.#requeues.delete(key);
      this.#enqueue(item);
    });
    this.#requeues.set(key, { due, cancel });
  }

  #flush(): void {
    const items = [...this.#queue.values()];
    this.#queue.clear();
    for (const item of items) {
      try {
        this.#process(item);
      } catch (error) {
        // A conflict means another writer got there first: the event it caused brings us back.
        if (!(error instanceof KubeError && error.status.reason === 'Conflict')) this.errors.push(error);
      }
    }
  }

  #process(item: WorkItem): void {
    if (item.kind === 'collect') {
      this.#collectDependents(item.ownerUid, item.namespace);
      return;
    }
    const context = { registry: this.#registry, clock: this.#clock };
    if (item.kind === 'autoscaler') {
      const hpa = this.#registry.find(horizontalPodAutoscalers, item.namespace, item.name);
      if (hpa && isHorizontalPodAutoscaler(hpa)) syncHorizontalPodAutoscaler(context, hpa);
      return;
    }
    const type = {
      deployment: deployments,
      replicaset: replicaSets,
      statefulset: statefulSets,
      daemonset: daemonSets,
    }[item.kind];
    const object = this.#registry.find(type, item.namespace, item.name);
    const requeueAfter = (seconds: number, kind: TimerKind): void => {
      this.#requeueAfter(item, seconds, kind);
    };
    if (object && isDeployment(object)) syncDeployment({ ...context, requeueAfter }, object);
    const progress = (seconds: number): void => {
      requeueAfter(seconds, 'progress');
    };
    if (object && isStatefulSet(object)) syncStatefulSet({ ...context, requeueAfter: progress }, object);
    if (object && isDaemonSet(object))
      syncDaemonSet({ ...context, nodes: this.#nodes, requeueAfter: progress }, object);
    if (object && isReplicaSet(object)) {
      syncReplicaSet(
        {
          ...context,
          requeueAfter: (seconds) => {
            requeueAfter(seconds, 'progress');
          },
        },
        object,
      );
    }
  }

  /** The garbage collector's background deletion: dependents go after their owner. */
  #collectDependents(ownerUid: string, namespace: string): void {
    const dependentTypes: readonly ResourceType[] = [replicaSets, controllerRevisions, pods];
    for (const type of dependentTypes) {
      for (const object of this.#registry.list(type, namespace)) {
        if (!object.metadata.ownerReferences?.some((r) => r.uid === ownerUid)) continue;
        if (object.metadata.deletionTimestamp) continue;
        this.#registry.delete(type, namespace, object.metadata.name ?? '');
      }
    }
  }

  #isIdle(): boolean {
    return this.#queue.size === 0 && this.#cancelFlush === undefined && this.#clock.pending('progress') === 0;
  }

  #checkIdle(): void {
    if (!this.#isIdle()) return;
    for (const waiter of [...this.#idleWaiters]) waiter();
  }
}
