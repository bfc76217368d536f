import { describe, expect, test } from '@jest/globals';
import type {
  V1DaemonSet,
  V1DaemonSetStatus,
  V1Deployment,
  V1DeploymentCondition,
  V1DeploymentStatus,
  V1StatefulSet,
  V1StatefulSetStatus,
  V1StatefulSetUpdateStrategy,
} from '@kubernetes/client-node';
import {
  daemonSetStatus,
  PROGRESS_DEADLINE_EXCEEDED,
  rolloutStatus,
  statefulSetStatus,
  workloadStatus,
} from '../../src/kubernetes/rollout-status.ts';

/** A Deployment named "foo", as kubectl's `rollout_status_test.go` builds it. */
function deployment(
  generation: number | undefined,
  specReplicas: number | undefined,
  status: V1DeploymentStatus | undefined,
): V1Deployment {
  return {
    metadata: { namespace: 'bar', name: 'foo', ...(generation === undefined ? {} : { generation }) },
    spec: {
      selector: { matchLabels: { app: 'foo' } },
      template: { spec: { containers: [{ name: 'foo', image: 'foo:1' }] } },
      ...(specReplicas === undefined ? {} : { replicas: specReplicas }),
    },
    ...(status === undefined ? {} : { status }),
  };
}

function progressing(reason: string, status = 'True'): V1DeploymentCondition {
  return { type: 'Progressing', status, reason };
}

const timedOut: V1DeploymentCondition = {
  type: 'Progressing',
  status: 'False',
  reason: PROGRESS_DEADLINE_EXCEEDED,
  message: 'ReplicaSet "foo-7d4b9" has timed out progressing.',
};

const specUpdate = 'Waiting for deployment spec update to be observed...';
const updated = (n: number, of: number) =>
  `Waiting for deployment "foo" rollout to finish: ${n} out of ${of} new replicas have been updated...`;
const oldPending = (n: number) =>
  `Waiting for deployment "foo" rollout to finish: ${n} old replicas are pending termination...`;
const available = (n: number, of: number) =>
  `Waiting for deployment "foo" rollout to finish: ${n} of ${of} updated replicas are available...`;
const done = 'deployment "foo" successfully rolled out';
const deadline = 'deployment "foo" exceeded its progress deadline';

