import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';
import { closestMatch } from './closest.ts';
import { childPointer, keyPath, orList, pointerSegments, showValue, type ConfigProblem } from './problem.ts';
import schemaJson from './rollgate.schema.json' with { type: 'json' };

/** The parts of rollgate.schema.json the messages are made from. */
interface SchemaNode {
  readonly $ref?: string;
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly format?: string;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly description?: string;
  readonly examples?: readonly unknown[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly patternProperties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
}

const schema: SchemaNode & { readonly definitions: Readonly<Record<string, SchemaNode>> } = schemaJson;

const addFormats = formatsModule.default;

let validator: ValidateFunction | undefined;

/** Compiled on first use: an App that never reads a configuration never pays for Ajv's code generation. */
function configValidator(): ValidateFunction {
  if (validator === undefined) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
    addFormats(ajv, ['uri', 'date']);
    validator = ajv.compile(schemaJson);
  }
  return validator;
}

/** What is wrong with `value` by rollgate.schema.json, one problem per bad value, in the schema's order. */
export function schemaProblems(value: unknown): ConfigProblem[] {
  const validate = configValidator();
  if (validate(value)) return [];
  const problems = new Map<string, ConfigProblem>();
  for (const error of validate.errors ?? []) {
    const problem = problemOf(error);
    const id = `${problem.at} ${problem.pointer}`;
    if (!problems.has(id)) problems.set(id, problem);
  }
  return [...problems.values()];
}

function problemOf(error: ErrorObject): ConfigProblem {
  const node = resolve((error.parentSchema ?? {}) as SchemaNode);
  const path = keyPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return unknownKey(error.instancePath, String(params.additionalProperty), node, error.data);
    case 'required':
      return missingKey(error.instancePath, String(params.missingProperty), node);
    case 'minItems':
      return {
        pointer: error.instancePath,
        at: 'value',
        what: `${path} is an empty list`,
        fix: `List at least one, or remove the key. ${node.description ?? ''}`.trim(),
      };
    case 'uniqueItems': {
      const index = Math.max(Number(params.i), Number(params.j));
      const item: unknown = Array.isArray(error.data) ? (error.data as unknown[])[index] : undefined;
      return {
        pointer: childPointer(error.instancePath, index),
        at: 'value',
        what: `${path} lists ${showValue(item)} twice`,
        fix: 'Remove one of them.',
      };
    }
    default:
      return {
        pointer: error.instancePath,
        at: 'value',
        what: `${path} must be ${expectation(node)}, got ${showValue(error.data)}`,
        fix: wrongValueFix(error.instancePath, node, error.data),
      };
  }
}

function unknownKey(pointer: string, key: string, node: SchemaNode, data: unknown): ConfigProblem {
  const where = keyPath(pointer);
  const keyPointer = childPointer(pointer, key);
  if (node.patternProperties !== undefined) {
    return {
      pointer: keyPointer,
      at: 'key',
      what: `${where} has an environment named ${showValue(key)}, which is not a valid name`,
      fix: 'Name environments with letters, digits, ".", "_" and "-" only, at most 255 characters.',
    };
  }
  const properties = node.properties ?? {};
  const known = Object.keys(properties);
  const value: unknown = (data as Record<string, unknown> | null)?.[key];
  const fitting = known.filter((name) => accepts(resolve(properties[name] ?? {}), value));
  const suggestion = closestMatch(key, fitting.length > 0 ? fitting : known);
  const home = suggestion === undefined ? homeOf(pointer, key, value) : undefined;
  const what = `${where} has an unknown key ${showValue(key)}`;
  if (suggestion !== undefined)
    return {
      pointer: keyPointer,
      at: 'key',
      what: `${what}; did you mean "${suggestion}"?`,
      fix: `Rename it to ${suggestion}.`,
    };
  if (home !== undefined)
    return {
      pointer: keyPointer,
      at: 'key',
      what: `${what}, which belongs under ${home}`,
      fix: `Move it under ${home}.`,
    };
  return {
    pointer: keyPointer,
    at: 'key',
    what,
    fix: `Remove it, or use one of the keys ${where} takes: ${known.join(', ')}.`,
  };
}

