/**
 * `evaluateGates`: from the facts read before a deploy to the verdict on it. Pure: the same facts
 * give the same verdict on every replica, which is what lets the App answer a
 * `deployment_protection_rule` event and a `/deploy` the same way.
 */
import { code, listWithin, mention } from '../github/markdown.ts';
import { approvalsGate } from './approvals.ts';
import { branchMatches } from './branch-pattern.ts';
import { checksGate } from './checks.ts';
import type { GateFacts } from './facts.ts';
import {
  activeFreezes,
  freezeInterval,
  nextOpening,
  nextWindowStart,
  openWindowAt,
  OPENING_HORIZON_DAYS,
} from './schedule.ts';
import { verdictOf, type GateOutcome, type Verdict } from './verdict.ts';
import { formatWallTime } from './zoned-time.ts';

const folded = (login: string): string => login.toLowerCase();
const shortSha = (sha: string): string => code(sha.slice(0, 7));

/** Deployment states of a deploy still under way (GitHub's deployment status states). */
const UNDER_WAY: ReadonlySet<string> = new Set(['queued', 'pending', 'in_progress']);

/** A lock held by someone else refuses everyone but its holder (logins compare case-insensitively, as GitHub's do). */
function lockGate(facts: GateFacts): GateOutcome {
  const lock = facts.lock;
  if (lock === undefined) return { gate: 'lock', state: 'passed', summary: 'not locked' };
  const reason = lock.reason === undefined || lock.reason.trim() === '' ? '' : `: ${code(lock.reason)}`;
  if (folded(lock.holder) === folded(facts.requester))
    return {
      gate: 'lock',
      state: 'passed',
      summary: `locked by ${mention(lock.holder)}, who asked${reason}`,
    };
  return {
    gate: 'lock',
    state: 'failed',
    summary: `locked by ${mention(lock.holder)}${reason}`,
    change: `${mention(lock.holder)} runs ${code(`/unlock ${facts.environment.name}`)}`,
  };
}

/** `requires.branches`: the branch must match one entry; a bare sha or tag has no branch to match. */
function branchGate(facts: GateFacts): GateOutcome {
  const patterns = facts.environment.requires.branches;
  const list = listWithin(
    patterns.map((p) => code(p)),
    300,
  );
  if (facts.branch === undefined) {
    return {
      gate: 'branch',
      state: 'failed',
      summary: `${shortSha(facts.sha)} is deployed from no branch (a bare commit or a tag), and only ${list} may be deployed`,
      change: `deploy it from a branch that matches ${list}`,
    };
  }
  const branch = facts.branch;
  const match = patterns.find((pattern) => branchMatches(pattern, branch));
  if (match !== undefined)
    return { gate: 'branch', state: 'passed', summary: `${code(branch)} matches ${code(match)}` };
  return {
    gate: 'branch',
    state: 'failed',
    summary: `${code(branch)} matches none of ${list}`,
    change: `merge it into a branch that matches ${list} and deploy from there`,
  };
}

/** `requires.deployed_to`: this very sha must be live there, with a successful latest status. */
function promotionGate(facts: GateFacts, target: string): GateOutcome {
  const where = code(target);
  const promotion = facts.promotion;
  const first = `deploy ${shortSha(facts.sha)} to ${where} first`;
  if (promotion === undefined || promotion.liveSha === undefined)
    return {
      gate: 'promotion',
      state: 'waiting',
      summary: `nothing is deployed to ${where} yet`,
      change: first,
    };
  if (folded(promotion.liveSha) !== folded(facts.sha)) {
    return {
      gate: 'promotion',
      state: 'waiting',
      summary: `${where} runs ${shortSha(promotion.liveSha)}, not ${shortSha(facts.sha)}`,
      change: first,
    };
  }
  const state = promotion.liveState;
  if (state === 'success')
    return { gate: 'promotion', state: 'passed', summary: `${shortSha(facts.sha)} is live on ${where}` };
  if (state === undefined || UNDER_WAY.has(state)) {
    return {
      gate: 'promotion',
      state: 'waiting',
      summary: `${shortSha(facts.sha)} is in progress on ${where}`,
      change: `its deploy to ${where} succeeding`,
    };
  }
  return {
    gate: 'promotion',
    state: 'waiting',
    summary: `${shortSha(facts.sha)} on ${where} is ${code(state)}, not live and healthy`,
    change: `deploy ${shortSha(facts.sha)} to ${where} again, successfully`,
  };
}

