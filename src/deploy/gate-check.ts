/**
 * The read phase of a workflow deploy's gates, before anything changes: the configuration at the
 * default branch, the environment's lock ref, and the facts its gates need, read with the
 * workflow's token; then the pure verdict of `workflow-gates.ts`.
 */
import { loadConfig, type ContentsApi } from '../config/load.ts';
import { CONFIG_FILE } from '../config/parse.ts';
import type { EnvironmentConfig } from '../config/types.ts';
import { RollgateError } from '../errors.ts';
import type { GateFacts, LockFact } from '../gates/index.ts';
import { checkRunName } from '../github/check-runs.ts';
import type { Repo } from '../github/deployments.ts';
import { code } from '../github/markdown.ts';
import { requestFailure } from '../github/request-failure.ts';
import { readEnvironmentRefs, readLockHolder, type GitRefsApi } from '../github/environment-refs.ts';
import {
  checkFacts,
  readCommitContexts,
  readPromotion,
  type CommitChecksApi,
  type DeploymentHistoryApi,
} from '../github/gate-facts.ts';
import {
  configuredEnvironment,
  isApp,
  lockOnlyVerdict,
  workflowVerdict,
  type ApprovalClaim,
  type GateCheck,
} from './workflow-gates.ts';

/** The slices of Octokit the check reads through (`octokit.rest.*` in production). */
export interface GateCheckPorts {
  readonly repo: Repo;
  readonly contents: ContentsApi;
  readonly git: GitRefsApi;
  readonly commits: CommitChecksApi;
  readonly deployments: DeploymentHistoryApi;
}

export interface GateCheckAsk {
  readonly environment: string;
  readonly sha: string;
  readonly branch: string | undefined;
  /** GITHUB_ACTOR: who started the workflow. */
  readonly actor: string;
  /** GITHUB_RUN_ID: the protection rule's approval names it, and this run's own jobs are no checks on the sha. */
  readonly runId: string;
  /** The App's verdict on the Deployment this run was started for, when it is one. */
  readonly deploymentApproval: ApprovalClaim | undefined;
  /** The slug of the Rollgate App (`app-slug`): only its check runs are Rollgate's. */
  readonly appSlug: string;
  readonly now: Date;
}

/**
 * Reads the configuration, the lock and the facts, and evaluates the gates of `ask.environment`.
 * A read GitHub refuses fails the deploy (closed, never open), saying which permission to grant.
 */
export async function checkWorkflowGates(ports: GateCheckPorts, ask: GateCheckAsk): Promise<GateCheck> {
  try {
    return await evaluateWorkflowGates(ports, ask);
  } catch (error) {
    const failure = requestFailure(error);
    if (error instanceof RollgateError || failure === undefined) throw error;
    throw new RollgateError(
      `GitHub refused a read the gates of ${ask.environment} need: ${failure.message.trim() || 'no message'} (HTTP ${failure.status}), so nothing was changed.`,
      'A workflow deploy reads the lock and the gates of `.github/rollgate.yml` with its `token` before it changes anything, and does not deploy on facts it could not read.',
      'Give the job `permissions:` contents: read, checks: read, statuses: read and deployments: write (or a token that has them), then run it again; or run it with `gates: ignore` to deploy anyway (logged in the job summary).',
    );
  }
}

async function evaluateWorkflowGates(ports: GateCheckPorts, ask: GateCheckAsk): Promise<GateCheck> {
  const [config, lock] = await Promise.all([
    loadConfig({ contents: ports.contents, repo: ports.repo }),
    readWorkflowLock(ports.git, ports.repo, ask.environment),
  ]);
  const environment = configuredEnvironment(config, ask.environment);
  if (environment === undefined) {
    const note = `${code(CONFIG_FILE)} at the default branch configures no environment ${code(ask.environment)}: no gate to enforce besides the lock.`;
    return {
      kind: 'evaluated',
      environment: ask.environment,
      verdict: lockOnlyVerdict(ask.environment, lock),
      note,
    };
  }
  const facts = await readFacts(ports, ask, environment, lock);
  const approval =
    environment.requires.approvals > 0 ? await priorApproval(ports, ask, environment.name) : undefined;
  return { kind: 'evaluated', environment: environment.name, verdict: workflowVerdict(facts, approval) };
}

/**
 * The approval that counts for this run: the Rollgate App's Deployment, else its protection
 * rule's check run (a deployment event's job may name the environment too); else what another
 * App claimed, so the checklist says why it was not counted.
 */
