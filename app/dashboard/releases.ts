/**
 * The releases page: a repository's published releases (drafts have no tag yet and run nowhere),
 * newest first, and for each the environments where it runs now — those whose live Deployment
 * (history.ts) carries its version, as a release's Deployment does (`v1.4.0` deploys version
 * `1.4.0`: app/decisions/release.ts) or as `/deploy v1.4.0` does (the tag itself).
 */
import { releaseVersion } from '../decisions/release.ts';
import type { Repo } from '../../src/github/deployments.ts';
import type { DeploymentEntry } from './history.ts';
import type { InstallationGitHub } from './environments.ts';

export interface ReleaseRow {
  readonly tag: string;
  readonly name: string;
  readonly prerelease: boolean;
  readonly publishedAt: string | undefined;
  readonly author: string;
  readonly url: string;
  /** Environments running it now, by name, sorted. */
  readonly runsIn: readonly string[];
}

/** Whether a deployed version is the release tagged `tag`. */
export function isRelease(version: string | undefined, tag: string): boolean {
  return version !== undefined && (version === tag || version === releaseVersion(tag));
}

/** Published releases with where each runs, from one page of 100 releases. */
export async function readReleases(
  github: InstallationGitHub,
  repo: Repo,
  live: ReadonlyMap<string, DeploymentEntry>,
): Promise<ReleaseRow[]> {
  const { data } = await github.repos.listReleases({ ...repo, per_page: 100 });
  const running = [...live.values()];
  return data
    .filter((r) => !r.draft)
    .map((r) => ({
      tag: r.tag_name,
      name: r.name ?? r.tag_name,
      prerelease: r.prerelease,
      publishedAt: r.published_at ?? undefined,
      author: r.author.login,
      url: r.html_url,
      runsIn: running
        .filter((e) => isRelease(e.version, r.tag_name))
        .map((e) => e.environment)
        .sort((a, b) => a.localeCompare(b)),
    }));
}
