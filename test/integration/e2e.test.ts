/**
 * The whole chain, end to end: a `/deploy` comment reaches the real App server (signed webhook),
 * the App creates the Deployment on the GitHub API test server, GitHub's `deployment` event runs
 * the starter workflow `rollgate-deploy-on-event.yml` (its real `if:`s and `with:`s, the bundled
 * actions from dist/), the Kubernetes API test server rolls out, the action writes deployment
 * statuses, and GitHub's `deployment_status` webhooks bring the App's check run, sticky comment
 * and marker along. Each test asserts what a user then sees on GitHub and in the cluster.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { CONFIG, REPOSITORY, startAppStand, type AppStand } from '../support/app-stand.ts';
import {
  deployments,
  eventually,
  repo,
  replies,
  rollgateRefs,
  settled,
  stickies,
} from '../support/app-view.ts';
import { imageOf } from '../support/deploy-stand.ts';
import { startDeploymentEvents, type DeploymentEvents } from '../support/deployment-events.ts';
import type { CheckRunRecord, DeploymentRecord } from '../support/github-server/state.ts';
import { startHttpTarget, type HttpTarget } from '../support/http-target.ts';
import { startKubeServer, type KubeServer } from '../support/kube-server/server.ts';

const WORKFLOW = 'workflows-templates/rollgate-deploy-on-event.yml';
const SERVICE = 'hello-service';
const IMAGE = `ghcr.io/${REPOSITORY}`;

interface Chain {
  readonly s: AppStand;
  readonly kube: KubeServer;
  readonly events: DeploymentEvents;
  /** The commit the cluster ran before any deploy (the default branch's head). */
  readonly baseSha: string;
  /** Images whose containers crash-loop in the cluster. */
  readonly crashing: Set<string>;
}

let chain: Chain | undefined;
let health: HttpTarget | undefined;

afterEach(async () => {
  const current = chain;
  chain = undefined;
  if (current !== undefined) {
    current.events.stop();
    current.s.github.assertNoViolations();
    expect(current.kube.controllerErrors).toEqual([]);
    await Promise.all([current.s.close(), current.kube.close()]);
  }
  await health?.close();
  health = undefined;
});

/** The App, the cluster (the service running the default branch's image in both namespaces) and GitHub's events. */
async function start(config: string = CONFIG): Promise<Chain> {
  const crashing = new Set<string>();
  const [s, kube] = await Promise.all([
    startAppStand({ config }),
    startKubeServer({
      namespaces: ['staging', 'production'],
      containerBehaviour: ({ image }) => (crashing.has(image) ? 'crashloop' : undefined),
    }),
  ]);
  health = await startHttpTarget(() => ({ body: { status: 'ok' } }));
  const baseSha = repo(s).refs.get('refs/heads/main') ?? '';
  for (const namespace of ['staging', 'production']) seedService(kube, namespace, imageOfCommit(baseSha));
  await kube.waitForIdle();
  const events = startDeploymentEvents(s, {
    workflow: WORKFLOW,
    secrets: { KUBECONFIG: kube.kubeconfig() },
    vars: { HEALTH_URL: health.url },
  });
  chain = { s, kube, events, baseSha, crashing };
  return chain;
}

function seedService(kube: KubeServer, namespace: string, image: string): void {
  const labels = { app: SERVICE };
  kube.state.create({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: SERVICE, namespace, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080 }] }] },
      },
    },
  });
}

/** The image the build action pushes for a commit (`sha-<short sha>`), which the template deploys. */
function imageOfCommit(sha: string): string {
  return `${IMAGE}:sha-${sha.slice(0, 7)}`;
}

/** A comment, the App's answer to it, and everything GitHub and the workflow do after it. */
async function say(c: Chain, text: string, user = 'octocat'): Promise<string> {
  const { commentId } = await c.s.comment(text, { user });
  await settled(c.s, commentId);
  await c.events.settled();
  return replies(c.s).at(-1) ?? '';
}

function checkRunOf(c: Chain, deployment: DeploymentRecord): CheckRunRecord | undefined {
  return [...repo(c.s).checkRuns.values()].find(
    (r) => r.name === `rollgate / ${deployment.environment}` && r.externalId === String(deployment.id),
  );
}

