/**
 * HorizontalPodAutoscalers (autoscaling/v2): defaulting (`pkg/apis/autoscaling/v2/defaults.go`),
 * validation (`pkg/apis/autoscaling/validation`) and the controller's replica decision
 * (`pkg/controller/podautoscaler/horizontal.go`, reconcileAutoscaler). The test cluster has no
 * metrics API, so — as on a real cluster without metrics-server — the controller only brings the
 * target inside [minReplicas, maxReplicas] and reports `ScalingActive: False`. It writes the
 * target's `spec.replicas` through the scale subresource as `kube-controller-manager`, which is
 * why, on a real cluster, that manager owns the field of every Deployment an HPA targets.
 */
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IHorizontalPodAutoscalerCondition } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscalerCondition';
import type { SimulatedClock } from './clock.ts';
import { isJsonObject, semanticEqual } from './json-value.ts';
import type { Registry } from './registry.ts';
import { deployments, horizontalPodAutoscalers, type KubeObject } from './resources.ts';
import type { FieldError } from './status.ts';

export type HorizontalPodAutoscaler = IHorizontalPodAutoscaler & KubeObject;

export function isHorizontalPodAutoscaler(object: KubeObject): object is HorizontalPodAutoscaler {
  return object.kind === 'HorizontalPodAutoscaler';
}

/** The field manager of the controllers in kube-controller-manager. */
export const CONTROLLER_MANAGER = 'kube-controller-manager';

/** SetDefaults_HorizontalPodAutoscaler: one replica at least, 80 % CPU when no metric is given. */
export function defaultHorizontalPodAutoscaler(object: KubeObject): void {
  const spec = isJsonObject(object.spec) ? object.spec : (object.spec = {});
  spec.minReplicas ??= 1;
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ];
  }
}

/** ValidateHorizontalPodAutoscalerSpec's replica bounds and target reference. */
export function validateHorizontalPodAutoscaler(object: KubeObject): FieldError[] {
  const spec = isJsonObject(object.spec) ? object.spec : {};
  const errors: FieldError[] = [];
  const min = typeof spec.minReplicas === 'number' ? spec.minReplicas : undefined;
  const max = typeof spec.maxReplicas === 'number' ? spec.maxReplicas : 0;
  if (min !== undefined && min < 1) {
    errors.push({
      field: 'spec.minReplicas',
      type: 'FieldValueInvalid',
      value: min,
      detail: 'must be greater than or equal to 1',
    });
  }
  if (max < 1) {
    errors.push({
      field: 'spec.maxReplicas',
      type: 'FieldValueInvalid',
      value: max,
      detail: 'must be greater than 0',
    });
  }
  if (min !== undefined && max < min) {
    errors.push({
      field: 'spec.maxReplicas',
      type: 'FieldValueInvalid',
      value: max,
      detail: 'must be greater than or equal to `minReplicas`',
    });
  }
  const target = isJsonObject(spec.scaleTargetRef) ? spec.scaleTargetRef : {};
  for (const field of ['kind', 'name'] as const) {
    if (typeof target[field] !== 'string' || target[field] === '') {
      errors.push({ field: `spec.scaleTargetRef.${field}`, type: 'FieldValueRequired' });
    }
  }
  return errors;
}

/** Whether `hpa` scales the Deployment `name` (scaleTargetRef apps/v1 Deployment). */
export function targetsDeployment(hpa: HorizontalPodAutoscaler, name: string): boolean {
  const target = hpa.spec.scaleTargetRef;
  return (
    target.kind === 'Deployment' && target.name === name && (target.apiVersion ?? 'apps/v1') === 'apps/v1'
  );
}

type Condition = IHorizontalPodAutoscalerCondition;

export interface AutoscalerSyncContext {
  readonly registry: Registry;
  readonly clock: SimulatedClock;
}

