/**
 * GitHub's OpenAPI 3.0 schemas rewritten as JSON Schema (draft-07) for Ajv. Ajv's own `nullable`
 * support refuses `nullable` without `type` (128 of GitHub's component schemas) and keeps `null` out
 * of an `enum` (a check run's `conclusion`), so `nullable: true` is rewritten here instead.
 */
import { isJsonObject, type JsonObject } from './openapi.ts';

/** Where a component schema is registered in Ajv: `$ref`s are rewritten to these ids. */
export function componentSchemaId(name: string): string {
  return `https://rollgate.test/github/schemas/${encodeURIComponent(name)}`;
}

/**
 * The `uri` format, accepting `""`: GitHub answers an empty string for URL fields that are unset (a
 * deployment status's `target_url` and `environment_url`) although the description types them `uri`.
 */
export const lenientUriFormat = 'github-uri';

const keptFormats = new Set(['date-time', 'date', 'email', 'uri-template', 'int32', 'int64', 'uuid']);
const schemaMaps = new Set(['properties', 'patternProperties']);
const schemaLists = new Set(['allOf', 'anyOf', 'oneOf']);
const singleSchemas = new Set(['not', 'additionalProperties', 'items']);
/** Keywords Ajv validates with; annotations (`description`, `example`, `discriminator`, `x-*`) are dropped. */
const assertions = new Set([
  'type',
  'enum',
  'const',
  'required',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
]);

/**
 * Converts one OpenAPI schema. `onComponent` hears each `#/components/schemas/<name>` it refers to,
 * so the caller can register exactly the components a validator needs.
 */
export function toJsonSchema(schema: unknown, onComponent: (name: string) => void): JsonObject {
  if (!isJsonObject(schema)) return {};
  const converted = convertKeywords(schema, onComponent);
  return schema.nullable === true ? withNull(converted) : converted;
}

function convertKeywords(schema: JsonObject, onComponent: (name: string) => void): JsonObject {
  if (typeof schema.$ref === 'string') {
    const name = /^#\/components\/schemas\/(.+)$/.exec(schema.$ref)?.[1];
    if (name === undefined) throw new Error(`unsupported $ref in a schema: ${schema.$ref}`);
    onComponent(name);
    return { $ref: componentSchemaId(name) };
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (schemaMaps.has(key) && isJsonObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => [name, toJsonSchema(sub, onComponent)]),
      );
    } else if (schemaLists.has(key) && Array.isArray(value)) {
      out[key] = value.map((sub) => toJsonSchema(sub, onComponent));
    } else if (singleSchemas.has(key) && isJsonObject(value)) {
      out[key] = toJsonSchema(value, onComponent);
    } else if (key === 'additionalProperties' && typeof value === 'boolean') {
      out[key] = value;
    } else if (key === 'format' && typeof value === 'string') {
      if (value === 'uri') out.format = lenientUriFormat;
      else if (keptFormats.has(value)) out.format = value;
    } else if (assertions.has(key)) {
      out[key] = value;
    }
  }
  return out;
}

/** `nullable: true` as JSON Schema: `null` joins the type (and the enum), or the schema is wrapped. */
function withNull(schema: JsonObject): JsonObject {
  const combined = ['$ref', 'allOf', 'anyOf', 'oneOf', 'not'].some((key) => key in schema);
  if (combined || typeof schema.type !== 'string') return { anyOf: [{ type: 'null' }, schema] };
  const nullable: JsonObject = { ...schema, type: [schema.type, 'null'] };
  const values: unknown = schema.enum;
  if (Array.isArray(values) && !values.includes(null)) nullable.enum = [...(values as unknown[]), null];
  return nullable;
}

/**
 * Closes a request body's top level to undeclared keys. GitHub ignores unknown keys, which hides a
 * misspelt parameter (`enviroment`) until production: the test server reports it instead.
 */
export function closedAtTopLevel(schema: JsonObject): JsonObject {
  const open = isJsonObject(schema.properties) && !('additionalProperties' in schema);
  const combined = ['$ref', 'allOf', 'anyOf', 'oneOf'].some((key) => key in schema);
  return open && !combined ? { ...schema, additionalProperties: false } : schema;
}
