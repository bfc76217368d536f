import { describe, expect, test } from '@jest/globals';
import type {
  V1Deployment,
  V1OwnerReference,
  V1PodTemplateSpec,
  V1ReplicaSet,
} from '@kubernetes/client-node';
import { RollgateError } from '../../src/errors.ts';
import { ownedReplicaSets, planUndo, revisionOf } from '../../src/kubernetes/undo.ts';

const DEPLOYMENT_UID = '8764ae47-9092-11e4-8393-42010af018ff';
const REVISION = 'deployment.kubernetes.io/revision';

/** The pod template of version `version`, with the controller's hash label when given. */
function template(version: string, hash?: string): V1PodTemplateSpec {
  return {
    metadata: {
      labels: { app: 'api', tier: 'web', ...(hash === undefined ? {} : { 'pod-template-hash': hash }) },
      annotations: { 'prometheus.io/scrape': 'true' },
    },
    spec: {
      containers: [
        {
          name: 'api',
          image: `ghcr.io/acme/api:${version}`,
          ports: [{ containerPort: 8080 }],
          env: [{ name: 'VERSION', value: version }],
        },
      ],
    },
  };
}

function deployment(version: string, extra: { paused?: boolean; annotations?: Record<string, string> } = {}) {
  const value: V1Deployment = {
    metadata: {
      name: 'api',
      namespace: 'prod',
      uid: DEPLOYMENT_UID,
      annotations: extra.annotations ?? {
        [REVISION]: '3',
        'kubernetes.io/change-cause': `rollgate deploy ${version}`,
      },
    },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'api' } },
      template: template(version),
      ...(extra.paused === undefined ? {} : { paused: extra.paused }),
    },
  };
  return value;
}

/** An ownerReference to a Deployment: by default the controller reference to `api`. */
function ownerRef(
  change: { uid?: string; name?: string; controller?: boolean | 'unset' } = {},
): V1OwnerReference {
  const controller = change.controller ?? true;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: change.name ?? 'api',
    uid: change.uid ?? DEPLOYMENT_UID,
    ...(controller === 'unset' ? {} : { controller, blockOwnerDeletion: true }),
  };
}

const controlledByApi = ownerRef();

/** A ReplicaSet the Deployment controller made for `version` at `revision`. */
function replicaSet(
  revision: string | undefined,
  version: string,
  owner: V1OwnerReference[] | 'orphan' = [controlledByApi],
  annotations: Record<string, string> = {},
): V1ReplicaSet {
  const hash = `h${version.replace(/\W/g, '')}`;
  return {
    metadata: {
      name: `api-${hash}`,
      namespace: 'prod',
      annotations: {
        ...(revision === undefined ? {} : { [REVISION]: revision }),
        'deployment.kubernetes.io/desired-replicas': '3',
        'deployment.kubernetes.io/max-replicas': '4',
        'kubernetes.io/change-cause': `rollgate deploy ${version}`,
        ...annotations,
      },
      ...(owner === 'orphan' ? {} : { ownerReferences: owner }),
    },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'api', 'pod-template-hash': hash } },
      template: template(version, hash),
    },
  };
}

function errorOf(run: () => unknown): RollgateError {
  try {
    run();
  } catch (error) {
    if (error instanceof RollgateError) return error;
    throw error;
  }
  throw new Error('expected a RollgateError, got none');
}

describe('revisionOf', () => {
  test.each([
    [{ [REVISION]: '1' }, 1],
    [{ [REVISION]: '3' }, 3],
    [{ [REVISION]: '10' }, 10],
    [{ [REVISION]: '007' }, 7],
    [{ [REVISION]: '' }, undefined],
    [{ [REVISION]: 'three' }, undefined],
    [{ [REVISION]: '1.5' }, undefined],
    [{ [REVISION]: '-1' }, undefined],
    [{ [REVISION]: ' 2' }, undefined],
    [{ 'deployment.kubernetes.io/revision-history': '1,2' }, undefined],
    [{}, undefined],
  ])('annotations %j → %p', (annotations, revision) => {
    expect(revisionOf({ metadata: { annotations } })).toBe(revision);
  });

  test.each([[{}], [{ metadata: {} }]])('an object without annotations %j has no revision', (object) => {
    expect(revisionOf(object)).toBeUndefined();
  });
});

