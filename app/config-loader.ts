import type { ProbotOctokit } from 'probot';
import { ConfigError, parseConfigText, validateConfigObject } from '../src/config/parse.ts';
import type { RollgateConfig } from '../src/config/types.ts';

export const CONFIG_FILE = '.github/rollgate.yml';

/** What reading the configuration needs: the installation's Octokit, the repository, and Probot's merging reader. */
export interface ConfigSource {
  readonly octokit: InstanceType<typeof ProbotOctokit>;
  readonly repo: { readonly owner: string; readonly repo: string };
  /** `context.config('rollgate.yml')`: the file with `_extends` merged in. */
  readonly readMerged: () => Promise<unknown>;
}

/**
 * Reads `.github/rollgate.yml` from the default branch. The file's own text is parsed with
 * positions, so a mistake is reported with its line and column; when it `_extends` another
 * file, Probot's `context.config` merges the two and the merged object is validated too.
 */
export async function loadConfig(source: ConfigSource): Promise<RollgateConfig> {
  const { repo } = source;
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
  if (!/^_extends\s*:/m.test(text)) return local;
  const merged = await source.readMerged();
  return validateConfigObject(merged ?? {}, `${CONFIG_FILE} (with _extends)`);
}

export { ConfigError };
