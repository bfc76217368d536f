import { describe, expect, test } from '@jest/globals';
import type { V1ControllerRevision, V1DaemonSet, V1StatefulSet } from '@kubernetes/client-node';
import {
  currentRevisionOf,
  ownedRevisions,
  planRevisionRollback,
  podLabelOf,
} from '../../src/kubernetes/controller-revisions.ts';
import { parseWorkloadRef } from '../../src/kubernetes/workload-ref.ts';

const uid = 'b7c1d3e4-0000-4000-8000-000000000001';

function template(image: string) {
  return { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image }] } };
}

function revision(name: string, number: number, image: string, owner = uid): V1ControllerRevision {
  return {
    metadata: {
      name,
      labels: { app: 'db', 'controller-revision-hash': name.replace('db-', '') },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: owner, controller: true },
      ],
    },
    revision: number,
    data: { spec: { template: { ...template(image), $patch: 'replace' } } },
  };
}

function statefulSet(image: string, status: V1StatefulSet['status'] = { replicas: 3 }): V1StatefulSet {
  return {
    metadata: { name: 'db', uid, generation: 2 },
    spec: { selector: { matchLabels: { app: 'db' } }, serviceName: 'db', template: template(image) },
    status,
  };
}

const history = [
  revision('db-7b9', 2, 'db:1.1'),
  revision('db-5f4', 1, 'db:1.0'),
  revision('db-c2d', 3, 'db:1.2'),
];

const daemonSet: V1DaemonSet = {
  metadata: { name: 'db', uid, generation: 1 },
  spec: { selector: { matchLabels: { app: 'db' } }, template: template('db:1.2') },
};

describe('planRevisionRollback: kubectl StatefulSetRollbacker / DaemonSetRollbacker', () => {
  test.each([
    ['the previous revision is the second-highest', undefined, 2, 'db:1.1'],
    ['an exact revision asked for', 1, 1, 'db:1.0'],
  ])('%s', (_name, toRevision, expected, image) => {
    const plan = planRevisionRollback('StatefulSet', statefulSet('db:1.2'), history, toRevision);
    expect(plan.kind).toBe('patch');
    expect(plan.toRevision).toBe(expected);
    expect(plan.kind === 'patch' ? plan.patch : undefined).toEqual({
      spec: { template: { ...template(image), $patch: 'replace' } },
    });
  });

  test('skips when the template already matches the revision, with kubectl words', () => {
    expect(planRevisionRollback('StatefulSet', statefulSet('db:1.1'), history)).toMatchObject({
      kind: 'skip',
      toRevision: 2,
      message: 'skipped rollback (current template already matches revision 2)',
    });
  });

  test.each([
    [
      'one revision only',
      [revision('db-5f4', 1, 'db:1.0')],
      undefined,
      'No last revision to roll back to for statefulset/db.',
    ],
    ['no revision at all', [], undefined, 'No last revision to roll back to for statefulset/db.'],
    [
      'a revision that is not kept',
      history,
      7,
      'Unable to find revision 7 in the history of statefulset/db.',
    ],
  ])('refuses %s', (_name, revisions, toRevision, message) => {
    expect(() => planRevisionRollback('StatefulSet', statefulSet('db:1.2'), revisions, toRevision)).toThrow(
      message,
    );
  });

  test('names the kept revisions when the one asked for is gone', () => {
    try {
      planRevisionRollback('DaemonSet', daemonSet, history, 9);
      throw new Error('no error');
    } catch (error) {
      expect((error as { why?: string }).why).toBe(
        'The revisions kept are 1, 2, 3 (revisionHistoryLimit prunes older ones).',
      );
    }
  });
});

describe('ownedRevisions, currentRevisionOf, podLabelOf', () => {
  test('keeps only the revisions whose controller is the object, lowest first', () => {
    const foreign = revision('db-999', 4, 'db:9', 'another-uid');
    expect(ownedRevisions(statefulSet('db:1.2'), [...history, foreign]).map((r) => r.revision)).toEqual([
      1, 2, 3,
    ]);
  });

  test.each([
    [
      'a StatefulSet: the updateRevision once observed',
      'StatefulSet',
      { observedGeneration: 2, replicas: 3, updateRevision: 'db-7b9' },
      2,
    ],
    [
      'a StatefulSet not yet observed',
      'StatefulSet',
      { observedGeneration: 1, replicas: 3, updateRevision: 'db-7b9' },
      undefined,
    ],
    ['a DaemonSet: the newest revision', 'DaemonSet', { observedGeneration: 2, replicas: 3 }, 3],
  ] as const)('%s', (_name, kind, status, expected) => {
    const owned = ownedRevisions(statefulSet('db:1.2'), history);
    expect(currentRevisionOf(kind, statefulSet('db:1.2', status), owned)?.revision).toBe(expected);
  });

  test('StatefulSet pods carry the revision name, DaemonSet pods its hash label', () => {
    const r = revision('db-7b9', 2, 'db:1.1');
    expect(podLabelOf('StatefulSet', r)).toBe('db-7b9');
    expect(podLabelOf('DaemonSet', r)).toBe('7b9');
  });
});

describe('parseWorkloadRef: the rollback action names workloads as kubectl rollout undo does', () => {
  test.each([
    ['api', 'Deployment', 'api'],
    ['deployment/api', 'Deployment', 'api'],
    ['deploy/api', 'Deployment', 'api'],
    ['statefulset/db', 'StatefulSet', 'db'],
    ['StatefulSet/db', 'StatefulSet', 'db'],
    ['sts/db', 'StatefulSet', 'db'],
    ['statefulset.apps/db', 'StatefulSet', 'db'],
    ['daemonset/agent', 'DaemonSet', 'agent'],
    ['ds/agent', 'DaemonSet', 'agent'],
  ])('%s', (text, kind, name) => {
    expect(parseWorkloadRef('deployment', text)).toEqual({ kind, name });
  });

  test.each([
    [
      'job/migrate',
      "Input 'deployment' is invalid: 'job/migrate' names 'job', which has no rollout history to go back to.",
    ],
    ['replicaset/api-5f4', "Input 'deployment' is invalid: 'replicaset/api-5f4' names 'replicaset'"],
    ['statefulset/', "Input 'deployment' is invalid: '' in 'statefulset/' is not a Kubernetes object name."],
    ['sts/DB', "Input 'deployment' is invalid: 'DB' in 'sts/DB' is not a Kubernetes object name."],
  ])('refuses %s', (text, message) => {
    expect(() => parseWorkloadRef('deployment', text)).toThrow(message);
  });
});