describe('ownedReplicaSets', () => {
  test.each<[string, V1OwnerReference[] | 'orphan', boolean]>([
    ['the controller reference carries the Deployment uid', [controlledByApi], true],
    [
      'a non-controller reference sits beside the controller one',
      [ownerRef({ name: 'api-canary', uid: 'another-uid', controller: false }), controlledByApi],
      true,
    ],
    ['another Deployment controls it', [ownerRef({ name: 'api-canary', uid: 'another-uid' })], false],
    ['the same name but another uid (a re-created Deployment)', [ownerRef({ uid: 'old-uid' })], false],
    ['the reference to the Deployment is not a controller', [ownerRef({ controller: false })], false],
    ['the reference to the Deployment does not say controller', [ownerRef({ controller: 'unset' })], false],
    ['it has no owner references (orphaned)', 'orphan', false],
    ['it has an empty owner reference list', [], false],
  ])('keeps a ReplicaSet when %s: %p', (_case, owner, kept) => {
    const rs = replicaSet('1', '1.0.0', owner);
    expect(ownedReplicaSets(deployment('1.0.0'), [rs])).toEqual(kept ? [rs] : []);
  });

  test('keeps the owned ones in the order listed', () => {
    const one = replicaSet('1', '1.0.0');
    const foreign = replicaSet('9', '9.0.0', [ownerRef({ uid: 'another-uid' })]);
    const two = replicaSet('2', '2.0.0');
    expect(ownedReplicaSets(deployment('2.0.0'), [two, foreign, one])).toEqual([two, one]);
  });
});

describe('planUndo: which revision', () => {
  test.each([
    [['1', '2', '3'], 2],
    [['3', '1', '2'], 2],
    [['2', '3'], 2],
    [['5', '9'], 5],
    [['1', '2', '10'], 2],
    [['10', '9', '11'], 10],
    [['4', '12', '7'], 7],
  ])('among revisions %j goes back to revision %d by default', (revisions, expected) => {
    const sets = revisions.map((revision) => replicaSet(revision, `${revision}.0.0`));
    const plan = planUndo(deployment('current'), sets);
    expect(plan.toRevision).toBe(expected);
    expect(plan.replicaSet).toBe(sets[revisions.indexOf(String(expected))]);
  });

  test.each([
    [1, '1.0.0'],
    [2, '2.0.0'],
  ])('goes to exactly revision %d when asked', (toRevision, version) => {
    const sets = [replicaSet('1', '1.0.0'), replicaSet('2', '2.0.0'), replicaSet('3', '3.0.0')];
    const plan = planUndo(deployment('3.0.0'), sets, toRevision);
    expect(plan.kind).toBe('patch');
    expect(plan.toRevision).toBe(toRevision);
    expect(plan.replicaSet.spec?.template?.spec?.containers[0]?.image).toBe(`ghcr.io/acme/api:${version}`);
  });

  test('ignores ReplicaSets another controller owns, however recent', () => {
    const sets = [
      replicaSet('1', '1.0.0'),
      replicaSet('2', '2.0.0'),
      replicaSet('7', '7.0.0', [ownerRef({ name: 'api-canary', uid: 'canary-uid' })]),
      replicaSet('8', '8.0.0', [ownerRef({ controller: false })]),
      replicaSet('9', '9.0.0', 'orphan'),
    ];
    const plan = planUndo(deployment('2.0.0'), sets);
    expect(plan.toRevision).toBe(1);
    expect(() => planUndo(deployment('2.0.0'), sets, 7)).toThrow(
      'Revision 7 of deployment api was not found in its history.',
    );
  });

  test('ignores ReplicaSets whose revision is not a number', () => {
    const sets = [replicaSet('1', '1.0.0'), replicaSet('latest', 'x'), replicaSet('3', '3.0.0')];
    expect(planUndo(deployment('3.0.0'), sets).toRevision).toBe(1);
  });
});

