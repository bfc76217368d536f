/**
 * What every handler carries to talk to GitHub: the installation's Octokit, the repository, this
 * App's id (to tell its own comments and check runs from another App's) and a logger.
 */
import type { Logger, ProbotOctokit } from 'probot';
import type { GitRefsApi } from '../../src/github/environment-refs.ts';

type Octokit = InstanceType<typeof ProbotOctokit>;

/** The part of a Probot context the handlers use. */
interface AnyContext {
  readonly octokit: Octokit;
  readonly log: Logger;
  repo(): { owner: string; repo: string };
}

export interface GitHubIo {
  readonly octokit: Octokit;
  readonly git: GitRefsApi;
  readonly repo: { readonly owner: string; readonly repo: string };
  readonly appId: number | undefined;
  readonly log: Logger;
}

/** The App's own id, from its credentials (no API call: the JWT strategy knows it). */
async function appIdOf(context: AnyContext): Promise<number | undefined> {
  try {
    const auth = (await context.octokit.auth({ type: 'app' })) as { appId?: unknown };
    return typeof auth.appId === 'number' ? auth.appId : Number(auth.appId) || undefined;
  } catch {
    return undefined;
  }
}

/** The ports of a webhook's context. */
export async function gitHubIo(context: AnyContext): Promise<GitHubIo> {
  return {
    octokit: context.octokit,
    git: context.octokit.rest.git as unknown as GitRefsApi,
    repo: context.repo(),
    appId: await appIdOf(context),
    log: context.log,
  };
}

/** Whether a comment, check run or reaction was made by this App. */
export function byThisApp(io: GitHubIo, app: { readonly id?: number } | null | undefined): boolean {
  return app != null && io.appId !== undefined && app.id === io.appId;
}
