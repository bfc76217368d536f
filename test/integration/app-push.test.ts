/**
 * A push to a pull request, as users meet it: the real Probot server (signed webhooks over HTTP)
 * against the GitHub API test server. The head moves in the server's state, GitHub's own
 * `pull_request.synchronize` example tells the App, and the assertions are on what GitHub holds.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { examplePayload, REPOSITORY, startAppStand, type AppStand } from '../support/app-stand.ts';
import { deployments, eventually, repo, replies, seedCheckRun, settled } from '../support/app-view.ts';

let stand: AppStand | undefined;

afterEach(async () => {
  if (stand === undefined) return;
  const current = stand;
  stand = undefined;
  current.github.assertNoViolations();
  await current.close();
});

const GATED = `environments:
  production:
    url: https://example.com
    production: true
    requires:
      approvals: 2
      approvers: ["monalisa", "sre-sam"]
`;

async function start(): Promise<AppStand> {
  stand = await startAppStand({ config: GATED });
  stand.github.state.addCollaborator(REPOSITORY, 'sre-sam', 'write');
  return stand;
}

async function say(
  s: AppStand,
  text: string,
  user = 'octocat',
): Promise<{ reply: string; commentId: number }> {
  const { commentId } = await s.comment(text, { user });
  await settled(s, commentId);
  return { reply: replies(s).at(-1) ?? '', commentId };
}

function requestRuns(s: AppStand, sha: string) {
  return [...repo(s).checkRuns.values()].filter(
    (r) => r.name === 'rollgate / production' && r.externalId.startsWith('request:') && r.headSha === sha,
  );
}

/** A new commit on the pull request's branch: the head moves, as a `git push` moves it. */
function push(s: AppStand): string {
  return s.github.state.addCommit(REPOSITORY, {
    branch: 'feature/checkout',
    message: 'Fix the total',
    files: { 'src/checkout.ts': 'export const total = 1;\n' },
  });
}

/** GitHub's `pull_request.synchronize` example, moved to the stand's pull request and its two heads. */
function synchronize(s: AppStand, before: string, after: string): Record<string, unknown> {
  const example = examplePayload('pull_request', 'synchronize');
  const pull = example.pull_request as { head: Record<string, unknown> } & Record<string, unknown>;
  return s.event('pull_request', 'synchronize', {
    number: s.pullNumber,
    before,
    after,
    pull_request: {
      ...pull,
      number: s.pullNumber,
      head: { ...pull.head, ref: 'feature/checkout', sha: after },
    },
  });
}

describe('a push to a pull request', () => {
  test('concludes the request waiting on the old head, with what to do; the new head starts at 0 approvals and a fresh request', async () => {
    const s = await start();
    const old = s.headSha;
    const { reply: asked, commentId } = await say(s, '/deploy production');
    expect(asked).toMatch(/⏳ \*\*approvals\*\*: 0 of 2/);
    expect((await say(s, '/approve production', 'monalisa')).reply).toMatch(/1 of 2/);
    const [waiting] = requestRuns(s, old);
    expect(waiting).toMatchObject({ status: 'in_progress', externalId: `request:${commentId}` });
    // Another App's run of the same name and external id is not this App's to conclude.
    seedCheckRun(s, old, 'rollgate / production', null);
    const foreign = [...repo(s).checkRuns.values()].at(-1)!;
    foreign.externalId = `request:${commentId}`;

    const head = push(s);
    expect(await s.send('pull_request', synchronize(s, old, head))).toBe(200);

    const concluded = await eventually(
      () => (waiting?.status === 'completed' ? waiting : undefined),
      'the old request check run to conclude',
    );
    expect(concluded.conclusion).toBe('cancelled');
    expect(concluded.output.title).toMatch(/→ production: cancelled, the head moved/);
    expect(concluded.output.summary).toContain(
      `The pull request's head moved to \`${head.slice(0, 7)}\`: approvals were for \`${old.slice(0, 7)}\`; comment \`/deploy production\` again.`,
    );
    expect(foreign.status).toBe('in_progress');
    expect(deployments(s)).toHaveLength(0);

    // The approval was for the old commit: the second approver alone does not deploy the new head.
    const { reply: again } = await say(s, '/deploy production');
    expect(again).toMatch(/⏳ \*\*approvals\*\*: 0 of 2/);
    expect(again).toMatch(/approvals? for an older commit/);
    const [fresh, ...more] = requestRuns(s, head);
    expect(more).toHaveLength(0);
    expect(fresh).toMatchObject({ status: 'in_progress' });
    expect(fresh?.id).not.toBe(waiting?.id);
    expect(deployments(s)).toHaveLength(0);

    // A redelivery finds the old run concluded and changes nothing.
    const updates = s.github.callsTo('checks/update').length;
    expect(await s.send('pull_request', synchronize(s, old, head))).toBe(200);
    await eventually(
      () => /"cancelled":0[^\n]*superseded the waiting deploy requests/.test(s.log()),
      'the redelivery to be handled',
    );
    expect(s.github.callsTo('checks/update')).toHaveLength(updates);
    expect(requestRuns(s, head)[0]).toMatchObject({ status: 'in_progress' });
  }, 120_000);

  test('concludes a request deferred to a window at once; the sweep still drops its ref when the window opens', async () => {
    // Monday 1 March 2027, 07:00 UTC: an hour before production's window opens in Berlin.
    const clock = join(mkdtempSync(join(tmpdir(), 'rollgate-clock-')), 'now');
    writeFileSync(clock, '2027-03-01T07:00:00Z');
    const s = (stand = await startAppStand({
      config: `environments:
  production:
    windows:
      - { days: Mon, hours: "09:00-10:00", timezone: Europe/Berlin }
`,
      env: { NODE_ENV: 'test', ROLLGATE_CLOCK_FILE: clock, ROLLGATE_SWEEP_INTERVAL_MS: '250' },
    }));
    const deferredRefs = () =>
      [...repo(s).refs.keys()].filter((r) => r.startsWith('refs/rollgate/deferred/'));
    const old = s.headSha;
    expect((await say(s, '/deploy production')).reply).toMatch(/waits for its window/);
    const [waiting] = requestRuns(s, old);
    expect(waiting?.status).toBe('in_progress');
    expect(deferredRefs()).toHaveLength(1);

    const head = push(s);
    expect(await s.send('pull_request', synchronize(s, old, head))).toBe(200);
    await eventually(() => waiting?.status === 'completed', 'the deferred request check run to conclude');
    expect(waiting?.conclusion).toBe('cancelled');
    expect(waiting?.output.summary).toContain(`comment \`/deploy production\` again`);

    writeFileSync(clock, '2027-03-01T08:00:05Z');
    await eventually(() => deferredRefs().length === 0, 'the deferred ref to go');
    await eventually(
      () => replies(s).some((r) => /was cancelled: #\d+ has had a push since/.test(r)),
      'the cancellation on the pull request',
    );
    expect(deployments(s)).toHaveLength(0);
    expect(waiting).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
  }, 120_000);
});