describe('planUndo: refusals', () => {
  const noHistory = 'No rollout history found for deployment api.';
  test.each<[string, V1ReplicaSet[]]>([
    ['no ReplicaSet at all', []],
    ['a single revision', [replicaSet('1', '1.0.0')]],
    [
      'only ReplicaSets of another Deployment',
      [1, 2, 3].map((r) => replicaSet(String(r), `${r}.0.0`, [ownerRef({ uid: 'x' })])),
    ],
    [
      'one owned revision beside a foreign one',
      [replicaSet('2', '2.0.0'), replicaSet('1', '1.0.0', [ownerRef({ uid: 'x' })])],
    ],
  ])('no rollout history with %s', (_case, sets) => {
    const error = errorOf(() => planUndo(deployment('2.0.0'), sets));
    expect(error.message).toBe(noHistory);
    expect(error.fix).not.toBe('');
  });

  test.each([
    [4, '1, 2, 3'],
    [-1, '1, 2, 3'],
  ])('revision %d not in history names the kept ones (%s)', (toRevision, kept) => {
    const sets = [replicaSet('3', '3.0.0'), replicaSet('1', '1.0.0'), replicaSet('2', '2.0.0')];
    const error = errorOf(() => planUndo(deployment('3.0.0'), sets, toRevision));
    expect(error.message).toBe(`Revision ${toRevision} of deployment api was not found in its history.`);
    expect(error.why).toContain(`The revisions kept are ${kept} `);
  });

  test('revision not found when nothing is kept says none', () => {
    const error = errorOf(() => planUndo(deployment('3.0.0'), [], 2));
    expect(error.message).toBe('Revision 2 of deployment api was not found in its history.');
    expect(error.why).toContain('The revisions kept are none ');
  });

  test.each([[undefined], [1]])(
    'refuses a paused Deployment (to-revision %p) and says how to resume',
    (toRevision) => {
      const sets = [replicaSet('1', '1.0.0'), replicaSet('2', '2.0.0')];
      const error = errorOf(() => planUndo(deployment('2.0.0', { paused: true }), sets, toRevision));
      expect(error.message).toBe('Deployment api is paused.');
      expect(error.fix).toContain(`'kubectl rollout resume deployment/api'`);
    },
  );

  test('refuses a paused Deployment before checking whether the template already matches', () => {
    const sets = [replicaSet('1', '1.0.0'), replicaSet('2', '2.0.0')];
    const error = errorOf(() => planUndo(deployment('2.0.0', { paused: true }), sets, 2));
    expect(error.message).toBe('Deployment api is paused.');
  });

  test('a Deployment explicitly not paused rolls back', () => {
    const sets = [replicaSet('1', '1.0.0'), replicaSet('2', '2.0.0')];
    expect(planUndo(deployment('2.0.0', { paused: false }), sets).kind).toBe('patch');
  });

  test('looks up the revision before refusing a paused Deployment, as kubectl does', () => {
    const error = errorOf(() => planUndo(deployment('1.0.0', { paused: true }), [replicaSet('1', '1.0.0')]));
    expect(error.message).toBe('No rollout history found for deployment api.');
  });
});

