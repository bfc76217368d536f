/**
 * The fault matrix: every GitHub operation `/deploy`, `/rollback`, `/lock` and `deployment_status`
 * handling call × {500 before acting, answer lost after acting, 403 secondary limit, timeout after
 * acting}. Each case starts a fresh GitHub API test server and Probot's own Server in this process
 * (signed webhooks over HTTP, an Octokit that retries reads once and writes never), injects the
 * fault on the first call of one operation, and checks what GitHub holds afterwards.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { REPOSITORY, startAppStand, type AppStand } from '../support/app-stand.ts';
import {
  deployments,
  eventually,
  replies,
  repo,
  rollgateRefs,
  settled,
  statusEvent,
  stickies,
} from '../support/app-view.ts';

type Fault =
  '500 before acting' | 'answer lost after acting' | '403 secondary limit' | 'timeout after acting';
const FAULTS: readonly Fault[] = [
  '500 before acting',
  'answer lost after acting',
  '403 secondary limit',
  'timeout after acting',
];

interface Scenario {
  /** Seeds what the command needs; resolves with what to check afterwards. */
  prepare(s: AppStand): Promise<void>;
  /** Acts as the user (or the workflow) would. */
  act(s: AppStand): Promise<void>;
  /** What GitHub must hold afterwards, whatever failed on the way. */
  check(s: AppStand): void;
}

let stand: AppStand | undefined;
afterEach(async () => {
  const current = stand;
  stand = undefined;
  await current?.close();
});

function inject(s: AppStand, operationId: string, fault: Fault): void {
  switch (fault) {
    case '500 before acting':
      s.github.failNext(operationId, { status: 500 });
      return;
    case '403 secondary limit':
      s.github.failNext(operationId, { rateLimit: 'secondary', retryAfterSeconds: 1 });
      return;
    case 'answer lost after acting':
      s.github.loseNextAnswer(operationId, { kind: 'lost' });
      return;
    case 'timeout after acting':
      s.github.loseNextAnswer(operationId, { kind: 'timeout', delayMs: 50 });
  }
}

/** Deployments GitHub holds that were created by the App for a comment. */
function appDeployments(s: AppStand) {
  return deployments(s).filter((d) => d.viaApp);
}

function expectOneReply(s: AppStand, pattern: RegExp): void {
  const answered = replies(s);
  expect(answered).toHaveLength(1);
  expect(answered[0]).toMatch(pattern);
}

/** Every check run of a deployment is one: none was created twice, none left queued forever. */
function expectOneCheckRunPerDeployment(s: AppStand): void {
  for (const d of appDeployments(s)) {
    const runs = [...repo(s).checkRuns.values()].filter((r) => r.externalId === String(d.id));
    expect(runs.length).toBeLessThanOrEqual(1);
  }
}

async function commentAndSettle(s: AppStand, body: string, user = 'octocat'): Promise<number> {
  const { commentId } = await s.comment(body, { user });
  await settled(s, commentId);
  return commentId;
}

const deploy: Scenario = {
  prepare: () => Promise.resolve(),
  act: async (s) => {
    await commentAndSettle(s, '/deploy staging');
  },
  check: (s) => {
    expect(appDeployments(s)).toHaveLength(1);
    expectOneReply(s, /Deploying `[0-9a-f]{7}`/);
    // The marker is held for the Deployment that exists, until its final status.
    expect(rollgateRefs(s)).toEqual(['refs/rollgate/deploying/staging']);
    expectOneCheckRunPerDeployment(s);
    expect(stickies(s).length).toBeLessThanOrEqual(1);
  },
};

