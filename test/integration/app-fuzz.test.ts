/**
 * Seeded fuzz through the real App: hostile comments and hostile configuration files, as signed
 * webhooks to the App as `npm start` runs it, against the GitHub API test server (which validates
 * every request and response against GitHub's OpenAPI description). What is asserted is what
 * GitHub holds afterwards: no Deployment nobody could have meant, every comment the App wrote
 * literal and under GitHub's 65,536 characters, the App still up.
 *
 * The sizes come from the environment so that the same test runs at two scales: the test suite's
 * (`npm test`: 1,000 comments and 100 files, about a minute) and `npm run fuzz` (scripts/fuzz.mjs: 100,000 comments
 * and 1,000 files, the figure in docs/benchmarks.md). `ROLLGATE_FUZZ_SEED` replays another run.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parseComment } from '../../app/commands/parse.ts';
import { ConfigError, parseConfigText } from '../../src/config/parse.ts';
import { REPOSITORY, startAppStand, type AppStand } from '../support/app-stand.ts';
import { liveMarkup, seededRandom } from '../support/gfm.ts';
import { hostileComment } from '../support/hostile-comments.ts';
import { hostileConfig, plausibleConfig } from '../support/hostile-configs.ts';

function size(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
  return value;
}

const COMMENTS = size('ROLLGATE_FUZZ_COMMENTS', 1_000);
const CONFIGS = size('ROLLGATE_FUZZ_CONFIGS', 100);
const SEED = size('ROLLGATE_FUZZ_SEED', 300);
/** Comments in flight at once, and on one pull request (so no pull request's thread grows without end). */
const AT_ONCE = 25;
const PER_PULL = 100;
/** The App's own mentions: the requester it answers and the holder of a lock. `@monalisa` is never one here. */
const USERS = ['octocat', 'hubot'] as const;
const CONFIGURED = new Set(['staging', 'production']);
const WRITERS = new Set(['octocat']);

/**
 * Hundreds of commands a minute are past GitHub's 80 writes a minute, which the App's limiter would
 * honour by waiting (app-limits.test.ts proves that); what is fuzzed here is the answers.
 */
const UNLIMITED = { ROLLGATE_WRITES_PER_MINUTE: '10000000', ROLLGATE_WRITES_PER_HOUR: '100000000' };

/**
 * Which comments the App has answered: with 🚀 or 😕, or (for a caller who may not run commands,
 * refused before anything else) with a reply only. Reactions are read incrementally; replies by
 * their hidden marker, only while some comment is still waiting.
 */
class Answers {
  readonly #answered = new Set<number>();
  #reactionsRead = 0;
  #commentsRead = 0;

  readonly #stand: AppStand;
  readonly #repository: string;

  constructor(stand: AppStand, repository: string) {
    this.#stand = stand;
    this.#repository = repository;
  }

