import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parseComment } from '../../app/commands/parse.ts';
import { REPOSITORY, startAppStand, type AppStand } from '../support/app-stand.ts';
import { liveMarkup, seededRandom } from '../support/gfm.ts';
import { hostileComment } from '../support/hostile-comments.ts';

const COMMENTS = 300;
const AT_ONCE = 10;
/** The App's own mentions: the requester it answers and the holder of a lock. `@monalisa` is never one here. */
const USERS = ['octocat', 'hubot'] as const;
const CONFIGURED = new Set(['staging', 'production']);
const WRITERS = new Set(['octocat']);

let stand: AppStand;

beforeAll(async () => {
  // Hundreds of commands in a minute are past GitHub's 80 writes a minute, which the App's limiter
  // would honour by waiting (app-limits.test.ts proves that); what is fuzzed here is the answers.
  stand = await startAppStand({
    env: { ROLLGATE_WRITES_PER_MINUTE: '100000', ROLLGATE_WRITES_PER_HOUR: '1000000' },
  });
});

afterAll(async () => {
  stand.github.assertNoViolations();
  await stand.close();
});

function reactionsOf(commentId: number): string[] {
  return stand.github.state
    .seeded(REPOSITORY)
    .reactions.filter((reaction) => reaction.commentId === commentId)
    .map((reaction) => reaction.content);
}

function replyTo(commentId: number): boolean {
  const marker = `<!-- rollgate:reply {"comment":${commentId}} -->`;
  return [...stand.github.state.seeded(REPOSITORY).comments.values()].some(
    (comment) => comment.viaApp && comment.body.includes(marker),
  );
}

async function settled(commentId: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    const reactions = reactionsOf(commentId);
    if (reactions.includes('rocket') || reactions.includes('confused')) return;
    // A caller who may not run commands gets one reply and no reaction (permission comes first).
    if (replyTo(commentId)) return;
    if (Date.now() - started > 30_000) throw new Error(`comment ${commentId} was never answered`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
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
      /\[[\w #.·-]+\]\((?:https:\/\/github\.com\/octo-org\/hello-service\/[\w/#.-]*|https:\/\/(?:staging\.)?example\.com)\)/g,
      '⟦link⟧',
    )
    .replace(new RegExp(`@(?:${USERS.join('|')})\\b`, 'g'), '⟦user⟧');
  const problems = liveMarkup(own);
  if (body.length > 65_536) problems.push(`${body.length} characters`);
  return problems;
}

describe('fuzz through the real App: seeded comments over signed webhooks against the GitHub API test server', () => {
  test(
    `${COMMENTS} seeded hostile comments (real deploys only of refs GitHub has; hostile refs and versions in dry runs): ` +
      'no crash, no unintended Deployment, every reply and the sticky comment literal and under the limit',
    async () => {
      const random = seededRandom(300);
      const sent: { body: string; user: string; commentId: number; answered: boolean }[] = [];
      for (let batch = 0; batch < COMMENTS; batch += AT_ONCE) {
        const comments = Array.from({ length: Math.min(AT_ONCE, COMMENTS - batch) }, () => ({
          body: hostileComment(random, { huge: false, deployableRefsOnly: true }),
          user: USERS[Math.floor(random() * USERS.length)] ?? 'octocat',
        }));
        const delivered = await Promise.all(
          comments.map(async ({ body, user }) => {
            const { status, commentId } = await stand.comment(body, { user });
            expect([200, 202]).toContain(status);
            const parsed = parseComment(body);
            const answered =
              parsed.kind === 'command' ||
              parsed.kind === 'invalid' ||
              (parsed.kind === 'unknown' && parsed.suggestion !== undefined);
            return { body, user, commentId, answered };
          }),
        );
        await Promise.all(delivered.filter((c) => c.answered).map((c) => settled(c.commentId)));
        sent.push(...delivered);
      }

      // Comments that are no command got no reaction at all.
      const ignored = sent.filter((c) => !c.answered);
      expect(ignored.filter((c) => reactionsOf(c.commentId).length > 0).map((c) => c.body)).toEqual([]);

      // Every Deployment was asked for by a valid /deploy of a configured environment, by a writer, not a dry run.
      const intended = new Set(
        sent
          .filter((c) => {
            const parsed = parseComment(c.body);
            if (parsed.kind !== 'command' || parsed.command.kind !== 'deploy') return false;
            const asked = parsed.command.environment.toLowerCase();
            return (
              !parsed.command.dryRun &&
              // GitHub's environment names, and so Rollgate's, are case-insensitive.
              [...CONFIGURED].some((e) => e.toLowerCase() === asked) &&
              WRITERS.has(c.user)
            );
          })
          .map((c) => c.commentId),
      );
      const deployments = [...stand.github.state.seeded(REPOSITORY).deployments.values()];
      const askedBy = deployments.map((d) => (d.payload as { comment_id?: number } | null)?.comment_id ?? -1);
      expect(askedBy.filter((id) => !intended.has(id))).toEqual([]);
      // The mix reached real deploys too, not only refusals.
      expect(deployments.length).toBeGreaterThan(0);
      expect(new Set(askedBy).size).toBe(askedBy.length);

      // Every comment the App wrote is literal text apart from its own mentions and links.
      const written = [...stand.github.state.seeded(REPOSITORY).comments.values()].filter((c) => c.viaApp);
      expect(written.length).toBeGreaterThan(sent.filter((c) => c.answered).length / 2);
      const dirty = written
        .map((c) => ({ body: c.body.slice(0, 400), problems: injected(c.body) }))
        .filter((c) => c.problems.length > 0);
      expect(dirty).toEqual([]);

      // Still up.
      expect(await (await fetch(`${stand.url}/ping`)).text()).toBe('PONG');
    },
    180_000,
  );
});
