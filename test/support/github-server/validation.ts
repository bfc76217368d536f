/**
 * Checks requests and responses against the operation's part of GitHub's description. Validators
 * are compiled on first use per operation (and per response status), so starting a server costs
 * only the one parse of the description.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';
import { closedAtTopLevel, componentSchemaId, lenientUriFormat, toJsonSchema } from './json-schema.ts';
import { isJsonObject, loadApiDescription, type JsonObject, type OperationSpec } from './openapi.ts';

const addFormats = formatsModule.default;

/** Compiles converted schemas in one Ajv instance, registering each component schema once. */
class SchemaCompiler {
  readonly #ajv: Ajv;
  readonly #components: JsonObject;
  readonly #registered = new Set<string>();

  constructor(ajv: Ajv, components: JsonObject) {
    this.#ajv = ajv;
    this.#components = components;
  }

  compile(schema: JsonObject): ValidateFunction {
    return this.#ajv.compile(schema);
  }

  convert(schema: unknown): JsonObject {
    return toJsonSchema(schema, (name) => {
      this.#register(name);
    });
  }

  #register(name: string): void {
    if (this.#registered.has(name)) return;
    this.#registered.add(name);
    if (!(name in this.#components)) throw new Error(`the description has no schema '${name}'`);
    this.#ajv.addSchema(this.convert(this.#components[name]), componentSchemaId(name));
  }
}

function newAjv(options: { coerce: boolean }): Ajv {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    verbose: true,
    validateSchema: false,
    coerceTypes: options.coerce ? 'array' : false,
  });
  addFormats(ajv);
  ajv.addFormat(lenientUriFormat, (value: string) => value === '' || URL.canParse(value));
  return ajv;
}

let compilers: { data: SchemaCompiler; params: SchemaCompiler } | undefined;

function schemaCompilers(): { data: SchemaCompiler; params: SchemaCompiler } {
  const { schemas } = loadApiDescription();
  // Path and query values arrive as strings: that instance coerces `"5"` to 5 as GitHub does.
  compilers ??= {
    data: new SchemaCompiler(newAjv({ coerce: false }), schemas),
    params: new SchemaCompiler(newAjv({ coerce: true }), schemas),
  };
  return compilers;
}

interface OperationValidators {
  readonly path: ValidateFunction;
  readonly query: ValidateFunction;
  readonly body: ValidateFunction | undefined;
  readonly responses: Map<string, ValidateFunction | null>;
}

const validators = new Map<string, OperationValidators>();

function operationValidators(operation: OperationSpec): OperationValidators {
  const known = validators.get(operation.operationId);
  if (known) return known;
  const { data, params } = schemaCompilers();
  const parameterSchema = (location: 'path' | 'query'): JsonObject => {
    const declared = operation.parameters.filter((p) => p.in === location);
    return {
      type: 'object',
      properties: Object.fromEntries(declared.map((p) => [p.name, params.convert(p.schema)])),
      required: declared.filter((p) => p.required).map((p) => p.name),
      additionalProperties: false,
    };
  };
  const body = operation.requestBody;
  const compiled: OperationValidators = {
    path: params.compile(parameterSchema('path')),
    query: params.compile(parameterSchema('query')),
    body: body ? data.compile(closedAtTopLevel(data.convert(body.schema))) : undefined,
    responses: new Map(),
  };
  validators.set(operation.operationId, compiled);
  return compiled;
}

export interface RequestInput {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The parsed JSON body; `undefined` when the request had none. */
  readonly body: unknown;
}

export type RequestVerdict =
  | { readonly ok: true; readonly params: JsonObject; readonly query: JsonObject }
  | { readonly ok: false; readonly status: 404 | 422; readonly problems: readonly string[] };

/**
 * Validates path parameters (a wrong one answers 404, as GitHub does for `/deployments/abc`), the
 * query (undeclared parameters included) and the body against the operation's requestBody schema.
 */
export function validateRequest(operation: OperationSpec, input: RequestInput): RequestVerdict {
  const checks = operationValidators(operation);
  const params: JsonObject = { ...input.params };
  if (!checks.path(params)) {
    return { ok: false, status: 404, problems: describeRequestErrors(checks.path.errors, 'path') };
  }
  const query = queryObject(input.query);
  const problems: string[] = [];
  if (!checks.query(query)) problems.push(...describeRequestErrors(checks.query.errors, 'query'));
  problems.push(...bodyProblems(operation, checks, input.body));
  return problems.length > 0 ? { ok: false, status: 422, problems } : { ok: true, params, query };
}