/** Waits until the App has moved the deployment's check run to `completed`, and returns it. */
function completedRun(c: Chain, deployment: DeploymentRecord): Promise<CheckRunRecord> {
  return eventually(() => {
    const run = checkRunOf(c, deployment);
    return run?.status === 'completed' ? run : undefined;
  }, `the check run of deployment ${deployment.id} to complete`);
}

/** The sticky comment's table row of `environment`, as a reader sees it. */
function stickyRow(c: Chain, environment: string): string | undefined {
  const [sticky] = stickies(c.s);
  return sticky?.split('\n').find((line) => line.startsWith(`| \`${environment}\` |`));
}

function liveDeployment(c: Chain, namespace: string) {
  const deployment = c.kube.state.deployment(namespace, SERVICE);
  return {
    image: imageOf(deployment),
    replicas: deployment?.spec?.replicas,
    updated: deployment?.status?.updatedReplicas,
    available: deployment?.status?.availableReplicas,
    current: deployment?.status?.replicas,
  };
}

function statesOf(deployment: DeploymentRecord): string[] {
  return deployment.statuses.map((status) => status.state);
}

function delivered(c: Chain, deployment: DeploymentRecord): string[] {
  return c.events.deliveries.filter((d) => d.deploymentId === deployment.id).map((d) => d.state);
}

/** `/deploy <environment>` (or the comment given) carried out to a success; returns the Deployment. */
async function deploySucceeds(c: Chain, environment: string, sha: string): Promise<DeploymentRecord> {
  const before = deployments(c.s).length;
  const runsBefore = c.events.runs.length;
  await say(c, `/deploy ${environment}`);
  const created = deployments(c.s).slice(before);
  expect(created.map((d) => [d.environment, d.task, d.sha, d.viaApp])).toEqual([
    [environment, 'deploy', sha, true],
  ]);
  const deployment = created[0]!;
  expectDeployed(c, deployment, runsBefore);
  return deployment;
}

function expectDeployed(c: Chain, deployment: DeploymentRecord, runsBefore: number): void {
  const { environment, sha } = deployment;
  // The deployment event ran the template's `deploy` job (not `rollback`), with the root action.
  const runs = c.events.runs.slice(runsBefore);
  expect(runs.map((r) => r.deploymentId)).toEqual([deployment.id]);
  const jobs = runs[0]!.run.jobs;
  expect(jobs.map((j) => [j.id, j.ran, j.conclusion])).toEqual([
    ['deploy', true, 'success'],
    ['rollback', false, 'skipped'],
  ]);
  const deploy = jobs[0]!;
  expect(deploy.environment).toBe(environment);
  const step = deploy.steps.find((st) => st.action !== undefined)!;
  expect(step.outputs).toMatchObject({ status: 'success', 'deployment-id': String(deployment.id) });
  expect(step.run?.errors).toEqual([]);

  // The cluster runs the commit's image, fully rolled out.
  expect(liveDeployment(c, environment)).toEqual({
    image: imageOfCommit(sha),
    replicas: 2,
    updated: 2,
    available: 2,
    current: 2,
  });
}

