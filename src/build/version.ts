/** Where the build's version came from, for the record and the summary. */
export type VersionSource = 'input' | 'tag' | 'package.json' | 'default';

export interface ResolvedVersion {
  readonly version: string;
  readonly source: VersionSource;
}

export interface VersionFacts {
  /** The `version` input; empty when not set. */
  readonly input: string;
  /** `GITHUB_REF`, e.g. `refs/tags/v1.4.0` or `refs/heads/main`. */
  readonly ref: string;
  readonly sha: string;
  /** `version` of package.json in the working directory, when there is one. */
  readonly packageVersion: string | undefined;
}

const VERSION_TAG = /^refs\/tags\/v(\d[^/]*)$/;

/**
 * The version rule: the explicit input; else, on a `v*` tag, the tag without its `v`
 * (`refs/tags/v1.4.0` → `1.4.0`, as docker/metadata-action's semver tags do); else
 * `<package.json version or 0.0.0>-<short sha>`, so every commit gets a distinct, sortable version.
 */
export function resolveVersion(facts: VersionFacts): ResolvedVersion {
  if (facts.input !== '') return { version: facts.input, source: 'input' };
  const tag = VERSION_TAG.exec(facts.ref);
  if (tag?.[1] !== undefined) return { version: tag[1], source: 'tag' };
  const base = facts.packageVersion ?? '0.0.0';
  return {
    version: `${base}-${shortSha(facts.sha)}`,
    source: facts.packageVersion === undefined ? 'default' : 'package.json',
  };
}

/** The first seven characters of a commit sha, as git and GitHub show it. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}
