import type { Context, ProbotOctokit } from 'probot';
import { CONFIG_FILE, ConfigError, parseConfigText, validateConfigObject } from '../src/config/parse.ts';
import type { RollgateConfig } from '../src/config/types.ts';

/** What reading the configuration needs from a Probot context: its Octokit, its repository and `config`. */
export interface ConfigSource {
  readonly octokit: InstanceType<typeof ProbotOctokit>;
  repo(): { owner: string; repo: string };
  config: Context['config'];
}

/**
 * Reads `.github/rollgate.yml` from the default branch. The file's own text is parsed with
 * positions, so a mistake is reported with its line and column; when it `_extends` another
 * file, Probot's `context.config` merges the two and the merged object is validated too.
 */
export async function loadConfig(source: ConfigSource): Promise<RollgateConfig> {
  const repo = source.repo();
  let text: string | undefined;
  try {
    const { data } = await source.octokit.rest.repos.getContent({ ...repo, path: CONFIG_FILE });
    if (!Array.isArray(data) && data.type === 'file' && 'content' in data)
      text = Buffer.from(data.content, 'base64').toString('utf8');
  } catch (error) {
    if ((error as { status?: number }).status !== 404) throw error;
  }
  if (text === undefined) return parseConfigText('', CONFIG_FILE);
  const local = parseConfigText(text, CONFIG_FILE);
  if (local.extends === undefined) return local;
  // Arrays of the repository's file replace the base's (Probot would concatenate them).
  const merged: unknown = await source.config(
    'rollgate.yml',
    {},
    { arrayMerge: (_base: unknown[], own: unknown[]) => own },
  );
  return validateConfigObject(merged ?? {}, `${CONFIG_FILE} (with _extends)`);
}

export { CONFIG_FILE, ConfigError };
