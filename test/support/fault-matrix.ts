/**
 * The fault matrix of the App: every GitHub call a scenario makes — each call of each operation,
 * the 🚀 reaction as well as the 👀, the second `git/get-ref` as well as the first — × {500 before
 * acting, answer lost after acting, 403 secondary limit, timeout after acting}. The calls are
 * those of a fault-free run of the scenario; each case then starts a fresh GitHub API test server
 * and Probot's own Server in this process (signed webhooks over HTTP, an Octokit that retries
 * reads once and writes never), injects one fault on the n-th call of one operation, and checks
 * what GitHub holds afterwards. The scenarios live in their own test files so that Jest's workers
 * run them side by side.
 */
import { expect, test } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { REPOSITORY, startAppStand, type AppStand } from './app-stand.ts';
import type { Violation } from './github-server/server.ts';
import {
  deployments,
  eventually,
  reactions,
  replies,
  repo,
  rollgateRefs,
  settled,
  statusEvent,
  stickies,
} from './app-view.ts';

type Fault =
  '500 before acting' | 'answer lost after acting' | '403 secondary limit' | 'timeout after acting';
const FAULTS: readonly Fault[] = [
  '500 before acting',
  'answer lost after acting',
  '403 secondary limit',
  'timeout after acting',
];

/** What the client receives for each fault: the status the server records for the call. */
const FAULT_STATUS: Readonly<Record<Fault, number>> = {
  '500 before acting': 500,
  'answer lost after acting': 0,
  '403 secondary limit': 403,
  'timeout after acting': 502,
};

export interface Scenario {
  /** Seeds what the command needs. */
  prepare(s: AppStand): Promise<void>;
  /** Acts as the user (or the workflow) would; resolves once the App has finished with it. */
  act(s: AppStand): Promise<void>;
  /** What GitHub must hold afterwards, whatever failed on the way. */
  check(s: AppStand): void;
}

/** One GitHub call of a scenario: the `call`-th call of `operationId` since the server started. */
interface ScenarioCall {
  readonly operationId: string;
  readonly call: number;
  readonly method: string;
}

/** `<operationId>#<call> × <fault>`: how a failed case is named. */
function caseName(c: ScenarioCall, fault: Fault): string {
  return `${c.operationId}#${c.call} × ${fault}`;
}

