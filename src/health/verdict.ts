import { jsonEqual } from '../json/canonical.ts';
import type { HealthCheckSpec, JsonExpectation, StatusRange } from './spec.ts';

/** What one HTTP exchange returned, as far as a verdict needs it. */
export interface ProbeResponse {
  readonly status: number;
  readonly body: string;
}

/** The verdict on one response: healthy, or the reason it is not, in words a person reads. */
export type ResponseVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Judges one response against the expectations: status first, then body, then JSON paths. */
export function judgeResponse(
  spec: Pick<HealthCheckSpec, 'expectedStatus' | 'expectBody' | 'expectJson'>,
  response: ProbeResponse,
): ResponseVerdict {
  if (!spec.expectedStatus.some((range) => response.status >= range.min && response.status <= range.max)) {
    return {
      ok: false,
      reason: `expected status ${formatStatusRanges(spec.expectedStatus)}, got ${response.status}`,
    };
  }
  const body = spec.expectBody;
  if (body?.kind === 'substring' && !response.body.includes(body.text)) {
    return { ok: false, reason: `body does not contain '${body.text}'` };
  }
  if (body?.kind === 'regex' && !body.pattern.test(response.body)) {
    return { ok: false, reason: `body does not match ${String(body.pattern)}` };
  }
  if (spec.expectJson.length === 0) return { ok: true };
  let document: unknown;
  try {
    document = JSON.parse(response.body);
  } catch {
    return {
      ok: false,
      reason: `body is not JSON (expected ${spec.expectJson.map((e) => `${e.pathText}=${e.expectedText}`).join(', ')})`,
    };
  }
  for (const expectation of spec.expectJson) {
    const mismatch = judgeJsonPath(document, expectation);
    if (mismatch !== undefined) return { ok: false, reason: mismatch };
  }
  return { ok: true };
}

function judgeJsonPath(document: unknown, expectation: JsonExpectation): string | undefined {
  let value: unknown = document;
  for (const key of expectation.path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) {
      return `JSON path '${expectation.pathText}' is missing (expected ${expectation.expectedText})`;
    }
    value = (value as Record<string | number, unknown>)[key];
  }
  if (jsonEqual(value, expectation.expected)) return undefined;
  // A bare expectation is also the text as written: `version=1.0` matches "1.0", which JSON.parse read as 1.
  const bare = typeof expectation.expected !== 'object' || expectation.expected === null;
  if (bare && typeof value === 'string' && value === expectation.expectedText) return undefined;
  return `JSON path '${expectation.pathText}' is ${JSON.stringify(value)}, expected ${expectation.expectedText}`;
}

/** `200-299, 304` as written back to a person. */
export function formatStatusRanges(ranges: readonly StatusRange[]): string {
  return ranges.map((r) => (r.min === r.max ? String(r.min) : `${r.min}-${r.max}`)).join(', ');
}

/** Nearest-rank percentile (the definition most monitoring tools use); undefined without samples. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  // (p × n) / 100, not (p / 100) × n: the latter overshoots by a float error (7 / 100 × 100 > 7).
  const rank = Math.max(1, Math.ceil((p * sorted.length) / 100));
  return sorted[rank - 1];
}
