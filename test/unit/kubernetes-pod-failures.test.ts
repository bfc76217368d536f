import { describe, expect, test } from '@jest/globals';
import type { V1ContainerState, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import {
  DEFAULT_RESTART_THRESHOLD,
  FATAL_WAITING_REASONS,
  describePodFailure,
  findPodFailures,
  type PodFailure,
} from '../../src/kubernetes/pod-failures.ts';

const running: V1ContainerState = { running: { startedAt: new Date('2025-01-01T00:00:00Z') } };

function waiting(reason: string, message?: string): V1ContainerState {
  return { waiting: { reason, ...(message === undefined ? {} : { message }) } };
}

function container(
  name: string,
  state: V1ContainerState,
  restartCount = 0,
  lastState?: V1ContainerState,
  // A container that just restarted runs but is not ready yet; one that settled is both.
  ready = state.running !== undefined && restartCount === 0,
): V1ContainerStatus {
  return {
    name,
    image: `ghcr.io/acme/${name}:1.4.0`,
    imageID: '',
    ready,
    restartCount,
    state,
    ...(lastState === undefined ? {} : { lastState }),
  };
}

function pod(name: string, containers: V1ContainerStatus[], init: V1ContainerStatus[] = []): V1Pod {
  return {
    metadata: { name, namespace: 'prod', labels: { app: 'api' } },
    status: {
      phase: 'Pending',
      containerStatuses: containers,
      ...(init.length === 0 ? {} : { initContainerStatuses: init }),
    },
  };
}

function exited(exitCode: number, reason?: string): V1ContainerState {
  return {
    terminated: {
      exitCode,
      startedAt: new Date('2025-01-01T00:00:00Z'),
      finishedAt: new Date('2025-01-01T00:00:05Z'),
      ...(reason === undefined ? {} : { reason }),
    },
  };
}

describe('findPodFailures: fatal waiting reasons', () => {
  test.each([
    ['CrashLoopBackOff', 'back-off 10s restarting failed container=api pod=api-7d4b9-x2k4q', 2],
    ['ImagePullBackOff', 'Back-off pulling image "ghcr.io/acme/api:1.4.1"', 0],
    ['ErrImagePull', 'rpc error: code = NotFound desc = manifest unknown', 0],
    ['CreateContainerConfigError', 'secret "api-env" not found', 0],
    ['InvalidImageName', 'Failed to apply default image tag "ghcr.io/acme/API:1"', 0],
    ['CreateContainerError', 'container name "/k8s_api" is already in use', 1],
  ])('%s fails the pod at once', (reason, message, restarts) => {
    const pods = [pod('api-7d4b9-x2k4q', [container('api', waiting(reason, message), restarts)])];
    expect(findPodFailures(pods)).toEqual([
      { pod: 'api-7d4b9-x2k4q', container: 'api', reason, message, restarts },
    ]);
  });

  test('lists exactly the six reasons that do not resolve by waiting', () => {
    expect([...FATAL_WAITING_REASONS].sort()).toEqual([
      'CrashLoopBackOff',
      'CreateContainerConfigError',
      'CreateContainerError',
      'ErrImagePull',
      'ImagePullBackOff',
      'InvalidImageName',
    ]);
  });

  test('a fatal reason without a message reports an empty message', () => {
    expect(findPodFailures([pod('api-1', [container('api', waiting('ErrImagePull'))])])).toEqual([
      { pod: 'api-1', container: 'api', reason: 'ErrImagePull', message: '', restarts: 0 },
    ]);
  });

  test.each(['ContainerCreating', 'PodInitializing', 'crashloopbackoff', ''])(
    'waiting in %j is not a failure',
    (reason) => {
      expect(findPodFailures([pod('api-1', [container('api', waiting(reason, 'just wait'))])])).toEqual([]);
    },
  );

  test('a fatal reason past the restart threshold is reported once, by its reason', () => {
    const status = container('api', waiting('CrashLoopBackOff', 'back-off 5m0s'), 12, exited(1, 'Error'));
    expect(findPodFailures([pod('api-1', [status])])).toEqual([
      { pod: 'api-1', container: 'api', reason: 'CrashLoopBackOff', message: 'back-off 5m0s', restarts: 12 },
    ]);
  });
});

describe('findPodFailures: init containers', () => {
  test('an init container that crash-loops fails the pod', () => {
    const pods = [
      pod(
        'api-1',
        [container('api', waiting('PodInitializing'))],
        [container('migrate', waiting('CrashLoopBackOff', 'back-off 20s'), 2)],
      ),
    ];
    expect(findPodFailures(pods)).toEqual([
      {
        pod: 'api-1',
        container: 'migrate',
        reason: 'CrashLoopBackOff',
        message: 'back-off 20s',
        restarts: 2,
      },
    ]);
  });

  test('an init container that cannot pull its image fails the pod', () => {
    const pods = [
      pod('api-1', [], [container('fetch-config', waiting('ImagePullBackOff', 'Back-off pulling'))]),
    ];
    expect(findPodFailures(pods).map((f) => `${f.container}:${f.reason}`)).toEqual([
      'fetch-config:ImagePullBackOff',
    ]);
  });

  test('an init container that restarted too often fails the pod', () => {
    const pods = [pod('api-1', [], [container('migrate', running, 3, exited(2))])];
    expect(findPodFailures(pods)).toEqual([
      {
        pod: 'api-1',
        container: 'migrate',
        reason: 'Restarted 3 times',
        message: 'last exit code 2',
        restarts: 3,
      },
    ]);
  });

  test('init containers are reported before the app containers', () => {
    const pods = [
      pod(
        'api-1',
        [container('api', waiting('CreateContainerConfigError'))],
        [container('init', waiting('ErrImagePull'))],
      ),
    ];
    expect(findPodFailures(pods).map((f) => f.container)).toEqual(['init', 'api']);
  });
});

describe('findPodFailures: restarts', () => {
  test('the default threshold is 3 restarts', () => {
    expect(DEFAULT_RESTART_THRESHOLD).toBe(3);
  });

  test('a container that restarted past the threshold but is ready again does not fail the rollout', () => {
    const settled = container('api', { running: { startedAt: new Date() } }, 5, undefined, true);
    expect(
      findPodFailures([{ metadata: { name: 'api-1' }, status: { containerStatuses: [settled] } }]),
    ).toEqual([]);
  });

  test.each([
    [0, undefined, false],
    [2, undefined, false],
    [3, undefined, true],
    [7, undefined, true],
    [1, 1, true],
    [0, 1, false],
    [5, 10, false],
    [10, 10, true],
  ])('%d restarts with threshold %p → failing: %p', (restarts, threshold, failing) => {
    const pods = [pod('api-1', [container('api', running, restarts, exited(1, 'Error'))])];
    expect(findPodFailures(pods, threshold)).toEqual(
      failing
        ? [
            {
              pod: 'api-1',
              container: 'api',
              reason: `Restarted ${restarts} times`,
              message: 'last exit code 1 (Error)',
              restarts,
            },
          ]
        : [],
    );
  });

  test.each<[string, V1ContainerState | undefined, string]>([
    ['an OOM kill', exited(137, 'OOMKilled'), 'last exit code 137 (OOMKilled)'],
    ['an error exit', exited(1, 'Error'), 'last exit code 1 (Error)'],
    ['an exit without a reason', exited(2), 'last exit code 2'],
    ['a clean exit', exited(0, 'Completed'), 'last exit code 0 (Completed)'],
    ['no last state', undefined, ''],
    ['a last state that was only waiting', waiting('ContainerCreating'), ''],
  ])('says how it last ended after %s', (_case, lastState, message) => {
    const [failure] = findPodFailures([pod('api-1', [container('api', running, 4, lastState)])]);
    expect(failure).toEqual({
      pod: 'api-1',
      container: 'api',
      reason: 'Restarted 4 times',
      message,
      restarts: 4,
    });
  });
});

describe('findPodFailures: healthy and several pods', () => {
  test.each<[string, V1Pod[]]>([
    ['no pods', []],
    ['a pod without status yet', [{ metadata: { name: 'api-1' } }]],
    ['a pod without container statuses', [{ metadata: { name: 'api-1' }, status: { phase: 'Pending' } }]],
    ['running containers', [pod('api-1', [container('api', running), container('proxy', running, 1)])]],
    ['a container still being created', [pod('api-1', [container('api', waiting('ContainerCreating'))])]],
    [
      'a completed init container',
      [pod('api-1', [container('api', running)], [container('migrate', exited(0, 'Completed'))])],
    ],
    [
      'a container terminated once and running again',
      [pod('api-1', [container('api', running, 1, exited(1))])],
    ],
  ])('nothing fails with %s', (_case, pods) => {
    expect(findPodFailures(pods)).toEqual([]);
  });

  test('reports every failing container of every pod, in order, and skips the healthy ones', () => {
    const pods = [
      pod('api-7d4b9-aaaaa', [container('api', running), container('proxy', running)]),
      pod('api-7d4b9-bbbbb', [
        container('api', waiting('CrashLoopBackOff', 'back-off 40s'), 3),
        container('proxy', waiting('ImagePullBackOff', 'Back-off pulling image')),
      ]),
      pod('api-7d4b9-ccccc', [
        container('api', running, 6, exited(137, 'OOMKilled')),
        container('proxy', running),
      ]),
    ];
    expect(findPodFailures(pods)).toEqual([
      {
        pod: 'api-7d4b9-bbbbb',
        container: 'api',
        reason: 'CrashLoopBackOff',
        message: 'back-off 40s',
        restarts: 3,
      },
      {
        pod: 'api-7d4b9-bbbbb',
        container: 'proxy',
        reason: 'ImagePullBackOff',
        message: 'Back-off pulling image',
        restarts: 0,
      },
      {
        pod: 'api-7d4b9-ccccc',
        container: 'api',
        reason: 'Restarted 6 times',
        message: 'last exit code 137 (OOMKilled)',
        restarts: 6,
      },
    ]);
  });

  test('a pod without a name is reported with an empty name', () => {
    const unnamed: V1Pod = { status: { containerStatuses: [container('api', waiting('ErrImagePull'))] } };
    expect(findPodFailures([unnamed]).map((f) => f.pod)).toEqual(['']);
  });
});

describe('describePodFailure', () => {
  test.each<[PodFailure, string]>([
    [
      {
        pod: 'api-7d4b9-x2k4q',
        container: 'api',
        reason: 'CrashLoopBackOff',
        message: 'back-off 10s restarting failed container',
        restarts: 4,
      },
      'api-7d4b9-x2k4q/api: CrashLoopBackOff (back-off 10s restarting failed container), 4 restarts',
    ],
    [
      { pod: 'api-1', container: 'api', reason: 'ErrImagePull', message: '', restarts: 0 },
      'api-1/api: ErrImagePull',
    ],
    [
      {
        pod: 'api-1',
        container: 'api',
        reason: 'ImagePullBackOff',
        message: 'Back-off pulling image',
        restarts: 0,
      },
      'api-1/api: ImagePullBackOff (Back-off pulling image)',
    ],
    [
      { pod: 'api-1', container: 'migrate', reason: 'CrashLoopBackOff', message: '', restarts: 1 },
      'api-1/migrate: CrashLoopBackOff, 1 restarts',
    ],
    [
      {
        pod: 'api-1',
        container: 'api',
        reason: 'Restarted 5 times',
        message: 'last exit code 137 (OOMKilled)',
        restarts: 5,
      },
      'api-1/api: Restarted 5 times (last exit code 137 (OOMKilled))',
    ],
    [
      { pod: 'api-1', container: 'api', reason: 'Restarted 3 times', message: '', restarts: 3 },
      'api-1/api: Restarted 3 times',
    ],
  ])('%j → %s', (failure, text) => {
    expect(describePodFailure(failure)).toBe(text);
  });

  test('describes what findPodFailures found', () => {
    const pods = [pod('api-7d4b9-x2k4q', [container('api', waiting('CrashLoopBackOff', 'back-off 10s'), 4)])];
    expect(findPodFailures(pods).map(describePodFailure)).toEqual([
      'api-7d4b9-x2k4q/api: CrashLoopBackOff (back-off 10s), 4 restarts',
    ]);
  });
});
