/**
 * Whether a `/deploy`, `/rollback` or release auto-deploy may create its Deployment, decided over
 * facts read before anything is written: the pull request, the environment's lock and marker, the
 * target commit and the checks on it. Pure, so every rule is one row of a table test.
 */
import type { EnvironmentConfig } from '../../src/config/types.ts';
import { code, mention } from '../../src/github/markdown.ts';
import { ownedBy, type LockHolder, type Marker, type MarkerOwner } from '../handlers/environment-state.ts';

/** A marker older than this never saw its deployment finish: it was abandoned. */
export const STALE_MARKER_MS = 30 * 60_000;
/** A marker this old without a Deployment was left by a crash between the two writes. */
export const ORPHAN_MARKER_MS = 2 * 60_000;

/** The pull request a comment was made on, as `pulls.get` shows it. */
export interface PullFacts {
  readonly number: number;
  readonly state: 'open' | 'closed';
  readonly merged: boolean;
  readonly headSha: string;
  readonly fromFork: boolean;
}

/**
 * Where a `<ref>` argument points: a branch or tag of this repository, a commit in this
 * repository's history (the default branch or this pull request's own head), a pull request's
 * ref, or a commit found nowhere of ours (a fork's, reachable through the shared object network).
 */
export type TargetFacts =
  | { readonly kind: 'pull-head'; readonly sha: string }
  | { readonly kind: 'repository-ref' | 'repository-commit'; readonly sha: string }
  | { readonly kind: 'pull-ref' | 'foreign-commit'; readonly sha: string | undefined }
  /** A fork's head committed after the comment asked: not what the commenter saw. */
  | {
      readonly kind: 'pushed-after-comment';
      readonly sha: string;
      readonly committedAt: string;
      readonly commentedAt: string;
    }
  | { readonly kind: 'unknown' };

/** One status context or check run on the target commit. */
export interface ContextFacts {
  readonly name: string;
  /** `success`, `pending`, `failure`, a check run's `queued`/`in_progress` or conclusion (`skipped`, `neutral`…). */
  readonly state: string;
  /** A check run of this App (`rollgate / <env>`): never a gate on its own deployments. */
  readonly ours: boolean;
  /** A check run, or a commit status; absent in older facts, read as a status. */
  readonly source?: 'check_run' | 'status';
}

/** What became of the Deployment a marker was taken for. */
export type MarkerDeploymentFacts =
  | { readonly kind: 'none' }
  | { readonly kind: 'running'; readonly id: number }
  | { readonly kind: 'finished'; readonly id: number };

export interface DeployFacts {
  readonly environmentName: string;
  readonly environment: EnvironmentConfig | undefined;
  readonly environmentNames: readonly string[];
  readonly requester: string;
  readonly owner: MarkerOwner;
  /** Absent for a release. */
  readonly pull: PullFacts | undefined;
  readonly allowForks: boolean;
  readonly target: TargetFacts;
  readonly lock: LockHolder | undefined;
  readonly marker: Marker | undefined;
  /** Read only when a marker of someone else's is in the way. */
  readonly markerDeployment: MarkerDeploymentFacts | undefined;
  /** Read only when the environment `requires.checks: success`. */
  readonly contexts: readonly ContextFacts[] | undefined;
  readonly dryRun: boolean;
  readonly now: number;
}

/** How the plan gets the environment's marker. */
export type MarkerStep = 'take' | 'take-over' | 'ours';

export interface DeployPlan {
  readonly environment: string;
  readonly sha: string;
  readonly marker: MarkerStep;
  /** GitHub's `required_contexts`: every context on the ref but Rollgate's own, or none. */
  readonly requiredContexts: readonly string[];
  readonly production: boolean;
  readonly transient: boolean;
  readonly environmentUrl: string | undefined;
}

export type DeployDecision =
  | {
      readonly kind: 'refuse';
      readonly message: string;
      /** Only another deploy in progress stands in the way: worth trying again once it ends. */
      readonly busy?: true;
    }
  | { readonly kind: 'dry-run'; readonly sha: string; readonly production: boolean }
  | { readonly kind: 'deploy'; readonly plan: DeployPlan };

const refuse = (message: string): DeployDecision => ({ kind: 'refuse', message });

/** The list of environments for a reply. */
export function environmentList(names: readonly string[]): string {
  return names.length === 0
    ? 'none are configured (add them to `.github/rollgate.yml`)'
    : names.map((n) => code(n)).join(', ');
}

/** A holder's `since` as a reply shows it. */
export function sinceText(since: string): string {
  return `${since.slice(0, 16).replace('T', ' ')} UTC`;
}

