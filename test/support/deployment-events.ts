/**
 * GitHub's side of a deployment, over the App stand: what GitHub does once Deployments and their
 * statuses are written to the GitHub API test server.
 * - A Deployment the App created (with its installation token) fires `deployment`, which starts the
 *   repository's `on: deployment` workflow, run here by `workflow-runner.ts`. One created with the
 *   workflow's own GITHUB_TOKEN (the root action's `deploy:rollback` record) starts none: "events
 *   triggered by the GITHUB_TOKEN … will not create a new workflow run"
 *   (docs.github.com, "Triggering a workflow from a workflow").
 * - Every deployment status — those the workflow writes, and the `inactive` ones GitHub adds to
 *   older deployments on `success` (`auto_inactive`) — fires `deployment_status`, delivered to the
 *   App signed, one after the other in the order the statuses were created.
 * The payloads are GitHub's examples (@octokit/webhooks-examples) filled with the Deployment and
 * status as the API shows them (the server's own REST representations).
 */
import { examplePayload, REPOSITORY, type AppStand } from './app-stand.ts';
import { repo } from './app-view.ts';
import { buildDeployment, buildDeploymentStatus } from './github-server/fixtures.ts';
import type { DeploymentRecord, DeploymentStatusRecord } from './github-server/state.ts';
import { runWorkflow, type WorkflowContext, type WorkflowRun } from './workflow-runner.ts';

export interface Delivery {
  readonly event: 'deployment_status';
  readonly deploymentId: number;
  readonly statusId: number;
  readonly state: string;
  /** The App's HTTP answer. */
  readonly status: number;
}

export interface WorkflowRunRecord {
  /** The Deployment whose `deployment` event started it. */
  readonly deploymentId: number;
  readonly runId: number;
  readonly run: WorkflowRun;
}

export interface DeploymentEvents {
  /** Workflow runs that have ended, in the order they ended. */
  readonly runs: readonly WorkflowRunRecord[];
  /** `deployment_status` webhooks delivered to the App, in order. */
  readonly deliveries: readonly Delivery[];
  /** The `deployment` payload the workflow of a Deployment received. */
  deploymentEvent(deploymentId: number): Record<string, unknown> | undefined;
  /**
   * Resolves once no workflow run is in flight, every status has been delivered and nothing new
   * appeared for a while; throws what went wrong on the way (a run the runner refused, a
   * delivery the App did not accept).
   */
  settled(timeoutMs?: number): Promise<void>;
  stop(): void;
}

export interface DeploymentEventsOptions {
  /** The workflow file (relative to the repository root) that runs on `deployment`. */
  readonly workflow: string;
  readonly secrets: Readonly<Record<string, string>>;
  readonly vars?: Readonly<Record<string, string>>;
  /** The workflow's GITHUB_TOKEN. */
  readonly token?: string;
}

const POLL_MS = 20;
/** How long nothing new must happen before the chain counts as settled. */
const QUIET_MS = 300;

export function startDeploymentEvents(s: AppStand, options: DeploymentEventsOptions): DeploymentEvents {
  const seenDeployments = new Set<number>();
  const seenStatuses = new Set<number>();
  const runs: WorkflowRunRecord[] = [];
  const deliveries: Delivery[] = [];
  const events = new Map<number, Record<string, unknown>>();
  const problems: unknown[] = [];
  let inFlight = 0;
  let nextRunId = 9001;
  let lastChange = Date.now();
  let queue: Promise<void> = Promise.resolve();

  const repository = () => repo(s);
  const deploymentJson = (d: DeploymentRecord) =>
    buildDeployment(s.github.state.links, repository(), d, s.github.state.app);

  const startRun = (deployment: DeploymentRecord) => {
    const example = examplePayload('deployment', 'created');
    const shown = deploymentJson(deployment);
    const payload = s.event('deployment', 'created', {
      deployment: { ...(example.deployment as object), ...shown },
      sender: shown.creator,
      workflow: null,
      workflow_run: null,
    });
    events.set(deployment.id, payload);
    const runId = nextRunId++;
    const context: WorkflowContext = {
      event: { name: 'deployment', payload },
      repository: REPOSITORY,
      sha: deployment.sha,
      // "Branch or tag to be deployed (empty if created with a commit SHA)" (docs.github.com,
      // "Events that trigger workflows", deployment).
      ref: /^[0-9a-f]{40}$/i.test(deployment.ref) ? '' : deployment.ref,
      actor: deployment.creator?.login ?? 'ghost',
      token: options.token ?? 'workflow-github-token',
      apiUrl: s.github.url,
      secrets: options.secrets,
      ...(options.vars === undefined ? {} : { vars: options.vars }),
      runId,
    };
    inFlight++;
    runWorkflow(options.workflow, context)
      .then((run) => runs.push({ deploymentId: deployment.id, runId, run }))
      .catch((error: unknown) => problems.push(error))
      .finally(() => {
        inFlight--;
        lastChange = Date.now();
      });
  };

  const deliver = (deployment: DeploymentRecord, status: DeploymentStatusRecord) => async () => {
    const example = examplePayload('deployment_status', 'created');
    const shownStatus = buildDeploymentStatus(s.github.state.links, repository(), status, s.github.state.app);
    const payload = s.event('deployment_status', 'created', {
      deployment: { ...(example.deployment as object), ...deploymentJson(deployment) },
      deployment_status: { ...(example.deployment_status as object), ...shownStatus },
      sender: shownStatus.creator,
      workflow: null,
      workflow_run: null,
    });
    const answer = await s.send('deployment_status', payload);
    deliveries.push({
      event: 'deployment_status',
      deploymentId: deployment.id,
      statusId: status.id,
      state: status.state,
      status: answer,
    });
    if (answer < 200 || answer > 299)
      problems.push(
        new Error(`the App answered ${answer} to deployment_status ${status.state} of ${deployment.id}`),
      );
    lastChange = Date.now();
  };

  const poll = () => {
    const fresh: [DeploymentRecord, DeploymentStatusRecord][] = [];
    for (const deployment of repository().deployments.values()) {
      if (!seenDeployments.has(deployment.id)) {
        seenDeployments.add(deployment.id);
        lastChange = Date.now();
        if (deployment.viaApp) startRun(deployment);
      }
      for (const status of deployment.statuses)
        if (!seenStatuses.has(status.id)) {
          seenStatuses.add(status.id);
          fresh.push([deployment, status]);
        }
    }
    // Ids come from one counter: their order is the order the statuses were created in.
    fresh.sort((a, b) => a[1].id - b[1].id);
    for (const [deployment, status] of fresh) {
      inFlight++;
      queue = queue
        .then(deliver(deployment, status))
        .catch((error: unknown) => {
          problems.push(error);
        })
        .finally(() => {
          inFlight--;
        });
    }
  };
  const timer = setInterval(poll, POLL_MS);

  return {
    runs,
    deliveries,
    deploymentEvent: (id) => events.get(id),
    async settled(timeoutMs = 90_000) {
      const started = Date.now();
      for (;;) {
        poll();
        if (problems.length > 0) throw problems[0];
        if (inFlight === 0 && Date.now() - lastChange >= QUIET_MS) return;
        if (Date.now() - started > timeoutMs)
          throw new Error(
            `the deployment chain did not settle within ${timeoutMs} ms (${inFlight} in flight)`,
          );
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    },
    stop() {
      clearInterval(timer);
    },
  };
}