const iso = (instant: number): string => new Date(instant).toISOString();

/** A moment in the checklist's words: the ISO instant and the zone's own wall time. */
function when(instant: number, zone: string): string {
  return `${iso(instant)} (${code(formatWallTime(instant, zone))})`;
}

/** `windows`: open now, or waiting for the next window start (freezes are the freeze gate's). */
function windowGate(facts: GateFacts): GateOutcome {
  const { windows } = facts.environment;
  const now = facts.now.getTime();
  const open = openWindowAt(windows, now);
  if (open !== undefined) {
    return {
      gate: 'window',
      state: 'passed',
      summary: `inside ${code(open.window.label)} until ${when(open.interval.end, open.window.timezone)}`,
    };
  }
  const next = nextWindowStart(windows, now);
  const labels = listWithin(
    windows.map((w) => code(w.label)),
    300,
  );
  if (next === undefined) {
    return {
      gate: 'window',
      state: 'waiting',
      summary: `outside ${labels}, and none of them opens in the next two weeks`,
      change: 'a window in .github/rollgate.yml that can open',
    };
  }
  return {
    gate: 'window',
    state: 'waiting',
    summary: `outside ${labels}`,
    change: `${code(next.window.label)} to open`,
    opensAt: new Date(next.start),
    timeZone: next.window.timezone,
  };
}

/**
 * `freezes`: in none now, or waiting for the first instant after the freezes in force that no
 * other freeze covers and, when there are windows, that is inside one.
 */
function freezeGate(facts: GateFacts, opening: number | undefined): GateOutcome {
  const now = facts.now.getTime();
  const frozen = activeFreezes(facts.environment.freezes, now);
  if (frozen.length === 0) return { gate: 'freeze', state: 'passed', summary: 'no freeze in force' };
  const described = frozen.map(
    (f) =>
      `${f.reason === undefined || f.reason.trim() === '' ? 'a freeze' : code(f.reason)} (${code(`${f.from} to ${f.to} ${f.timezone}`)})`,
  );
  const summary = `frozen: ${listWithin(described, 400)}`;
  // The zone to read the opening in: the window's it opens in, else the freeze's that ends last.
  const last = frozen.reduce((a, b) => (freezeInterval(b).end > freezeInterval(a).end ? b : a));
  if (opening === undefined) {
    return {
      gate: 'freeze',
      state: 'waiting',
      summary: `${summary}; no deploy may start in the next ${OPENING_HORIZON_DAYS} days`,
      change: 'a shorter freeze in .github/rollgate.yml',
    };
  }
  const zone = openWindowAt(facts.environment.windows, opening)?.window.timezone ?? last.timezone;
  return {
    gate: 'freeze',
    state: 'waiting',
    summary,
    change: `the freeze to end${facts.environment.windows.length > 0 ? ' and a window to open' : ''}`,
    opensAt: new Date(opening),
    timeZone: zone,
  };
}

/**
 * The verdict on deploying `facts.sha` to `facts.environment`. `gates` holds the lock gate
 * always and every other gate the environment configures, in `GATE_NAMES` order; any failed gate
 * fails the verdict, else any waiting one makes it wait.
 */
export function evaluateGates(facts: GateFacts): Verdict {
  const { requires, windows, freezes } = facts.environment;
  const opening = nextOpening(windows, freezes, facts.now.getTime());
  const gates: GateOutcome[] = [lockGate(facts)];
  if (freezes.length > 0) gates.push(freezeGate(facts, opening));
  if (windows.length > 0) gates.push(windowGate(facts));
  if (requires.branches.length > 0) gates.push(branchGate(facts));
  if (requires.checks === 'success') gates.push(checksGate(facts));
  if (requires.deployedTo !== undefined) gates.push(promotionGate(facts, requires.deployedTo));
  if (requires.approvals > 0) gates.push(approvalsGate(facts));
  return verdictOf(gates, opening === undefined ? undefined : new Date(opening));
}
