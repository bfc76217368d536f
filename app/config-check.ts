import type { Context } from 'probot';
import { CONFIG_FILE, ConfigError } from './config-loader.ts';
import type { RollgateConfig } from '../src/config/types.ts';
import { capBody, CHECK_RUN_TEXT_LIMIT, code, codeBlock, COMMENT_LIMIT } from '../src/github/markdown.ts';

/** The check run that says whether `.github/rollgate.yml` can be used. */
export const CONFIG_CHECK_NAME = 'rollgate / config';

/** How many problems a reply or the check lists; the rest are counted. */
const LISTED_PROBLEMS = 50;

/** The configuration, or the reply that says why no command runs. */
export type CheckedConfig =
  { readonly ok: true; readonly config: RollgateConfig } | { readonly ok: false; readonly message: string };

/** What reporting the configuration's state needs from a Probot context. */
type ConfigContext = Pick<Context<'issue_comment.created'>, 'octokit' | 'repo'>;

/**
 * Keeps the `rollgate / config` check run on `headSha` (the pull request's
 * head) true to it: an invalid file gets a failed run that lists its problems, and the reply that says
 * so; a valid one concludes an earlier failed run `success`, so fixing the file clears the check.
 *
 * The run lives on the pull request's head, not on the default branch's commit that holds the file:
 * that is where the person who ran the command looks, and where it matters, since GitHub counts every
 * check run on a ref when it verifies a Deployment's required contexts — a failed run left there
 * would refuse the next deploy with 409 after the file is fixed. One run per head: a later failure
 * updates it rather than adding another.
 */
export async function reportConfig(
  context: ConfigContext,
  headSha: string,
  loaded: RollgateConfig | ConfigError,
): Promise<CheckedConfig> {
  const repo = context.repo();
  const { data } = await context.octokit.rest.checks.listForRef({
    ...repo,
    ref: headSha,
    check_name: CONFIG_CHECK_NAME,
    filter: 'latest',
  });
  const earlier = data.check_runs[0];
  if (!(loaded instanceof ConfigError)) {
    if (earlier !== undefined && earlier.conclusion !== 'success') {
      await context.octokit.rest.checks.update({
        ...repo,
        check_run_id: earlier.id,
        status: 'completed',
        conclusion: 'success',
        output: {
          title: `${CONFIG_FILE} is valid`,
          summary: `${code(CONFIG_FILE)} was fixed: Rollgate reads it in full again, and commands run.`,
        },
      });
    }
    return { ok: true, config: loaded };
  }
  const count = loaded.problems.length;
  const output = {
    title: `${CONFIG_FILE} is invalid (${count.toLocaleString('en-US')} problem${count === 1 ? '' : 's'})`,
    summary: capBody(renderConfigProblems(loaded), CHECK_RUN_TEXT_LIMIT),
  };
  const failed = { status: 'completed', conclusion: 'failure', output } as const;
  if (earlier === undefined)
    await context.octokit.rest.checks.create({
      ...repo,
      name: CONFIG_CHECK_NAME,
      head_sha: headSha,
      ...failed,
    });
  else await context.octokit.rest.checks.update({ ...repo, check_run_id: earlier.id, ...failed });
  return {
    ok: false,
    // The reply gets a mention in front: the margin keeps the whole under GitHub's limit.
    message: capBody(
      `${code(CONFIG_FILE)} is invalid, so no command runs until it is fixed; the check ${code(CONFIG_CHECK_NAME)} shows the same.\n\n${renderConfigProblems(loaded)}`,
      COMMENT_LIMIT - 100,
    ),
  };
}

const SCHEMA_HINT =
  "Editors check the file as you type with the YAML language server and Rollgate's JSON Schema " +
  '(`src/config/rollgate.schema.json` in the Rollgate repository): make `# yaml-language-server: $schema=<its URL>` the first line.';

/**
 * The problems of a configuration for a reply or a check run: each on its line with what to change,
 * literally inside a code block (they quote the file), the first fifty of them, then why and where the
 * schema is.
 */
export function renderConfigProblems(error: ConfigError): string {
  const problems = error.problems;
  const lines = problems
    .slice(0, LISTED_PROBLEMS)
    .flatMap((problem) => [problem.message, `  fix: ${problem.advice}`]);
  const unlisted = problems.length - Math.min(problems.length, LISTED_PROBLEMS);
  if (unlisted > 0) lines.push(`… and ${unlisted.toLocaleString('en-US')} more problems`);
  return `${codeBlock(lines)}\n\n${error.why} ${SCHEMA_HINT}`;
}
