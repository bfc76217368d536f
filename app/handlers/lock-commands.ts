import type { Command } from '../commands/parse.ts';
import { decideLock, decideUnlock, lockTakenAnswer } from '../decisions/lock.ts';
import { code, mention } from '../../src/github/markdown.ts';
import { lockChanged } from '../dashboard/events.ts';
import { isAdmin } from '../permissions.ts';
import { dropLock, dropMarker, readLock, takeLock, type LockHolder } from './environment-state.ts';
import { reconciledWrite } from './reconciled-write.ts';
import type { CommandResult, EnvironmentRun } from './command-run.ts';

/** `/lock <env> [reason]`: holds the environment for the caller; durable, and atomic across replicas. */
export async function lockCommand(
  run: EnvironmentRun,
  command: Extract<Command, { kind: 'lock' }>,
): Promise<CommandResult> {
  const decision = decideLock({
    environment: command.environment,
    environmentNames: [...run.config.environments.keys()],
    requester: run.user,
    lock: run.environments.locks.get(command.environment),
  });
  if (decision.kind !== 'take') return { ok: decision.kind === 'done', message: decision.message };
  const holder = {
    holder: run.user,
    reason: command.reason ?? '',
    since: new Date().toISOString(),
    pullRequest: run.pull?.number,
    // The lock record says where it was taken (kept in the ref's commit, src/github/environment-refs.ts).
    ...(run.via === undefined ? {} : { via: run.via }),
  };
  // After a failure, a lock with our name and time is ours: GitHub made it and the answer was lost.
  const result = await reconciledWrite<LockHolder | 'taken'>(
    async () => (await takeLock(run.io.git, run.io.repo, command.environment, holder)) ?? 'taken',
    async () => {
      const now = await readLock(run.io.git, run.io.repo, command.environment);
      return now?.holder === holder.holder && now.since === holder.since ? 'taken' : undefined;
    },
  );
  const taken = result === 'taken' ? undefined : result;
  if (taken !== undefined) {
    const answer = lockTakenAnswer(command.environment, taken, run.user);
    return { ok: answer.kind === 'done', message: 'message' in answer ? answer.message : '' };
  }
  // Open dashboards learn of it now: no webhook tells them of a lock ref.
  lockChanged({
    repository: `${run.io.repo.owner}/${run.io.repo.repo}`,
    environment: command.environment,
    holder: holder.holder,
    since: holder.since,
  });
  return {
    ok: true,
    message: `🔒 ${code(command.environment)} is locked for ${mention(run.user)}${command.reason ? `: ${code(command.reason)}` : ''}. Deploys by anyone else are refused until \`/unlock ${command.environment}\`.`,
  };
}

/**
 * `/unlock <env>`: the holder (or a repository admin) releases the environment.
 * `/unlock <env> --deploying`: the same people clear a deploy-in-progress marker left by a crash.
 */
export async function unlockCommand(
  run: EnvironmentRun,
  command: Extract<Command, { kind: 'unlock' }>,
): Promise<CommandResult> {
  const decision = decideUnlock({
    environment: command.environment,
    requester: run.user,
    admin: isAdmin(run.permission),
    deploying: command.deploying === true,
    lock: run.environments.locks.get(command.environment),
    marker: run.environments.markers.get(command.environment),
  });
  if (decision.kind !== 'drop') return { ok: decision.kind === 'done', message: decision.message };
  // Deleting a ref is idempotent (a ref already gone is fine), so a lost answer needs no reconciling.
  if (decision.ref === 'lock') {
    await dropLock(run.io.git, run.io.repo, command.environment);
    lockChanged({
      repository: `${run.io.repo.owner}/${run.io.repo.repo}`,
      environment: command.environment,
      holder: undefined,
      since: undefined,
    });
  } else await dropMarker(run.io.git, run.io.repo, command.environment);
  return { ok: true, message: decision.message };
}
