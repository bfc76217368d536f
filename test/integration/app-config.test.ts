import { afterEach, describe, expect, test } from '@jest/globals';
import { CONFIG, REPOSITORY, startAppStand, type AppStand } from '../support/app-stand.ts';
import { liveMarkup } from '../support/gfm.ts';

let stand: AppStand | undefined;

async function start(config: string | null): Promise<AppStand> {
  stand = await startAppStand({ config });
  return stand;
}

afterEach(async () => {
  if (stand === undefined) return;
  const current = stand;
  stand = undefined;
  current.github.assertNoViolations();
  await current.close();
});

async function eventually<T>(check: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Comments as `octocat` and waits for the App's reply to it (its final reaction, then the reply). */
async function ask(s: AppStand, body: string): Promise<{ reply: string; reactions: string[] }> {
  const before = replies(s).length;
  const { commentId } = await s.comment(body);
  const reactions = await eventually(
    () => {
      const contents = s.github.state
        .seeded(REPOSITORY)
        .reactions.filter((reaction) => reaction.commentId === commentId)
        .map((reaction) => reaction.content);
      return contents.includes('rocket') || contents.includes('confused') ? contents : undefined;
    },
    `the App to answer ${JSON.stringify(body)}`,
  );
  const reply = replies(s)[before];
  if (reply === undefined) throw new Error('the App reacted but did not reply');
  return { reply, reactions };
}

function replies(s: AppStand): string[] {
  return [...s.github.state.seeded(REPOSITORY).comments.values()]
    .filter((comment) => comment.viaApp && !comment.body.startsWith('<!-- rollgate:environments'))
    .map((comment) => comment.body);
}

function configRuns(s: AppStand) {
  return [...s.github.state.seeded(REPOSITORY).checkRuns.values()].filter(
    (run) => run.name === 'rollgate / config',
  );
}

function deployments(s: AppStand): number {
  return s.github.state.seeded(REPOSITORY).deployments.size;
}

/** A reply is clean when only the requester's mention is live and it fits in a comment. */
function expectClean(reply: string): void {
  expect(reply.length).toBeLessThanOrEqual(65_536);
  expect(liveMarkup(reply.replace(/^@octocat /, ''))).toEqual([]);
}

describe('the App reads .github/rollgate.yml itself: _extends fails closed, sizes are checked', () => {
  test('a base named by _extends that does not exist is an error in the reply and the check, and nothing deploys', async () => {
    const s = await start('_extends: platform-config\nenvironments:\n  staging: {}\n');
    const { reply, reactions } = await ask(s, '/deploy staging');
    expect(reactions).toEqual(['eyes', 'confused']);
    expect(reply).toContain(
      '_extends names octo-org/platform-config:.github/rollgate.yml, which does not exist or cannot be read by the Rollgate App (GitHub answered 404)',
    );
    expectClean(reply);
    expect(configRuns(s)).toMatchObject([{ conclusion: 'failure' }]);
    expect(deployments(s)).toBe(0);
  });

  test('_extends: repo merges the base under the file: /help lists the environments of both', async () => {
    const s = await start('_extends: platform-config\nenvironments:\n  staging: {}\n');
    s.github.state.addRepository('octo-org/platform-config', {
      files: { '.github/rollgate.yml': 'environments:\n  production:\n    production: true\n' },
    });
    const { reply, reactions } = await ask(s, '/help');
    expect(reactions).toEqual(['eyes', 'rocket']);
    expect(reply).toContain('**Environments (2):** `production`, `staging`');
    expect(configRuns(s)).toEqual([]);
  });

  test('a base in another repository that is not a Rollgate configuration is refused without quoting it', async () => {
    const s = await start('_extends: octo-org/secrets:deploy/keys.yml\nenvironments:\n  staging: {}\n');
    s.github.state.addRepository('octo-org/secrets', {
      private: true,
      files: { 'deploy/keys.yml': 'aws_secret_access_key: wJalrXUtnFEMI-K7MDENG\ntoken: ghp_hunter2\n' },
    });
    const { reply } = await ask(s, '/deploy staging');
    expect(reply).toContain(
      'octo-org/secrets:deploy/keys.yml: is not a valid Rollgate configuration: 2 problems (lines 1, 2); its content is not quoted here because it belongs to another repository',
    );
    const summary = configRuns(s)[0]?.output.summary ?? '';
    for (const text of [reply, summary]) {
      expect(text).not.toContain('aws_secret_access_key');
      expect(text).not.toContain('wJalrXUtnFEMI');
      expect(text).not.toContain('hunter2');
    }
    expect(deployments(s)).toBe(0);
  });

  test('_extends that loops back is an error, not an endless read', async () => {
    const s = await start('_extends: platform-config\nenvironments:\n  staging: {}\n');
    s.github.state.addRepository('octo-org/platform-config', {
      files: { '.github/rollgate.yml': '_extends: hello-service\n' },
    });
    const { reply } = await ask(s, '/help');
    expect(reply).toContain(
      'octo-org/platform-config:.github/rollgate.yml: _extends makes a loop back to .github/rollgate.yml',
    );
  });

  test("without a file of its own, the repository uses the owner's .github repository, as Probot does", async () => {
    const s = await start(null);
    s.github.state.addRepository('octo-org/.github', {
      files: { '.github/rollgate.yml': 'environments:\n  shared-staging: {}\n' },
    });
    const { reply } = await ask(s, '/help');
    expect(reply).toContain('**Environments (1):** `shared-staging`');
  });

  test('a configuration over 1 MB is an error that says so', async () => {
    const s = await start(`${CONFIG}${'# padding to make the file large\n'.repeat(40_000)}`);
    const { reply, reactions } = await ask(s, '/deploy staging');
    expect(reactions).toEqual(['eyes', 'confused']);
    expect(reply).toMatch(
      /\.github\/rollgate\.yml: is 1\.\d MiB: over 1 MB, GitHub's contents API returns no content for it, and Rollgate reads configuration files of at most 64 KiB/,
    );
    expect(deployments(s)).toBe(0);
  });

  test('a configuration over 64 KiB is refused before it is parsed', async () => {
    const s = await start(`${CONFIG}${'# padding\n'.repeat(8_000)}`);
    const { reply } = await ask(s, '/help');
    expect(reply).toContain(
      '.github/rollgate.yml: is 79 KiB; Rollgate reads configuration files of at most 64 KiB',
    );
  });

  test('two environments that differ only in case are refused', async () => {
    const s = await start('environments:\n  staging: {}\n  Staging: {}\n');
    const { reply } = await ask(s, '/deploy staging');
    expect(reply).toContain(
      '.github/rollgate.yml:3:3: environments.Staging and environments.staging differ only in case',
    );
    expect(deployments(s)).toBe(0);
  });

  test('2,000 problems: a useful reply under the limit that lists fifty and counts the rest', async () => {
    const lines = Array.from({ length: 2_000 }, (_, index) => `  e${index}: { url: "<b>@a/b" }`);
    const s = await start(`environments:\n${lines.join('\n')}\n`);
    const { reply } = await ask(s, '/help');
    expectClean(reply);
    expect(reply).toContain('.github/rollgate.yml:2:');
    expect(reply).toContain('… and 1,950 more problems');
    const run = configRuns(s)[0];
    expect(run?.output.title).toBe('.github/rollgate.yml is invalid (2,000 problems)');
    expect((run?.output.summary ?? '').length).toBeLessThanOrEqual(65_535);
  });

  test('the rollgate / config check is concluded success when the file is fixed', async () => {
    const s = await start('environments:\n  staging:\n    url: not-a-url\n');
    const broken = await ask(s, '/deploy staging');
    expect(broken.reply).toContain(
      '.github/rollgate.yml:3:10: environments.staging.url must be an http(s) URL',
    );
    expect(configRuns(s)).toMatchObject([{ headSha: s.headSha, conclusion: 'failure' }]);

    // A second command while it is still broken keeps one run.
    await ask(s, '/deploy staging');
    expect(configRuns(s)).toHaveLength(1);

    s.github.state.addFile(REPOSITORY, '.github/rollgate.yml', CONFIG);
    const fixed = await ask(s, '/deploy staging --dry-run');
    expect(fixed.reactions).toEqual(['eyes', 'rocket']);
    expect(configRuns(s)).toMatchObject([
      {
        headSha: s.headSha,
        status: 'completed',
        conclusion: 'success',
        output: { title: '.github/rollgate.yml is valid' },
      },
    ]);
  });
});
