import type { Context } from 'probot';
import type { RollgateConfig } from '../../src/config/types.ts';

/** Everything a command handler knows about the comment that asked for it. */
export interface CommandRun {
  readonly context: Context<'issue_comment.created'>;
  readonly repo: { readonly owner: string; readonly repo: string };
  readonly user: string;
  readonly commentId: number;
  readonly commentUrl: string;
  readonly pull: {
    readonly number: number;
    readonly headSha: string;
    readonly headRef: string;
    readonly fromFork: boolean;
  };
  readonly config: RollgateConfig;
}

/** What the reply says, and whether the command did what was asked (🚀) or not (😕). */
export interface CommandResult {
  readonly ok: boolean;
  readonly message: string;
}

/** A refusal: nothing was changed, and the reply says why and what to do. */
export function refuse(message: string): CommandResult {
  return { ok: false, message };
}

/** The environments of the configuration, for replies that list them. */
export function environmentList(config: RollgateConfig): string {
  const names = [...config.environments.keys()];
  return names.length === 0
    ? 'none are configured (add them to `.github/rollgate.yml`)'
    : names.map((n) => `\`${n}\``).join(', ');
}
