/**
 * The write phase every Deployment goes through (`/deploy`, `/rollback`, a release): the marker,
 * the lock checked again, the Deployment, then the check run and the sticky row. Each write can
 * be reconciled after a lost answer; once the Deployment exists the command has happened, and a
 * later failure is reported as degraded, never as "could not carry out".
 */
import { checkRunName, renderCheckRun } from '../../src/github/check-runs.ts';
import { createDeployment, type GitHubDeployment } from '../../src/github/deployments.ts';
import type { RollgateConfig } from '../../src/config/types.ts';
import {
  decideDeploy,
  inProgressMessage,
  lockedMessage,
  ORPHAN_MARKER_MS,
  type ContextFacts,
  type DeployFacts,
  type DeployPlan,
  type MarkerDeploymentFacts,
} from '../decisions/deploy.ts';
import { deploymentOwner, FINAL_STATES } from '../decisions/deployment-status.ts';
import {
  dropMarker,
  ownedBy,
  readEnvironmentState,
  takeMarker,
  type EnvironmentState,
  type Marker,
  type MarkerClaim,
  type MarkerOwner,
} from './environment-state.ts';
import { checklistMarkdown, decisionRecord, evaluateGates, type Verdict } from '../../src/gates/index.ts';
import { code } from '../../src/github/markdown.ts';
import { now as clockNow } from '../clock.ts';
import { readCommitContexts } from '../../src/github/gate-facts.ts';
import { hasGates, readGateFacts } from './gate-facts.ts';
import type { GateRecords } from './gate-records.ts';
import { byThisApp, type GitHubIo } from './github-io.ts';
import { reconciledWrite } from './reconciled-write.ts';
import { updateStickyRow } from './sticky.ts';
import { payloadRecord } from '../../src/json/record.ts';

/** A Deployment someone asked for, before the gates have looked at it. */
export interface DeploymentOrder {
  readonly environment: string;
  readonly task: 'deploy' | 'deploy:rollback';
  readonly version: string;
  readonly requester: string;
  readonly owner: MarkerOwner;
  readonly pullNumber: number | undefined;
  /** The Deployment's payload, besides what the plan adds (`comment_id`, `release` or `dashboard_action`, from `owner`). */
  readonly payload: Readonly<Record<string, unknown>>;
  readonly description: string;
  /** A redelivery or a repeat after a crash: look for each write's result before making it. */
  readonly resume: boolean;
  /**
   * Present when the environment's approval gates apply (`/deploy`, a release, an approved
   * request; not `/rollback`, which must stay open to end an incident): the records approvals are
   * read from, and the branch the commit is deployed from.
   */
  readonly gated?: { readonly records: GateRecords | undefined; readonly branch: string | undefined };
}

export type DeploymentOutcome =
  | {
      readonly kind: 'refused';
      readonly message: string;
      /** Another handler of the same request holds the marker and is carrying it out. */
      readonly underWay?: true;
      /** Another deploy holds the environment's marker: worth trying again once it ends. */
      readonly busy?: true;
    }
  | {
      readonly kind: 'dry-run';
      readonly sha: string;
      readonly production: boolean;
      /** The gates' checklist, when the environment has gates. */
      readonly checklist?: string;
    }
  /** Only approvals (and what waits with them) hold it: a request to approve, nothing created. */
  | { readonly kind: 'pending'; readonly sha: string; readonly verdict: Verdict }
  /** Only a window or a freeze holds it: carried out by itself at `opensAt`. */
  | { readonly kind: 'deferred'; readonly sha: string; readonly verdict: Verdict; readonly opensAt: Date }
  | {
      readonly kind: 'deployed';
      readonly deployment: GitHubDeployment;
      /** Extras that failed after the Deployment existed (check run, sticky comment). */
      readonly degraded: readonly string[];
    };

/**
 * The reply's note on extras that failed once the Deployment existed (`degraded`), empty when none
 * did: the command has happened, and the reply says what is missing rather than "could not".
 */
export function degradedNote(degraded: readonly string[], command: 'deploy' | 'rollback'): string {
  return degraded.length === 0
    ? ''
    : `\n\n⚠️ The ${command} goes ahead, but ${degraded.join(' and ')}; the Deployment is what counts.`;
}

/** The facts a plan needs that only some orders read: the marker's Deployment, the checks. */
export type GateFacts = Omit<DeployFacts, 'markerDeployment' | 'contexts' | 'now'>;

