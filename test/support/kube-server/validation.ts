/**
 * Validation of stored objects: the OpenAPI schema (kubernetes-models' compiled validators) plus
 * the semantic rules of `pkg/apis/apps/validation` and `pkg/apis/core/validation` that users meet
 * most (selector vs template labels, container names and images, rolling-update fenceposts,
 * immutable selectors). Errors come back as field errors for a 422 `Invalid` Status.
 */
import { validate as validateReplicaSetSchema } from 'kubernetes-models/_schemas/IoK8sApiAppsV1ReplicaSet';
import { validate as validateDeploymentSchema } from 'kubernetes-models/_schemas/IoK8sApiAppsV1Deployment';
import { validate as validateStatefulSetSchema } from 'kubernetes-models/_schemas/IoK8sApiAppsV1StatefulSet';
import { validate as validateDaemonSetSchema } from 'kubernetes-models/_schemas/IoK8sApiAppsV1DaemonSet';
import { validate as validateControllerRevisionSchema } from 'kubernetes-models/_schemas/IoK8sApiAppsV1ControllerRevision';
import { validate as validateNamespaceSchema } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Namespace';
import { validate as validatePodSchema } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Pod';
import { validate as validateServiceSchema } from 'kubernetes-models/_schemas/IoK8sApiCoreV1Service';
import { validate as validateHorizontalPodAutoscalerSchema } from 'kubernetes-models/_schemas/IoK8sApiAutoscalingV2HorizontalPodAutoscaler';
import { validateHorizontalPodAutoscaler } from './horizontal-pod-autoscaler.ts';
import { isJsonObject, semanticEqual, type JsonObject } from './json-value.ts';
import type { KubeObject } from './resources.ts';
import { labelSelectorFromObject, matchesLabels } from './selectors.ts';
import type { FieldError } from './status.ts';

type SchemaValidator = (data: unknown) => boolean;

const schemas: Readonly<Record<string, SchemaValidator>> = {
  Deployment: validateDeploymentSchema,
  StatefulSet: validateStatefulSetSchema,
  DaemonSet: validateDaemonSetSchema,
  ControllerRevision: validateControllerRevisionSchema,
  ReplicaSet: validateReplicaSetSchema,
  Pod: validatePodSchema,
  Service: validateServiceSchema,
  Namespace: validateNamespaceSchema,
  HorizontalPodAutoscaler: validateHorizontalPodAutoscalerSchema,
};

/** `/spec/template/spec/containers/0/name` → `spec.template.spec.containers[0].name`. */
function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce(
      (path, segment) =>
        /^\d+$/.test(segment) ? `${path}[${segment}]` : path ? `${path}.${segment}` : segment,
      '',
    );
}

function valueAt(object: unknown, pointer: string): unknown {
  let current = object;
  for (const segment of pointer.split('/').slice(1)) {
    if (Array.isArray(current)) current = current[Number(segment)];
    else if (isJsonObject(current)) current = current[segment.replaceAll('~1', '/').replaceAll('~0', '~')];
    else return undefined;
  }
  return current;
}

interface SchemaError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: JsonObject;
}

function isSchemaError(value: unknown): value is SchemaError {
  return isJsonObject(value) && typeof value.instancePath === 'string' && typeof value.keyword === 'string';
}

