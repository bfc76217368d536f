/**
 * `/lock` and `/unlock` decided over the environment's lock and marker, read before any write.
 */
import { code, mention } from '../../src/github/markdown.ts';
import type { LockHolder, Marker } from '../handlers/environment-state.ts';
import { environmentList, sinceText } from './deploy.ts';

export type LockDecision =
  | { readonly kind: 'refuse'; readonly message: string }
  | { readonly kind: 'done'; readonly message: string }
  | { readonly kind: 'take' };

export interface LockFacts {
  readonly environment: string;
  readonly environmentNames: readonly string[];
  readonly requester: string;
  readonly lock: LockHolder | undefined;
}

/** `/lock <env>`: take the lock, or say who holds it. */
export function decideLock(facts: LockFacts): LockDecision {
  if (!facts.environmentNames.includes(facts.environment)) {
    return {
      kind: 'refuse',
      message: `There is no environment ${code(facts.environment)}. This repository's environments: ${environmentList(facts.environmentNames)}.`,
    };
  }
  if (facts.lock === undefined) return { kind: 'take' };
  return lockTakenAnswer(facts.environment, facts.lock, facts.requester);
}

/** The answer when the lock is held already: by the caller (done) or by someone else (refused). */
export function lockTakenAnswer(environment: string, lock: LockHolder, requester: string): LockDecision {
  if (lock.holder === requester) {
    return {
      kind: 'done',
      message: `🔒 ${code(environment)} is already locked by you since ${sinceText(lock.since)}.`,
    };
  }
  return {
    kind: 'refuse',
    message: `${code(environment)} is already locked by ${mention(lock.holder)} since ${sinceText(lock.since)}${lock.reason ? `: ${code(lock.reason)}` : ''}.`,
  };
}

export type UnlockDecision =
  | { readonly kind: 'refuse'; readonly message: string }
  | { readonly kind: 'done'; readonly message: string }
  | { readonly kind: 'drop'; readonly ref: 'lock' | 'deploying'; readonly message: string };

export interface UnlockFacts {
  readonly environment: string;
  readonly requester: string;
  readonly admin: boolean;
  /** `/unlock <env> --deploying`: the marker, not the lock. */
  readonly deploying: boolean;
  readonly lock: LockHolder | undefined;
  readonly marker: Marker | undefined;
}

/** `/unlock <env> [--deploying]`: the holder or an admin releases the lock (or clears the marker). */
export function decideUnlock(facts: UnlockFacts): UnlockDecision {
  const env = code(facts.environment);
  const held = facts.deploying ? facts.marker : facts.lock;
  if (held === undefined) {
    return {
      kind: 'done',
      message: facts.deploying ? `No deploy to ${env} is marked as in progress.` : `${env} was not locked.`,
    };
  }
  const whose = held.holder === facts.requester ? '' : ` (it was ${mention(held.holder)}'s)`;
  if (held.holder !== facts.requester && !facts.admin) {
    return {
      kind: 'refuse',
      message: facts.deploying
        ? `The deploy in progress on ${env} is ${mention(held.holder)}'s; only they or a repository admin can clear it.`
        : `${env} is locked by ${mention(held.holder)}; only they or a repository admin can unlock it.`,
    };
  }
  if (facts.deploying) {
    return {
      kind: 'drop',
      ref: 'deploying',
      message: `The deploy-in-progress marker of ${env} is cleared${whose}; it was set ${sinceText(held.since)}${held.reason ? ` for ${code(held.reason)}` : ''}. Deploys may start again.`,
    };
  }
  return {
    kind: 'drop',
    ref: 'lock',
    message: `🔓 ${env} is unlocked${held.holder === facts.requester ? '' : ` (it was locked by ${mention(held.holder)})`}.`,
  };
}
