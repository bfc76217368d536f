import { describe, expect, test } from '@jest/globals';
import type { V1Deployment, V1DeploymentCondition, V1DeploymentStatus } from '@kubernetes/client-node';
import { PROGRESS_DEADLINE_EXCEEDED, rolloutStatus } from '../../src/kubernetes/rollout-status.ts';

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
