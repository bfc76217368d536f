import type { RollgateConfig } from '../../src/config/types.ts';
import type { PullFacts } from '../decisions/deploy.ts';
import { environmentList as listEnvironments } from '../decisions/deploy.ts';
import type { PermissionFacts } from '../permissions.ts';
import type { EnvironmentState, MarkerOwner } from './environment-state.ts';
import type { GitHubIo } from './github-io.ts';

/**
 * What a command reads of the repository besides the API: its web address and default branch.
 * A webhook's context carries them (`payload.repository`); the dashboard reads them with `repos.get`.
 */
export interface CommandSource {
  readonly payload: { readonly repository: { readonly html_url: string; readonly default_branch: string } };
}

/** Everything a command handler knows about the comment that asked for it, read before any write. */
export interface CommandRun {
  readonly context: CommandSource;
  readonly io: GitHubIo;
  readonly repo: { readonly owner: string; readonly repo: string };
  readonly user: string;
  readonly commentId: number;
  readonly commentUrl: string;
  /** When the command was asked (the comment's `created_at`): a fork's head committed later is not what was seen. */
  readonly commentedAt: string;
  readonly pull: PullFacts & { readonly headRef: string };
  readonly config: RollgateConfig;
  readonly permission: PermissionFacts;
  /** Locks and markers, as the read phase found them. */
  readonly environments: EnvironmentState;
  /** This comment was claimed before (a redelivery, or a retry after a crash): find before writing. */
  readonly resume: boolean;
  /**
   * Posts the reply now, carrying `records` under a provisional `message`, for a command whose
   * decision must count its own record (two `/approve` at once each see the other's). The
   * command's answer then replaces that message in the same reply.
   */
  readonly recordFirst: (records: string, message: string) => Promise<void>;
}

/**
 * What an environment command (`/lock`, `/unlock`, `/rollback`) needs: a comment's run has it all,
 * and the dashboard, which has no pull request, builds one with its own `owner` and no `pull`.
 */
export type EnvironmentRun = Pick<
  CommandRun,
  'context' | 'io' | 'repo' | 'user' | 'config' | 'permission' | 'environments' | 'resume'
> & {
  readonly pull: CommandRun['pull'] | undefined;
  /** What owns the Deployment or marker the command makes: the comment, or the dashboard's action. */
  readonly owner: MarkerOwner;
  /** Where the command came from, kept in the lock record and the Deployment's payload (`via`). */
  readonly via?: 'dashboard';
};

/** A comment's run as an environment command's. */
export function environmentRun(run: CommandRun): EnvironmentRun {
  return { ...run, owner: { kind: 'comment', id: run.commentId } };
}

/** What the reply says, and whether the command did what was asked (🚀) or not (😕). */
export interface CommandResult {
  readonly ok: boolean;
  readonly message: string;
  /** Hidden records the reply carries (a pending request, an approval): see gate-records.ts. */
  readonly records?: string;
}

/** A refusal: nothing was changed, and the reply says why and what to do. */
export function refuse(message: string): CommandResult {
  return { ok: false, message };
}

/** The environments of the configuration, for replies that list them. */
export function environmentList(config: RollgateConfig): string {
  return listEnvironments([...config.environments.keys()]);
}
