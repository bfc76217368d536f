import type { RollbackResult } from '../kubernetes/rollback.ts';

/** `rolled back to revision 3 (version 1.4.0)` for status descriptions and summaries. */
export function describeRollbacks(rollbacks: readonly RollbackResult[]): string {
  if (rollbacks.length === 0) return '';
  return `rolled back to ${rollbacks.map((r) => `revision ${r.toRevision}${r.version ? ` (version ${r.version})` : ''}`).join(', ')}`;
}
