/**
 * Rollgate as GitHub's custom deployment protection rule: a workflow job that names an environment
 * where the App is enabled waits until the App answers `deployment_protection_rule.requested`
 * (PRODUCT.md §3 "Gates"; PLATFORM-NOTES.md "Custom deployment protection rules"). The same gates
 * as `/deploy` are evaluated over facts read from GitHub; a pass approves the job, a failure
 * rejects it, and a gate that waits gets a status report and is answered when it changes: approvals
 * when an `/approve` or `/reject` arrives (`answerWaitingRules`); a window or a freeze at its
 * opening, by the sweep of deferred requests (`answerDeferredRule`), which finds the rule from a
 * ref `refs/rollgate/deferred/protection-<run id>-<env>` kept while only time holds the job.
 *
 * Each answer also leaves a check run `rollgate / <env>` on the sha with `external_id`
 * `protection:<run_id>`: `in_progress` while the rule waits, then `success` or `failure`. That run
 * is how a waiting rule is found again by any replica (GitHub keeps it, not this process), and it
 * is the contract the `actions/deploy` gate check reads: keep its name and external_id.
 */
import type { Context } from 'probot';
import type { EnvironmentConfig, RollgateConfig } from '../../src/config/types.ts';
import { checkRunName } from '../../src/github/check-runs.ts';
import { capBody, code, hiddenJson } from '../../src/github/markdown.ts';
import {
  answerProtectionRule,
  parseProtectionRuleEvent,
  PROTECTION_RULE_COMMENT_LIMIT,
  reportProtectionStatus,
  type ProtectionRuleOutcome,
  type ProtectionRuleTarget,
} from '../../src/github/protection-rule.ts';
import { checklistMarkdown, checklistText, decisionRecord, evaluateGates } from '../../src/gates/index.ts';
import { renderConfigProblems } from '../config-check.ts';
import { ConfigError, loadConfig } from '../config-loader.ts';
import type { ContextFacts } from '../decisions/deploy.ts';
import { readContexts } from './deployment-plan.ts';
import { readEnvironmentState } from './environment-state.ts';
import { readGateFacts } from './gate-facts.ts';
import { readGateRecords, type GateRecords, type VerdictRecord } from './gate-records.ts';
import { now as clockNow } from '../clock.ts';
import {
  deferRequest,
  dropDeferred,
  type DeferredRef,
  type DeferredRule,
} from '../../src/github/deferred-refs.ts';
import { wakeAt } from '../deferred/wake.ts';
import { byThisApp, gitHubIo, type GitHubIo } from './github-io.ts';
import { jsonRecord } from '../../src/json/record.ts';

/** What a waiting rule's check run keeps, so that a later `/approve` can answer it. */
interface RuleRecord {
  readonly runId: number;
  /** The environment as the event spelled it: the callback names it so. */
  readonly environment: string;
  /** Who started the workflow run: the requester for the self-approval and lock rules. */
  readonly requester: string;
  readonly branch: string | undefined;
  /** The comment the rule was answered with, once it was: a redelivery answers the same again. */
  readonly answer?: string;
}

const RULE = 'rollgate:protection';
const RULE_MARKER = /<!-- rollgate:protection (\{[^\n]*?\}) -->/;
const EXTERNAL_ID = /^protection:(\d+)$/;

const externalId = (runId: number): string => `protection:${runId}`;

function ruleMarker(rule: RuleRecord): string {
  return `<!-- ${RULE} ${hiddenJson(rule)} -->`;
}

function parseRuleMarker(text: string | null | undefined, runId: number): RuleRecord | undefined {
  const json = RULE_MARKER.exec(text ?? '')?.[1];
  const value = json === undefined ? undefined : jsonRecord(json);
  if (value === undefined) return undefined;
  const { environment, requester, branch, answer } = value;
  if (typeof environment !== 'string' || typeof requester !== 'string') return undefined;
  return {
    runId,
    environment,
    requester,
    branch: typeof branch === 'string' ? branch : undefined,
    ...(typeof answer === 'string' ? { answer } : {}),
  };
}