function bodyProblems(operation: OperationSpec, checks: OperationValidators, body: unknown): string[] {
  if (body === undefined) {
    // GitHub's own words for a missing required body.
    return operation.requestBody?.required ? [`For 'links/0/schema', nil is not an object.`] : [];
  }
  if (!checks.body) {
    const empty = isJsonObject(body) && Object.keys(body).length === 0;
    return empty ? [] : ['This operation takes no request body.'];
  }
  return checks.body(body) ? [] : describeRequestErrors(checks.body.errors, 'body');
}

function queryObject(search: URLSearchParams): JsonObject {
  const query: JsonObject = {};
  for (const key of new Set(search.keys())) {
    const values = search.getAll(key);
    query[key] = values.length > 1 ? values : values[0];
  }
  return query;
}

/** Ajv errors as GitHub words them: `"ref" wasn't supplied.`, `For 'properties/state', … `. */
function describeRequestErrors(
  errors: readonly ErrorObject[] | null | undefined,
  part: 'path' | 'query' | 'body',
): string[] {
  const messages = (errors ?? [])
    .filter((e) => !['anyOf', 'oneOf', 'if'].includes(e.keyword))
    .map((error) => {
      const segments = error.instancePath.split('/').slice(1);
      const where =
        segments.length === 0
          ? ''
          : `For '${segments.map((s) => (/^\d+$/.test(s) ? 'items' : `properties/${s}`)).join('/')}', `;
      const value = error.data === undefined ? 'nothing' : JSON.stringify(error.data);
      const p: Record<string, unknown> = error.params;
      switch (error.keyword) {
        case 'required':
          return `${where}"${String(p.missingProperty)}" wasn't supplied.`;
        case 'additionalProperties':
          return part === 'body'
            ? `${where}"${String(p.additionalProperty)}" is not a permitted key.`
            : `"${String(p.additionalProperty)}" is not a ${part} parameter of this operation.`;
        case 'enum':
          return `${where}${value} is not one of ${JSON.stringify(p.allowedValues)}.`;
        case 'type':
          return `${where}${value} is not of type ${JSON.stringify(p.type)}.`;
        case 'maxLength':
          // GitHub's words, without the field (zyborg/dotnet-tests-report#9).
          return `Only ${String(p.limit)} characters are allowed; ${typeof error.data === 'string' ? error.data.length : '?'} were supplied.`;
        default:
          return `${where}${value} ${error.message ?? 'is invalid'}.`;
      }
    });
  return [...new Set(messages)];
}

/** How a response body was sent: JSON, a raw media type (file contents), or nothing. */
export type ResponseBodyKind = 'json' | 'raw' | 'none';

/**
 * The ways a response breaks the description: a status the operation does not declare, or a body
 * that does not match the declared schema. 401, 403, 404, 422, 429, 500 and 503 may come from any
 * operation (authentication, rate limits, a missing repository, failures) and then carry GitHub's
 * `basic-error` body (https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api).
 */
export function validateResponse(
  operation: OperationSpec,
  status: number,
  body: unknown,
  kind: ResponseBodyKind,
): string[] {
  const declared = operation.responses.get(String(status));
  const anyOperation = [401, 403, 404, 422, 429, 500, 503].includes(status);
  if (!declared && !anyOperation) {
    const allowed = [...operation.responses.keys()].join(', ');
    return [`status ${status} is not a response of ${operation.operationId} (declared: ${allowed})`];
  }
  if (status === 204 || status === 304) {
    return kind === 'none' ? [] : [`status ${status} must not carry a body`];
  }
  if (kind === 'raw') return [];
  const validate = responseValidator(operation, String(status), declared);
  if (!validate) return [];
  if (kind === 'none') return [`status ${status} of ${operation.operationId} needs a JSON body`];
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

function responseValidator(
  operation: OperationSpec,
  status: string,
  declared: JsonObject | undefined,
): ValidateFunction | null {
  const cache = operationValidators(operation).responses;
  const known = cache.get(status);
  if (known !== undefined) return known;
  const { data } = schemaCompilers();
  let schema: unknown = { $ref: '#/components/schemas/basic-error' };
  if (declared) {
    const content = isJsonObject(declared.content) ? declared.content : {};
    const json = content['application/json'];
    schema = isJsonObject(json) ? json.schema : undefined;
  }
  const validate = schema === undefined ? null : data.compile(data.convert(schema));
  cache.set(status, validate);
  return validate;
}
