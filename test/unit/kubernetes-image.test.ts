import { describe, expect, test } from '@jest/globals';
import type { V1Container, V1Deployment, V1LabelSelector } from '@kubernetes/client-node';
import { InputError } from '../../src/errors.ts';
import { traceAnnotations, VERSION_ANNOTATION, type TraceFacts } from '../../src/kubernetes/annotations.ts';
import { isImageOf, parseImageReference } from '../../src/kubernetes/image.ts';
import { labelSelectorString } from '../../src/kubernetes/selectors.ts';
import { imagePatch, planImageChanges } from '../../src/kubernetes/set-image.ts';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

function inputErrorOf(run: () => unknown): InputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError, got none');
}

describe('parseImageReference', () => {
  test.each([
    // Docker Hub names are canonicalised (distribution/reference normalize.go)
    ['nginx', 'docker.io/library/nginx', undefined, undefined],
    ['nginx:1.27', 'docker.io/library/nginx', '1.27', undefined],
    ['nginx:latest', 'docker.io/library/nginx', 'latest', undefined],
    ['library/nginx:1.27', 'docker.io/library/nginx', '1.27', undefined],
    ['docker.io/library/nginx:1.25', 'docker.io/library/nginx', '1.25', undefined],
    ['docker.io/nginx:1.25', 'docker.io/library/nginx', '1.25', undefined],
    ['index.docker.io/library/nginx', 'docker.io/library/nginx', undefined, undefined],
    ['acme/api:v2', 'docker.io/acme/api', 'v2', undefined],
    ['docker.io/acme/api:v2', 'docker.io/acme/api', 'v2', undefined],
    ['acme/team/api', 'docker.io/acme/team/api', undefined, undefined],
    ['my_app:1.0', 'docker.io/library/my_app', '1.0', undefined],
    ['my-app.server:1.0', 'docker.io/library/my-app.server', '1.0', undefined],
    // other registries stay as written
    ['ghcr.io/acme/api:1.4.0', 'ghcr.io/acme/api', '1.4.0', undefined],
    ['gcr.io/project/sub/image:tag_1', 'gcr.io/project/sub/image', 'tag_1', undefined],
    [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:2025-01-01',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api',
      '2025-01-01',
      undefined,
    ],
    // registries with ports, and localhost
    ['registry.example.com:5000/team/app', 'registry.example.com:5000/team/app', undefined, undefined],
    ['registry.example.com:5000/team/app:2.1', 'registry.example.com:5000/team/app', '2.1', undefined],
    ['localhost:5000/app', 'localhost:5000/app', undefined, undefined],
    ['localhost:5000/app:dev', 'localhost:5000/app', 'dev', undefined],
    ['localhost/app:dev', 'localhost/app', 'dev', undefined],
    ['127.0.0.1:5000/app:1', '127.0.0.1:5000/app', '1', undefined],
    ['kind-registry:5000/app:1', 'kind-registry:5000/app', '1', undefined],
    // digests
    [`nginx@${DIGEST}`, 'docker.io/library/nginx', undefined, DIGEST],
    [`ghcr.io/acme/api@${DIGEST}`, 'ghcr.io/acme/api', undefined, DIGEST],
    [`ghcr.io/acme/api:1.4.0@${DIGEST}`, 'ghcr.io/acme/api', '1.4.0', DIGEST],
    [`localhost:5000/app@${DIGEST}`, 'localhost:5000/app', undefined, DIGEST],
    [`registry.example.com:5000/app:2@${DIGEST}`, 'registry.example.com:5000/app', '2', DIGEST],
    // surrounding whitespace from a workflow input
    ['  ghcr.io/acme/api:1.4.0\n', 'ghcr.io/acme/api', '1.4.0', undefined],
    // the longest tag Docker allows
    [`api:${'v'.repeat(128)}`, 'docker.io/library/api', 'v'.repeat(128), undefined],
  ])('%j → %s tag %p digest %p', (raw, repository, tag, digest) => {
    expect(parseImageReference('image', raw)).toEqual({ repository, tag, digest });
  });

  test.each([
    '',
    '   ',
    'Nginx',
    'nginx:1:2',
    'ghcr.io/acme/api:1.0/x',
    'a//b',
    'a..b',
    'a/b:5000/c',
    'https://ghcr.io/acme/api',
    'nginx:',
    ':1.0',
    '@' + DIGEST,
    'nginx@',
    'nginx:1.0@',
    'nginx:-rc1',
    'nginx:.hidden',
    `api:${'v'.repeat(129)}`,
    'nginx:1.0 extra',
    'nginx latest',
    '/nginx',
    'nginx/',
    '-nginx',
    'nginx-',
    'ghcr.io/acme/api:1.0!',
    'nginx@sha256:abc',
    `nginx@sha256:${'A'.repeat(64)}`,
    `nginx@sha512:${'a'.repeat(128)}`,
    `nginx@md5:${'a'.repeat(32)}`,
    `nginx@${DIGEST}@${DIGEST}`,
  ])('%j is not an image reference', (raw) => {
    const error = inputErrorOf(() => parseImageReference('image', raw));
    expect(error.input).toBe('image');
    expect(error.message).toBe(`Input 'image' is invalid: '${raw}' is not an image reference.`);
    expect(error.fix).toContain('repository:tag');
  });

  test('names the input the reference came from', () => {
    const error = inputErrorOf(() => parseImageReference('base-image', 'ghcr.io/acme/api:'));
    expect(error.input).toBe('base-image');
    expect(error.render()).toMatch(
      /^Input 'base-image' is invalid: 'ghcr\.io\/acme\/api:' is not an image reference\. /,
    );
  });
});

