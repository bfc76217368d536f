/**
 * The gates of `.github/rollgate.yml` as they bind a deploy started by a workflow rather than
 * through the App: the same `evaluateGates`, with the two gates that mean something else when no
 * person asked through a pull request. A lock refuses every workflow (a workflow holds no lock,
 * so it cannot be "the holder"); approvals cannot be collected by a workflow, so they count only
 * when the App recorded them before the run started — its own Deployment's passing verdict, or
 * its protection rule's approval of this very run. "The App" is the Rollgate App the workflow
 * names (`app-slug`): the same records written by any other App approve nothing.
 */
import type { EnvironmentConfig, RollgateConfig } from '../config/types.ts';
import { InputError, RollgateError } from '../errors.ts';
import {
  checklistMarkdown,
  evaluateGates,
  type GateFacts,
  type LockFact,
  type Verdict,
} from '../gates/index.ts';
import { verdictOf, type GateOutcome } from '../gates/verdict.ts';
import { code, mention } from '../github/markdown.ts';
import { asRecord as record, payloadRecord } from '../json/record.ts';

export type GatesMode = 'enforce' | 'ignore';

/** The GitHub App whose installation token is a workflow's `GITHUB_TOKEN`. */
export const ACTIONS_APP = 'github-actions';

/** The slug of the Rollgate App (`https://github.com/apps/rollgate`), the `app-slug` input's default. */
export const ROLLGATE_APP = 'rollgate';

/** The `gates` input: `enforce` (the default) or `ignore`. */
export function parseGatesMode(raw: string): GatesMode {
  const mode = raw.trim() || 'enforce';
  if (mode === 'enforce' || mode === 'ignore') return mode;
  throw new InputError(
    'gates',
    `'${raw}' is neither enforce nor ignore`,
    "Use 'enforce' (the default: refuse when a lock or a gate of .github/rollgate.yml holds the deploy) or 'ignore' (deploy anyway; the bypass is logged in the job summary).",
  );
}

/*
 * GitHub derives an App's slug from its name (at most 34 characters), lower-cased, with spaces
 * and special characters replaced by `-` ("My APp Näme" → `my-app-name`), and shows it in
 * `https://github.com/apps/<slug>` and in `performed_via_github_app.slug`
 * (https://docs.github.com/apps/creating-github-apps/registering-a-github-app/registering-a-github-app).
 */
const APP_SLUG = /^[a-z0-9](?:[a-z0-9_-]{0,32}[a-z0-9])?$/;

/**
 * The `app-slug` input: the slug of the Rollgate App whose Deployments and check runs carry an
 * approval, lower-cased (GitHub compares slugs case-insensitively); `rollgate` when empty.
 */
export function parseAppSlug(raw: string): string {
  const given = raw.trim();
  if (given === '') return ROLLGATE_APP;
  const slug = given.toLowerCase();
  if (!APP_SLUG.test(slug))
    throw new InputError(
      'app-slug',
      slugMistake(given, slug),
      "Give the slug of your Rollgate App as its page shows it (https://github.com/apps/<slug>: lower-case letters, digits and '-', at most 34 characters), or leave the input out for 'rollgate'. Only a Deployment or check run made by that App carries an approval.",
    );
  if (slug === ACTIONS_APP)
    throw new InputError(
      'app-slug',
      `'${given}' is the App whose token is every workflow's GITHUB_TOKEN`,
      "Give the slug of your Rollgate App (https://github.com/apps/<slug>), or leave the input out for 'rollgate': a Deployment a workflow made itself approves nothing.",
    );
  return slug;
}

