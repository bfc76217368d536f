/**
 * The GitHub reads the gates of `src/gates` need, shared by the App (app/handlers/gate-facts.ts)
 * and the deploy actions: the checks and statuses on a commit, what runs in the environment a
 * promotion comes from, and the team membership of the people who approved. Each takes the
 * narrow slice of Octokit it uses; production passes `octokit.rest.*`.
 */
import type { RestEndpointMethodTypes } from '@octokit/rest';
import type { EnvironmentConfig } from '../config/types.ts';
import type { CheckFact, CheckState, PromotionFact } from '../gates/facts.ts';
import type { Repo } from './deployments.ts';
import { activeTeamMembers, type TeamsApi } from './teams.ts';
import { payloadRecord } from '../json/record.ts';

type Rest = RestEndpointMethodTypes;
type Endpoint<P, R> = (params: P) => Promise<{ data: R }>;

/** The endpoints reading the checks on a commit: production passes `octokit.rest.repos` and `octokit.rest.checks`. */
export interface CommitChecksApi {
  readonly repos: {
    getCombinedStatusForRef: Endpoint<
      Rest['repos']['getCombinedStatusForRef']['parameters'],
      Rest['repos']['getCombinedStatusForRef']['response']['data']
    >;
  };
  readonly checks: {
    listForRef: Endpoint<
      Rest['checks']['listForRef']['parameters'],
      Rest['checks']['listForRef']['response']['data']
    >;
  };
}

/** One check run on a commit, as GitHub lists it. */
export type CommitCheckRun = Rest['checks']['listForRef']['response']['data']['check_runs'][number];

/** One status context or check run on a commit, Rollgate's own check runs marked. */
export interface CommitContext {
  readonly name: string;
  /** `success`, `pending`, `failure`, a check run's `queued`/`in_progress` or conclusion (`skipped`, `neutral`…). */
  readonly state: string;
  /** A check run of Rollgate's (`rollgate / <env>`): never a gate on its own deployments. */
  readonly ours: boolean;
  readonly source: 'check_run' | 'status';
}

/**
 * Every status context and the latest check run of each name on `sha` (one page of 100 each, as
 * the App has always read them). `ours` tells Rollgate's own runs, which GitHub's default
 * `required_contexts` would count too; `skip` leaves runs out altogether (a workflow's own jobs).
 */
export async function readCommitContexts(
  api: CommitChecksApi,
  repo: Repo,
  sha: string,
  judge: { ours(run: CommitCheckRun): boolean; skip?(run: CommitCheckRun): boolean },
): Promise<CommitContext[]> {
  const [statuses, runs] = await Promise.all([
    api.repos.getCombinedStatusForRef({ ...repo, ref: sha, per_page: 100 }),
    api.checks.listForRef({ ...repo, ref: sha, filter: 'latest', per_page: 100 }),
  ]);
  return [
    ...statuses.data.statuses.map((s) => ({
      name: s.context,
      state: s.state,
      ours: false,
      source: 'status' as const,
    })),
    ...runs.data.check_runs
      .filter((r) => judge.skip?.(r) !== true)
      .map((r) => ({
        name: r.name,
        state: r.status === 'completed' ? (r.conclusion ?? 'failure') : r.status,
        ours: judge.ours(r),
        source: 'check_run' as const,
      })),
  ];
}

const CHECK_STATES: ReadonlySet<string> = new Set<CheckState>([
  'queued',
  'in_progress',
  'pending',
  'success',
  'neutral',
  'skipped',
  'failure',
  'error',
  'cancelled',
  'timed_out',
  'action_required',
  'stale',
]);

/**
 * Check-run statuses GitHub reports for runs that have not started, read as what they mean for a
 * gate: still to come. `waiting` (held by an environment's protection), `requested` and `pending`
 * are statuses of check runs besides `queued`/`in_progress` (the `check-run` schema's `status`
 * enum in GitHub's OpenAPI description: queued, in_progress, completed, waiting, requested, pending).
 */
const NOT_STARTED: Readonly<Record<string, CheckState>> = { waiting: 'queued', requested: 'queued' };

/** The checks gate's facts: every context but Rollgate's own; a state GitHub may add later counts as failed. */
export function checkFacts(
  contexts:
    readonly (Omit<CommitContext, 'source'> & { readonly source?: CommitContext['source'] })[] | undefined,
): CheckFact[] {
  return (contexts ?? [])
    .filter((c) => !c.ours)
    .map((c) => ({
      name: c.name,
      source: c.source ?? 'status',
      state: CHECK_STATES.has(c.state) ? (c.state as CheckState) : (NOT_STARTED[c.state] ?? 'failure'),
    }));
}

/**
 * Active members among `logins` of each approver team of `environment`, by `org/slug` in lower
 * case. Asked only for the people who approved or rejected, so a team of hundreds costs one call
 * per approver (`src/github/teams.ts`).
 */
export async function approverTeamMembers(
  api: TeamsApi,
  environment: EnvironmentConfig,
  logins: readonly string[],
): Promise<Map<string, ReadonlySet<string>>> {
  const folded = [...new Set(logins.map((l) => l.toLowerCase()))];
  const teams = environment.requires.approvers.flatMap((a) => (a.kind === 'team' ? [a] : []));
  const members = await Promise.all(teams.map((t) => activeTeamMembers(api, t.org, t.slug, folded)));
  return new Map(teams.map((t, i) => [`${t.org}/${t.slug}`.toLowerCase(), members[i] ?? new Set<string>()]));
}

/** The endpoints reading an environment's Deployments: production passes `octokit.rest.repos`. */
export interface DeploymentHistoryApi {
  listDeployments: Endpoint<
    Rest['repos']['listDeployments']['parameters'],
    Rest['repos']['listDeployments']['response']['data']
  >;
  listDeploymentStatuses: Endpoint<
    Rest['repos']['listDeploymentStatuses']['parameters'],
    Rest['repos']['listDeploymentStatuses']['response']['data']
  >;
}

/**
 * Whether a Deployment's payload is one the Rollgate App created: it names the comment
 * (`comment_id`) or the release (`release`) that asked for it (app/decisions/deployment-status.ts).
 */
export function isRollgateDeployment(payload: unknown): boolean {
  const record = payloadRecord(payload);
  return typeof record?.comment_id === 'number' || typeof record?.release === 'number';
}

/** The latest Rollgate Deployment to `environment` (among its 30 latest) and its latest status. */
export async function readPromotion(
  api: DeploymentHistoryApi,
  repo: Repo,
  environment: string,
): Promise<PromotionFact> {
  const { data } = await api.listDeployments({ ...repo, environment, per_page: 30 });
  const latest = data.find((d) => isRollgateDeployment(d.payload));
  if (latest === undefined) return { environment, liveSha: undefined, liveState: undefined };
  const { data: statuses } = await api.listDeploymentStatuses({
    ...repo,
    deployment_id: latest.id,
    per_page: 1,
  });
  return { environment, liveSha: latest.sha, liveState: statuses[0]?.state };
}
