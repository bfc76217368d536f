import { describe, expect, test } from '@jest/globals';
import type { V1Deployment, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { ApplyConflictError, applyConflictsOf } from '../../src/kubernetes/apply-conflicts.ts';
import { appliesReplicas, autoscalerOf, withoutReplicas } from '../../src/kubernetes/autoscalers.ts';

/** A 409 as client-node raises it: the code and the Status as the body's text. */
function conflict(causes: unknown[], reason = 'Conflict'): { code: number; body: string } {
  return { code: 409, body: JSON.stringify({ kind: 'Status', reason, code: 409, details: { causes } }) };
}

describe('applyConflictsOf', () => {
  test.each([
    [
      'one field of a controller through the scale subresource',
      conflict([
        {
          reason: 'FieldManagerConflict',
          message: 'conflict with "kube-controller-manager" with subresource "scale" using apps/v1',
          field: '.spec.replicas',
        },
      ]),
      [
        {
          field: '.spec.replicas',
          manager: 'kube-controller-manager',
          owner: '"kube-controller-manager" with subresource "scale" using apps/v1',
        },
      ],
    ],
    [
      'an applier (no apiVersion is printed for appliers) and an escaped quote',
      conflict([
        {
          reason: 'FieldManagerConflict',
          message: 'conflict with "team \\"a\\""',
          field: '.spec.template.spec.containers[name="app"].image',
        },
      ]),
      [
        {
          field: '.spec.template.spec.containers[name="app"].image',
          manager: 'team "a"',
          owner: '"team \\"a\\""',
        },
      ],
    ],
    [
      'a stale resourceVersion (no causes)',
      { code: 409, body: '{"kind":"Status","reason":"Conflict"}' },
      undefined,
    ],
    ['an AlreadyExists', conflict([], 'AlreadyExists'), undefined],
    [
      'a 422 with causes',
      {
        code: 422,
        body: JSON.stringify({
          details: { causes: [{ reason: 'FieldValueInvalid', field: 'x', message: 'y' }] },
        }),
      },
      undefined,
    ],
    ['no HTTP answer at all', new Error('connect ECONNREFUSED'), undefined],
  ])('%s', (_name, error, expected) => {
    expect(applyConflictsOf(error)).toEqual(expected);
  });

  test('the error names every field and manager and both fixes', () => {
    const error = new ApplyConflictError(
      { kind: 'Deployment', metadata: { name: 'api', namespace: 'shop' } },
      [
        { field: '.spec.replicas', manager: 'ops', owner: '"ops" using apps/v1' },
        { field: '.spec.paused', manager: 'ops', owner: '"ops" using apps/v1' },
      ],
    );
    expect(error.render()).toBe(
      'Applying deployment shop/api would take 2 fields from another field manager: .spec.replicas (owned by "ops" using apps/v1), .spec.paused (owned by "ops" using apps/v1). ' +
        'Server-side apply does not take fields from other managers (ops) unless forced, so that Rollgate does not silently undo what they set; nothing was changed. ' +
        "Remove these fields from the manifest to leave them to ops, or set 'force-conflicts: true' to take them over.",
    );
  });
});

describe('autoscalers', () => {
  const hpa = (kind: string, name: string, apiVersion?: string): V2HorizontalPodAutoscaler => ({
    metadata: { name: `${name}-hpa` },
    spec: { maxReplicas: 5, scaleTargetRef: { kind, name, ...(apiVersion ? { apiVersion } : {}) } },
  });

  test.each([
    ['a Deployment target', [hpa('Deployment', 'api', 'apps/v1')], 'api', 'api-hpa'],
    ['a target without apiVersion', [hpa('Deployment', 'api')], 'api', 'api-hpa'],
    ['another Deployment', [hpa('Deployment', 'web', 'apps/v1')], 'api', undefined],
    ['a StatefulSet of the same name', [hpa('StatefulSet', 'api', 'apps/v1')], 'api', undefined],
    ['no autoscalers', [], 'api', undefined],
  ])('autoscalerOf: %s', (_name, autoscalers, name, expected) => {
    expect(autoscalerOf(autoscalers, name)?.metadata?.name).toBe(expected);
  });

  test('withoutReplicas drops only spec.replicas and leaves the manifest as read', () => {
    const manifest = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api' },
      spec: { replicas: 2, paused: false },
    };
    expect(withoutReplicas(manifest).spec).toEqual({ paused: false });
    expect(manifest.spec.replicas).toBe(2);
  });

  test.each([
    ['its apply entry owns the field', 'rollgate', 'Apply', { 'f:spec': { 'f:replicas': {} } }, true],
    [
      'only an update of the same name owns it',
      'rollgate',
      'Update',
      { 'f:spec': { 'f:replicas': {} } },
      false,
    ],
    [
      'another manager owns it',
      'kube-controller-manager',
      'Update',
      { 'f:spec': { 'f:replicas': {} } },
      false,
    ],
    ['its apply entry owns other fields', 'rollgate', 'Apply', { 'f:spec': { 'f:paused': {} } }, false],
  ])('appliesReplicas: %s', (_name, manager, operation, fieldsV1, expected) => {
    const deployment: V1Deployment = { metadata: { managedFields: [{ manager, operation, fieldsV1 }] } };
    expect(appliesReplicas(deployment, 'rollgate')).toBe(expected);
  });
});
