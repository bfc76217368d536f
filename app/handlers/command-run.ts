import type { Context } from 'probot';
import type { RollgateConfig } from '../../src/config/types.ts';
import type { PullFacts } from '../decisions/deploy.ts';
import { environmentList as listEnvironments } from '../decisions/deploy.ts';
import type { PermissionFacts } from '../permissions.ts';
import type { EnvironmentState } from './environment-state.ts';
import type { GitHubIo } from './github-io.ts';

/** Everything a command handler knows about the comment that asked for it, read before any write. */
export interface CommandRun {
  readonly context: Context<'issue_comment.created'>;
  readonly io: GitHubIo;
  readonly repo: { readonly owner: string; readonly repo: string };
  readonly user: string;
  readonly commentId: number;
  readonly commentUrl: string;
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