describe('rolloutStatus: the rows of kubectl rollout_status_test.go', () => {
  test.each([
    [
      'test1',
      0,
      1,
      { observedGeneration: 1, replicas: 1, updatedReplicas: 0, availableReplicas: 1 },
      updated(0, 1),
    ],
    [
      'test2',
      1,
      1,
      { observedGeneration: 1, replicas: 2, updatedReplicas: 1, availableReplicas: 2 },
      oldPending(1),
    ],
    [
      'test3',
      1,
      2,
      { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 1 },
      available(1, 2),
    ],
    [
      'test5',
      2,
      2,
      { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
      specUpdate,
    ],
  ])('kubectl %s is still waiting', (_name, generation, specReplicas, status, message) => {
    expect(rolloutStatus(deployment(generation, specReplicas, status))).toEqual({
      phase: 'waiting',
      message,
    });
  });

  test('test4 is complete when every replica is updated and available', () => {
    const status = { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 };
    expect(rolloutStatus(deployment(1, 2, status))).toEqual({ phase: 'complete', message: done });
  });
});

describe('rolloutStatus: each condition in kubectl order', () => {
  test.each([
    // (0) the controller has not seen the current spec yet: nothing else counts
    ['a newer generation than observed', 3, 2, { observedGeneration: 2 }, 'waiting', specUpdate],
    ['no status at all on a new generation', 1, 2, undefined, 'waiting', specUpdate],
    [
      'a deadline exceeded for an older generation',
      3,
      2,
      { observedGeneration: 2, conditions: [timedOut] },
      'waiting',
      specUpdate,
    ],
    // (a) ProgressDeadlineExceeded fails, before any count
    [
      'the progress deadline exceeded',
      2,
      2,
      { observedGeneration: 2, conditions: [timedOut] },
      'failed',
      deadline,
    ],
    [
      'the deadline exceeded although counts still move',
      2,
      3,
      { observedGeneration: 2, replicas: 4, updatedReplicas: 1, conditions: [timedOut] },
      'failed',
      deadline,
    ],
    [
      'the deadline exceeded even when every replica is available',
      2,
      2,
      {
        observedGeneration: 2,
        replicas: 2,
        updatedReplicas: 2,
        availableReplicas: 2,
        conditions: [timedOut],
      },
      'failed',
      deadline,
    ],
    [
      'the deadline reason only on the Progressing condition counts',
      2,
      1,
      {
        observedGeneration: 2,
        replicas: 1,
        updatedReplicas: 1,
        availableReplicas: 1,
        conditions: [{ type: 'Available', status: 'False', reason: PROGRESS_DEADLINE_EXCEEDED }],
      },
      'complete',
      done,
    ],
    [
      'a Progressing condition with another reason',
      2,
      2,
      {
        observedGeneration: 2,
        replicas: 3,
        updatedReplicas: 1,
        conditions: [progressing('ReplicaSetUpdated'), { type: 'Available', status: 'True' }],
      },
      'waiting',
      updated(1, 2),
    ],
    // (b) fewer updated replicas than desired
    ['no updated replica yet', 2, 3, { observedGeneration: 2, replicas: 3 }, 'waiting', updated(0, 3)],
    [
      'updated behind desired before old replicas',
      2,
      3,
      { observedGeneration: 2, replicas: 4, updatedReplicas: 1, availableReplicas: 3 },
      'waiting',
      updated(1, 3),
    ],
    // (c) old replicas still present
    [
      'old replicas before availability',
      2,
      2,
      { observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 1 },
      'waiting',
      oldPending(1),
    ],
    [
      'without spec.replicas, old replicas still count',
      2,
      undefined,
      { observedGeneration: 2, replicas: 5, updatedReplicas: 2, availableReplicas: 2 },
      'waiting',
      oldPending(3),
    ],
    // (d) updated replicas not yet available
    [
      'a missing availableReplicas counts as 0',
      2,
      2,
      { observedGeneration: 2, replicas: 2, updatedReplicas: 2 },
      'waiting',
      available(0, 2),
    ],
    [
      'a generation older than observed is past the spec check',
      1,
      3,
      { observedGeneration: 4, replicas: 3, updatedReplicas: 3, availableReplicas: 2 },
      'waiting',
      available(2, 3),
    ],
    // (e) done
    [
      'the rollout finished with a NewReplicaSetAvailable condition',
      5,
      3,
      {
        observedGeneration: 5,
        replicas: 3,
        updatedReplicas: 3,
        readyReplicas: 3,
        availableReplicas: 3,
        conditions: [{ type: 'Available', status: 'True' }, progressing('NewReplicaSetAvailable')],
      },
      'complete',
      done,
    ],
    ['a Deployment scaled to zero', 2, 0, { observedGeneration: 2 }, 'complete', done],
    ['no generation and no status counts as observed', undefined, undefined, undefined, 'complete', done],
    [
      'more updated than desired (surge) with all available',
      2,
      2,
      { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 },
      'complete',
      done,
    ],
  ])('%s', (_name, generation, specReplicas, status, phase, message) => {
    expect(rolloutStatus(deployment(generation, specReplicas, status))).toEqual({ phase, message });
  });

  test('names the Deployment in its messages', () => {
    const api: V1Deployment = {
      metadata: { name: 'api', generation: 1 },
      spec: { replicas: 2, selector: {}, template: {} },
      status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
    };
    expect(rolloutStatus(api)).toEqual({
      phase: 'complete',
      message: 'deployment "api" successfully rolled out',
    });
  });

  test('messages carry no trailing newline, unlike kubectl output', () => {
    const states = [
      rolloutStatus(deployment(2, 1, { observedGeneration: 1 })),
      rolloutStatus(deployment(1, 1, { observedGeneration: 1, conditions: [timedOut] })),
      rolloutStatus(
        deployment(1, 1, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }),
      ),
    ];
    expect(states.map((state) => state.phase)).toEqual(['waiting', 'failed', 'complete']);
    for (const state of states) expect(state.message).not.toMatch(/\s$/);
  });
});