/**
 * A deploy's gate facts: what the request says (`asked`), and what the configuration and the
 * locks and markers read before it say of its environment.
 */
export function gateFactsOf(
  config: RollgateConfig,
  state: EnvironmentState,
  asked: Pick<GateFacts, 'environmentName' | 'requester' | 'owner' | 'pull' | 'target'> & {
    readonly dryRun?: boolean;
  },
): GateFacts {
  const name = asked.environmentName;
  return {
    ...asked,
    environment: config.environments.get(name),
    environmentNames: [...config.environments.keys()],
    allowForks: config.commands.allowForks,
    lock: state.locks.get(name),
    marker: state.markers.get(name),
    dryRun: asked.dryRun ?? false,
  };
}

/** Reads what the gates still need, decides, and carries out the plan. */
export async function deployThroughGates(
  io: GitHubIo,
  config: RollgateConfig,
  order: DeploymentOrder,
  gates: GateFacts,
  now: () => number = clockNow,
): Promise<DeploymentOutcome> {
  const environment = config.environments.get(order.environment);
  const target = 'sha' in gates.target ? gates.target.sha : undefined;
  const [markerDeployment, contexts, tree] = await Promise.all([
    gates.marker !== undefined && !ownedBy(gates.marker, order.owner)
      ? findMarkerDeployment(io, order.environment, gates.marker)
      : undefined,
    environment?.requires.checks === 'success' && target !== undefined ? readContexts(io, target) : undefined,
    target !== undefined && !gates.dryRun ? treeOf(io, target) : undefined,
  ]);
  const decision = decideDeploy({ ...gates, markerDeployment, contexts, now: now() });
  if (decision.kind === 'refuse')
    return { kind: 'refused', message: decision.message, ...(decision.busy ? { busy: true } : {}) };
  let verdict: Verdict | undefined;
  if (order.gated !== undefined && environment !== undefined && hasGates(environment)) {
    const sha = decision.kind === 'dry-run' ? decision.sha : decision.plan.sha;
    const facts = await readGateFacts(io, {
      environment,
      sha,
      branch: order.gated.branch,
      requester: order.requester,
      lock: gates.lock,
      records: order.gated.records,
      contexts,
      now: new Date(now()),
    });
    verdict = evaluateGates(facts);
    // The audit trail: one structured line per decision (who asked, the sha, each gate, the verdict).
    io.log.info(
      { decision: decisionRecord(facts, verdict) },
      `gates of ${order.environment}: ${verdict.state}`,
    );
    const checklist = checklistMarkdown(verdict);
    if (decision.kind === 'dry-run') return { ...decision, checklist };
    if (verdict.state === 'fail')
      return { kind: 'refused', message: `${code(order.environment)} refuses this deploy:\n\n${checklist}` };
    if (verdict.state === 'wait') {
      // Every gated order can wait: a `/deploy` on its pull request, a release on its check run.
      const awaitsApproval = verdict.gates.some((g) => g.gate === 'approvals' && g.state === 'waiting');
      if (awaitsApproval) return { kind: 'pending', sha, verdict };
      if (verdict.timeOnly && verdict.nextOpening !== undefined)
        return { kind: 'deferred', sha, verdict, opensAt: verdict.nextOpening };
      return {
        kind: 'refused',
        message: `${code(order.environment)} is not open to this deploy yet, so nothing was created:\n\n${checklist}\n\nDeploy again once the gates marked ⏳ have passed.`,
      };
    }
    order = { ...order, payload: { ...order.payload, gates: decisionRecord(facts, verdict) } };
  }
  if (decision.kind === 'dry-run') return decision;
  return carryOut(io, order, decision.plan, gates, now, tree);
}

/**
 * The tree of the commit to deploy, for the marker's commit to point at: a read instead of the
 * record tree's write, so only the marker's commit and ref come before the Deployment (and 👀
 * before them), and twenty commands at once have their Deployments within GitHub's 80 writes a
 * minute. Undefined when it cannot be read: the marker then writes its own tree.
 */
async function treeOf(io: GitHubIo, sha: string): Promise<string | undefined> {
  try {
    return (await io.octokit.rest.git.getCommit({ ...io.repo, commit_sha: sha })).data.tree.sha;
  } catch {
    return undefined;
  }
}