function missingKey(pointer: string, key: string, node: SchemaNode): ConfigProblem {
  const property = resolve(node.properties?.[key] ?? {});
  const example = property.examples?.[0];
  const sample = example === undefined ? '' : ` (for example ${key}: ${exampleText(example)})`;
  return {
    pointer,
    at: 'object',
    what: `${keyPath(pointer)} is missing ${JSON.stringify(key)}`,
    fix: `Add ${key}${sample}: ${lowerFirst(property.description ?? 'see the schema')}`,
  };
}

function wrongValueFix(pointer: string, node: SchemaNode, data: unknown): string {
  const last = pointerSegments(pointer).at(-1) ?? '';
  if (node.type === 'object' && (data === null || data === undefined))
    return `Indent its keys under "${last}:", or remove the line.`;
  if (node.type === 'object' && last === '')
    return `Write the keys at the top level: ${Object.keys(node.properties ?? {}).join(', ')}.`;
  const example = node.examples?.[0];
  const sample =
    example === undefined || node.type === 'object'
      ? ''
      : /^\d+$/.test(last)
        ? ` For example ${exampleText(example)}.`
        : ` For example ${last}: ${exampleText(example)}.`;
  return `${node.description ?? `Change it to ${expectation(node)}.`}${sample}`;
}

/** What a schema node takes, in words: `a whole number ≥ 0`, `success or none`, `text like "Mon-Fri"`. */
function expectation(node: SchemaNode): string {
  if (node.enum !== undefined) return orList(node.enum.map(String));
  const quotedExamples = orList((node.examples ?? []).map((example) => JSON.stringify(example)));
  switch (node.type) {
    case 'integer':
      return node.minimum === undefined ? 'a whole number' : `a whole number ≥ ${node.minimum}`;
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping of keys to values';
    case 'string':
      if (node.format === 'uri') return `an http(s) URL such as ${quotedExamples}`;
      if (node.format === 'date') return `a date as YYYY-MM-DD such as ${quotedExamples}`;
      if (node.pattern !== undefined && quotedExamples !== '') return `text like ${quotedExamples}`;
      return 'text';
    default:
      return 'something else';
  }
}

/** Whether a key of this schema could hold `value` (by JSON type), to suggest keys that fit. */
function accepts(node: SchemaNode, value: unknown): boolean {
  switch (node.type) {
    case undefined:
      return true;
    case 'integer':
      return Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    default:
      return typeof value === node.type;
  }
}

/** Where a key that is unknown here does belong: an environment written at the top level, or a key of another level. */
function homeOf(pointer: string, key: string, value: unknown): string | undefined {
  if (pointer === '' && accepts({ type: 'object' }, value)) return 'environments';
  return keyHomes().get(key);
}

let homes: Map<string, string> | undefined;

/** Every key the schema knows, with where it goes (`environments.<name>.requires`), to point at a misplaced key. */
function keyHomes(): Map<string, string> {
  if (homes !== undefined) return homes;
  const found = new Map<string, string>();
  const walk = (node: SchemaNode, where: string): void => {
    const resolved = resolve(node);
    for (const [key, child] of Object.entries(resolved.properties ?? {})) {
      if (!found.has(key)) found.set(key, where === '' ? 'the top level' : where);
      walk(child, where === '' ? key : `${where}.${key}`);
    }
    for (const child of Object.values(resolved.patternProperties ?? {})) walk(child, `${where}.<name>`);
    if (resolved.items !== undefined) walk(resolved.items, `each entry of ${where}`);
  };
  walk(schema, '');
  homes = found;
  return found;
}

/** The definition a `$ref` names, with the referring node's own keywords (its description) on top. */
function resolve(node: SchemaNode): SchemaNode {
  if (node.$ref === undefined) return node;
  const target = schema.definitions[node.$ref.replace('#/definitions/', '')];
  if (target === undefined) return node;
  const { $ref: _ref, ...own } = node;
  return { ...target, ...own };
}

/** An example as it can be written in YAML (JSON is YAML's flow style). */
function exampleText(example: unknown): string {
  return JSON.stringify(example);
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