describe('the chain from a /deploy comment to the cluster and back', () => {
  test('/deploy staging: Deployment, workflow, rollout, statuses, check run ✅, sticky row ✅, marker released', async () => {
    const c = await start();
    const started = performance.now();
    const answer = await say(c, '/deploy staging');
    expect(answer).toMatch(/Deploying `[0-9a-f]{7}` .* to `staging`/);
    const [deployment] = deployments(c.s);
    expect(deployment).toMatchObject({
      environment: 'staging',
      task: 'deploy',
      sha: c.s.headSha,
      viaApp: true,
    });
    expectDeployed(c, deployment!, 0);

    // The workflow got GitHub's deployment event of that very Deployment.
    const event = c.events.deploymentEvent(deployment!.id) as { deployment: Record<string, unknown> };
    expect(event.deployment).toMatchObject({
      id: deployment!.id,
      sha: c.s.headSha,
      task: 'deploy',
      environment: 'staging',
    });
    expect(event.deployment.performed_via_github_app).toMatchObject({ id: c.s.github.state.app.id });

    // GitHub holds the statuses the action wrote, and the App received each, in order.
    expect(statesOf(deployment!)).toEqual(['in_progress', 'success']);
    expect(deployment!.statuses[1]?.logUrl).toBe(
      `https://github.com/${REPOSITORY}/actions/runs/${c.events.runs[0]!.runId}`,
    );
    expect(delivered(c, deployment!)).toEqual(['in_progress', 'success']);
    expect(c.events.deliveries.every((d) => d.status >= 200 && d.status < 300)).toBe(true);

    // What the pull request shows: the check run completed green, the sticky row ✅, no marker left.
    const run = await completedRun(c, deployment!);
    expect(run).toMatchObject({ headSha: c.s.headSha, conclusion: 'success' });
    expect(run.output.summary).toMatch(/\| State \| success \|/);
    expect(run.detailsUrl).toBe(deployment!.statuses[1]?.logUrl);
    await eventually(() => stickyRow(c, 'staging')?.includes('✅ success'), 'the sticky row to turn ✅');
    expect(stickyRow(c, 'staging')).toContain(`\`${c.s.headSha.slice(0, 7)}\``);
    await eventually(() => rollgateRefs(c.s).length === 0 || undefined, 'the marker to be released');
    expect(rollgateRefs(c.s)).toEqual([]);
    // The other namespace was left alone.
    expect(liveDeployment(c, 'production').image).toBe(imageOfCommit(c.baseSha));
    console.log(`e2e staging chain: ${Math.round(performance.now() - started)} ms`);
  }, 180_000);

  test('a crash-looping image: the action rolls back, and check run, sticky comment, Deployments and cluster agree', async () => {
    const c = await start();
    const good = await deploySucceeds(c, 'staging', c.s.headSha);
    await completedRun(c, good);
    await eventually(() => rollgateRefs(c.s).length === 0 || undefined, 'the first marker to be released');

    // A push whose image crash-loops, deployed the same way.
    const badSha = c.s.github.state.addCommit(REPOSITORY, {
      branch: 'feature/checkout',
      files: { 'src/checkout.ts': 'throw new Error("boot");\n' },
      message: 'Checkout v2.1',
    });
    c.crashing.add(imageOfCommit(badSha));
    const started = performance.now();
    const runsBefore = c.events.runs.length;
    await say(c, '/deploy staging');
    const failed = deployments(c.s).find((d) => d.sha === badSha && d.task === 'deploy')!;
    expect(failed).toMatchObject({ environment: 'staging', viaApp: true });

    // The workflow's deploy job failed, reporting the automatic rollback.
    const runs = c.events.runs.slice(runsBefore);
    expect(runs.map((r) => r.deploymentId)).toEqual([failed.id]);
    const [deployJob, rollbackJob] = runs[0]!.run.jobs;
    expect([deployJob?.ran, deployJob?.conclusion, rollbackJob?.ran]).toEqual([true, 'failure', false]);
    const step = deployJob!.steps.find((st) => st.action !== undefined)!;
    expect(step.outputs.status).toBe('rolled-back');
    expect(step.run?.errors.at(-1)).toMatch(/CrashLoopBackOff/);

    // The cluster runs the good commit's image again, fully rolled out.
    expect(liveDeployment(c, 'staging')).toEqual({
      image: imageOfCommit(good.sha),
      replicas: 2,
      updated: 2,
      available: 2,
      current: 2,
    });

    // The Deployments tab: the failed one, and a deploy:rollback of the good commit, live.
    expect(statesOf(failed)).toEqual(['in_progress', 'failure']);
    expect(failed.statuses[1]?.description).toMatch(
      new RegExp(`^rolled back to revision \\d+ \\(version ${good.sha.slice(0, 7)}\\) after: `),
    );
    const rollbacks = deployments(c.s).filter((d) => d.task === 'deploy:rollback');
    expect(rollbacks).toHaveLength(1);
    const rollback = rollbacks[0]!;
    expect(rollback).toMatchObject({ environment: 'staging', sha: good.sha });
    expect(rollback.payload).toMatchObject({
      failed_deployment_id: failed.id,
      version: good.sha.slice(0, 7),
      rolled_back_from: badSha.slice(0, 7),
    });
    expect(statesOf(rollback)).toEqual(['success']);
    // The good deploy went inactive only when the rollback (not the failure) reported success.
    expect(statesOf(good)).toEqual(['in_progress', 'success', 'inactive']);
    // The rollback was recorded with the workflow's own token: it started no second workflow run.
    expect(c.events.runs.map((r) => r.deploymentId)).toEqual([good.id, failed.id]);
    // GitHub told the App about every one of those statuses, in the order they were written.
    const order = [failed.statuses[0], failed.statuses[1], rollback.statuses[0], good.statuses[2]];
    expect(c.events.deliveries.slice(-4).map((d) => d.statusId)).toEqual(order.map((st) => st?.id));

    // The pull request: the bad commit's check run failed, saying what runs now; the sticky row ❌.
    const run = await completedRun(c, failed);
    expect(run).toMatchObject({ headSha: badSha, conclusion: 'failure' });
    expect(run.output.summary).toMatch(/\| State \| failure \|/);
    expect(run.output.summary).toContain(failed.statuses[1]!.description);
    await eventually(
      () => stickyRow(c, 'staging')?.includes('❌ failure, rolled back'),
      'the sticky row to turn ❌ and say it was rolled back',
    );
    expect(stickyRow(c, 'staging')).toContain(`\`${badSha.slice(0, 7)}\``);
    // The good commit's check run keeps its success: the rollback's statuses never reopened it.
    expect(checkRunOf(c, good)).toMatchObject({ status: 'completed', conclusion: 'success' });
    await eventually(() => rollgateRefs(c.s).length === 0 || undefined, 'the marker to be released');
    console.log(`e2e crash-loop chain (second deploy): ${Math.round(performance.now() - started)} ms`);
  }, 180_000);

  test('/deploy production waits for /approve from an approver, then the chain runs for production', async () => {
    const c = await start(`environments:
  staging:
    url: https://staging.example.com
  production:
    url: https://example.com
    production: true
    requires:
      approvals: 1
      approvers: ["monalisa"]
`);
    const asked = await say(c, '/deploy production');
    expect(asked).toMatch(/waits for its gates, and nothing was created yet/);
    // Waiting: no Deployment, no workflow run, the request's check run in progress, the cluster untouched.
    expect(deployments(c.s)).toEqual([]);
    expect(c.events.runs).toEqual([]);
    const request = () =>
      [...repo(c.s).checkRuns.values()].find(
        (r) => r.name === 'rollgate / production' && r.externalId.startsWith('request:'),
      );
    expect(request()).toMatchObject({ status: 'in_progress', headSha: c.s.headSha });
    expect(liveDeployment(c, 'production').image).toBe(imageOfCommit(c.baseSha));

    const started = performance.now();
    expect(await say(c, '/approve production', 'monalisa')).toMatch(
      /Approval of `production` recorded\. Deploying/,
    );
    const [deployment] = deployments(c.s);
    expect(deployment).toMatchObject({ environment: 'production', task: 'deploy', sha: c.s.headSha });
    expect(deployment!.payload).toMatchObject({ requester: 'octocat', gates: { verdict: 'pass' } });
    expectDeployed(c, deployment!, 0);
    // The action checked the gates itself and took the App's recorded approval.
    const step = c.events.runs[0]!.run.jobs[0]!.steps.find((st) => st.action !== undefined)!;
    expect(step.run?.log.join('\n')).toMatch(/Gates of production: /);

    expect(statesOf(deployment!)).toEqual(['in_progress', 'success']);
    expect(delivered(c, deployment!)).toEqual(['in_progress', 'success']);
    const run = await completedRun(c, deployment!);
    expect(run).toMatchObject({ headSha: c.s.headSha, conclusion: 'success' });
    expect(request()).toMatchObject({ status: 'completed', conclusion: 'success' });
    await eventually(() => stickyRow(c, 'production')?.includes('✅ success'), 'the sticky row to turn ✅');
    await eventually(() => rollgateRefs(c.s).length === 0 || undefined, 'the marker to be released');
    expect(liveDeployment(c, 'staging').image).toBe(imageOfCommit(c.baseSha));
    console.log(`e2e gated production chain (after /approve): ${Math.round(performance.now() - started)} ms`);
  }, 180_000);
});