/** The refusal of a handler whose request another handler is carrying out at the same moment. */
const UNDER_WAY = (environment: string): DeploymentOutcome => ({
  kind: 'refused',
  underWay: true,
  message: `${code(environment)} is being deployed for this request already.`,
});

async function carryOut(
  io: GitHubIo,
  order: DeploymentOrder,
  plan: DeployPlan,
  gates: GateFacts,
  now: () => number,
  tree: string | undefined,
): Promise<DeploymentOutcome> {
  const claim = {
    holder: order.requester,
    reason: `${order.task === 'deploy' ? 'deploy' : 'rollback to'} ${order.version}`,
    since: new Date(now()).toISOString(),
    pullRequest: order.pullNumber,
    owner: order.owner,
  };
  if (plan.marker !== 'ours') {
    const takeOver = plan.marker === 'take-over' ? gates.marker?.sha : undefined;
    const taken = await reconciledWrite<MarkerClaim>(
      () => takeMarker(io.git, io.repo, plan.environment, claim, { takeOver, tree }),
      // A ref whose holder names this order's comment (or release) is ours: its answer was lost.
      async () => ((await markerIsOurs(io, plan.environment, order.owner)) ? { kind: 'taken' } : undefined),
    );
    // A `/lock` that landed while the marker was being taken wins (`takeMarker` checks it again once held).
    if (taken.kind === 'locked')
      return {
        kind: 'refused',
        message: `${lockedMessage(plan.environment, taken.lock)} It was locked while this deploy started, so nothing was created.`,
      };
    if (taken.kind === 'busy' && !ownedBy(taken.marker, order.owner))
      return { kind: 'refused', message: inProgressMessage(plan.environment, taken.marker), busy: true };
    // The marker names this very request, and this is not a redelivery resuming it: another
    // handler (a second approval at the same moment) took it and makes the Deployment. Making
    // one here too would deploy twice.
    if (taken.kind === 'busy' && !order.resume) return UNDER_WAY(plan.environment);
  } else if (!order.resume) {
    // Found held for this request before any write, by a handler that is not resuming it: a
    // sibling still at work, unless its marker has gone unanswered as long as an orphan's — then
    // it stopped midway, and this handler finishes the request, finding each write first.
    const age = now() - Date.parse(gates.marker?.since ?? '');
    if (!(age > ORPHAN_MARKER_MS)) return UNDER_WAY(plan.environment);
    order = { ...order, resume: true };
  }

  let deployment: GitHubDeployment;
  try {
    deployment = await createOwnDeployment(io, order, plan);
  } catch (error) {
    // Nothing was deployed: let the next request through.
    await dropOwnMarker(io, plan.environment, order.owner);
    throw error;
  }
  const degraded: string[] = [];
  try {
    await createCheckRun(io, order, plan, deployment);
  } catch (error) {
    io.log.warn({ err: error }, 'check run not created');
    degraded.push(`the check \`${checkRunName(plan.environment)}\` could not be created`);
  }
  if (order.pullNumber !== undefined) {
    try {
      await updateStickyRow(io, order.pullNumber, {
        environment: plan.environment,
        state: 'queued',
        version: order.version,
        sha: deployment.sha,
        by: order.requester,
        deploymentId: deployment.id,
        logUrl: undefined,
        environmentUrl: plan.environmentUrl,
        updatedAt: new Date(now()).toISOString(),
      });
    } catch (error) {
      io.log.warn({ err: error }, 'sticky comment not updated');
      degraded.push("the pull request's environments comment could not be updated");
    }
  }
  return { kind: 'deployed', deployment, degraded };
}

async function ownMarker(io: GitHubIo, environment: string, owner: MarkerOwner): Promise<Marker | undefined> {
  const marker = (await readEnvironmentState(io.git, io.repo, [environment])).markers.get(environment);
  return marker !== undefined && ownedBy(marker, owner) ? marker : undefined;
}

async function markerIsOurs(io: GitHubIo, environment: string, owner: MarkerOwner): Promise<boolean> {
  return (await ownMarker(io, environment, owner)) !== undefined;
}

/** Gives back this order's marker, and only it: one taken over since is someone else's. */
async function dropOwnMarker(io: GitHubIo, environment: string, owner: MarkerOwner): Promise<void> {
  const marker = await ownMarker(io, environment, owner);
  if (marker !== undefined) await dropMarker(io.git, io.repo, environment, marker.sha);
}