/**
 * One reconcileAutoscaler pass: read the target's scale, bring it into the HPA's bounds (metrics
 * would decide inside them; there are none here), write the scale and the HPA's status.
 */
export function syncHorizontalPodAutoscaler(
  context: AutoscalerSyncContext,
  hpa: HorizontalPodAutoscaler,
): void {
  const { registry, clock } = context;
  const namespace = hpa.metadata.namespace;
  const ref = hpa.spec.scaleTargetRef;
  const target = ref.kind === 'Deployment' ? registry.find(deployments, namespace, ref.name) : undefined;
  const now = clock.timestamp();
  if (!target || !isJsonObject(target.spec)) {
    writeStatus(context, hpa, {
      ...hpa.status,
      desiredReplicas: hpa.status?.desiredReplicas ?? 0,
      conditions: [
        condition(
          hpa,
          'AbleToScale',
          'False',
          'FailedGetScale',
          `the HPA controller was unable to get the target's current scale: deployments.apps "${ref.name}" not found`,
          now,
        ),
      ],
    });
    return;
  }
  const current = typeof target.spec.replicas === 'number' ? target.spec.replicas : 1;
  const min = hpa.spec.minReplicas ?? 1;
  const max = hpa.spec.maxReplicas;
  // Replicas 0 with a minimum above 0 means autoscaling is switched off for the target.
  const disabled = current === 0 && min !== 0;
  const desired = disabled ? 0 : Math.min(max, Math.max(min, current));
  const rescale = !disabled && desired !== current;
  if (rescale)
    registry.scale(deployments, namespace, ref.name, desired, { fieldManager: CONTROLLER_MANAGER });
  const limited =
    current > max
      ? condition(
          hpa,
          'ScalingLimited',
          'True',
          'TooManyReplicas',
          'the desired replica count is more than the maximum replica count',
          now,
        )
      : current < min
        ? condition(
            hpa,
            'ScalingLimited',
            'True',
            'TooFewReplicas',
            'the desired replica count is less than the minimum replica count',
            now,
          )
        : condition(
            hpa,
            'ScalingLimited',
            'False',
            'DesiredWithinRange',
            'the desired count is within the acceptable range',
            now,
          );
  writeStatus(context, hpa, {
    ...hpa.status,
    currentReplicas: current,
    desiredReplicas: desired,
    ...(rescale ? { lastScaleTime: now } : {}),
    conditions: [
      rescale
        ? condition(
            hpa,
            'AbleToScale',
            'True',
            'SucceededRescale',
            `the HPA controller was able to update the target scale to ${desired}`,
            now,
          )
        : condition(
            hpa,
            'AbleToScale',
            'True',
            'ReadyForNewScale',
            'recommended size matches current size',
            now,
          ),
      disabled
        ? condition(
            hpa,
            'ScalingActive',
            'False',
            'ScalingDisabled',
            'scaling is disabled since the replica count of the target is zero',
            now,
          )
        : condition(
            hpa,
            'ScalingActive',
            'False',
            'FailedGetResourceMetric',
            'the HPA was unable to compute the replica count: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
            now,
          ),
      limited,
    ],
  });
}

/** A condition that keeps its lastTransitionTime while its status stays the same. */
function condition(
  hpa: HorizontalPodAutoscaler,
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
  now: string,
): Condition {
  const previous = hpa.status?.conditions?.find((c) => c.type === type);
  return {
    type,
    status,
    reason,
    message,
    lastTransitionTime:
      previous?.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : now,
  };
}

function writeStatus(
  context: AutoscalerSyncContext,
  hpa: HorizontalPodAutoscaler,
  status: NonNullable<HorizontalPodAutoscaler['status']>,
): void {
  if (semanticEqual(status, hpa.status)) return;
  context.registry.replaceStatus(
    horizontalPodAutoscalers,
    hpa.metadata.namespace,
    hpa.metadata.name ?? '',
    { ...hpa, status },
    { fieldManager: CONTROLLER_MANAGER },
  );
}
