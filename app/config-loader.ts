import type { ProbotOctokit } from 'probot';
import { loadConfig as loadConfigFrom } from '../src/config/load.ts';
import type { RollgateConfig } from '../src/config/types.ts';

/** What reading the configuration needs from a Probot context: its Octokit and its repository. */
export interface ConfigSource {
  readonly octokit: InstanceType<typeof ProbotOctokit>;
  repo(): { owner: string; repo: string };
}

/** Reads `.github/rollgate.yml` from the default branch (src/config/load.ts) with a webhook's Octokit. */
export function loadConfig(source: ConfigSource): Promise<RollgateConfig> {
  return loadConfigFrom({
    contents: source.octokit.rest.repos,
    repo: source.repo(),
  });
}

export { CONFIG_FILE, ConfigError } from '../src/config/parse.ts';