/** Decides a deploy: refuse (and why), a dry run, or the plan of writes. */
export function decideDeploy(facts: DeployFacts): DeployDecision {
  const name = facts.environmentName;
  const environment = facts.environment;
  if (environment === undefined) {
    return refuse(
      `There is no environment ${code(name)}. This repository's environments: ${environmentList(facts.environmentNames)}.`,
    );
  }
  const pullProblem = facts.pull === undefined ? undefined : refusePull(facts.pull, facts.allowForks);
  if (pullProblem !== undefined) return refuse(pullProblem);
  const target = targetSha(facts.target, facts.allowForks);
  if (typeof target !== 'string') return refuse(target.problem);
  if (facts.lock !== undefined && facts.lock.holder !== facts.requester)
    return refuse(lockedMessage(name, facts.lock));
  const checks = requiredContexts(environment, facts.contexts);
  if ('problem' in checks) return refuse(checks.problem);
  if (facts.dryRun) return { kind: 'dry-run', sha: target, production: environment.production };
  const marker = markerStep(facts);
  if (typeof marker !== 'string') return { kind: 'refuse', message: marker.problem, busy: true };
  return {
    kind: 'deploy',
    plan: {
      environment: name,
      sha: target,
      marker,
      requiredContexts: checks.contexts,
      production: environment.production,
      transient: environment.transient,
      environmentUrl: environment.url,
    },
  };
}

/** Why a command on this pull request is refused, or undefined. */
export function refusePull(pull: PullFacts, allowForks: boolean): string | undefined {
  if (pull.merged)
    return `#${pull.number} is merged: Rollgate runs no commands on it. Deploy from an open pull request or a release.`;
  if (pull.state === 'closed')
    return `#${pull.number} is closed: Rollgate runs no commands on it. Reopen it first.`;
  if (pull.fromFork && !allowForks) {
    return 'This pull request comes from a fork, and deploying code from forks is off. A maintainer can set `commands.allow_forks: true` in `.github/rollgate.yml`, or deploy the branch from this repository.';
  }
  return undefined;
}

function targetSha(target: TargetFacts, allowForks: boolean): string | { problem: string } {
  switch (target.kind) {
    case 'pull-head':
    case 'repository-ref':
    case 'repository-commit':
      return target.sha;
    case 'unknown':
      return {
        problem:
          'That ref names no branch, tag or commit of this repository. Check the spelling, or push it first.',
      };
    case 'pushed-after-comment':
      return {
        problem: `The head of this pull request, \`${target.sha.slice(0, 7)}\`, was committed at ${target.committedAt}, after your comment (${target.commentedAt}): Rollgate deploys a fork's code only as it was when you asked. Review the new commits, then comment again, or name the commit you reviewed: \`/deploy <environment> <sha>\`.`,
      };
    case 'pull-ref':
    case 'foreign-commit':
      if (allowForks && target.sha !== undefined) return target.sha;
      return {
        problem:
          target.kind === 'pull-ref'
            ? "A pull request's ref may hold code from a fork, and deploying code from forks is off. Deploy a branch, a tag or a commit of this repository."
            : 'That commit is on no branch of this repository (it may come from a fork), and deploying code from forks is off. Deploy a branch, a tag or a commit of this repository.',
      };
  }
}

/** The refusal when someone else holds the environment's lock. */
export function lockedMessage(environment: string, lock: LockHolder): string {
  return `${code(environment)} is locked by ${mention(lock.holder)} since ${sinceText(lock.since)}${lock.reason ? `: ${code(lock.reason)}` : ''}. Ask them to \`/unlock ${environment}\`.`;
}

/** `required_contexts` for GitHub: without `requires.checks`, none; with it, every context but ours. */
function requiredContexts(
  environment: EnvironmentConfig,
  contexts: readonly ContextFacts[] | undefined,
): { contexts: readonly string[] } | { problem: string } {
  if (environment.requires.checks !== 'success') return { contexts: [] };
  const theirs = (contexts ?? []).filter((c) => !c.ours);
  const failing = theirs.filter((c) => c.state !== 'success');
  if (failing.length > 0) {
    return {
      problem: `${code(environment.name)} requires every check on the commit to pass, and ${failing
        .map((c) => `${code(c.name)} is ${c.state}`)
        .join(', ')}. Wait for the checks (or fix them), then deploy again.`,
    };
  }
  return { contexts: [...new Set(theirs.map((c) => c.name))] };
}

function markerStep(facts: DeployFacts): MarkerStep | { problem: string } {
  const marker = facts.marker;
  if (marker === undefined) return 'take';
  if (ownedBy(marker, facts.owner)) return 'ours';
  const age = facts.now - Date.parse(marker.since);
  const deployment = facts.markerDeployment ?? { kind: 'none' };
  // The deploy that held it finished, or never got as far as its Deployment: it is abandoned.
  if (age > STALE_MARKER_MS || deployment.kind === 'finished') return 'take-over';
  if (deployment.kind === 'none' && age > ORPHAN_MARKER_MS) return 'take-over';
  return { problem: inProgressMessage(facts.environmentName, marker) };
}

/** The refusal when another deploy holds the environment's marker. */
export function inProgressMessage(environment: string, marker: Marker): string {
  return `A deploy to ${code(environment)} is already in progress (${code(marker.reason || 'deploy')} for ${mention(marker.holder)}${marker.pullRequest === undefined ? '' : ` from #${marker.pullRequest}`}, since ${marker.since.slice(11, 16)} UTC). Wait for it to finish, then deploy again; \`/unlock ${environment} --deploying\` clears it if it is stuck.`;
}
