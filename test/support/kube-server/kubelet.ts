/**
 * A node's kubelet, simulated: binds new pods, then walks each container through the life its
 * behaviour rule gives it (ContainerCreating → running and Ready, CrashLoopBackOff with a rising
 * restartCount, ErrImagePull → ImagePullBackOff, CreateContainerConfigError, running but never
 * Ready), writes pod status as the real kubelet reports it, and removes pods whose graceful
 * termination ended.
 */
import { createHash } from 'node:crypto';
import type { SimulatedClock, TimerKind } from './clock.ts';
import {
  behaviourOfImage,
  crashLoopBackOff,
  parseImage,
  type ContainerBehaviour,
  type ContainerBehaviourRule,
  type PodTimings,
} from './pods.ts';
import { pinnedNode } from './daemonset-controller.ts';
import type { Registry } from './registry.ts';
import { isPod, pods, type Pod } from './resources.ts';
import type { StoreEvent } from './store.ts';

type Stage = 'creating' | 'running' | 'crash-loop' | 'pull-error' | 'pull-back-off' | 'config-error';

interface ContainerRecord {
  readonly name: string;
  readonly image: string;
  readonly behaviour: ContainerBehaviour;
  stage: Stage;
  restartCount: number;
  backOffSeconds: number;
  startedAt?: string;
  containerId?: string;
  lastTermination?: { readonly startedAt: string; readonly finishedAt: string; readonly containerId: string };
}

interface PodRecord {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly containers: ContainerRecord[];
  readonly cancels: (() => void)[];
  terminating: boolean;
  podIp?: string;
  startTime?: string;
}

export interface KubeletOptions {
  readonly timings: PodTimings;
  readonly rule?: ContainerBehaviourRule;
  readonly random: () => number;
  readonly nodeName: string;
  /** Where failures inside a timer go (they must not escape into the event loop). */
  readonly report: (error: unknown) => void;
}

const hostIp = '172.18.0.2';

function hex(random: () => number, length: number): string {
  return Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');
}

export class Kubelet {
  readonly #registry: Registry;
  readonly #clock: SimulatedClock;
  readonly #options: KubeletOptions;
  readonly #pods = new Map<string, PodRecord>();
  #nextPodIp = 2;

  constructor(registry: Registry, clock: SimulatedClock, options: KubeletOptions) {
    this.#registry = registry;
    this.#clock = clock;
    this.#options = options;
  }

  observe(event: StoreEvent): void {
    if (!isPod(event.object)) return;
    const pod = event.object;
    const uid = pod.metadata.uid ?? '';
    const record = this.#pods.get(uid);
    if (event.type === 'DELETED') {
      if (record) this.#forget(record);
      return;
    }
    if (!record) {
      this.#admit(pod);
      return;
    }
    if (pod.metadata.deletionTimestamp && !record.terminating) this.#terminate(record);
  }