describe('planUndo: skip when the template already matches', () => {
  test('skips when asked for the revision already running (kubectl message)', () => {
    const sets = [replicaSet('1', '1.0.0'), replicaSet('2', '2.0.0')];
    const plan = planUndo(deployment('2.0.0'), sets, 2);
    expect(plan).toEqual({
      kind: 'skip',
      toRevision: 2,
      replicaSet: sets[1],
      message: 'skipped rollback (current template already matches revision 2)',
    });
  });

  test('skips when the previous revision already matches, ignoring pod-template-hash', () => {
    const sets = [replicaSet('1', '1.0.0'), replicaSet('2', '2.0.0'), replicaSet('3', '3.0.0')];
    const plan = planUndo(deployment('2.0.0'), sets);
    expect(plan.kind).toBe('skip');
    expect(plan.toRevision).toBe(2);
  });

  test('a template carrying its own pod-template-hash still matches', () => {
    const current = deployment('1.0.0');
    current.spec!.template.metadata!.labels!['pod-template-hash'] = 'stale';
    expect(planUndo(current, [replicaSet('1', '1.0.0'), replicaSet('2', '2.0.0')], 1).kind).toBe('skip');
  });

  test('key order does not make templates differ', () => {
    const current = deployment('1.0.0');
    const { metadata, spec } = template('1.0.0');
    current.spec!.template = {
      spec: spec!,
      metadata: { annotations: metadata!.annotations!, labels: { tier: 'web', app: 'api' } },
    };
    expect(planUndo(current, [replicaSet('1', '1.0.0'), replicaSet('2', '2.0.0')], 1).kind).toBe('skip');
  });

  test.each<[string, (t: V1PodTemplateSpec) => void]>([
    ['another label', (t) => (t.metadata!.labels!.track = 'canary')],
    ['a missing template annotation', (t) => delete t.metadata!.annotations],
    ['an environment variable', (t) => (t.spec!.containers[0]!.env = [{ name: 'VERSION', value: 'other' }])],
    ['a container port', (t) => (t.spec!.containers[0]!.ports = [{ containerPort: 9090 }])],
  ])('a template that differs by %s is patched', (_case, change) => {
    const current = deployment('1.0.0');
    change(current.spec!.template);
    expect(planUndo(current, [replicaSet('1', '1.0.0'), replicaSet('2', '2.0.0')], 1).kind).toBe('patch');
  });
});

