/**
 * Errors as the API server answers them: `Status` objects built the way apimachinery's
 * `pkg/api/errors/errors.go` builds them (message wording, reason, details, code).
 */
import type { V1Status, V1StatusCause } from '@kubernetes/client-node';
import { qualifiedKind, qualifiedResource, type ResourceType } from './resources.ts';

export type StatusBody = V1Status & { kind: 'Status'; apiVersion: 'v1'; code: number };

/** A failed request: thrown by the registry, rendered once by the server. */
export class KubeError extends Error {
  readonly status: StatusBody;

  constructor(code: number, reason: string, message: string, details?: V1Status['details']) {
    super(message);
    this.name = 'KubeError';
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    };
  }
}

function resourceDetails(type: ResourceType, name: string, uid?: string): NonNullable<V1Status['details']> {
  return { name, ...(type.group ? { group: type.group } : {}), kind: type.plural, ...(uid ? { uid } : {}) };
}

export function notFound(type: ResourceType, name: string): KubeError {
  return new KubeError(
    404,
    'NotFound',
    `${qualifiedResource(type)} "${name}" not found`,
    resourceDetails(type, name),
  );
}

export function alreadyExists(type: ResourceType, name: string): KubeError {
  return new KubeError(
    409,
    'AlreadyExists',
    `${qualifiedResource(type)} "${name}" already exists`,
    resourceDetails(type, name),
  );
}

export function conflict(type: ResourceType, name: string): KubeError {
  return new KubeError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    resourceDetails(type, name),
  );
}

/**
 * 409 Conflict of a server-side apply (apimachinery errors.go `NewApplyConflict`): no object
 * details, one `FieldManagerConflict` cause per field, naming its manager.
 */
export function applyConflict(
  causes: readonly { readonly field: string; readonly message: string }[],
  message: string,
): KubeError {
  return new KubeError(409, 'Conflict', message, {
    causes: causes.map((c) => ({ reason: 'FieldManagerConflict', message: c.message, field: c.field })),
  });
}

/** One field error as `field.Error` renders it: `Required value`, `Invalid value: 3: must be …`. */
export interface FieldError {
  readonly field: string;
  readonly type:
    | 'FieldValueRequired'
    | 'FieldValueInvalid'
    | 'FieldValueNotSupported'
    | 'FieldValueForbidden'
    | 'FieldValueDuplicate';
  readonly detail?: string;
  readonly value?: unknown;
}

const fieldErrorLabel: Record<FieldError['type'], string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueDuplicate: 'Duplicate value',
};

function fieldErrorBody(error: FieldError): string {
  const label = fieldErrorLabel[error.type];
  const withValue =
    error.type === 'FieldValueInvalid' ||
    error.type === 'FieldValueNotSupported' ||
    error.type === 'FieldValueDuplicate'
      ? `${label}: ${error.value === undefined ? 'null' : JSON.stringify(error.value)}`
      : label;
  return error.detail ? `${withValue}: ${error.detail}` : withValue;
}

/** 422 Invalid, `NewInvalid`: `Deployment.apps "web" is invalid: spec.replicas: Invalid value: …`. */
export function invalid(
  kind: { readonly qualified: string; readonly kind: string; readonly group: string },
  name: string,
  errors: readonly FieldError[],
): KubeError {
  const causes: V1StatusCause[] = errors.map((e) => ({
    reason: e.type,
    message: fieldErrorBody(e),
    field: e.field,
  }));
  const rendered = errors.map((e) => `${e.field}: ${fieldErrorBody(e)}`);
  const aggregate = rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`;
  return new KubeError(422, 'Invalid', `${kind.qualified} "${name}" is invalid: ${aggregate}`, {
    name,
    ...(kind.group ? { group: kind.group } : {}),
    kind: kind.kind,
    causes,
  });
}

export function invalidObject(type: ResourceType, name: string, errors: readonly FieldError[]): KubeError {
  return invalid({ qualified: qualifiedKind(type), kind: type.kind, group: type.group }, name, errors);
}

/** `NewGenericServerResponse(422, …)`: how a JSON patch that does not apply is answered. */
export function unprocessable(serverMessage: string): KubeError {
  return new KubeError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message: serverMessage }],
  });
}

export function badRequest(message: string): KubeError {
  return new KubeError(400, 'BadRequest', message);
}

export function unsupportedMediaType(accepted: readonly string[]): KubeError {
  return new KubeError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** 410 Expired: the watch window no longer holds events after the requested resourceVersion. */
export function expired(requested: number, oldest: number): KubeError {
  return new KubeError(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

export function unauthorized(): KubeError {
  return new KubeError(401, 'Unauthorized', 'Unauthorized');
}

export function pathNotFound(): KubeError {
  return new KubeError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function methodNotAllowed(): KubeError {
  return new KubeError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    {},
  );
}

/** What a DELETE that removed the object at once answers. */
export function deletedStatus(type: ResourceType, name: string, uid: string): V1Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: resourceDetails(type, name, uid),
  };
}
