/**
 * The approvals gate: `/approve`s bind to a sha and are counted once per person; who may approve
 * is `requires.approvers` (users, or active members of `@org/team`), or, without that key, anyone
 * whose approval was recorded (the shell only records commands from people with
 * `commands.permission`).
 *
 * Where the product text is silent, Rollgate does what GitHub's own pull-request reviews do: each
 * person's latest word on the commit stands, so a `/reject` followed by an `/approve` from the same
 * person withdraws the rejection, and an `/approve` followed by a `/reject` withdraws the approval.
 * A rejection blocks only when it comes from someone who could also approve (an approver, or
 * anyone when approvers is empty); the requester may reject their own request (it withdraws it).
 */
import type { Approver } from '../config/types.ts';
import { code, listWithin, mention } from '../github/markdown.ts';
import type { GateFacts, RejectionFact } from './facts.ts';
import type { GateOutcome } from './verdict.ts';

const LIST_BUDGET = 300;

/** How the recorded approvals and rejections count for this sha. */
export interface ApprovalTally {
  /** The people whose approval of this sha counts, in the order they gave it. */
  readonly counted: readonly { readonly by: string; readonly at: Date }[];
  /** Standing rejections of this sha by eligible people, oldest first. */
  readonly rejections: readonly RejectionFact[];
  /** Eligible people who approved only another commit. */
  readonly stale: readonly string[];
  /** The requester approved this sha, and `self_approval` is off. */
  readonly selfApproved: boolean;
  /** People who approved this sha but are not approvers. */
  readonly ineligible: readonly string[];
}

const folded = (login: string): string => login.toLowerCase();

/** Whether `login` may approve for `environment`, given the members of its approver teams. */
export function isEligible(
  login: string,
  approvers: readonly Approver[],
  teams: GateFacts['teams'],
): boolean {
  if (approvers.length === 0) return true;
  const who = folded(login);
  return approvers.some((approver) =>
    approver.kind === 'user'
      ? folded(approver.login) === who
      : (teams.get(folded(`${approver.org}/${approver.slug}`))?.has(who) ?? false),
  );
}

/** Counts the approvals and rejections of `facts.sha`, one voice per person (their latest). */
export function tallyApprovals(facts: GateFacts): ApprovalTally {
  const { approvers, selfApproval } = facts.environment.requires;
  const sha = folded(facts.sha);
  const requester = folded(facts.requester);
  const eligible = (login: string) => isEligible(login, approvers, facts.teams);
  const onSha = [
    ...facts.approvals.map((a) => ({ ...a, reason: undefined, kind: 'approve' as const })),
    ...facts.rejections.map((r) => ({ ...r, kind: 'reject' as const })),
  ]
    .filter((record) => folded(record.sha) === sha)
    .sort((a, b) => a.at.getTime() - b.at.getTime());

  const latest = new Map<string, (typeof onSha)[number]>();
  for (const record of onSha) latest.set(folded(record.by), record);

  const counted: { by: string; at: Date }[] = [];
  const rejections: RejectionFact[] = [];
  const ineligible: string[] = [];
  let selfApproved = false;
  for (const [who, record] of latest) {
    if (!eligible(record.by)) {
      if (record.kind === 'approve') ineligible.push(record.by);
    } else if (record.kind === 'reject') {
      rejections.push({ by: record.by, sha: record.sha, at: record.at, reason: record.reason });
    } else if (who === requester && !selfApproval) {
      selfApproved = true;
    } else counted.push({ by: record.by, at: record.at });
  }
  counted.sort((a, b) => a.at.getTime() - b.at.getTime());

  const stale = new Map<string, string>();
  for (const approval of facts.approvals) {
    const who = folded(approval.by);
    if (folded(approval.sha) === sha || latest.has(who) || !eligible(approval.by)) continue;
    if (who === requester && !selfApproval) continue;
    if (!stale.has(who)) stale.set(who, approval.by);
  }
  return { counted, rejections, stale: [...stale.values()], selfApproved, ineligible };
}

const mentions = (logins: readonly string[]): string => listWithin(logins.map(mention), LIST_BUDGET);

/** `N approvals` with the right plural, for the notes below the count. */
function approvalsNoun(count: number): string {
  return `${count} ${count === 1 ? 'approval' : 'approvals'}`;
}

function notes(tally: ApprovalTally, requester: string): string[] {
  const notes: string[] = [];
  const stale = tally.stale.length;
  if (stale > 0)
    notes.push(`${approvalsNoun(stale)} for an older commit no longer ${stale === 1 ? 'counts' : 'count'}`);
  if (tally.selfApproved)
    notes.push(`${mention(requester)}'s own approval does not count (self_approval is off)`);
  if (tally.ineligible.length > 0)
    notes.push(
      `${mentions(tally.ineligible)} ${tally.ineligible.length === 1 ? 'is not an approver' : 'are not approvers'}`,
    );
  return notes;
}

/** Who else could approve `missing` more times, for the "what would change it" line. */
function whoElse(facts: GateFacts, tally: ApprovalTally, missing: number): string {
  const { approvers, selfApproval } = facts.environment.requires;
  const requester = folded(facts.requester);
  if (approvers.length === 0) {
    const people = missing === 1 ? 'someone' : `${missing} more people`;
    return `${people} who may run commands${selfApproval ? '' : `, not ${mention(facts.requester)}`}`;
  }
  const done = new Set(tally.counted.map((c) => folded(c.by)));
  const candidates = approvers.flatMap((approver) => {
    if (approver.kind === 'team') return [`a member of ${code(approver.text)}`];
    const who = folded(approver.login);
    if (done.has(who) || (who === requester && !selfApproval)) return [];
    return [mention(approver.login)];
  });
  const count = missing === 1 ? 'one more approver' : `${missing} more approvers`;
  return candidates.length === 0 ? count : `${count}: ${listWithin(candidates, LIST_BUDGET, ' or ')}`;
}

/** The approvals gate's outcome for `facts` (the environment needs at least one approval). */
export function approvalsGate(facts: GateFacts): GateOutcome {
  const environment = facts.environment;
  const needed = environment.requires.approvals;
  const tally = tallyApprovals(facts);
  const command = code(`/approve ${environment.name}`);
  if (tally.rejections.length > 0) {
    const rejected = tally.rejections.map(
      (r) =>
        `${mention(r.by)}${r.reason === undefined || r.reason.trim() === '' ? '' : ` (${code(r.reason)})`}`,
    );
    return {
      gate: 'approvals',
      state: 'failed',
      summary: `rejected by ${listWithin(rejected, LIST_BUDGET)}`,
      change: `${listWithin(
        tally.rejections.map((r) => mention(r.by)),
        LIST_BUDGET,
        ' or ',
      )} can withdraw it with ${command}; a new commit starts over`,
    };
  }
  const count = tally.counted.length;
  const who = count === 0 ? '' : ` (${mentions(tally.counted.map((c) => c.by))})`;
  const summary = [
    `${Math.min(count, needed)} of ${needed} ${needed === 1 ? 'approval' : 'approvals'}${who}`,
    ...notes(tally, facts.requester),
  ].join('; ');
  if (count >= needed) return { gate: 'approvals', state: 'passed', summary };
  const missing = needed - count;
  return {
    gate: 'approvals',
    state: 'waiting',
    summary,
    change: `${command} from ${whoElse(facts, tally, missing)}`,
  };
}