describe('isImageOf', () => {
  test.each([
    ['nginx:1.27', 'docker.io/library/nginx', true],
    ['docker.io/library/nginx:1.25', 'docker.io/library/nginx', true],
    [`nginx@${DIGEST}`, 'docker.io/library/nginx', true],
    ['ghcr.io/acme/api:1.3.0', 'ghcr.io/acme/api', true],
    ['ghcr.io/acme/api', 'ghcr.io/acme/api', true],
    ['ghcr.io/acme/api-worker:1.3.0', 'ghcr.io/acme/api', false],
    ['ghcr.io/acme/api:1.3.0', 'docker.io/acme/api', false],
    ['acme/api:1.3.0', 'ghcr.io/acme/api', false],
    ['registry.example.com:5000/api:1', 'registry.example.com/api', false],
    ['nginx:', 'docker.io/library/nginx', false],
    ['', 'docker.io/library/nginx', false],
  ])('%j is of %s: %p', (image, repository, expected) => {
    expect(isImageOf(image, repository)).toBe(expected);
  });
});

describe('planImageChanges', () => {
  function deployment(containers: V1Container[]): V1Deployment {
    return {
      metadata: { name: 'api', namespace: 'prod' },
      spec: {
        selector: { matchLabels: { app: 'api' } },
        template: { metadata: { labels: { app: 'api' } }, spec: { containers } },
      },
    };
  }

  const api = deployment([
    { name: 'api', image: 'ghcr.io/acme/api:1.3.0' },
    { name: 'worker', image: `ghcr.io/acme/api@${DIGEST}` },
    { name: 'proxy', image: 'envoyproxy/envoy:v1.30' },
    { name: 'cache', image: 'docker.io/library/redis:7' },
  ]);

  test.each([
    ['proxy', 'envoyproxy/envoy:v1.31', 'envoyproxy/envoy:v1.30'],
    ['api', 'ghcr.io/acme/api:1.4.0', 'ghcr.io/acme/api:1.3.0'],
    ['cache', 'ghcr.io/acme/other:1', 'docker.io/library/redis:7'],
  ])('the named container %s gets %s, whatever its current repository', (container, image, from) => {
    expect(planImageChanges(api, image, container)).toEqual([{ container, from, to: image }]);
  });

  test('a named container without an image changes from an empty image', () => {
    const bare = deployment([{ name: 'api' }]);
    expect(planImageChanges(bare, 'ghcr.io/acme/api:1.4.0', 'api')).toEqual([
      { container: 'api', from: '', to: 'ghcr.io/acme/api:1.4.0' },
    ]);
  });

  test.each([
    [
      api,
      'web',
      "deployment api has no container 'web'",
      'Use one of its containers: api, worker, proxy, cache.',
    ],
    [
      api,
      'API',
      "deployment api has no container 'API'",
      'Use one of its containers: api, worker, proxy, cache.',
    ],
    [deployment([]), 'api', "deployment api has no container 'api'", 'Use one of its containers: (none).'],
  ])('a missing container lists the ones that exist (%#)', (target, container, what, fix) => {
    const error = inputErrorOf(() => planImageChanges(target, 'ghcr.io/acme/api:1.4.0', container));
    expect(error.input).toBe('container');
    expect(error.message).toBe(`Input 'container' is invalid: ${what}.`);
    expect(error.fix).toBe(fix);
  });

  test.each([
    ['ghcr.io/acme/api:1.4.0', ['api', 'worker']],
    [`ghcr.io/acme/api@${DIGEST}`, ['api', 'worker']],
    ['envoyproxy/envoy:v1.31', ['proxy']],
    ['docker.io/envoyproxy/envoy:v1.31', ['proxy']],
    ['redis:7.2', ['cache']],
    ['library/redis:7.2', ['cache']],
  ])('without a container name, %s goes to every container of its repository: %j', (image, containers) => {
    const from: Record<string, string> = {
      api: 'ghcr.io/acme/api:1.3.0',
      worker: `ghcr.io/acme/api@${DIGEST}`,
      proxy: 'envoyproxy/envoy:v1.30',
      cache: 'docker.io/library/redis:7',
    };
    expect(planImageChanges(api, image, '')).toEqual(
      containers.map((container) => ({ container, from: from[container], to: image })),
    );
  });

  test('containers without an image or with an unparsable one never match', () => {
    const odd = deployment([
      { name: 'bare' },
      { name: 'broken', image: 'ghcr.io/acme/api:' },
      { name: 'api', image: 'ghcr.io/acme/api:1' },
    ]);
    expect(planImageChanges(odd, 'ghcr.io/acme/api:2', '')).toEqual([
      { container: 'api', from: 'ghcr.io/acme/api:1', to: 'ghcr.io/acme/api:2' },
    ]);
  });

  test.each([
    [
      api,
      'ghcr.io/acme/web:1.0',
      'ghcr.io/acme/web',
      'api: ghcr.io/acme/api:1.3.0, worker: ghcr.io/acme/api@' +
        DIGEST +
        ', proxy: envoyproxy/envoy:v1.30, cache: docker.io/library/redis:7',
    ],
    [
      deployment([{ name: 'api', image: 'ghcr.io/acme/api:1.3.0' }]),
      'acme/api:1.4.0',
      'docker.io/acme/api',
      'api: ghcr.io/acme/api:1.3.0',
    ],
    [deployment([{ name: 'api' }]), 'ghcr.io/acme/api:1.4.0', 'ghcr.io/acme/api', 'api: ?'],
    [deployment([]), 'ghcr.io/acme/api:1.4.0', 'ghcr.io/acme/api', 'none'],
  ])(
    'when no container runs the repository of %#, says what each runs',
    (target, image, repository, listed) => {
      const error = inputErrorOf(() => planImageChanges(target, image, ''));
      expect(error.input).toBe('container');
      expect(error.message).toBe(
        `Input 'container' is invalid: no container of deployment api runs an image of ${repository}.`,
      );
      expect(error.fix).toBe(`Name the container to update with 'container' (it has ${listed}).`);
    },
  );

  test('an image that is not a reference is refused as the image input when no container is named', () => {
    const error = inputErrorOf(() => planImageChanges(api, 'ghcr.io/acme/api:', ''));
    expect(error.input).toBe('image');
  });
});

