/**
 * Which environments a published release deploys to: those whose `auto_deploy` lists `release`,
 * and for a prerelease only those that list `prerelease` (PRODUCT.md §3).
 */
import type { RollgateConfig } from '../../src/config/types.ts';

export interface ReleaseFacts {
  readonly prerelease: boolean;
  readonly draft: boolean;
}

/** The names of the environments this release goes to, in the configuration's order. */
export function releaseEnvironments(config: RollgateConfig, release: ReleaseFacts): string[] {
  if (release.draft) return [];
  const trigger = release.prerelease ? 'prerelease' : 'release';
  return [...config.environments.values()]
    .filter((environment) => (environment.autoDeploy as readonly string[]).includes(trigger))
    .map((environment) => environment.name);
}

/** The version a release's tag names: `v1.4.0` → `1.4.0`. */
export function releaseVersion(tag: string): string {
  return tag.replace(/^v(?=\d)/, '');
}