  async settle(ids: readonly number[]): Promise<void> {
    const started = Date.now();
    for (;;) {
      const state = this.#stand.github.state.seeded(this.#repository);
      for (; this.#reactionsRead < state.reactions.length; this.#reactionsRead++) {
        const reaction = state.reactions[this.#reactionsRead];
        if (reaction !== undefined && (reaction.content === 'rocket' || reaction.content === 'confused'))
          this.#answered.add(reaction.commentId);
      }
      let waiting = ids.filter((id) => !this.#answered.has(id));
      if (waiting.length > 0) {
        // Comments are only ever added (in order): the ones read before are skipped, not parsed again.
        let index = 0;
        for (const comment of state.comments.values()) {
          if (index++ < this.#commentsRead || !comment.viaApp) continue;
          const replyTo = /<!-- rollgate:reply \{"comment":(\d+)\} -->/.exec(comment.body)?.[1];
          if (replyTo !== undefined) this.#answered.add(Number(replyTo));
        }
        this.#commentsRead = index;
        waiting = ids.filter((id) => !this.#answered.has(id));
      }
      if (waiting.length === 0) return;
      if (Date.now() - started > 60_000)
        throw new Error(`comments ${waiting.join(', ')} were never answered`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** Whether the App answers `body` at all: commands, malformed commands and near misses. */
function answers(body: string): boolean {
  const parsed = parseComment(body);
  return (
    parsed.kind === 'command' ||
    parsed.kind === 'invalid' ||
    (parsed.kind === 'unknown' && parsed.suggestion !== undefined)
  );
}

/**
 * What in an App comment is live Markdown that Rollgate did not put there on purpose. The App's own
 * parts are taken out first: the mention of a user of this test, the sticky comment's hidden data
 * line and its `<sub>` footer, and links to this repository's pages and the configured URLs.
 */
function injected(body: string): string[] {
  const own = body
    .replace(/^<!-- rollgate:environments .* -->\n/, '')
    .replace(/<sub>(.*)<\/sub>/g, '$1')
    .replace(
      /\[[\w #.·-]+\]\((?:https:\/\/github\.com\/octo-org\/hello-service\/[\w/#.-]*|https:\/\/(?:[\w-]+\.)?example\.com)\)/g,
      '⟦link⟧',
    )
    .replace(new RegExp(`@(?:${USERS.join('|')})\\b`, 'g'), '⟦user⟧');
  const problems = liveMarkup(own);
  if (body.length > 65_536) problems.push(`${body.length} characters`);
  return problems;
}

/** Every comment the App wrote that is not literal text, cut short for the failure message. */
function dirtyComments(stand: AppStand): { body: string; problems: string[] }[] {
  return [...stand.github.state.seeded(REPOSITORY).comments.values()]
    .filter((c) => c.viaApp)
    .map((c) => ({ body: c.body.slice(0, 400), problems: injected(c.body) }))
    .filter((c) => c.problems.length > 0)
    .slice(0, 10);
}

/** The comments whose `/deploy` made each Deployment of the repository. */
function deploymentAskers(stand: AppStand): number[] {
  return [...stand.github.state.seeded(REPOSITORY).deployments.values()].map(
    (d) => (d.payload as { comment_id?: number } | null)?.comment_id ?? -1,
  );
}

/** A new pull request from a branch of its own, as the next contributor opens one. */
function openPull(stand: AppStand, index: number): number {
  stand.github.state.addCommit(REPOSITORY, {
    branch: `fuzz/${index}`,
    files: { [`src/fuzz-${index}.ts`]: 'export {};\n' },
    message: `Fuzz ${index}`,
  });
  return stand.github.state.addPullRequest(REPOSITORY, { head: `fuzz/${index}`, user: 'octocat' }).number;
}

/** A fresh App and GitHub for the tests of one `describe`, closed after them. */
function standForBlock(): () => AppStand {
  let stand: AppStand | undefined;
  beforeAll(async () => {
    // A hundred thousand comments make over a million calls: the server keeps none of them.
    stand = await startAppStand({ env: UNLIMITED, recordCalls: false });
  });
  afterAll(async () => {
    stand?.github.assertNoViolations();
    await stand?.close();
  });
  return () => {
    if (stand === undefined) throw new Error('the stand is started before the tests');
    return stand;
  };
}

describe(`fuzz through the real App: ${COMMENTS.toLocaleString('en-US')} seeded hostile comments`, () => {
  const current = standForBlock();

  test(
    'no crash, no unintended Deployment, every reply and sticky comment literal and under the limit ' +
      '(real deploys only of refs GitHub has; hostile refs and versions in dry runs)',
    async () => {
      const stand = current();
      const random = seededRandom(SEED);
      const answered = new Answers(stand, REPOSITORY);
      const sent: { body: string; user: string; commentId: number }[] = [];
      let pullNumber = stand.pullNumber;
      for (let batch = 0; batch < COMMENTS; batch += AT_ONCE) {
        if (batch > 0 && batch % PER_PULL === 0) pullNumber = openPull(stand, batch);
        const comments = Array.from({ length: Math.min(AT_ONCE, COMMENTS - batch) }, () => ({
          body: hostileComment(random, { huge: false, deployableRefsOnly: true }),
          user: USERS[Math.floor(random() * USERS.length)] ?? 'octocat',
        }));
        const delivered = await Promise.all(
          comments.map(async ({ body, user }) => {
            const { status, commentId } = await stand.comment(body, { user, pullNumber });
            expect([200, 202]).toContain(status);
            return { body, user, commentId };
          }),
        );
        await answered.settle(delivered.filter((c) => answers(c.body)).map((c) => c.commentId));
        sent.push(...delivered);
      }

      // Comments that are no command got no reaction at all.
      const ignored = new Set(sent.filter((c) => !answers(c.body)).map((c) => c.commentId));
      const reactedToIgnored = stand.github.state
        .seeded(REPOSITORY)
        .reactions.filter((r) => ignored.has(r.commentId))
        .map((r) => r.commentId);
      expect(reactedToIgnored).toEqual([]);

      // Every Deployment was asked for by a valid /deploy of a configured environment, by a writer, not a dry run.
      const intended = new Set(
        sent
          .filter((c) => {
            const parsed = parseComment(c.body);
            if (parsed.kind !== 'command' || parsed.command.kind !== 'deploy') return false;
            // GitHub's environment names, and so Rollgate's, are case-insensitive.
            const asked = parsed.command.environment.toLowerCase();
            return !parsed.command.dryRun && CONFIGURED.has(asked) && WRITERS.has(c.user);
          })
          .map((c) => c.commentId),
      );
      const askedBy = deploymentAskers(stand);
      expect(askedBy.filter((id) => !intended.has(id))).toEqual([]);
      // The mix reached real deploys too, not only refusals; and no command deployed twice.
      expect(askedBy.length).toBeGreaterThan(0);
      expect(new Set(askedBy).size).toBe(askedBy.length);

      // Every comment the App wrote is literal text apart from its own mentions and links.
      const written = [...stand.github.state.seeded(REPOSITORY).comments.values()].filter((c) => c.viaApp);
      expect(written.length).toBeGreaterThan(sent.filter((c) => answers(c.body)).length / 2);
      expect(dirtyComments(stand)).toEqual([]);

      // Still up.
      expect(await (await fetch(`${stand.url}/ping`)).text()).toBe('PONG');
    },
    120_000 + COMMENTS * 250,
  );
});

describe(`fuzz through the real App: ${CONFIGS.toLocaleString('en-US')} seeded hostile configuration files`, () => {
  const current = standForBlock();

  test(
    'each file on the default branch, then /deploy, a dry run, /status, /help and a hostile comment: ' +
      'a Deployment only where the file is valid and names the environment, every answer literal and under the limit',
    async () => {
      const stand = current();
      const random = seededRandom(SEED + 1);
      const answered = new Answers(stand, REPOSITORY);
      /** The `/deploy env1` comments sent while a valid file configured `env1`. */
      const deployable = new Set<number>();
      let valid = 0;
      let pullNumber = stand.pullNumber;
      for (let index = 0; index < CONFIGS; index++) {
        if (index > 0 && index % (PER_PULL / 5) === 0) pullNumber = openPull(stand, index);
        // Half the files are broken in seeded ways, half are what a team writes.
        const text = random() < 0.5 ? hostileConfig(random) : plausibleConfig(random);
        stand.github.state.addFile(REPOSITORY, '.github/rollgate.yml', text);
        // The previous file's deploy has finished: its marker is gone, so this file's deploy is tried for real.
        const refs = stand.github.state.seeded(REPOSITORY).refs;
        for (const ref of [...refs.keys()]) if (ref.startsWith('refs/rollgate/deploying/')) refs.delete(ref);
        let configured = false;
        try {
          const config = parseConfigText(text);
          valid++;
          configured = [...config.environments.keys()].some((name) => name.toLowerCase() === 'env1');
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
        }
        const bodies = [
          '/deploy env1',
          '/deploy env0 --dry-run',
          '/status',
          '/help',
          hostileComment(random, { huge: false, deployableRefsOnly: true }),
        ];
        const delivered = await Promise.all(
          bodies.map(async (body) => {
            const { status, commentId } = await stand.comment(body, { user: 'octocat', pullNumber });
            expect([200, 202]).toContain(status);
            return { body, commentId };
          }),
        );
        const deploy = delivered[0];
        if (configured && deploy !== undefined) deployable.add(deploy.commentId);
        await answered.settle(delivered.filter((c) => answers(c.body)).map((c) => c.commentId));
      }

      // Both kinds of file were tried: ones the App takes and ones it refuses.
      if (CONFIGS >= 20) {
        expect(valid).toBeGreaterThan(0);
        expect(valid).toBeLessThan(CONFIGS);
      }
      const askedBy = deploymentAskers(stand);
      expect(askedBy.filter((id) => !deployable.has(id))).toEqual([]);
      expect(new Set(askedBy).size).toBe(askedBy.length);
      expect(dirtyComments(stand)).toEqual([]);
      expect(await (await fetch(`${stand.url}/ping`)).text()).toBe('PONG');
    },
    120_000 + CONFIGS * 2_000,
  );
});