  stop(): void {
    for (const record of this.#pods.values()) for (const cancel of record.cancels) cancel();
    this.#pods.clear();
  }

  #admit(pod: Pod): void {
    const namespace = pod.metadata.namespace ?? 'default';
    const name = pod.metadata.name ?? '';
    const rule = this.#options.rule;
    const containers = (pod.spec?.containers ?? []).map((c): ContainerRecord => {
      const image = c.image ?? '';
      const behaviour = rule?.({ name: c.name, image, pod: name, namespace }) ?? behaviourOfImage(image);
      return { name: c.name, image, behaviour, stage: 'creating', restartCount: 0, backOffSeconds: 0 };
    });
    const record: PodRecord = {
      namespace,
      name,
      uid: pod.metadata.uid ?? '',
      containers,
      cancels: [],
      terminating: false,
    };
    this.#pods.set(record.uid, record);
    if (pod.metadata.deletionTimestamp) this.#terminate(record);
    else
      this.#after(record, this.#options.timings.scheduleSeconds, 'progress', () => {
        this.#bind(record);
      });
  }

  #after(record: PodRecord, seconds: number, kind: TimerKind, step: () => void): void {
    const cancel = this.#clock.after(seconds, kind, () => {
      const index = record.cancels.indexOf(cancel);
      if (index >= 0) record.cancels.splice(index, 1);
      try {
        step();
      } catch (error) {
        this.#options.report(error);
      }
    });
    record.cancels.push(cancel);
  }

  #bind(record: PodRecord): void {
    const pod = this.#registry.find(pods, record.namespace, record.name);
    if (!pod || !isPod(pod)) return;
    this.#registry.replace(pods, record.namespace, record.name, {
      ...pod,
      // The scheduler honours a DaemonSet pod's node affinity; every other pod lands on the default node.
      spec: { ...pod.spec, nodeName: pinnedNode(pod) ?? this.#options.nodeName },
    });
    record.podIp = `10.244.0.${this.#nextPodIp++}`;
    record.startTime = this.#clock.timestamp();
    this.#report(record);
    const timings = this.#options.timings;
    for (const container of record.containers) {
      switch (container.behaviour) {
        case 'ready':
        case 'never-ready':
          this.#after(record, timings.startSeconds, 'progress', () => {
            this.#start(record, container);
          });
          break;
        case 'crashloop':
          this.#after(record, timings.crashSeconds, 'progress', () => {
            this.#crash(record, container);
          });
          break;
        case 'pull-failure':
          this.#after(record, timings.pullFailureSeconds, 'progress', () => {
            this.#setStage(record, container, 'pull-error');
            this.#after(record, timings.imagePullBackOffSeconds, 'progress', () => {
              this.#setStage(record, container, 'pull-back-off');
            });
          });
          break;
        case 'config-error':
          this.#after(record, timings.configErrorSeconds, 'progress', () => {
            this.#setStage(record, container, 'config-error');
          });
          break;
      }
    }
  }

  #start(record: PodRecord, container: ContainerRecord): void {
    container.startedAt = this.#clock.timestamp();
    container.containerId = `containerd://${hex(this.#options.random, 64)}`;
    this.#setStage(record, container, 'running');
  }

  #crash(record: PodRecord, container: ContainerRecord): void {
    const finishedAt = this.#clock.timestamp();
    container.lastTermination = {
      startedAt: container.startedAt ?? record.startTime ?? finishedAt,
      finishedAt,
      containerId: `containerd://${hex(this.#options.random, 64)}`,
    };
    container.startedAt = finishedAt;
    container.restartCount++;
    container.backOffSeconds = crashLoopBackOff(
      this.#options.timings.crashLoopBackOffSeconds,
      container.restartCount,
    );
    this.#setStage(record, container, 'crash-loop');
    // Restarts never end: they must not keep waitForIdle waiting.
    this.#after(record, container.backOffSeconds, 'background', () => {
      this.#crash(record, container);
    });
  }

  #setStage(record: PodRecord, container: ContainerRecord, stage: Stage): void {
    container.stage = stage;
    this.#report(record);
  }

  #terminate(record: PodRecord): void {
    record.terminating = true;
    for (const cancel of record.cancels.splice(0)) cancel();
    this.#after(record, this.#options.timings.terminationSeconds, 'progress', () => {
      this.#registry.store.remove(pods, record.namespace, record.name);
    });
  }

  #forget(record: PodRecord): void {
    for (const cancel of record.cancels.splice(0)) cancel();
    this.#pods.delete(record.uid);
  }

  /** Writes the pod's status as the kubelet's status manager would. */
  #report(record: PodRecord): void {
    const pod = this.#registry.find(pods, record.namespace, record.name);
    if (!pod || !isPod(pod) || record.terminating) return;
    const previous = pod.status?.conditions ?? [];
    const now = this.#clock.timestamp();
    const unready = record.containers.filter((c) => !isReady(c)).map((c) => c.name);
    const condition = (
      type: string,
      ok: boolean,
      reason?: string,
      message?: string,
    ): Record<string, unknown> => {
      const status = ok ? 'True' : 'False';
      const before = previous.find((c) => c.type === type);
      return {
        type,
        status,
        lastProbeTime: null,
        lastTransitionTime: before?.status === status ? before.lastTransitionTime : now,
        ...(reason ? { reason } : {}),
        ...(message ? { message } : {}),
      };
    };
    const readiness = (type: string): Record<string, unknown> =>
      unready.length === 0
        ? condition(type, true)
        : condition(
            type,
            false,
            'ContainersNotReady',
            `containers with unready status: [${unready.join(' ')}]`,
          );
    const pending = record.containers.some((c) =>
      ['creating', 'pull-error', 'pull-back-off', 'config-error'].includes(c.stage),
    );
    const status = {
      phase: pending ? 'Pending' : 'Running',
      conditions: [
        condition('PodReadyToStartContainers', true),
        condition('Initialized', true),
        readiness('Ready'),
        readiness('ContainersReady'),
        condition('PodScheduled', true),
      ],
      hostIP: hostIp,
      hostIPs: [{ ip: hostIp }],
      ...(record.podIp ? { podIP: record.podIp, podIPs: [{ ip: record.podIp }] } : {}),
      ...(record.startTime ? { startTime: record.startTime } : {}),
      containerStatuses: record.containers.map((c) => this.#containerStatus(record, c)),
      qosClass: pod.status?.qosClass ?? 'BestEffort',
    };
    this.#registry.replaceStatus(pods, record.namespace, record.name, { ...pod, status });
  }

  #containerStatus(record: PodRecord, container: ContainerRecord): Record<string, unknown> {
    const pulled = !['creating', 'pull-error', 'pull-back-off'].includes(container.stage);
    const { repository } = parseImage(container.image);
    const last = container.lastTermination;
    return {
      name: container.name,
      image: container.image,
      imageID: pulled
        ? `${repository}@sha256:${createHash('sha256').update(container.image).digest('hex')}`
        : '',
      ...(container.containerId ? { containerID: container.containerId } : {}),
      ready: isReady(container),
      restartCount: container.restartCount,
      started: container.stage === 'running',
      state: this.#state(record, container),
      lastState: last
        ? {
            terminated: {
              exitCode: 1,
              reason: 'Error',
              startedAt: last.startedAt,
              finishedAt: last.finishedAt,
              containerID: last.containerId,
            },
          }
        : {},
    };
  }

  #state(record: PodRecord, container: ContainerRecord): Record<string, unknown> {
    const image = container.image;
    const reference = image.includes('/') ? image : `docker.io/library/${image}`;
    switch (container.stage) {
      case 'running':
        return { running: { startedAt: container.startedAt } };
      case 'creating':
        return { waiting: { reason: 'ContainerCreating' } };
      case 'crash-loop':
        return {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${container.backOffSeconds}s restarting failed container=${container.name} pod=${record.name}_${record.namespace}(${record.uid})`,
          },
        };
      case 'pull-error':
        return {
          waiting: {
            reason: 'ErrImagePull',
            message: `failed to pull and unpack image "${reference}": failed to resolve reference "${reference}": ${reference}: not found`,
          },
        };
      case 'pull-back-off':
        return { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } };
      case 'config-error':
        return {
          waiting: {
            reason: 'CreateContainerConfigError',
            message: `configmap "${container.name}-config" not found`,
          },
        };
    }
  }
}

function isReady(container: ContainerRecord): boolean {
  return container.stage === 'running' && container.behaviour === 'ready';
}
