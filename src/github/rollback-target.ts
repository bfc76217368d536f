import type { RollgateDeployment } from './deployments.ts';

/** What `/rollback <env> [<target>]` should do, decided from Rollgate's records of the environment. */
export type RollbackChoice =
  | {
      /** Create a `deploy:rollback` Deployment of `target`'s version and commit. */
      readonly kind: 'rollback';
      readonly target: RollgateDeployment;
      readonly current: RollgateDeployment;
    }
  | {
      /** The previous good version is the one that runs (an automatic rollback restored it). */
      readonly kind: 'already-running';
      readonly target: RollgateDeployment;
      readonly current: RollgateDeployment;
    }
  | { readonly kind: 'never-deployed' }
  | { readonly kind: 'no-earlier-good'; readonly current: RollgateDeployment }
  | {
      readonly kind: 'no-match';
      readonly target: string;
      /** Versions that went live, newest first, to name in the answer. */
      readonly known: readonly string[];
    };

/** Went live: its newest status is `success`, or `inactive` (superseded after succeeding). */
function wentLive(record: RollgateDeployment): boolean {
  return record.state === 'success' || record.state === 'inactive';
}

function isFailure(record: RollgateDeployment): boolean {
  return record.state === 'failure' || record.state === 'error';
}

/**
 * The ids of deployments a rollback replaced: the one it names (`failed_deployment_id`, what an
 * automatic rollback reverted) and the Rollgate deployment just before it — what ran when the
 * rollback was asked for. A rollback to the very version that ran replaced nothing.
 */
function replacedIds(records: readonly RollgateDeployment[]): Set<number> {
  const replaced = new Set<number>();
  records.forEach((record, index) => {
    if (record.task !== 'deploy:rollback') return;
    if (record.replaces !== undefined) replaced.add(record.replaces);
    const before = records[index + 1];
    if (before !== undefined && before.version !== record.version) replaced.add(before.id);
  });
  return replaced;
}

/**
 * Chooses a rollback's target the way the rollback action does on the cluster. The current
 * deployment is the newest Rollgate record (whatever its state: a failed deploy left in place
 * runs, an in-progress one is rolling out). Without a target: the newest record older than the
 * current one that went live and that Rollgate never recorded as bad — no `deploy:rollback`
 * replaced it, and no later deploy of its version failed. When that version is what runs (an
 * automatic rollback already restored it), nothing is to be done: a rollback does not walk
 * further back on its own. With a target (a version or a deployment id, `#` optional): the newest
 * record that went live and matches it.
 *
 * `records` are newest first; deployments GitHub made for workflow jobs are not in them.
 */
export function chooseRollbackTarget(
  records: readonly RollgateDeployment[],
  target?: string,
): RollbackChoice {
  const ordered = [...records].sort((a, b) => b.id - a.id);
  const live = ordered.filter(wentLive);
  if (target !== undefined) {
    const id = /^#?\d+$/.test(target) ? Number(target.replace('#', '')) : undefined;
    const match = live.find((r) => r.id === id || r.version === target);
    const current = ordered[0];
    if (match !== undefined && current !== undefined) return { kind: 'rollback', target: match, current };
    return { kind: 'no-match', target, known: [...new Set(live.map((r) => r.version))].slice(0, 10) };
  }
  const current = ordered[0];
  if (current === undefined) return { kind: 'never-deployed' };
  const replaced = replacedIds(ordered);
  // A version that failed later is not good any more, even where it once went live: on the
  // cluster it is the same template, which the action then finds recorded `failed`.
  const failedLater = new Set<string>();
  let good: RollgateDeployment | undefined;
  for (const record of ordered) {
    if (
      record !== current &&
      wentLive(record) &&
      !replaced.has(record.id) &&
      !failedLater.has(record.version)
    ) {
      good = record;
      break;
    }
    if (isFailure(record)) failedLater.add(record.version);
  }
  if (good === undefined) return { kind: 'no-earlier-good', current };
  if (good.version === current.version) return { kind: 'already-running', target: good, current };
  return { kind: 'rollback', target: good, current };
}