/** `refs/heads/main` or `main` → `main`; a tag is no branch (the branch rule then fails closed). */
function branchOf(ref: string): string | undefined {
  if (ref.startsWith('refs/heads/')) return ref.slice('refs/heads/'.length);
  if (ref.startsWith('refs/')) return undefined;
  return ref;
}

function findEnvironment(config: RollgateConfig, name: string): EnvironmentConfig | undefined {
  const folded = name.toLowerCase();
  return [...config.environments.values()].find((e) => e.name.toLowerCase() === folded);
}

/** `deployment_protection_rule.requested`: evaluate the gates and answer, or report and wait. */
export async function handleProtectionRule(
  context: Context<'deployment_protection_rule.requested'>,
): Promise<void> {
  const event = parseProtectionRuleEvent(context.payload);
  const io = await gitHubIo(context);
  const target: ProtectionRuleTarget = {
    owner: event.repository.owner,
    repo: event.repository.name,
    runId: event.runId,
    environment: event.environment,
  };
  const rule: RuleRecord = {
    runId: event.runId,
    environment: event.environment,
    requester: event.sender,
    branch: branchOf(event.ref),
  };
  let config: RollgateConfig | ConfigError;
  try {
    config = await loadConfig(context);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    config = error;
  }
  const environment = config instanceof ConfigError ? undefined : findEnvironment(config, event.environment);
  const name = checkRunName(environment?.name ?? event.environment);
  if (await answeredBefore(io, target, event.sha, name, rule)) return;
  if (config instanceof ConfigError) {
    // Fail closed: a gate left out of an unreadable file could let the job through.
    io.log.warn(
      {
        protectionRule: {
          environment: event.environment,
          sha: event.sha,
          requester: event.sender,
          answer: 'rejected',
          why: 'configuration unreadable',
        },
        runId: event.runId,
      },
      'protection rule rejected: .github/rollgate.yml cannot be read',
    );
    const comment = `Rollgate cannot read its configuration, so it does not let this job deploy to ${code(event.environment)}.\n\n${renderConfigProblems(config)}\n\nFix \`.github/rollgate.yml\` and re-run the job.`;
    await decide(io, target, event.sha, name, rule, 'rejected', comment, comment);
    return;
  }
  if (environment === undefined) {
    // An environment the configuration does not name is not Rollgate's to guard: approving it keeps
    // a rule enabled by mistake (or an environment not yet configured) from blocking every job.
    const comment = `Rollgate has no gates for ${code(event.environment)}: it is not in \`.github/rollgate.yml\`, so the job may proceed.`;
    io.log.info(
      {
        protectionRule: {
          environment: event.environment,
          sha: event.sha,
          requester: event.sender,
          answer: 'approved',
          why: 'not configured',
        },
        runId: event.runId,
      },
      comment,
    );
    await decide(io, target, event.sha, name, rule, 'approved', comment, comment);
    return;
  }
  // An environment without gates (no `requires`, windows or freezes; `checks: none`) is still
  // evaluated: its lock holds every deploy but the holder's (PRODUCT.md §3), so the answer is an
  // approval unless someone else holds it — and the decision is logged like any other.
  await evaluateAndAnswer(io, environment, event.sha, rule, undefined);
}

/**
 * Answers the rules that wait on `environment` for `sha` after a verdict (`taken`, not yet on
 * GitHub: its reply is posted after the command) changed what the gates say. The waiting rules are
 * found from GitHub: this App's `in_progress` check runs `rollgate / <env>` with a `protection:`
 * external_id.
 */
export async function answerWaitingRules(
  io: GitHubIo,
  config: RollgateConfig,
  sha: string,
  environment: string,
  taken?: VerdictRecord,
): Promise<void> {
  const env = findEnvironment(config, environment);
  if (env === undefined) return;
  const { data } = await io.octokit.rest.checks.listForRef({
    ...io.repo,
    ref: sha,
    check_name: checkRunName(env.name),
    status: 'in_progress',
    filter: 'all',
    per_page: 100,
  });
  for (const run of data.check_runs) {
    const runId = Number(EXTERNAL_ID.exec(run.external_id ?? '')?.[1]);
    if (!byThisApp(io, run.app) || !Number.isSafeInteger(runId) || runId <= 0) continue;
    const rule = parseRuleMarker(run.output.text, runId);
    if (rule === undefined) continue;
    await evaluateAndAnswer(io, env, sha, rule, taken);
  }
}