describe('planUndo: the JSON patch', () => {
  const ownAnnotations = {
    [REVISION]: '3',
    'deployment.kubernetes.io/revision-history': '1',
    'deployment.kubernetes.io/desired-replicas': '3',
    'deployment.kubernetes.io/max-replicas': '4',
    'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Deployment"}',
    'deprecated.deployment.rollback.to': '0',
    'kubernetes.io/change-cause': 'rollgate deploy 3.0.0',
    'rollgate.dev/version': '3.0.0',
    'team.acme.io/owner': 'payments',
  };
  const previous = replicaSet('2', '2.0.0', [controlledByApi], {
    'deployment.kubernetes.io/revision-history': '0',
    'deployment.kubernetes.io/desired-replicas': '5',
    'deployment.kubernetes.io/max-replicas': '6',
    'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"ReplicaSet"}',
    'deprecated.deployment.rollback.to': '9',
    'rollgate.dev/version': '2.0.0',
    'rollgate.dev/sha': 'abc1234',
  });
  const sets = [replicaSet('3', '3.0.0'), previous, replicaSet('1', '1.0.0')];

  test('replaces /spec/template without the hash label and /metadata/annotations', () => {
    const plan = planUndo(deployment('3.0.0', { annotations: ownAnnotations }), sets);
    expect(plan).toEqual({
      kind: 'patch',
      toRevision: 2,
      replicaSet: previous,
      patch: [
        {
          op: 'replace',
          path: '/spec/template',
          value: {
            metadata: {
              labels: { app: 'api', tier: 'web' },
              annotations: { 'prometheus.io/scrape': 'true' },
            },
            spec: {
              containers: [
                {
                  name: 'api',
                  image: 'ghcr.io/acme/api:2.0.0',
                  ports: [{ containerPort: 8080 }],
                  env: [{ name: 'VERSION', value: '2.0.0' }],
                },
              ],
            },
          },
        },
        {
          op: 'replace',
          path: '/metadata/annotations',
          value: {
            [REVISION]: '3',
            'deployment.kubernetes.io/revision-history': '1',
            'deployment.kubernetes.io/desired-replicas': '3',
            'deployment.kubernetes.io/max-replicas': '4',
            'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Deployment"}',
            'deprecated.deployment.rollback.to': '0',
            'kubernetes.io/change-cause': 'rollgate deploy 2.0.0',
            'rollgate.dev/version': '2.0.0',
            'rollgate.dev/sha': 'abc1234',
          },
        },
      ],
    });
  });

  test('does not take the bookkeeping annotations from the ReplicaSet when the Deployment lacks them', () => {
    const plan = planUndo(deployment('3.0.0', { annotations: { 'rollgate.dev/version': '3.0.0' } }), sets);
    expect(plan.kind === 'patch' ? plan.patch[1] : undefined).toEqual({
      op: 'replace',
      path: '/metadata/annotations',
      value: {
        'kubernetes.io/change-cause': 'rollgate deploy 2.0.0',
        'rollgate.dev/version': '2.0.0',
        'rollgate.dev/sha': 'abc1234',
      },
    });
  });

  test('a Deployment without annotations takes only the ReplicaSet ones', () => {
    const current = deployment('3.0.0');
    delete current.metadata!.annotations;
    const plan = planUndo(current, [replicaSet('1', '1.0.0'), replicaSet('2', '2.0.0')]);
    expect(plan.kind === 'patch' ? plan.patch[1]?.value : undefined).toEqual({
      'kubernetes.io/change-cause': 'rollgate deploy 1.0.0',
    });
  });

  test('leaves the Deployment and the ReplicaSets it was given untouched', () => {
    const current = deployment('3.0.0', { annotations: ownAnnotations });
    const before = JSON.parse(JSON.stringify({ current, sets })) as unknown;
    planUndo(current, sets);
    expect(JSON.parse(JSON.stringify({ current, sets }))).toEqual(before);
    expect(previous.spec?.template?.metadata?.labels?.['pod-template-hash']).toBe('h200');
  });
});

