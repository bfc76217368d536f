/**
 * What the gates are evaluated over: everything read from GitHub before a deploy (or a
 * `deployment_protection_rule` answer) is decided, as plain data. The shells (the App, the
 * actions) gather these facts; `evaluateGates` only reads them.
 */
import type { EnvironmentConfig } from '../config/types.ts';

/** An `/approve` of one commit, already checked for the commenter's permission. */
export interface ApprovalFact {
  readonly by: string;
  readonly sha: string;
  readonly at: Date;
}

/** A `/reject` of one commit, already checked for the commenter's permission. */
export interface RejectionFact extends ApprovalFact {
  readonly reason: string | undefined;
}

/**
 * A check run's status or conclusion, or a commit status's state, on the sha. Check runs give
 * `queued`/`in_progress` while running, then their conclusion; commit statuses give
 * `pending`/`success`/`failure`/`error`.
 */
export type CheckState =
  | 'queued'
  | 'in_progress'
  | 'pending'
  | 'success'
  | 'neutral'
  | 'skipped'
  | 'failure'
  | 'error'
  | 'cancelled'
  | 'timed_out'
  | 'action_required'
  | 'stale';

/** One check run (the latest of its name) or commit status context on the sha. */
export interface CheckFact {
  readonly name: string;
  readonly source: 'check_run' | 'status';
  readonly state: CheckState;
  readonly url?: string;
}

/** The latest Rollgate deployment to `requires.deployed_to`, and its latest status state. */
export interface PromotionFact {
  readonly environment: string;
  readonly liveSha: string | undefined;
  readonly liveState: string | undefined;
}

/** Who holds the environment's `/lock`. */
export interface LockFact {
  readonly holder: string;
  readonly reason: string | undefined;
}

export interface GateFacts {
  readonly now: Date;
  readonly environment: EnvironmentConfig;
  /** The commit to deploy. */
  readonly sha: string;
  /** The branch it is deployed from (PR head ref, release target); undefined for a bare sha or tag. */
  readonly branch: string | undefined;
  /** GitHub login of who asked. */
  readonly requester: string;
  readonly approvals: readonly ApprovalFact[];
  readonly rejections: readonly RejectionFact[];
  /** Active members (logins, lower-case) of each approver team asked of the API, by `org/slug` in lower case. */
  readonly teams: ReadonlyMap<string, ReadonlySet<string>>;
  readonly checks: readonly CheckFact[];
  /** Undefined when nothing was ever deployed to `requires.deployed_to` (or it is not configured). */
  readonly promotion: PromotionFact | undefined;
  readonly lock: LockFact | undefined;
}