/**
 * The sweep's turn for a rule that only a window or a freeze held, now that its time came (the
 * ref `deferred` was taken by this replica's compare-and-swap, so no other evaluates it now): the
 * gates are evaluated again and the job approved, rejected, or — the window moved, a freeze was
 * added — deferred to the new opening. A rule decided meanwhile (a redelivery, `/reject`) or whose
 * check run is gone is left alone, and its ref goes; with an unreadable configuration the ref stays
 * for a later round.
 */
export async function answerDeferredRule(
  io: GitHubIo,
  deferred: DeferredRef,
  record: DeferredRule,
  now: () => number,
): Promise<void> {
  let config: RollgateConfig;
  try {
    config = await loadConfig({ octokit: io.octokit, repo: () => io.repo });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The ref stays: once this take is stale (STALE_TAKE_MS) a later sweep tries again, by when
    // the file may be fixed; the job keeps waiting meanwhile rather than being answered blind.
    io.log.warn(
      { runId: record.runId },
      'deferred protection rule not evaluated: .github/rollgate.yml cannot be read; tried again later',
    );
    return;
  }
  const environment = findEnvironment(config, record.environment);
  const run =
    environment === undefined
      ? undefined
      : await findRuleRun(io, record.sha, checkRunName(environment.name), record.runId);
  const rule =
    run === undefined || run.status === 'completed'
      ? undefined
      : parseRuleMarker(run.output.text, record.runId);
  if (environment === undefined || rule === undefined) {
    io.log.info(
      { runId: record.runId },
      'deferred protection rule decided meanwhile or gone: nothing to answer',
    );
    await dropDeferred(io.git, io.repo, deferred.ref);
    return;
  }
  const replaced = { again: false };
  await evaluateAndAnswer(io, environment, record.sha, rule, undefined, {
    now,
    defer: async (again, tree) => {
      replaced.again = true;
      await dropDeferred(io.git, io.repo, deferred.ref);
      await deferRequest(io.git, io.repo, again, tree);
    },
  });
  if (!replaced.again) await dropDeferred(io.git, io.repo, deferred.ref);
}

/** How a rule that only time holds is kept for the sweep; the sweep replaces the ref it took. */
type DeferRule = (record: DeferredRule, tree: string) => Promise<void>;