describe('planUndo: the previous good revision', () => {
  const OUTCOME = 'rollgate.dev/outcome';
  const HISTORY = 'deployment.kubernetes.io/revision-history';
  /** `[revision, version, outcome?, revision-history?]` per ReplicaSet. */
  type Row = [string, string, string?, string?];
  const sets = (rows: readonly Row[]) =>
    rows.map(([revision, version, outcome, history]) =>
      replicaSet(revision, version, [controlledByApi], {
        'rollgate.dev/version': version,
        ...(outcome === undefined ? {} : { [OUTCOME]: outcome }),
        ...(history === undefined ? {} : { [HISTORY]: history }),
      }),
    );

  test.each<[string, string, Row[], number, 'patch' | 'skip', string]>([
    [
      'nothing recorded: kubectl’s second-highest',
      '3.0.0',
      [
        ['1', '1.0.0'],
        ['2', '2.0.0'],
        ['3', '3.0.0'],
      ],
      2,
      'patch',
      '2.0.0',
    ],
    [
      'the current revision failed: the one before it',
      '3.0.0',
      [
        ['1', '1.0.0', 'success'],
        ['2', '2.0.0', 'success'],
        ['3', '3.0.0', 'failed'],
      ],
      2,
      'patch',
      '2.0.0',
    ],
    [
      'passes over a revision recorded failed',
      '3.0.0',
      [
        ['1', '1.0.0', 'success'],
        ['2', '2.0.0', 'failed'],
        ['3', '3.0.0'],
      ],
      1,
      'patch',
      '1.0.0',
    ],
    [
      'passes over a revision recorded rolled-back, and a failed one',
      '4.0.0',
      [
        ['1', '1.0.0'],
        ['2', '2.0.0', 'rolled-back'],
        ['3', '3.0.0', 'failed'],
        ['4', '4.0.0'],
      ],
      1,
      'patch',
      '1.0.0',
    ],
    [
      'an outcome word Rollgate never writes counts as not recorded',
      '3.0.0',
      [
        ['1', '1.0.0'],
        ['2', '2.0.0', 'unknown'],
        ['3', '3.0.0'],
      ],
      2,
      'patch',
      '2.0.0',
    ],
    [
      'after 1.0.0 → 2.0.0 → a failed 3.0.0 rolled back automatically: 2.0.0 (revision 2, now 4) already runs',
      '2.0.0',
      [
        ['1', '1.0.0', 'success'],
        ['3', '3.0.0', 'rolled-back'],
        ['4', '2.0.0', 'success', '2'],
      ],
      2,
      'skip',
      '2.0.0',
    ],
    [
      'a second rollback right after a manual one does not walk further back on its own',
      '1.0.0',
      [
        ['2', '2.0.0', 'rolled-back'],
        ['3', '1.0.0', 'success', '1'],
      ],
      1,
      'skip',
      '1.0.0',
    ],
    [
      'a deploy after an automatic rollback goes back to the restored version, by its current number',
      '5.0.0',
      [
        ['1', '1.0.0', 'success'],
        ['3', '3.0.0', 'rolled-back'],
        ['4', '2.0.0', 'success', '2'],
        ['5', '5.0.0', 'success'],
      ],
      4,
      'patch',
      '2.0.0',
    ],
    [
      'a re-used ReplicaSet with a long history still counts at its newest number',
      '4.0.0',
      [
        ['5', '1.0.0', 'success', '1,3'],
        ['4', '2.0.0', 'failed'],
        ['6', '4.0.0'],
      ],
      5,
      'patch',
      '1.0.0',
    ],
  ])('%s', (_case, running, rows, revision, kind, version) => {
    const plan = planUndo(deployment(running), sets(rows));
    expect(plan.kind).toBe(kind);
    expect(plan.toRevision).toBe(revision);
    expect(plan.replicaSet.metadata?.annotations?.['rollgate.dev/version']).toBe(version);
  });

  test('refuses when every earlier revision was recorded bad, naming them and the way out', () => {
    const error = errorOf(() =>
      planUndo(
        deployment('3.0.0'),
        sets([
          ['1', '1.0.0', 'rolled-back'],
          ['2', '2.0.0', 'failed'],
          ['3', '3.0.0'],
        ]),
      ),
    );
    expect(error.message).toBe('No good revision of deployment api to go back to.');
    expect(error.why).toBe(
      'Rollgate recorded every revision before the current one (3) as failed or rolled back: 2 (2.0.0) failed, 1 (1.0.0) rolled-back.',
    );
    expect(error.fix).toContain("'to-revision' or 'to-version'");
  });

  test('a named revision is taken even when it was recorded failed', () => {
    const plan = planUndo(
      deployment('3.0.0'),
      sets([
        ['1', '1.0.0'],
        ['2', '2.0.0', 'failed'],
        ['3', '3.0.0'],
      ]),
      2,
    );
    expect(plan).toMatchObject({ kind: 'patch', toRevision: 2 });
  });

  test('the outcome stays on the ReplicaSet: the Deployment does not take it in the patch', () => {
    const plan = planUndo(
      deployment('3.0.0'),
      sets([
        ['2', '2.0.0', 'success'],
        ['3', '3.0.0', 'failed'],
      ]),
    );
    const annotations = (plan.kind === 'patch' ? plan.patch[1]?.value : undefined) as Record<string, string>;
    expect(annotations['rollgate.dev/version']).toBe('2.0.0');
    expect(annotations).not.toHaveProperty(OUTCOME);
  });
});