async function priorApproval(
  ports: GateCheckPorts,
  ask: GateCheckAsk,
  environment: string,
): Promise<ApprovalClaim | undefined> {
  if (ask.deploymentApproval?.kind === 'deployment') return ask.deploymentApproval;
  const protection = await protectionApproval(ports, ask, environment);
  return protection?.kind === 'protection-rule' ? protection : (ask.deploymentApproval ?? protection);
}

async function readFacts(
  ports: GateCheckPorts,
  ask: GateCheckAsk,
  environment: EnvironmentConfig,
  lock: LockFact | undefined,
): Promise<GateFacts> {
  const deployedTo = environment.requires.deployedTo;
  // GitHub Actions links each job's check run to its run (`…/actions/runs/<id>/job/<n>`, as seen in
  // cli/cli#6663), and check runs a workflow creates get the run's page as details (their own
  // details_url is ignored: LouisBrunner/checks-action#18). This run's own jobs, the deploy job
  // itself among them, still running, are not checks on the commit it deploys.
  const ownRun = `/actions/runs/${ask.runId}/`;
  const [contexts, promotion] = await Promise.all([
    environment.requires.checks === 'success'
      ? readCommitContexts(ports.commits, ports.repo, ask.sha, {
          // Only the Rollgate App's `rollgate / <env>` runs are its own; another App's run of that
          // name is a check like any other.
          ours: (run) => isApp(run.app, ask.appSlug) && run.name.startsWith('rollgate / '),
          skip: (run) =>
            ask.runId !== '' && [run.details_url, run.html_url].some((url) => url?.includes(ownRun)),
        })
      : undefined,
    deployedTo === undefined ? undefined : readPromotion(ports.deployments, ports.repo, deployedTo),
  ]);
  return {
    now: ask.now,
    environment,
    sha: ask.sha,
    branch: ask.branch,
    requester: ask.actor,
    approvals: [],
    rejections: [],
    teams: new Map(),
    checks: checkFacts(contexts),
    promotion,
    lock,
  };
}

/**
 * The lock of `environment`, read only: the current `refs/rollgate/lock/<env>`, and an older
 * Rollgate's `refs/heads/rollgate/lock/<env>` branch, which the App moves on its next read but a
 * workflow leaves alone (its token writes nothing before the gates have passed).
 */
async function readWorkflowLock(
  git: GitRefsApi,
  repo: Repo,
  environment: string,
): Promise<LockFact | undefined> {
  const key = `${repo.owner}/${repo.repo}`.toLowerCase();
  const refs = await readEnvironmentRefs(git, repo, { migrated: new Set([key]) });
  let sha = refs.locks.get(environment.toLowerCase());
  if (sha === undefined) {
    const legacy = `refs/heads/rollgate/lock/${environment}`.toLowerCase();
    const { data } = await git.listMatchingRefs({ ...repo, ref: `heads/rollgate/lock/` });
    sha = data.find((ref) => ref.ref.toLowerCase() === legacy)?.object.sha;
  }
  if (sha === undefined) return undefined;
  const holder = await readLockHolder(git, repo, sha);
  return { holder: holder.holder, reason: holder.reason || undefined };
}

/**
 * The approval of Rollgate's deployment protection rule for this run: the App's completed,
 * successful check run `rollgate / <env>` on the sha whose `external_id` is
 * `protection:<GITHUB_RUN_ID>` (the contract with the App's protection-rule handler). The check
 * run's `app` says which App made it: one of another App, which can write the same name and
 * external id, is disowned.
 */
async function protectionApproval(
  ports: GateCheckPorts,
  ask: GateCheckAsk,
  environment: string,
): Promise<ApprovalClaim | undefined> {
  if (ask.runId === '') return undefined;
  const { data } = await ports.commits.checks.listForRef({
    ...ports.repo,
    ref: ask.sha,
    check_name: checkRunName(environment),
    filter: 'all',
    per_page: 100,
  });
  const approving = data.check_runs.filter(
    (run) =>
      run.external_id === `protection:${ask.runId}` &&
      run.status === 'completed' &&
      run.conclusion === 'success' &&
      run.app != null,
  );
  const approved = approving.find((run) => isApp(run.app, ask.appSlug));
  if (approved !== undefined) return { kind: 'protection-rule', checkRunUrl: approved.html_url ?? undefined };
  const other = approving[0]?.app?.slug;
  return other === undefined
    ? undefined
    : { kind: 'other-app', record: 'check run', madeBy: other, expected: ask.appSlug };
}