async function evaluateAndAnswer(
  io: GitHubIo,
  environment: EnvironmentConfig,
  sha: string,
  rule: RuleRecord,
  taken: VerdictRecord | undefined,
  options: { readonly defer?: DeferRule; readonly now?: () => number } = {},
): Promise<void> {
  const now = options.now ?? clockNow;
  const [state, contexts, records] = await Promise.all([
    readEnvironmentState(io.git, io.repo, [environment.name]),
    environment.requires.checks === 'success' ? readContexts(io, sha).then(ownJobsAside) : undefined,
    approvalRecords(io, sha),
  ]);
  const withTaken: GateRecords =
    taken === undefined
      ? records
      : { ...records, verdicts: [...records.verdicts, { ...taken, at: new Date(now()) }] };
  const facts = await readGateFacts(io, {
    environment,
    sha,
    branch: rule.branch,
    requester: rule.requester,
    lock: state.locks.get(environment.name),
    records: withTaken,
    contexts,
    now: new Date(now()),
  });
  const verdict = evaluateGates(facts);
  // The audit trail: one structured line per decision, as deployThroughGates writes for /deploy.
  io.log.info(
    { decision: decisionRecord(facts, verdict), runId: rule.runId },
    `protection rule of ${environment.name}: ${verdict.state}`,
  );
  const target: ProtectionRuleTarget = {
    owner: io.repo.owner,
    repo: io.repo.repo,
    runId: rule.runId,
    environment: rule.environment,
  };
  const name = checkRunName(environment.name);
  const text = checklistText(verdict);
  const markdown = checklistMarkdown(verdict);
  if (verdict.state === 'wait') {
    if (!(await writeCheckRun(io, sha, name, rule, { status: 'in_progress' }, waitingSummary(markdown)))) {
      io.log.info({ runId: rule.runId }, 'protection rule decided meanwhile: no status report');
      return;
    }
    const outcome = await reportProtectionStatus(io.octokit, { ...target, comment: text });
    logOutcome(io, rule, 'report', outcome);
    if (verdict.timeOnly && verdict.nextOpening !== undefined) {
      // Only a window or a freeze holds the job: no event will come at its opening, so the sweep
      // of deferred requests evaluates the rule again then.
      const { data: commit } = await io.octokit.rest.git.getCommit({ ...io.repo, commit_sha: sha });
      const record: DeferredRule = {
        kind: 'protection',
        environment: environment.name,
        sha,
        runId: rule.runId,
        opensAt: verdict.nextOpening.toISOString(),
      };
      await (options.defer ?? ((r, tree) => deferRequest(io.git, io.repo, r, tree)))(record, commit.tree.sha);
      wakeAt(verdict.nextOpening.getTime());
    }
    return;
  }
  await decide(
    io,
    target,
    sha,
    name,
    rule,
    verdict.state === 'pass' ? 'approved' : 'rejected',
    text,
    markdown,
  );
}

/**
 * The checks of a commit whose job waits on a protection rule. GitHub reserves the check-run
 * statuses `waiting`, `requested` and `pending` for GitHub Actions (OpenAPI `check-run.status`):
 * `waiting` is a job held by its environment's protection rules — the very job being answered, or
 * another held the same way — which cannot pass before the answer, so it is no check of the
 * commit's (read as it was, it would reject the job that waits). `requested` and `pending` jobs
 * have not run yet: they count as queued.
 */
function ownJobsAside(contexts: readonly ContextFacts[]): ContextFacts[] {
  return contexts
    .filter((c) => !(c.source === 'check_run' && c.state === 'waiting'))
    .map((c) =>
      c.source === 'check_run' && (c.state === 'requested' || c.state === 'pending')
        ? { ...c, state: 'queued' }
        : c,
    );
}

function waitingSummary(markdown: string): string {
  return `The job waits for its gates; Rollgate answers when they change.\n\n${markdown}`;
}

/** The check run first (the deploy job reads it once approved), then the answer. */
async function decide(
  io: GitHubIo,
  target: ProtectionRuleTarget,
  sha: string,
  name: string,
  rule: RuleRecord,
  state: 'approved' | 'rejected',
  comment: string,
  summary: string,
): Promise<void> {
  const written = await writeCheckRun(
    io,
    sha,
    name,
    { ...rule, answer: capBody(comment, PROTECTION_RULE_COMMENT_LIMIT) },
    { status: 'completed', conclusion: state === 'approved' ? 'success' : 'failure' },
    summary,
  );
  if (!written) {
    io.log.info({ runId: rule.runId }, 'protection rule decided meanwhile: its first answer stands');
    return;
  }
  const outcome = await answerProtectionRule(io.octokit, { ...target, state, comment });
  logOutcome(io, rule, state, outcome);
}

/**
 * A redelivered event, or another replica, finds the rule answered: GitHub says 422 and
 * `answerProtectionRule` reads it as `not-pending`. That is done, not an error.
 */
function logOutcome(io: GitHubIo, rule: RuleRecord, what: string, outcome: ProtectionRuleOutcome): void {
  const fields = { runId: rule.runId, environment: rule.environment };
  if (outcome === 'posted') io.log.info(fields, `protection rule ${what} posted`);
  else if (what === 'report')
    // GitHub takes 10 reports per deployment; past them the rule still waits for its answer.
    io.log.info(fields, 'protection rule report not taken: answered already, or 10 reports used up');
  else io.log.info(fields, `protection rule ${what}: nothing pending any more (answered already)`);
}