/** The OpenAPI schema's complaints about `object` as field errors (one per field). */
export function schemaFieldErrors(kind: string, object: unknown): FieldError[] {
  const validate = schemas[kind];
  if (!validate || validate(object)) return [];
  const raw: unknown = Reflect.get(validate, 'errors');
  const errors = (Array.isArray(raw) ? raw : []).filter(isSchemaError);
  const byField = new Map<string, FieldError>();
  const typesByField = new Map<string, string[]>();
  for (const error of errors) {
    const params = isJsonObject(error.params) ? error.params : {};
    if (error.keyword === 'required') {
      const field = [fieldPath(error.instancePath), String(params.missingProperty)].filter(Boolean).join('.');
      byField.set(field, { field, type: 'FieldValueRequired' });
      continue;
    }
    const field = fieldPath(error.instancePath);
    const value = valueAt(object, error.instancePath);
    if (error.keyword === 'type') {
      const types = [...(typesByField.get(field) ?? []), String(params.type)];
      typesByField.set(field, types);
      byField.set(field, {
        field,
        type: 'FieldValueInvalid',
        value,
        detail: `must be of type ${types.join(' or ')}`,
      });
    } else if (error.keyword === 'enum') {
      const allowed = Array.isArray(params.allowedValues) ? params.allowedValues : [];
      const detail = `supported values: ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
      byField.set(field, { field, type: 'FieldValueNotSupported', value, detail });
    } else if (error.keyword !== 'oneOf' && !byField.has(field)) {
      byField.set(field, {
        field,
        type: 'FieldValueInvalid',
        value,
        detail: `violates the schema (${error.keyword})`,
      });
    }
  }
  return [...byField.values()];
}

const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const nameRules: Readonly<Record<string, { readonly pattern: RegExp; readonly message: string }>> = {
  subdomain: {
    pattern: subdomain,
    message:
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  },
  label: {
    pattern: dns1123Label,
    message:
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  },
  dns1035: {
    pattern: dns1035Label,
    message:
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  },
};

const nameRuleByKind: Readonly<Record<string, string>> = {
  Namespace: 'label',
  Service: 'dns1035',
};

function validateName(object: KubeObject): FieldError[] {
  const name = object.metadata.name;
  if (!name)
    return [
      { field: 'metadata.name', type: 'FieldValueRequired', detail: 'name or generateName is required' },
    ];
  const rule = nameRules[nameRuleByKind[object.kind] ?? 'subdomain']!;
  return rule.pattern.test(name) && name.length <= 253
    ? []
    : [{ field: 'metadata.name', type: 'FieldValueInvalid', value: name, detail: rule.message }];
}

function objectsAt(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

function validateContainers(spec: JsonObject, path: string): FieldError[] {
  const containers = objectsAt(spec.containers);
  if (containers.length === 0) return [{ field: `${path}.containers`, type: 'FieldValueRequired' }];
  const errors: FieldError[] = [];
  const seen = new Set<unknown>();
  containers.forEach((container, index) => {
    const at = `${path}.containers[${index}]`;
    if (!container.name) errors.push({ field: `${at}.name`, type: 'FieldValueRequired' });
    else if (seen.has(container.name)) {
      errors.push({ field: `${at}.name`, type: 'FieldValueDuplicate', value: container.name });
    } else if (typeof container.name === 'string' && !dns1123Label.test(container.name)) {
      errors.push({
        field: `${at}.name`,
        type: 'FieldValueInvalid',
        value: container.name,
        detail: nameRules.label!.message,
      });
    }
    seen.add(container.name);
    if (!container.image) errors.push({ field: `${at}.image`, type: 'FieldValueRequired' });
  });
  return errors;
}

function child(value: unknown, key: string): JsonObject {
  const found = isJsonObject(value) ? value[key] : undefined;
  return isJsonObject(found) ? found : {};
}

/** Selector, template labels, restart policy and containers: what Deployments and ReplicaSets share. */
function validateTemplatedSpec(object: KubeObject, workload: string): FieldError[] {
  const spec = child(object, 'spec');
  const errors: FieldError[] = [];
  if (typeof spec.replicas === 'number' && spec.replicas < 0) {
    errors.push({
      field: 'spec.replicas',
      type: 'FieldValueInvalid',
      value: spec.replicas,
      detail: 'must be greater than or equal to 0',
    });
  }
  const selector = spec.selector;
  const template = child(spec, 'template');
  if (!isJsonObject(selector)) errors.push({ field: 'spec.selector', type: 'FieldValueRequired' });
  else {
    const requirements = labelSelectorFromObject(selector);
    const labels = child(template, 'metadata').labels;
    if (requirements.length === 0) {
      errors.push({
        field: 'spec.selector',
        type: 'FieldValueInvalid',
        value: selector,
        detail: `empty selector is invalid for ${workload}`,
      });
    } else if (!matchesLabels(requirements, isJsonObject(labels) ? stringMap(labels) : undefined)) {
      errors.push({
        field: 'spec.template.metadata.labels',
        type: 'FieldValueInvalid',
        value: labels ?? null,
        detail: '`selector` does not match template `labels`',
      });
    }
  }
  const podSpec = child(template, 'spec');
  if (podSpec.restartPolicy !== undefined && podSpec.restartPolicy !== 'Always') {
    errors.push({
      field: 'spec.template.spec.restartPolicy',
      type: 'FieldValueNotSupported',
      value: podSpec.restartPolicy,
      detail: 'supported values: "Always"',
    });
  }
  errors.push(...validateContainers(podSpec, 'spec.template.spec'));
  return errors;
}

function stringMap(value: JsonObject): Record<string, string> {
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

const percent = /^[0-9]+%$/;

function validateIntOrPercent(value: unknown, field: string): FieldError[] {
  if (typeof value === 'number') {
    return value < 0
      ? [{ field, type: 'FieldValueInvalid', value, detail: 'must be greater than or equal to 0' }]
      : [];
  }
  if (typeof value !== 'string') return [];
  if (!percent.test(value)) {
    return [
      {
        field,
        type: 'FieldValueInvalid',
        value,
        detail:
          "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      },
    ];
  }
  return Number.parseInt(value, 10) > 100
    ? [{ field, type: 'FieldValueInvalid', value, detail: 'must not be greater than 100%' }]
    : [];
}

function isZero(value: unknown): boolean {
  return value === 0 || value === '0%';
}

function validateStrategy(spec: JsonObject): FieldError[] {
  const strategy = child(spec, 'strategy');
  if (strategy.type === 'Recreate') {
    return strategy.rollingUpdate === undefined
      ? []
      : [
          {
            field: 'spec.strategy.rollingUpdate',
            type: 'FieldValueForbidden',
            detail: "may not be specified when strategy `type` is 'Recreate'",
          },
        ];
  }
  const rollingUpdate = child(strategy, 'rollingUpdate');
  const errors = [
    ...validateIntOrPercent(rollingUpdate.maxSurge, 'spec.strategy.rollingUpdate.maxSurge'),
    ...validateIntOrPercent(rollingUpdate.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable'),
  ];
  if (isZero(rollingUpdate.maxSurge) && isZero(rollingUpdate.maxUnavailable)) {
    errors.push({
      field: 'spec.strategy.rollingUpdate.maxUnavailable',
      type: 'FieldValueInvalid',
      value: rollingUpdate.maxUnavailable,
      detail: 'may not be 0 when `maxSurge` is 0',
    });
  }
  return errors;
}

function validateDeployment(object: KubeObject): FieldError[] {
  const spec = child(object, 'spec');
  const errors = [...validateTemplatedSpec(object, 'deployment'), ...validateStrategy(spec)];
  const deadline = spec.progressDeadlineSeconds;
  const minReady = typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0;
  if (typeof deadline === 'number' && deadline <= minReady) {
    errors.push({
      field: 'spec.progressDeadlineSeconds',
      type: 'FieldValueInvalid',
      value: deadline,
      detail: 'must be greater than minReadySeconds',
    });
  }
  return errors;
}

function validateService(object: KubeObject): FieldError[] {
  const spec = child(object, 'spec');
  if (spec.type === 'ExternalName') return [];
  const ports = objectsAt(spec.ports);
  if (ports.length === 0) return [{ field: 'spec.ports', type: 'FieldValueRequired' }];
  const errors: FieldError[] = [];
  ports.forEach((port, index) => {
    if (ports.length > 1 && !port.name)
      errors.push({ field: `spec.ports[${index}].name`, type: 'FieldValueRequired' });
    if (typeof port.port === 'number' && (port.port < 1 || port.port > 65535)) {
      errors.push({
        field: `spec.ports[${index}].port`,
        type: 'FieldValueInvalid',
        value: port.port,
        detail: 'must be between 1 and 65535, inclusive',
      });
    }
  });
  return errors;
}

const semanticRules: Readonly<Record<string, (object: KubeObject) => FieldError[]>> = {
  Deployment: validateDeployment,
  ReplicaSet: (object) => validateTemplatedSpec(object, 'replicaset'),
  StatefulSet: (object) => validateTemplatedSpec(object, 'statefulset'),
  DaemonSet: (object) => validateTemplatedSpec(object, 'daemonset'),
  Pod: (object) => validateContainers(child(object, 'spec'), 'spec'),
  Service: validateService,
  HorizontalPodAutoscaler: validateHorizontalPodAutoscaler,
};

/** Spec fields a StatefulSet update may change (`ValidateStatefulSetUpdate` in apps validation.go). */
const mutableStatefulSetFields = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'revisionHistoryLimit',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];

function validateStatefulSetUpdate(object: KubeObject, previous: KubeObject): FieldError[] {
  const fixed = (spec: JsonObject): JsonObject =>
    Object.fromEntries(Object.entries(spec).filter(([key]) => !mutableStatefulSetFields.includes(key)));
  if (semanticEqual(fixed(child(object, 'spec')), fixed(child(previous, 'spec')))) return [];
  return [
    {
      field: 'spec',
      type: 'FieldValueForbidden',
      detail:
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    },
  ];
}

function validateImmutable(object: KubeObject, previous: KubeObject): FieldError[] {
  if (object.kind === 'StatefulSet') return validateStatefulSetUpdate(object, previous);
  if (object.kind === 'ControllerRevision') {
    // ValidateControllerRevisionUpdate: only metadata and `revision` may change.
    return semanticEqual(object.data, previous.data)
      ? []
      : [
          {
            field: 'data',
            type: 'FieldValueInvalid',
            value: object.data ?? null,
            detail: 'field is immutable',
          },
        ];
  }
  if (object.kind !== 'Deployment' && object.kind !== 'ReplicaSet' && object.kind !== 'DaemonSet') return [];
  const selector = child(object, 'spec').selector;
  return semanticEqual(selector, child(previous, 'spec').selector)
    ? []
    : [
        {
          field: 'spec.selector',
          type: 'FieldValueInvalid',
          value: selector ?? null,
          detail: 'field is immutable',
        },
      ];
}

/** Field errors for `object` (and, on update, against `previous`); empty when it may be stored. */
export function validateObject(object: KubeObject, previous?: KubeObject): FieldError[] {
  const schemaErrors = schemaFieldErrors(object.kind, object);
  if (schemaErrors.length > 0) return schemaErrors;
  return [
    ...validateName(object),
    ...(semanticRules[object.kind]?.(object) ?? []),
    ...(previous ? validateImmutable(object, previous) : []),
  ];
}
