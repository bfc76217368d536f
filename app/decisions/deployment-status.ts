/**
 * What a `deployment_status` event changes. GitHub delivers webhooks in no guaranteed order
 * (https://docs.github.com/webhooks/using-webhooks/best-practices-for-using-webhooks), so a late
 * `in_progress` after `success` must not move the check run or the sticky row backwards, and a
 * final state releases the environment's marker only when this deployment took it.
 */
import type { CheckRunStatus } from '../../src/github/check-runs.ts';
import { checkRunStatus } from '../../src/github/check-runs.ts';
import type { EnvironmentRow } from '../../src/github/sticky-comment.ts';
import type { Marker, MarkerOwner } from '../handlers/environment-state.ts';
import { ownedBy } from '../handlers/environment-state.ts';

/** Deployment states that end a deployment. */
export const FINAL_STATES: ReadonlySet<string> = new Set(['success', 'failure', 'error', 'inactive']);

/** How far along a state is: a row or a check run only moves to a later one. */
export function stateRank(state: string): number {
  if (state === 'queued' || state === 'pending') return 0;
  if (state === 'in_progress') return 1;
  if (state === 'inactive') return 3;
  return 2;
}

/** The check run's next status for `state`, or undefined when the run is already past it. */
export function nextCheckRunStatus(
  current: { readonly status: string } | undefined,
  state: string,
): CheckRunStatus | undefined {
  const next = checkRunStatus(state);
  if (current === undefined) return next;
  const rank: Readonly<Record<string, number>> = { queued: 0, in_progress: 1, completed: 2 };
  const now = rank[current.status] ?? 0;
  // A completed run stays completed: a late event never reopens it, and a success going
  // `inactive` later keeps the conclusion it had.
  if (now === 2) return undefined;
  return (rank[next.status] ?? 0) >= now ? next : undefined;
}

/**
 * The sticky comment's rows with `row` in place, or undefined when the row there is newer: a later
 * deployment of the environment, or a later state of the same deployment.
 */
export function mergeStickyRow(
  rows: readonly EnvironmentRow[],
  row: EnvironmentRow,
): EnvironmentRow[] | undefined {
  const index = rows.findIndex((r) => r.environment === row.environment);
  const current = rows[index];
  if (current === undefined) return [...rows, row];
  if (current.deploymentId > row.deploymentId) return undefined;
  if (current.deploymentId === row.deploymentId && stateRank(current.state) > stateRank(row.state))
    return undefined;
  return rows.map((r, i) => (i === index ? row : r));
}

/** Rows of several copies of the sticky comment merged into one list, each environment's newest. */
export function mergeStickyRows(copies: readonly (readonly EnvironmentRow[])[]): EnvironmentRow[] {
  let merged: EnvironmentRow[] = [];
  for (const rows of copies) for (const row of rows) merged = mergeStickyRow(merged, row) ?? merged;
  return merged;
}

/** What took a deployment's marker, from its payload. */
export function deploymentOwner(payload: Readonly<Record<string, unknown>>): MarkerOwner | undefined {
  if (typeof payload.comment_id === 'number') return { kind: 'comment', id: payload.comment_id };
  if (typeof payload.release === 'number') return { kind: 'release', id: payload.release };
  if (typeof payload.dashboard_action === 'number')
    return { kind: 'dashboard', id: payload.dashboard_action };
  return undefined;
}

/** Whether a final status of the deployment with `payload` ends the environment's `marker`. */
export function releasesMarker(
  state: string,
  marker: Marker | undefined,
  payload: Readonly<Record<string, unknown>>,
): boolean {
  if (!FINAL_STATES.has(state) || marker === undefined) return false;
  const owner = deploymentOwner(payload);
  return owner !== undefined && ownedBy(marker, owner);
}