type RunState =
  | { readonly status: 'in_progress' }
  | { readonly status: 'completed'; readonly conclusion: 'success' | 'failure' };

/**
 * Creates the rule's check run, or updates the one a previous delivery made (found by external_id).
 * A completed run is never moved: it records the decision sent first — the one GitHub took — and
 * another replica that decided meanwhile must not turn it back. False when it was completed so.
 */
async function writeCheckRun(
  io: GitHubIo,
  sha: string,
  name: string,
  rule: RuleRecord,
  state: RunState,
  summary: string,
): Promise<boolean> {
  const existing = await findRuleRun(io, sha, name, rule.runId);
  if (existing?.status === 'completed') return false;
  const output = {
    title:
      state.status === 'in_progress'
        ? 'Waiting for the gates'
        : state.conclusion === 'success'
          ? 'Gates passed: the job may deploy'
          : 'Gates refused the job',
    summary,
    text: ruleMarker(rule),
  };
  if (existing === undefined) {
    await io.octokit.rest.checks.create({
      ...io.repo,
      name,
      head_sha: sha,
      external_id: externalId(rule.runId),
      output,
      ...state,
    });
    return true;
  }
  await io.octokit.rest.checks.update({ ...io.repo, check_run_id: existing.id, output, ...state });
  return true;
}

/** The check run of workflow run `runId`'s rule, made by this App (a user cannot make one). */
async function findRuleRun(io: GitHubIo, sha: string, name: string, runId: number) {
  const { data } = await io.octokit.rest.checks.listForRef({
    ...io.repo,
    ref: sha,
    check_name: name,
    filter: 'all',
    per_page: 100,
  });
  return data.check_runs.find((r) => r.external_id === externalId(runId) && byThisApp(io, r.app));
}

/**
 * A redelivered event (or a second replica's) for a rule already decided: the check run says how.
 * The gates are not evaluated again — they may read differently now, and the job was answered
 * already — but the same answer is sent again, in case the first delivery ended between the
 * check run and the answer; GitHub's 422 (`not-pending`) then says it was done. True when so.
 */
async function answeredBefore(
  io: GitHubIo,
  target: ProtectionRuleTarget,
  sha: string,
  name: string,
  rule: RuleRecord,
): Promise<boolean> {
  const run = await findRuleRun(io, sha, name, rule.runId);
  if (run?.status !== 'completed') return false;
  const recorded = parseRuleMarker(run.output.text, rule.runId);
  const state = run.conclusion === 'success' ? 'approved' : 'rejected';
  const comment = recorded?.answer ?? run.output.summary ?? '';
  const outcome = await answerProtectionRule(io.octokit, { ...target, state, comment });
  logOutcome(io, rule, state, outcome);
  return true;
}

/**
 * The approval records of the commit. A workflow job has no comment thread of its own, so the
 * approvals counted are those given on the pull requests the commit belongs to
 * (`GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls`,
 * https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit): a
 * verdict counts when it is for this sha, or — the approved head was merged — when it is for the
 * head of a merged pull request whose `merge_commit_sha` is this sha. Verdicts of other commits
 * stay in, for the gates to say they no longer count.
 */
async function approvalRecords(io: GitHubIo, sha: string): Promise<GateRecords> {
  const pulls = await io.octokit.paginate(io.octokit.rest.repos.listPullRequestsAssociatedWithCommit, {
    ...io.repo,
    commit_sha: sha,
    per_page: 100,
  });
  const all = await Promise.all(
    pulls.map(async (pull) => {
      const records = await readGateRecords(io, pull.number);
      const mergedAs = pull.merged_at !== null && pull.merge_commit_sha === sha ? pull.head.sha : undefined;
      return records.verdicts.map((v) => (mergedAs !== undefined && v.sha === mergedAs ? { ...v, sha } : v));
    }),
  );
  return { requests: [], verdicts: all.flat() };
}
