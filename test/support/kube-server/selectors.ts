/**
 * Label and field selectors: the string syntax of `labelSelector` / `fieldSelector` query
 * parameters (apimachinery `pkg/labels/selector.go`, `pkg/fields/selector.go`) and the
 * `matchLabels` / `matchExpressions` objects in specs.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { isJsonObject } from './json-value.ts';
import { badRequest } from './status.ts';

type LabelSelectorObject = NonNullable<NonNullable<IDeployment['spec']>['selector']>;
type Labels = Readonly<Record<string, string>> | undefined;

export type Requirement =
  | { readonly key: string; readonly op: 'in' | 'notin'; readonly values: readonly string[] }
  | { readonly key: string; readonly op: 'exists' | '!' }
  | { readonly key: string; readonly op: 'gt' | 'lt'; readonly value: number };

export type LabelSelector = readonly Requirement[];

const keyPattern = String.raw`[A-Za-z0-9][-A-Za-z0-9_./]*`;
const valuePattern = String.raw`(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?`;

/** Splits at commas outside parentheses: `a in (x,y),b` → [`a in (x,y)`, `b`]. */
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((p) => p.trim());
}

function parseRequirement(text: string): Requirement {
  const set = new RegExp(String.raw`^(${keyPattern})\s+(in|notin)\s+\(([^()]*)\)$`).exec(text);
  if (set) {
    const values = set[3]!.split(',').map((v) => v.trim());
    return { key: set[1]!, op: set[2] === 'in' ? 'in' : 'notin', values };
  }
  const equality = new RegExp(String.raw`^(${keyPattern})\s*(==|=|!=)\s*(${valuePattern})$`).exec(text);
  if (equality) {
    return { key: equality[1]!, op: equality[2] === '!=' ? 'notin' : 'in', values: [equality[3]!] };
  }
  const compare = new RegExp(String.raw`^(${keyPattern})\s*([<>])\s*(\d+)$`).exec(text);
  if (compare) return { key: compare[1]!, op: compare[2] === '>' ? 'gt' : 'lt', value: Number(compare[3]) };
  const absent = new RegExp(String.raw`^!\s*(${keyPattern})$`).exec(text);
  if (absent) return { key: absent[1]!, op: '!' };
  if (new RegExp(`^${keyPattern}$`).test(text)) return { key: text, op: 'exists' };
  throw badRequest(
    `unable to parse requirement: found '${text}', expected: key, !key, key=value, key in (…)`,
  );
}

/** Parses the `labelSelector` query parameter; an empty string selects everything. */
export function parseLabelSelector(text: string | null): LabelSelector {
  if (!text?.trim()) return [];
  return splitRequirements(text).map(parseRequirement);
}

/** Converts a spec's `LabelSelector` object (`matchLabels`, `matchExpressions`). */
export function labelSelectorFromObject(selector: LabelSelectorObject | undefined): LabelSelector {
  const fromLabels = Object.entries(selector?.matchLabels ?? {}).map(([key, value]): Requirement => ({
    key,
    op: 'in',
    values: [value],
  }));
  const fromExpressions = (selector?.matchExpressions ?? []).map((e): Requirement => {
    switch (e.operator) {
      case 'In':
        return { key: e.key, op: 'in', values: e.values ?? [] };
      case 'NotIn':
        return { key: e.key, op: 'notin', values: e.values ?? [] };
      case 'Exists':
        return { key: e.key, op: 'exists' };
      default:
        return { key: e.key, op: '!' };
    }
  });
  return [...fromLabels, ...fromExpressions];
}

function matchesRequirement(requirement: Requirement, labels: Labels): boolean {
  const value = labels?.[requirement.key];
  switch (requirement.op) {
    case 'in':
      return value !== undefined && requirement.values.includes(value);
    case 'notin':
      return value === undefined || !requirement.values.includes(value);
    case 'exists':
      return value !== undefined;
    case '!':
      return value === undefined;
    case 'gt':
      return value !== undefined && Number(value) > requirement.value;
    case 'lt':
      return value !== undefined && Number(value) < requirement.value;
  }
}

export function matchesLabels(selector: LabelSelector, labels: Labels): boolean {
  return selector.every((r) => matchesRequirement(r, labels));
}

export interface FieldRequirement {
  readonly field: string;
  readonly value: string;
  readonly negated: boolean;
}

export type FieldSelector = readonly FieldRequirement[];

/** The fields each kind lets a `fieldSelector` name (metadata.* everywhere, a few more on pods). */
const selectableFields: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec.nodeName', 'status.phase'],
};

/** Parses the `fieldSelector` query parameter for objects of `kind`. */
export function parseFieldSelector(text: string | null, kind: string): FieldSelector {
  if (!text?.trim()) return [];
  return text.split(',').map((part) => {
    const match = /^\s*([A-Za-z.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!match) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const field = match[1]!;
    const allowed = ['metadata.name', 'metadata.namespace', ...(selectableFields[kind] ?? [])];
    if (!allowed.includes(field)) throw badRequest(`field label not supported: ${field}`);
    return { field, value: match[3]!, negated: match[2] === '!=' };
  });
}

function fieldValue(object: Readonly<Record<string, unknown>>, path: string): string {
  let current: unknown = object;
  for (const segment of path.split('.')) {
    current = isJsonObject(current) ? current[segment] : undefined;
  }
  return typeof current === 'string' ? current : '';
}

export function matchesFields(selector: FieldSelector, object: Readonly<Record<string, unknown>>): boolean {
  return selector.every((r) => (fieldValue(object, r.field) === r.value) !== r.negated);
}