/** A StatefulSet "foo" with `replicas` and an update strategy, as the API server stores one. */
function statefulSet(
  generation: number,
  replicas: number | undefined,
  updateStrategy: V1StatefulSetUpdateStrategy | undefined,
  status: Partial<V1StatefulSetStatus> | undefined,
): V1StatefulSet {
  return {
    metadata: { namespace: 'bar', name: 'foo', generation },
    spec: {
      selector: { matchLabels: { app: 'foo' } },
      serviceName: 'foo',
      template: { spec: { containers: [{ name: 'foo', image: 'foo:1' }] } },
      ...(replicas === undefined ? {} : { replicas }),
      ...(updateStrategy === undefined ? {} : { updateStrategy }),
    },
    ...(status === undefined ? {} : { status: { replicas: 0, ...status } }),
  };
}

const rolling: V1StatefulSetUpdateStrategy = { type: 'RollingUpdate' };
const partitioned = (partition: number): V1StatefulSetUpdateStrategy => ({
  type: 'RollingUpdate',
  rollingUpdate: { partition },
});

describe('statefulSetStatus: kubectl StatefulSetStatusViewer, condition by condition', () => {
  test.each([
    [
      'OnDelete cannot be awaited',
      1,
      3,
      { type: 'OnDelete' },
      { observedGeneration: 1 },
      'unawaitable',
      'rollout status is only available for RollingUpdate strategy type',
    ],
    [
      'no updateStrategy type at all is not RollingUpdate either',
      1,
      3,
      undefined,
      { observedGeneration: 1 },
      'unawaitable',
      'rollout status is only available for RollingUpdate strategy type',
    ],
    [
      'an observedGeneration of 0 counts as not observed',
      1,
      3,
      rolling,
      { observedGeneration: 0, readyReplicas: 3 },
      'waiting',
      'Waiting for statefulset spec update to be observed...',
    ],
    [
      'a newer generation than observed',
      2,
      3,
      rolling,
      { observedGeneration: 1, readyReplicas: 3 },
      'waiting',
      'Waiting for statefulset spec update to be observed...',
    ],
    [
      'fewer ready pods than replicas',
      1,
      3,
      partitioned(0),
      { observedGeneration: 1, readyReplicas: 1, updatedReplicas: 3 },
      'waiting',
      'Waiting for 2 pods to be ready...',
    ],
    [
      'missing readyReplicas count as 0',
      1,
      2,
      rolling,
      { observedGeneration: 1 },
      'waiting',
      'Waiting for 2 pods to be ready...',
    ],
    [
      'a partition: fewer updated pods than replicas minus partition',
      1,
      3,
      partitioned(1),
      { observedGeneration: 1, readyReplicas: 3, updatedReplicas: 1 },
      'waiting',
      'Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...',
    ],
    [
      'a partition reached: complete though currentRevision differs',
      1,
      3,
      partitioned(1),
      {
        observedGeneration: 1,
        readyReplicas: 3,
        updatedReplicas: 2,
        currentRevision: 'foo-a',
        updateRevision: 'foo-b',
      },
      'complete',
      'partitioned roll out complete: 2 new pods have been updated...',
    ],
    [
      'partition 0 (the defaulted block): every pod updated',
      1,
      3,
      partitioned(0),
      { observedGeneration: 1, readyReplicas: 3, updatedReplicas: 3 },
      'complete',
      'partitioned roll out complete: 3 new pods have been updated...',
    ],
    [
      'partition 0: ready old pods still wait for the update',
      1,
      3,
      partitioned(0),
      { observedGeneration: 1, readyReplicas: 3, updatedReplicas: 1 },
      'waiting',
      'Waiting for partitioned roll out to finish: 1 out of 3 new pods have been updated...',
    ],
    [
      'no rollingUpdate block: revisions differ',
      1,
      3,
      rolling,
      {
        observedGeneration: 1,
        readyReplicas: 3,
        updatedReplicas: 2,
        currentRevision: 'foo-a',
        updateRevision: 'foo-b',
      },
      'waiting',
      'waiting for statefulset rolling update to complete 2 pods at revision foo-b...',
    ],
    [
      'no rollingUpdate block: currentRevision equals updateRevision',
      1,
      3,
      rolling,
      {
        observedGeneration: 1,
        readyReplicas: 3,
        currentReplicas: 3,
        currentRevision: 'foo-b',
        updateRevision: 'foo-b',
      },
      'complete',
      'statefulset rolling update complete 3 pods at revision foo-b...',
    ],
  ])('%s', (_name, generation, replicas, strategy, status, phase, message) => {
    expect(statefulSetStatus(statefulSet(generation, replicas, strategy, status))).toEqual({
      phase,
      message,
    });
    expect(
      workloadStatus({ kind: 'StatefulSet', object: statefulSet(generation, replicas, strategy, status) }),
    ).toEqual({
      phase,
      message,
    });
  });
});