const rollback: Scenario = {
  prepare: async (s) => {
    const octokit = new Octokit({ baseUrl: s.github.url, auth: 'test-token' });
    const [owner, name] = REPOSITORY.split('/') as [string, string];
    for (const version of ['1.0.0', '1.1.0']) {
      const sha = s.github.state.addCommit(REPOSITORY, { message: `Release ${version}` });
      const { data } = await octokit.rest.repos.createDeployment({
        owner,
        repo: name,
        ref: sha,
        environment: 'production',
        payload: { version },
        auto_merge: false,
        required_contexts: [],
      });
      if (!('id' in data)) throw new Error('deployment not created');
      await octokit.rest.repos.createDeploymentStatus({
        owner,
        repo: name,
        deployment_id: data.id,
        state: 'success',
      });
    }
  },
  act: async (s) => {
    await commentAndSettle(s, '/rollback production');
  },
  check: (s) => {
    expect(appDeployments(s).filter((d) => d.task === 'deploy:rollback')).toHaveLength(1);
    expectOneReply(s, /Rolling `production` back to `1\.0\.0`/);
    expect(rollgateRefs(s)).toEqual(['refs/rollgate/deploying/production']);
    expectOneCheckRunPerDeployment(s);
  },
};

const lock: Scenario = {
  prepare: () => Promise.resolve(),
  act: async (s) => {
    await commentAndSettle(s, '/lock staging migration', 'monalisa');
  },
  check: (s) => {
    expect(rollgateRefs(s)).toEqual(['refs/rollgate/lock/staging']);
    expectOneReply(s, /🔒 `staging` is locked for @monalisa/);
  },
};

const deploymentStatus: Scenario = {
  prepare: async (s) => {
    await commentAndSettle(s, '/deploy staging');
    s.github.state.seeded(REPOSITORY);
  },
  act: async (s) => {
    const deployment = appDeployments(s)[0]!;
    await s.send('deployment_status', statusEvent(s, deployment, 'success'));
  },
  check: (s) => {
    expect(rollgateRefs(s)).toEqual([]);
    const run = [...repo(s).checkRuns.values()].find((r) => r.name === 'rollgate / staging')!;
    expect([run.status, run.conclusion]).toEqual(['completed', 'success']);
    expect(stickies(s)).toHaveLength(1);
    expect(stickies(s)[0]).toContain('✅ success');
  },
};

const SCENARIOS: Readonly<Record<string, Scenario>> = {
  '/deploy staging': deploy,
  '/rollback production': rollback,
  '/lock staging': lock,
  'deployment_status success': deploymentStatus,
};

/** The operations a scenario calls, in order of first call, found by running it without faults. */
async function operationsOf(scenario: Scenario): Promise<string[]> {
  const s = await startAppStand({ inProcess: true });
  try {
    await scenario.prepare(s);
    const from = s.github.calls.length;
    await scenario.act(s);
    await new Promise((resolve) => setTimeout(resolve, 200));
    scenario.check(s);
    s.github.assertNoViolations();
    const ops = s.github.calls.slice(from).map((c) => c.operationId ?? '');
    return [...new Set(ops)].filter((op) => op !== '' && !op.startsWith('apps/'));
  } finally {
    await s.close();
  }
}

describe.each(Object.entries(SCENARIOS))('%s under faults', (_name, scenario) => {
  test('every GitHub call × every fault ends in the right Deployments, no stranded marker and a reply', async () => {
    const operations = await operationsOf(scenario);
    expect(operations.length).toBeGreaterThan(2);
    const failed: string[] = [];
    for (const operationId of operations) {
      for (const fault of FAULTS) {
        const s = await startAppStand({ inProcess: true });
        stand = s;
        try {
          await scenario.prepare(s);
          inject(s, operationId, fault);
          await scenario.act(s);
          // Writes after the reply (🚀) may still be under way: wait for GitHub to settle.
          await eventually(
            () => {
              try {
                scenario.check(s);
                return true;
              } catch {
                return undefined;
              }
            },
            'the outcome',
            4_000,
          ).catch(() => undefined);
          scenario.check(s);
        } catch (error) {
          failed.push(
            `${operationId} × ${fault}: ${(error as Error).message.split('\n').slice(0, 6).join(' ')}`,
          );
        } finally {
          stand = undefined;
          await s.close();
        }
      }
    }
    expect(failed).toEqual([]);
  }, 900_000);
});
