import { RollgateError } from '../errors.ts';

/** A field another field manager owns, which a server-side apply would change. */
export interface FieldConflict {
  /** The field as the API server names it: `.spec.replicas`, `.spec.template.spec.containers[name="app"].image`. */
  readonly field: string;
  /** The manager that owns it: `kube-controller-manager`. */
  readonly manager: string;
  /** How it owns it, as the server says it: `"kube-controller-manager" with subresource "scale" using apps/v1`. */
  readonly owner: string;
}

/**
 * The conflicts of a refused server-side apply, read from the API server's 409 `Status`: one
 * `FieldManagerConflict` cause per field, whose message is `conflict with "<manager>" …`
 * (k8s.io/apimachinery pkg/util/managedfields/internal/conflict.go, NewConflictError).
 * Undefined for any other error, including a 409 caused by a stale resourceVersion.
 */
export function applyConflictsOf(error: unknown): FieldConflict[] | undefined {
  if ((error as { code?: unknown } | null)?.code !== 409) return undefined;
  const status = parseStatus((error as { body?: unknown }).body);
  const causes = (status as { details?: { causes?: unknown } } | undefined)?.details?.causes;
  if (!Array.isArray(causes)) return undefined;
  const conflicts = causes.flatMap((cause: unknown): FieldConflict[] => {
    const { reason, field, message } = (cause ?? {}) as Record<string, unknown>;
    if (reason !== 'FieldManagerConflict' || typeof field !== 'string' || typeof message !== 'string')
      return [];
    const owner = message.replace(/^conflict with /, '');
    const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(owner)?.[1];
    return [{ field, owner, manager: quoted === undefined ? owner : (JSON.parse(`"${quoted}"`) as string) }];
  });
  return conflicts.length > 0 ? conflicts : undefined;
}

function parseStatus(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** `deployment shop/api`: how messages name an object. */
export function objectName(object: {
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
}): string {
  const namespace = object.metadata?.namespace;
  return `${(object.kind ?? 'object').toLowerCase()} ${namespace ? `${namespace}/` : ''}${object.metadata?.name ?? ''}`;
}

function listConflicts(conflicts: readonly FieldConflict[]): string {
  return conflicts.map((c) => `${c.field} (owned by ${c.owner})`).join(', ');
}

/**
 * A server-side apply refused because other managers own fields it would change. Raised by the
 * dry run, so nothing has changed yet.
 */
export class ApplyConflictError extends RollgateError {
  readonly conflicts: readonly FieldConflict[];

  constructor(object: Parameters<typeof objectName>[0], conflicts: readonly FieldConflict[]) {
    const managers = [...new Set(conflicts.map((c) => c.manager))].join(', ');
    super(
      `Applying ${objectName(object)} would take ${conflicts.length === 1 ? 'a field' : `${conflicts.length} fields`} from another field manager: ${listConflicts(conflicts)}.`,
      `Server-side apply does not take fields from other managers (${managers}) unless forced, so that Rollgate does not silently undo what they set; nothing was changed.`,
      `Remove ${conflicts.length === 1 ? 'the field' : 'these fields'} from the manifest to leave ${conflicts.length === 1 ? 'it' : 'them'} to ${managers}, or set 'force-conflicts: true' to take ${conflicts.length === 1 ? 'it' : 'them'} over.`,
    );
    this.conflicts = conflicts;
  }
}

/** The log line of a forced apply: what it takes over, and from whom. */
export function describeTakeover(
  object: Parameters<typeof objectName>[0],
  conflicts: readonly FieldConflict[],
): string {
  return `force-conflicts: ${objectName(object)} takes over ${listConflicts(conflicts)}`;
}