/** What is wrong with a slug, naming the slug when the input holds the App's page or bot account. */
function slugMistake(given: string, slug: string): string {
  const page = /\/apps\/([^/?#\s]+)\/?$/.exec(slug)?.[1];
  if (page !== undefined) return `'${given}' is the App's page; its slug is '${page}'`;
  const bot = /^@?([^@[\]\s]+)\[bot\]$/.exec(slug)?.[1];
  if (bot !== undefined) return `'${given}' is the App's bot account; its slug is '${bot}'`;
  return `'${given}' is not a GitHub App slug`;
}

/** What approved this run before it started, as the App left it on GitHub. */
export type PriorApproval =
  | {
      readonly kind: 'deployment';
      /** The App's Deployment the workflow runs for. */
      readonly deploymentId: number;
      /** Approvals the App counted for it. */
      readonly counted: number;
      /** The branch the App judged the commit deployed from (its Deployment's ref is the bare sha). */
      readonly branch: string | undefined;
    }
  | {
      readonly kind: 'protection-rule';
      /** The App's check run recording the approval. */
      readonly checkRunUrl: string | undefined;
    };

/**
 * An approval that a Deployment or a check run claims but that does not count: another GitHub
 * App made it. Any App installed with deployments: write (or checks: write) can write the same
 * payload or check run, so only the Rollgate App named by `app-slug` is believed.
 */
export interface DisownedApproval {
  readonly kind: 'other-app';
  readonly record: 'Deployment' | 'check run';
  /** The slug of the App that made the record. */
  readonly madeBy: string;
  /** The `app-slug` the workflow trusts. */
  readonly expected: string;
}

/** What the records of GitHub say approved this run: an approval that counts, or one that does not. */
export type ApprovalClaim = PriorApproval | DisownedApproval;

/** Whether a GitHub App (`performed_via_github_app`, a check run's `app`) is the Rollgate App `slug`. */
export function isApp(app: { readonly slug?: unknown } | null | undefined, slug: string): boolean {
  return typeof app?.slug === 'string' && app.slug.toLowerCase() === slug.toLowerCase();
}

/**
 * The App's approval carried by a `deployment` event: a Deployment made by the Rollgate App
 * `appSlug` (a person's token leaves `performed_via_github_app` null) whose payload holds the
 * App's decision record (app/handlers/deployment-plan.ts puts it under `gates`) with verdict
 * `pass` for this very sha and environment. The same record in a Deployment another App made is
 * disowned; anything else approves nothing.
 */
export function deploymentApproval(
  eventName: string,
  event: unknown,
  appSlug: string,
): ApprovalClaim | undefined {
  if (eventName !== 'deployment') return undefined;
  const deployment = record(record(event)?.deployment);
  const app = record(deployment?.performed_via_github_app);
  if (deployment === undefined || app === undefined) return undefined;
  const payload = payloadRecord(deployment.payload);
  const gates = record(payload?.gates);
  if (!isApp(app, appSlug))
    return gates?.verdict === 'pass'
      ? { kind: 'other-app', record: 'Deployment', madeBy: appName(app), expected: appSlug }
      : undefined;
  const approvals = record(gates?.approvals);
  if (
    typeof deployment.id !== 'number' ||
    gates?.verdict !== 'pass' ||
    typeof gates.sha !== 'string' ||
    gates.sha.toLowerCase() !== String(deployment.sha).toLowerCase() ||
    typeof gates.environment !== 'string' ||
    gates.environment.toLowerCase() !== String(deployment.environment).toLowerCase()
  )
    return undefined;
  return {
    kind: 'deployment',
    deploymentId: deployment.id,
    counted: typeof approvals?.counted === 'number' ? approvals.counted : 0,
    branch: typeof gates.branch === 'string' ? gates.branch : undefined,
  };
}

/** An App as the log names it: its slug, or its id when GitHub gave no slug. */
function appName(app: Record<string, unknown>): string {
  return typeof app.slug === 'string' ? app.slug : `App ${String(app.id)}`;
}

/**
 * The environment's entry in the configuration. GitHub's environment names are case-insensitive,
 * so `Production` is gated by `production`'s entry rather than escaping it.
 */
export function configuredEnvironment(config: RollgateConfig, name: string): EnvironmentConfig | undefined {
  const exact = config.environments.get(name);
  if (exact !== undefined) return exact;
  const folded = name.toLowerCase();
  return [...config.environments.values()].find((e) => e.name.toLowerCase() === folded);
}

/** The lock gate for a workflow: any holder refuses it. */
export function workflowLockGate(environment: string, lock: LockFact | undefined): GateOutcome {
  if (lock === undefined) return { gate: 'lock', state: 'passed', summary: 'not locked' };
  const reason = lock.reason === undefined || lock.reason.trim() === '' ? '' : `: ${code(lock.reason)}`;
  return {
    gate: 'lock',
    state: 'failed',
    summary: `locked by ${mention(lock.holder)}${reason}; a workflow holds no lock, so it is refused whoever started it`,
    change: `${mention(lock.holder)} runs ${code(`/unlock ${environment}`)} in a pull request, or the job runs with ${code('gates: ignore')}`,
  };
}

function approvalsGate(environment: EnvironmentConfig, approval: ApprovalClaim | undefined): GateOutcome {
  const needed = environment.requires.approvals;
  if (approval?.kind === 'protection-rule')
    return {
      gate: 'approvals',
      state: 'passed',
      summary: `Rollgate's deployment protection rule approved this workflow run`,
    };
  if (approval?.kind === 'deployment' && approval.counted >= needed)
    return {
      gate: 'approvals',
      state: 'passed',
      summary: `${approval.counted} of ${needed} approvals counted by Rollgate for Deployment ${approval.deploymentId}`,
    };
  const counted =
    approval?.kind === 'deployment'
      ? `Rollgate counted ${approval.counted} for Deployment ${approval.deploymentId}, and ${code('.github/rollgate.yml')} now needs ${needed}`
      : approval?.kind === 'other-app'
        ? `a workflow cannot collect them, and ${disowned(approval)}`
        : 'a workflow cannot collect them';
  const ownApp =
    approval?.kind === 'other-app'
      ? `; if ${code(approval.madeBy)} is your Rollgate App, give the job ${code(`app-slug: ${approval.madeBy}`)}`
      : '';
  return {
    gate: 'approvals',
    state: 'failed',
    summary: `${needed} ${needed === 1 ? 'approval' : 'approvals'} needed: ${counted}`,
    change: `a deploy through ${code(`/deploy ${environment.name}`)} in a pull request (approved with ${code('/approve')}), or Rollgate's protection rule on the ${code(environment.name)} environment with ${code(`environment: ${environment.name}`)} on the job${ownApp}`,
  };
}

/** Why a disowned approval does not count, as the log and the summary say it. */
export function disowned(claim: DisownedApproval): string {
  return `a ${claim.record} made by ${code(claim.madeBy)}, not by ${code(claim.expected)}: its approval is not counted`;
}

/**
 * The verdict on a workflow deploy: `evaluateGates` over `facts`, with the lock refusing every
 * workflow and approvals answered by `approval` (none, or one another App made: a required
 * approval refuses).
 */
export function workflowVerdict(facts: GateFacts, approval: ApprovalClaim | undefined): Verdict {
  const verdict = evaluateGates(facts);
  const gates = verdict.gates.map((gate) => {
    if (gate.gate === 'lock') return workflowLockGate(facts.environment.name, facts.lock);
    if (gate.gate === 'approvals') return approvalsGate(facts.environment, approval);
    return gate;
  });
  return verdictOf(gates, verdict.nextOpening);
}

/** The verdict when the environment is not configured: only a lock can hold it. */
export function lockOnlyVerdict(environment: string, lock: LockFact | undefined): Verdict {
  return verdictOf([workflowLockGate(environment, lock)], undefined);
}

/** What the gates said about this deploy, for the log, the summary and the refusal. */
export type GateCheck =
  | { readonly kind: 'bypassed'; readonly actor: string }
  | { readonly kind: 'unchecked'; readonly why: string }
  | {
      readonly kind: 'evaluated';
      readonly environment: string;
      readonly verdict: Verdict;
      readonly note?: string;
    };

/**
 * What the GitHub Deployment this run creates records of the gates (`workflow_gates` in its
 * payload), so the Deployments API shows a bypass as well as the job summary does. Not the App's
 * `gates` record: that one is the App's word, which `deploymentApproval` trusts.
 */
export function gateAudit(check: GateCheck): Record<string, unknown> {
  if (check.kind === 'bypassed') return { enforced: false, bypassed_by: check.actor };
  if (check.kind === 'unchecked') return { enforced: false };
  return {
    enforced: true,
    verdict: check.verdict.state,
    gates: check.verdict.gates.map(({ gate, state }) => ({ gate, state })),
  };
}

/** The job summary's section on the gates. */
export function gateSummary(check: GateCheck): string {
  if (check.kind === 'bypassed')
    return `### Gates bypassed\n\n${code('gates: ignore')}: ${mention(check.actor)} ran this deploy without checking the lock or the gates of ${code('.github/rollgate.yml')}.\n`;
  if (check.kind === 'unchecked') return `### Gates not checked\n\n${check.why}\n`;
  const head =
    check.verdict.state === 'pass'
      ? `### Gates of ${code(check.environment)}: passed`
      : `### Gates of ${code(check.environment)}: refused`;
  const note = check.note === undefined ? '' : `\n\n${check.note}`;
  return `${head}\n\n${checklistMarkdown(check.verdict)}${note}\n`;
}

/** The refusal when the gates do not pass (fail, or wait: a workflow cannot wait for them); else undefined. */
export function gateRefusal(check: GateCheck): RollgateError | undefined {
  if (check.kind !== 'evaluated' || check.verdict.state === 'pass') return undefined;
  const waiting = check.verdict.state === 'wait';
  return new RollgateError(
    `${code(check.environment)} ${waiting ? 'is not open to this deploy yet' : 'refuses this deploy'}, so nothing was changed:\n\n${checklistMarkdown(check.verdict)}\n`,
    `A deploy started by a workflow obeys the same lock and gates of ${code('.github/rollgate.yml')} (at the default branch) as one started with ${code('/deploy')}.`,
    `${waiting ? 'Run the job again once the gates marked ⏳ have passed' : 'Change what each gate marked ❌ needs, then run the job again'}, or run it with ${code('gates: ignore')} to deploy anyway (the bypass is logged in the job summary).`,
  );
}
