/**
 * What a user sees of the App on the GitHub API test server: reactions, replies, the sticky
 * comment, Deployments, markers and locks; and the webhooks GitHub sends back to it.
 */
import { examplePayload, type AppStand } from './app-stand.ts';
import type { DeploymentRecord, DeploymentState } from './github-server/state.ts';

const STICKY = '<!-- rollgate:environments';
const REPLY = /\n\n<!-- rollgate:reply .*-->$/;

/** Waits until `check` holds, as the App handles webhooks after answering them. */
export async function eventually<T>(
  check: () => T | undefined | false,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function repo(s: AppStand) {
  return s.github.state.seeded(s.repository);
}

export function reactions(s: AppStand, commentId: number): string[] {
  return repo(s)
    .reactions.filter((r) => r.commentId === commentId)
    .map((r) => r.content);
}

/** The App's replies (its comments other than the sticky one), oldest first, as a reader sees them. */
export function replies(s: AppStand): string[] {
  return [...repo(s).comments.values()]
    .filter((c) => c.viaApp && !c.body.startsWith(STICKY))
    .map((c) => c.body.replace(REPLY, ''));
}

export function stickies(s: AppStand): string[] {
  return [...repo(s).comments.values()]
    .filter((c) => c.viaApp && c.body.startsWith(STICKY))
    .map((c) => c.body);
}

export function deployments(s: AppStand): DeploymentRecord[] {
  return [...repo(s).deployments.values()];
}

/** Environments with a deploy-in-progress marker or a lock, as refs. */
export function rollgateRefs(s: AppStand): string[] {
  return [...repo(s).refs.keys()].filter((ref) => ref.includes('rollgate/')).sort();
}

/** Waits for the App to finish with a comment: its final reaction is 🚀 or 😕. */
export function settled(s: AppStand, commentId: number): Promise<string[]> {
  return eventually(() => {
    const r = reactions(s, commentId);
    return r.includes('rocket') || r.includes('confused') ? r : undefined;
  }, `the App to answer comment ${commentId}`);
}

/** The `deployment_status.created` webhook GitHub sends for a status of a stored Deployment. */
export function statusEvent(
  s: AppStand,
  deployment: DeploymentRecord,
  state: DeploymentState,
  updatedAt = new Date().toISOString(),
): Record<string, unknown> {
  const example = examplePayload('deployment_status', 'created');
  return s.event('deployment_status', 'created', {
    deployment: {
      ...(example.deployment as object),
      id: deployment.id,
      sha: deployment.sha,
      ref: deployment.ref,
      environment: deployment.environment,
      task: deployment.task,
      payload: deployment.payload,
    },
    deployment_status: {
      ...(example.deployment_status as object),
      state,
      environment: deployment.environment,
      description: `${state} in ${deployment.environment}`,
      log_url: 'https://github.com/octo-org/hello-service/actions/runs/42',
      environment_url: 'https://staging.example.com',
      updated_at: updatedAt,
    },
  });
}

/** A lock as `/lock` leaves it, written straight into the repository (someone else's replica). */
export function seedLock(s: AppStand, environment: string, holder: string, reason = ''): void {
  // A scratch branch carries the commit; the lock itself is the ref under refs/rollgate/ pointing at it.
  const scratch = `seed/lock-${environment}`;
  const sha = s.github.state.addCommit(s.repository, {
    branch: scratch,
    parents: [],
    message: `rollgate lock ${environment}\n\n${JSON.stringify({ holder, reason, since: new Date().toISOString(), pullRequest: 1 })}`,
  });
  repo(s).refs.delete(`refs/heads/${scratch}`);
  repo(s).refs.set(`refs/rollgate/lock/${environment.toLowerCase()}`, sha);
}

/** A check run of another CI on `sha`. */
export function seedCheckRun(s: AppStand, sha: string, name: string, conclusion: string | null): void {
  const repository = repo(s);
  const id = s.github.state.nextId();
  repository.checkRuns.set(id, {
    id,
    headSha: sha,
    checkSuiteId: id,
    viaApp: false,
    name,
    externalId: '',
    detailsUrl: null,
    status: conclusion === null ? 'in_progress' : 'completed',
    conclusion,
    startedAt: new Date(),
    completedAt: conclusion === null ? null : new Date(),
    output: { title: null, summary: null, text: null, annotations: [] },
    actions: [],
  });
}
