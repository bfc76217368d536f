/**
 * What an audit keeps of one gate decision: who asked for what, each gate's state, whose approvals
 * counted and who rejected, and the verdict. Plain JSON (null for absent values, ISO times), small
 * (lists capped) and free of secrets: it holds logins, a sha, a branch and cleaned reasons, never
 * tokens, check URLs or configuration beyond the environment's name.
 */
import { cleanValue } from '../github/markdown.ts';
import { tallyApprovals } from './approvals.ts';
import type { GateFacts } from './facts.ts';
import type { GateName, GateOutcome, Verdict } from './verdict.ts';

/** How many approvers and rejecters a record lists by name. */
const LISTED = 50;

export interface DecisionRecord {
  readonly version: 1;
  readonly at: string;
  readonly environment: string;
  readonly sha: string;
  readonly branch: string | null;
  readonly requester: string;
  readonly verdict: Verdict['state'];
  readonly nextOpening: string | null;
  readonly gates: readonly { readonly gate: GateName; readonly state: GateOutcome['state'] }[];
  readonly approvals: {
    readonly needed: number;
    readonly counted: number;
    readonly by: readonly { readonly login: string; readonly at: string }[];
  };
  readonly rejections: readonly {
    readonly login: string;
    readonly at: string;
    readonly reason: string | null;
  }[];
  readonly lockedBy: string | null;
}

/** The audit record of `verdict`, reached over `facts`. */
export function decisionRecord(facts: GateFacts, verdict: Verdict): DecisionRecord {
  const tally = tallyApprovals(facts);
  return {
    version: 1,
    at: facts.now.toISOString(),
    environment: facts.environment.name,
    sha: facts.sha,
    branch: facts.branch === undefined ? null : cleanValue(facts.branch, 255),
    requester: facts.requester,
    verdict: verdict.state,
    nextOpening: verdict.nextOpening?.toISOString() ?? null,
    gates: verdict.gates.map(({ gate, state }) => ({ gate, state })),
    approvals: {
      needed: facts.environment.requires.approvals,
      counted: tally.counted.length,
      by: tally.counted.slice(0, LISTED).map((a) => ({ login: a.by, at: a.at.toISOString() })),
    },
    rejections: tally.rejections.slice(0, LISTED).map((r) => ({
      login: r.by,
      at: r.at.toISOString(),
      reason: r.reason === undefined ? null : cleanValue(r.reason),
    })),
    lockedBy: facts.lock?.holder ?? null,
  };
}
