/**
 * The facts the gates of `src/gates` are evaluated over, read from GitHub: team membership of the
 * people who approved, the checks on the commit (already read for `required_contexts`), and what
 * runs in the environment a promotion comes from. Only what the environment's gates need is read.
 */
import type { EnvironmentConfig } from '../../src/config/types.ts';
import type { CheckFact, CheckState, GateFacts, PromotionFact } from '../../src/gates/index.ts';
import type { ContextFacts } from '../decisions/deploy.ts';
import { deploymentOwner } from '../decisions/deployment-status.ts';
import type { LockHolder } from './environment-state.ts';
import type { GateRecords } from './gate-records.ts';
import { verdictFacts } from './gate-records.ts';
import type { GitHubIo } from './github-io.ts';
import { activeTeamMembers } from '../../src/github/teams.ts';

/** Whether the environment has a gate beyond permission, lock and checks (which every deploy has). */
export function hasGates(environment: EnvironmentConfig): boolean {
  const { requires } = environment;
  return (
    requires.approvals > 0 ||
    requires.deployedTo !== undefined ||
    requires.branches.length > 0 ||
    environment.windows.length > 0 ||
    environment.freezes.length > 0
  );
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

function checkFacts(contexts: readonly ContextFacts[] | undefined): CheckFact[] {
  return (contexts ?? [])
    .filter((c) => !c.ours)
    .map((c) => ({
      name: c.name,
      source: c.source ?? 'status',
      state: CHECK_STATES.has(c.state) ? (c.state as CheckState) : 'failure',
    }));
}

/**
 * Active members among `logins` of each approver team. Asked only for the people who approved or
 * rejected, so a team of hundreds costs one call per approver (`src/github/teams.ts`).
 */
async function teamMembers(
  io: GitHubIo,
  environment: EnvironmentConfig,
  logins: readonly string[],
): Promise<Map<string, ReadonlySet<string>>> {
  const folded = [...new Set(logins.map((l) => l.toLowerCase()))];
  const teams = environment.requires.approvers.flatMap((a) => (a.kind === 'team' ? [a] : []));
  const members = await Promise.all(
    teams.map((t) => activeTeamMembers(io.octokit.rest.teams, t.org, t.slug, folded)),
  );
  return new Map(teams.map((t, i) => [`${t.org}/${t.slug}`.toLowerCase(), members[i] ?? new Set<string>()]));
}

/** The latest Rollgate Deployment to `environment` and its latest status. */
async function promotionFact(io: GitHubIo, environment: string): Promise<PromotionFact> {
  const { data } = await io.octokit.rest.repos.listDeployments({ ...io.repo, environment, per_page: 30 });
  const latest = data.find((d) => {
    const payload: unknown = typeof d.payload === 'string' ? safeJson(d.payload) : d.payload;
    return (
      typeof payload === 'object' && payload !== null && deploymentOwner(payload as Record<string, unknown>)
    );
  });
  if (latest === undefined) return { environment, liveSha: undefined, liveState: undefined };
  const { data: statuses } = await io.octokit.rest.repos.listDeploymentStatuses({
    ...io.repo,
    deployment_id: latest.id,
    per_page: 1,
  });
  return { environment, liveSha: latest.sha, liveState: statuses[0]?.state };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface GateAsk {
  readonly environment: EnvironmentConfig;
  readonly sha: string;
  readonly branch: string | undefined;
  readonly requester: string;
  readonly lock: LockHolder | undefined;
  readonly records: GateRecords | undefined;
  readonly contexts: readonly ContextFacts[] | undefined;
  readonly now: Date;
}

/** Reads what the gates of `ask.environment` need and returns the facts. */
export async function readGateFacts(io: GitHubIo, ask: GateAsk): Promise<GateFacts> {
  const { environment } = ask;
  const verdicts =
    ask.records === undefined
      ? { approvals: [], rejections: [] }
      : verdictFacts(ask.records, environment.name);
  const people = [...verdicts.approvals, ...verdicts.rejections].map((v) => v.by);
  const deployedTo = environment.requires.deployedTo;
  const [teams, promotion] = await Promise.all([
    teamMembers(io, environment, people),
    deployedTo === undefined ? undefined : promotionFact(io, deployedTo),
  ]);
  return {
    now: ask.now,
    environment,
    sha: ask.sha,
    branch: ask.branch,
    requester: ask.requester,
    approvals: verdicts.approvals,
    rejections: verdicts.rejections,
    teams,
    checks: checkFacts(ask.contexts),
    promotion,
    lock:
      ask.lock === undefined ? undefined : { holder: ask.lock.holder, reason: ask.lock.reason || undefined },
  };
}