function inject(s: AppStand, c: ScenarioCall, fault: Fault): void {
  const target = { call: c.call };
  switch (fault) {
    case '500 before acting':
      s.github.failNext(c.operationId, { status: 500 }, target);
      return;
    case '403 secondary limit':
      // A pause the App waits for before sending a write again (up to 5 s: reconciled-write.ts);
      // one second keeps the matrix short. A longer one is the request limiter's to handle.
      s.github.failNext(c.operationId, { rateLimit: 'secondary', retryAfterSeconds: 1 }, target);
      return;
    case 'answer lost after acting':
      s.github.loseNextAnswer(c.operationId, { kind: 'lost' }, target);
      return;
    case 'timeout after acting':
      s.github.loseNextAnswer(c.operationId, { kind: 'timeout', delayMs: 50 }, target);
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

/** Every check run of a deployment is one: none was created twice. */
function expectOneCheckRunPerDeployment(s: AppStand): void {
  for (const d of appDeployments(s)) {
    const runs = [...repo(s).checkRuns.values()].filter((r) => r.externalId === String(d.id));
    expect(runs.length).toBeLessThanOrEqual(1);
  }
}

/**
 * The extras that follow a Deployment are there — its check run and the sticky comment — or the
 * reply says which one is missing: once the Deployment exists, a failed extra is reported as
 * degraded, never left unsaid.
 */
function expectExtrasOrDegraded(s: AppStand, environment: string): void {
  const reply = replies(s).join('\n');
  const [deployment] = appDeployments(s);
  const runs = [...repo(s).checkRuns.values()].filter((r) => r.externalId === String(deployment?.id));
  if (!reply.includes(`the check \`rollgate / ${environment}\` could not be created`))
    expect(runs.map((r) => [r.name, r.status])).toEqual([[`rollgate / ${environment}`, 'queued']]);
  if (!reply.includes("the pull request's environments comment could not be updated"))
    expect(stickies(s)).toHaveLength(1);
}

/** The commenter's comment got 👀 then 🚀, each once, and no 😕. */
function expectRocket(s: AppStand): void {
  const [comment] = [...repo(s).comments.values()].filter((c) => !c.viaApp);
  expect(reactions(s, comment?.id ?? 0).sort()).toEqual(['eyes', 'rocket']);
}

async function commentAndSettle(s: AppStand, body: string, user = 'octocat'): Promise<number> {
  const { commentId } = await s.comment(body, { user });
  await settled(s, commentId);
  return commentId;
}

export const deployScenario: Scenario = {
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
    expectExtrasOrDegraded(s, 'staging');
    expectRocket(s);
  },
};

export const rollbackScenario: Scenario = {
  prepare: async (s) => {
    const octokit = new Octokit({ baseUrl: s.github.url, auth: 'test-token' });
    const [owner, name] = s.repository.split('/') as [string, string];
    for (const version of ['1.0.0', '1.1.0']) {
      const sha = s.github.state.addCommit(s.repository, { message: `Release ${version}` });
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
    expect(appDeployments(s)).toHaveLength(1);
    expectOneReply(s, /Rolling `production` back to `1\.0\.0`/);
    expect(rollgateRefs(s)).toEqual(['refs/rollgate/deploying/production']);
    expectOneCheckRunPerDeployment(s);
    expect(stickies(s).length).toBeLessThanOrEqual(1);
    expectExtrasOrDegraded(s, 'production');
    expectRocket(s);
  },
};

export const lockScenario: Scenario = {
  prepare: () => Promise.resolve(),
  act: async (s) => {
    await commentAndSettle(s, '/lock staging migration', 'monalisa');
  },
  check: (s) => {
    expect(rollgateRefs(s)).toEqual(['refs/rollgate/lock/staging']);
    expectOneReply(s, /🔒 `staging` is locked for @monalisa/);
    expect(deployments(s)).toHaveLength(0);
    expectRocket(s);
  },
};

export const deploymentStatusScenario: Scenario = {
  prepare: async (s) => {
    await commentAndSettle(s, '/deploy staging');
  },
  act: async (s) => {
    const deployment = appDeployments(s)[0];
    if (deployment === undefined) throw new Error('the /deploy of the preparation created no Deployment');
    // Probot answers the delivery once the handler is done, so the App has finished when this resolves.
    await s.send('deployment_status', statusEvent(s, deployment, 'success'));
  },
  check: (s) => {
    expect(rollgateRefs(s)).toEqual([]);
    expect(appDeployments(s)).toHaveLength(1);
    // The status changes no reply: the one of the preparation's /deploy stays alone.
    expect(replies(s)).toHaveLength(1);
    expectOneCheckRunPerDeployment(s);
    const run = [...repo(s).checkRuns.values()].find((r) => r.name === 'rollgate / staging');
    expect([run?.status, run?.conclusion]).toEqual(['completed', 'success']);
    expect(stickies(s)).toHaveLength(1);
    expect(stickies(s)[0]).toContain('✅ success');
  },
};

let stands = 0;

/**
 * A stand on a repository of its own: the App in this process then remembers nothing of the
 * cases before (it keeps some facts per repository for its lifetime), so every case makes the
 * calls of the fault-free run — those a new App process makes — up to the faulted one.
 */
function freshStand(how: MatrixOptions): Promise<AppStand> {
  stands++;
  return how.process === true
    ? startAppStand()
    : startAppStand({ inProcess: true, repository: `${REPOSITORY}-${stands}` });
}

/** How a matrix runs its cases. */
export interface MatrixOptions {
  /**
   * Each case against the App as `npm start` runs it — its own process, with the production
   * request limiter (budgets, waits, the retry of reads) between it and GitHub — instead of
   * Probot's Server in this process with an Octokit that never retries. Processes share no token
   * cache, so cases then run a few at a time.
   */
  readonly process?: boolean;
  /** Only the writes of the fault-free run (the reads' faults are the same in either matrix). */
  readonly writesOnly?: boolean;
}

/** Cases of a process matrix in flight at once (each is an App process and a test server). */
const PROCESS_CASES_AT_ONCE = 4;

/**
 * A stand started as a process polls `/ping` on a port it found free (`closedPort`); when this
 * server took that port meanwhile, the poll lands here. No call of the App under test.
 */
function isForeignPing(v: Violation): boolean {
  return (
    v.kind === 'unknown-route' && v.method === 'GET' && v.path === '/ping' && v.operationId === undefined
  );
}

/** Every request the App sent, and every answer, kept to GitHub's description. */
function expectNoViolations(s: AppStand): void {
  expect(s.github.violations.filter((v) => !isForeignPing(v))).toEqual([]);
}

/**
 * Every GitHub call of the scenario's act in a fault-free run (the token exchanges of `apps/`
 * aside: without a token the App can make no call at all), after checking that run itself.
 */
async function callsOf(scenario: Scenario, how: MatrixOptions): Promise<ScenarioCall[]> {
  const s = await freshStand(how);
  try {
    await scenario.prepare(s);
    const from = s.github.calls.length;
    await scenario.act(s);
    scenario.check(s);
    expectNoViolations(s);
    return s.github.calls
      .slice(from)
      .flatMap(({ operationId, call, method }) =>
        operationId === undefined ||
        call === undefined ||
        operationId.startsWith('apps/') ||
        (how.writesOnly === true && method === 'GET')
          ? []
          : [{ operationId, call, method }],
      );
  } finally {
    await s.close();
  }
}

/** Runs one case; resolves with what went wrong, or undefined when the outcome is right. */
async function runCase(
  scenario: Scenario,
  c: ScenarioCall,
  fault: Fault,
  how: MatrixOptions,
): Promise<string | undefined> {
  const s = await freshStand(how);
  try {
    await scenario.prepare(s);
    inject(s, c, fault);
    await scenario.act(s);
    // The App has answered; give writes still under way a moment to land before judging.
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
      2_000,
    ).catch(() => undefined);
    scenario.check(s);
    expectNoViolations(s);
    // The server records the status it answered, 0 for an answer it dropped.
    const answered = s.github.callsTo(c.operationId).find((call) => call.call === c.call)?.status;
    if (answered !== FAULT_STATUS[fault])
      return `the call was answered ${answered ?? 'never'}, not with the fault (${FAULT_STATUS[fault]})`;
    return undefined;
  } catch (error) {
    const problem = (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 6);
    // What GitHub holds, for the report of a failed case: the replies and the refs say most.
    const held = `replies: ${JSON.stringify(replies(s))}; refs: ${rollgateRefs(s).join(', ')}`;
    return `${problem.join(' ')} — ${held}`;
  } finally {
    await s.close();
  }
}

/** Registers the matrix of one scenario: every call of its fault-free run × every fault. */
export function faultMatrix(scenario: Scenario, how: MatrixOptions = {}): void {
  test('every GitHub call × every fault ends in the right Deployments, no stranded marker and a reply', async () => {
    const calls = await callsOf(scenario, how);
    expect(calls.length).toBeGreaterThan(2);
    const cases = calls.flatMap((c) => FAULTS.map((fault) => ({ c, fault })));
    const failed: string[] = [];
    // In this process, one case at a time: @octokit/auth-app shares a pending token request
    // between Octokits of one process by installation id, and every stand's installation has the
    // same id, so two stands at once could get each other's token. Jest's workers run the
    // scenarios side by side.
    const atOnce = how.process === true ? PROCESS_CASES_AT_ONCE : 1;
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let index = next++; index < cases.length; index = next++) {
        const { c, fault } = cases[index]!;
        const problem = await runCase(scenario, c, fault, how);
        if (problem !== undefined) failed.push(`${caseName(c, fault)}: ${problem}`);
      }
    };
    await Promise.all(Array.from({ length: atOnce }, worker));
    expect(failed.sort()).toEqual([]);
  }, 900_000);
}