function daemonSet(
  generation: number,
  type: string | undefined,
  status: Partial<V1DaemonSetStatus> | undefined,
): V1DaemonSet {
  return {
    metadata: { namespace: 'bar', name: 'foo', generation },
    spec: {
      selector: { matchLabels: { app: 'foo' } },
      template: { spec: { containers: [{ name: 'foo', image: 'foo:1' }] } },
      ...(type === undefined ? {} : { updateStrategy: { type } }),
    },
    ...(status === undefined
      ? {}
      : {
          status: {
            currentNumberScheduled: 0,
            numberMisscheduled: 0,
            desiredNumberScheduled: 0,
            numberReady: 0,
            ...status,
          },
        }),
  };
}

describe('daemonSetStatus: kubectl DaemonSetStatusViewer, condition by condition', () => {
  test.each([
    [
      'OnDelete cannot be awaited',
      1,
      'OnDelete',
      { observedGeneration: 1 },
      'unawaitable',
      'rollout status is only available for RollingUpdate strategy type',
    ],
    [
      'a newer generation than observed',
      2,
      'RollingUpdate',
      { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 },
      'waiting',
      'Waiting for daemon set spec update to be observed...',
    ],
    [
      'no status on a new generation',
      1,
      'RollingUpdate',
      undefined,
      'waiting',
      'Waiting for daemon set spec update to be observed...',
    ],
    [
      'fewer updated than desired',
      1,
      'RollingUpdate',
      { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 1, numberAvailable: 3 },
      'waiting',
      'Waiting for daemon set "foo" rollout to finish: 1 out of 3 new pods have been updated...',
    ],
    [
      'updated but fewer available than desired',
      1,
      'RollingUpdate',
      { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 },
      'waiting',
      'Waiting for daemon set "foo" rollout to finish: 2 of 3 updated pods are available...',
    ],
    [
      'missing counts are 0: nothing desired is complete',
      1,
      'RollingUpdate',
      { observedGeneration: 1 },
      'complete',
      'daemon set "foo" successfully rolled out',
    ],
    [
      'every node updated and available',
      3,
      'RollingUpdate',
      { observedGeneration: 3, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 },
      'complete',
      'daemon set "foo" successfully rolled out',
    ],
  ])('%s', (_name, generation, type, status, phase, message) => {
    expect(daemonSetStatus(daemonSet(generation, type, status))).toEqual({ phase, message });
    expect(workloadStatus({ kind: 'DaemonSet', object: daemonSet(generation, type, status) })).toEqual({
      phase,
      message,
    });
  });
});