describe('imagePatch', () => {
  test('sets each image by container name and records the annotations', () => {
    const patch = imagePatch(
      [
        { container: 'api', from: 'ghcr.io/acme/api:1.3.0', to: 'ghcr.io/acme/api:1.4.0' },
        { container: 'worker', from: 'ghcr.io/acme/api:1.3.0', to: 'ghcr.io/acme/api:1.4.0' },
      ],
      { [VERSION_ANNOTATION]: '1.4.0', 'kubernetes.io/change-cause': 'rollgate deploy 1.4.0' },
    );
    expect(patch).toEqual({
      metadata: {
        annotations: {
          'rollgate.dev/version': '1.4.0',
          'kubernetes.io/change-cause': 'rollgate deploy 1.4.0',
        },
      },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'api', image: 'ghcr.io/acme/api:1.4.0' },
              { name: 'worker', image: 'ghcr.io/acme/api:1.4.0' },
            ],
          },
        },
      },
    });
  });

  test('with no change it patches only the annotations', () => {
    expect(imagePatch([], {})).toEqual({
      metadata: { annotations: {} },
      spec: { template: { spec: { containers: [] } } },
    });
  });
});

describe('traceAnnotations', () => {
  const facts: TraceFacts = {
    version: '1.4.0',
    sha: '3f786850e387550fdab836ed7e6dc881de23001b',
    deploymentId: 1234567,
    runUrl: 'https://github.com/acme/api/actions/runs/42',
    actor: 'octocat',
  };

  test('records version, sha, deployment, run and a change cause', () => {
    expect(traceAnnotations(facts)).toEqual({
      'rollgate.dev/version': '1.4.0',
      'rollgate.dev/sha': '3f786850e387550fdab836ed7e6dc881de23001b',
      'rollgate.dev/deployment-id': '1234567',
      'rollgate.dev/run-url': 'https://github.com/acme/api/actions/runs/42',
      'kubernetes.io/change-cause': 'rollgate deploy 1.4.0 (3f78685) by octocat',
    });
  });

  test.each<[Partial<TraceFacts>, string | undefined, string]>([
    [{}, 'rollback', 'rollgate rollback 1.4.0 (3f78685) by octocat'],
    [{}, 'promote', 'rollgate promote 1.4.0 (3f78685) by octocat'],
    [{ actor: undefined }, undefined, 'rollgate deploy 1.4.0 (3f78685)'],
    [{ actor: '' }, undefined, 'rollgate deploy 1.4.0 (3f78685)'],
    [{ sha: '' }, undefined, 'rollgate deploy 1.4.0 by octocat'],
    [{ sha: 'abc' }, undefined, 'rollgate deploy 1.4.0 (abc) by octocat'],
    [{ sha: '', actor: undefined }, 'rollback', 'rollgate rollback 1.4.0'],
    [{ version: 'v2.0.0-rc.1' }, undefined, 'rollgate deploy v2.0.0-rc.1 (3f78685) by octocat'],
  ])('change cause with %j and verb %p → %s', (changes, verb, cause) => {
    expect(traceAnnotations({ ...facts, ...changes }, verb)['kubernetes.io/change-cause']).toBe(cause);
  });

  test.each<[Partial<TraceFacts>, string[]]>([
    [
      { deploymentId: undefined },
      ['rollgate.dev/version', 'rollgate.dev/sha', 'kubernetes.io/change-cause', 'rollgate.dev/run-url'],
    ],
    [
      { runUrl: undefined },
      [
        'rollgate.dev/version',
        'rollgate.dev/sha',
        'kubernetes.io/change-cause',
        'rollgate.dev/deployment-id',
      ],
    ],
    [
      { deploymentId: undefined, runUrl: undefined },
      ['rollgate.dev/version', 'rollgate.dev/sha', 'kubernetes.io/change-cause'],
    ],
  ])('leaves out what it does not know: %j', (changes, keys) => {
    expect(Object.keys(traceAnnotations({ ...facts, ...changes })).sort()).toEqual([...keys].sort());
  });

  test('a deployment id of 0 is still recorded', () => {
    expect(traceAnnotations({ ...facts, deploymentId: 0 })['rollgate.dev/deployment-id']).toBe('0');
  });
});

describe('labelSelectorString', () => {
  test.each<[V1LabelSelector | undefined, string]>([
    [undefined, ''],
    [{}, ''],
    [{ matchLabels: { app: 'api' } }, 'app=api'],
    [{ matchLabels: { app: 'api', tier: 'web' } }, 'app=api,tier=web'],
    [{ matchLabels: { 'app.kubernetes.io/name': 'api' } }, 'app.kubernetes.io/name=api'],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }, 'tier in (web,api)'],
    [{ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }, 'env notin (dev)'],
    [{ matchExpressions: [{ key: 'canary', operator: 'Exists' }] }, 'canary'],
    [{ matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] }, '!canary'],
    [
      {
        matchLabels: { app: 'api' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['web'] },
          { key: 'env', operator: 'NotIn', values: ['dev', 'test'] },
          { key: 'track', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      },
      'app=api,tier in (web),env notin (dev,test),track,!legacy',
    ],
  ])('%j → %j', (selector, text) => {
    expect(labelSelectorString(selector)).toBe(text);
  });
});
