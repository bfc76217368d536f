import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { REPOSITORY, startAppStand, type AppStand } from '../support/app-stand.ts';

let s: AppStand;
let octokit: Octokit;
const [owner, repo] = REPOSITORY.split('/') as [string, string];

beforeEach(async () => {
  s = await startAppStand();
  octokit = new Octokit({ baseUrl: s.github.url, auth: 'test-token' });
});
afterEach(async () => {
  s.github.assertNoViolations();
  await s.close();
});

/** Waits until the App has answered a comment: its final reaction is 🚀 or 😕. */
async function settled(commentId: number): Promise<string[]> {
  const started = Date.now();
  for (;;) {
    const reactions = s.github.state
      .seeded(REPOSITORY)
      .reactions.filter((r) => r.commentId === commentId)
      .map((r) => r.content);
    if (reactions.includes('rocket') || reactions.includes('confused')) return reactions;
    if (Date.now() - started > 10_000) throw new Error(`the App did not answer comment ${commentId}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The App's newest reply (other than the sticky comment). */
function lastReply(): string {
  return (
    [...s.github.state.seeded(REPOSITORY).comments.values()]
      .filter((c) => c.viaApp && !c.body.startsWith('<!-- rollgate:environments'))
      .at(-1)?.body ?? ''
  );
}

/**
 * A Deployment to staging of a new commit with one status. `payload` undefined is what GitHub
 * creates for a workflow job that declares `environment: staging`: no payload of Rollgate's.
 */
async function deployment(
  state: 'success' | 'failure',
  payload: Record<string, unknown> | undefined,
  task = 'deploy',
): Promise<{ id: number; sha: string }> {
  const sha = s.github.state.addCommit(REPOSITORY, {
    message: payload === undefined ? 'Workflow job' : `Release ${JSON.stringify(payload.version)}`,
  });
  const { data } = await octokit.rest.repos.createDeployment({
    owner,
    repo,
    ref: sha,
    environment: 'staging',
    task,
    ...(payload === undefined ? {} : { payload }),
    auto_merge: false,
    required_contexts: [],
  });
  if (!('id' in data)) throw new Error('the GitHub API test server created no deployment');
  await octokit.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: data.id, state });
  return { id: data.id, sha };
}

function createdDeployments(): Record<string, unknown>[] {
  return s.github.callsTo('repos/create-deployment').map((c) => c.body as Record<string, unknown>);
}

describe('/rollback chooses the previous good version from Rollgate’s own records', () => {
  test('after a failed deploy, with workflow jobs’ Deployments interleaved, it goes to the last good version', async () => {
    await deployment('success', { version: '1.0.0' });
    await deployment('success', undefined);
    const good = await deployment('success', { version: '1.1.0' });
    await deployment('success', undefined);
    await deployment('failure', { version: '1.2.0' });
    await deployment('success', undefined);
    const before = createdDeployments().length;

    const { commentId } = await s.comment('/rollback staging');
    expect(await settled(commentId)).toEqual(['eyes', 'rocket']);
    const created = createdDeployments();
    expect(created).toHaveLength(before + 1);
    expect(created.at(-1)).toMatchObject({
      task: 'deploy:rollback',
      environment: 'staging',
      ref: good.sha,
      payload: { version: '1.1.0', rolled_back_from: '1.2.0', rollback_to_deployment: good.id },
    });
    expect(lastReply()).toContain(`Rolling \`staging\` back to \`1.1.0\` (Deployment #${good.id}`);
  });

  test('after an automatic rollback, the restored version already runs: nothing is created', async () => {
    await deployment('success', { version: '1.0.0' });
    await deployment('success', { version: '1.1.0' });
    const failed = await deployment('failure', { version: '1.2.0' });
    const restored = await deployment(
      'success',
      { version: '1.1.0', rolled_back_from: '1.2.0', failed_deployment_id: failed.id },
      'deploy:rollback',
    );
    await deployment('success', undefined);
    const before = createdDeployments().length;

    const { commentId } = await s.comment('/rollback staging');
    expect(await settled(commentId)).toEqual(['eyes', 'confused']);
    expect(createdDeployments()).toHaveLength(before);
    expect(lastReply()).toContain(`\`1.1.0\` already runs in \`staging\` (Deployment #${restored.id})`);
    expect(lastReply()).toContain('/rollback staging <version>');
  });

  test('a version named explicitly is found among the good ones, not among workflow jobs', async () => {
    const old = await deployment('success', { version: '1.0.0' });
    await deployment('success', { version: '1.1.0' });
    await deployment('success', undefined);
    const { commentId } = await s.comment('/rollback staging 1.0.0');
    expect(await settled(commentId)).toEqual(['eyes', 'rocket']);
    expect(createdDeployments().at(-1)).toMatchObject({ ref: old.sha, payload: { version: '1.0.0' } });

    const unknown = await s.comment('/rollback staging 0.9.0');
    expect(await settled(unknown.commentId)).toEqual(['eyes', 'confused']);
    expect(lastReply()).toContain(
      'No successful deploy of `staging` matches `0.9.0`. Known good: `1.1.0`, `1.0.0`.',
    );
  });

  test('with only workflow jobs’ Deployments, there is nothing of Rollgate’s to roll back', async () => {
    await deployment('success', undefined);
    await deployment('success', undefined);
    const { commentId } = await s.comment('/rollback staging');
    expect(await settled(commentId)).toEqual(['eyes', 'confused']);
    expect(lastReply()).toContain('Rollgate has not deployed to `staging` yet');
    expect(createdDeployments().filter((d) => d.task === 'deploy:rollback')).toHaveLength(0);
  });
});

describe('/status tells what runs from Rollgate’s own records', () => {
  test('ignores the workflow jobs’ Deployments and names the version /rollback would go to', async () => {
    await deployment('success', { version: '1.0.0', requester: 'monalisa' });
    const running = await deployment('success', { version: '1.1.0', requester: 'octocat' });
    const job = await deployment('success', undefined);

    const { commentId } = await s.comment('/status staging');
    expect(await settled(commentId)).toEqual(['eyes', 'rocket']);
    const row = lastReply()
      .split('\n')
      .find((line) => line.startsWith('| staging |'));
    expect(row).toMatch(
      new RegExp(
        `^\\| staging \\| success \\| \`1\\.1\\.0\` \\| \`${running.sha.slice(0, 7)}\` \\| @octocat \\| .* UTC \\| \`1\\.0\\.0\` \\| — \\|$`,
      ),
    );
    expect(lastReply()).not.toContain(job.sha.slice(0, 7));
  });

  test('shows an automatic rollback as what runs', async () => {
    await deployment('success', { version: '1.0.0' });
    const good = await deployment('success', { version: '1.1.0' });
    const failed = await deployment('failure', { version: '1.2.0' });
    await octokit.rest.repos.createDeployment({
      owner,
      repo,
      ref: good.sha,
      environment: 'staging',
      task: 'deploy:rollback',
      payload: { version: '1.1.0', failed_deployment_id: failed.id },
      auto_merge: false,
      required_contexts: [],
    });
    await deployment('success', undefined);

    const { commentId } = await s.comment('/status');
    expect(await settled(commentId)).toEqual(['eyes', 'rocket']);
    const reply = lastReply();
    expect(reply).toMatch(
      new RegExp(
        `\\| staging \\| queued \\(rollback\\) \\| \`1\\.1\\.0\` \\| \`${good.sha.slice(0, 7)}\` \\|`,
      ),
    );
    expect(reply).toContain('| production | never deployed |');
  });
});