/** This order's Deployment, found by its owner in the payload (`comment_id`, or `release`). */
export async function findOwnDeployment(
  io: GitHubIo,
  environment: string,
  owner: MarkerOwner,
): Promise<GitHubDeployment | undefined> {
  const { data } = await io.octokit.rest.repos.listDeployments({ ...io.repo, environment, per_page: 30 });
  return data.find((d) => {
    const found = deploymentOwner(payloadOf(d));
    return found !== undefined && found.kind === owner.kind && found.id === owner.id;
  });
}

function payloadOf(deployment: GitHubDeployment): Record<string, unknown> {
  return payloadRecord(deployment.payload) ?? {};
}

/** The payload field that names the order's owner, read back by `deploymentOwner`. */
function ownerPayload(owner: MarkerOwner): Record<string, number> {
  switch (owner.kind) {
    case 'comment':
      return { comment_id: owner.id };
    case 'release':
      return { release: owner.id };
    case 'dashboard':
      return { dashboard_action: owner.id };
  }
}

async function createOwnDeployment(
  io: GitHubIo,
  order: DeploymentOrder,
  plan: DeployPlan,
): Promise<GitHubDeployment> {
  const find = () => findOwnDeployment(io, plan.environment, order.owner);
  if (order.resume || plan.marker === 'ours') {
    const existing = await find();
    if (existing !== undefined) return existing;
  }
  const ownerField = ownerPayload(order.owner);
  return reconciledWrite(
    () =>
      createDeployment(io.octokit.rest.repos, io.repo, {
        ref: plan.sha,
        environment: plan.environment,
        task: order.task,
        payload: { ...order.payload, ...ownerField },
        description: order.description,
        productionEnvironment: plan.production,
        transientEnvironment: plan.transient,
        requiredContexts: plan.requiredContexts,
      }),
    find,
  );
}

async function createCheckRun(
  io: GitHubIo,
  order: DeploymentOrder,
  plan: DeployPlan,
  deployment: GitHubDeployment,
): Promise<void> {
  const name = checkRunName(plan.environment);
  const find = async () => {
    const { data } = await io.octokit.rest.checks.listForRef({
      ...io.repo,
      ref: deployment.sha,
      check_name: name,
      filter: 'all',
    });
    return data.check_runs.find((r) => r.external_id === String(deployment.id) && byThisApp(io, r.app))
      ? true
      : undefined;
  };
  if (order.resume && (await find())) return;
  await reconciledWrite(async () => {
    await io.octokit.rest.checks.create({
      ...io.repo,
      name,
      head_sha: deployment.sha,
      status: 'queued',
      external_id: String(deployment.id),
      output: renderCheckRun({
        environment: plan.environment,
        state: 'queued',
        version: order.version,
        sha: deployment.sha,
        requester: order.requester,
        deploymentId: deployment.id,
        description: undefined,
        logUrl: undefined,
        environmentUrl: plan.environmentUrl,
      }),
    });
    return true;
  }, find);
}

/** What became of the Deployment a marker in the way was taken for. */
async function findMarkerDeployment(
  io: GitHubIo,
  environment: string,
  marker: Marker,
): Promise<MarkerDeploymentFacts> {
  if (marker.owner === undefined) return { kind: 'running', id: 0 };
  const deployment = await findOwnDeployment(io, environment, marker.owner);
  if (deployment === undefined) return { kind: 'none' };
  const { data } = await io.octokit.rest.repos.listDeploymentStatuses({
    ...io.repo,
    deployment_id: deployment.id,
    per_page: 1,
  });
  const state = data[0]?.state;
  return state !== undefined && FINAL_STATES.has(state)
    ? { kind: 'finished', id: deployment.id }
    : { kind: 'running', id: deployment.id };
}

/**
 * Every status context and check run on the commit, Rollgate's own check runs marked: GitHub's
 * default `required_contexts` counts them all, so the next environment's deploy of the same commit
 * would wait on the previous environment's `rollgate / <env>` run.
 */
export async function readContexts(io: GitHubIo, sha: string): Promise<ContextFacts[]> {
  return readCommitContexts(io.octokit.rest, io.repo, sha, {
    ours: (run) => byThisApp(io, run.app) && run.name.startsWith('rollgate / '),
  });
}
