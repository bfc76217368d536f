/**
 * The facts the gates of `src/gates` are evaluated over, read from GitHub: team membership of the
 * people who approved, the checks on the commit (already read for `required_contexts`), and what
 * runs in the environment a promotion comes from. Only what the environment's gates need is read;
 * the reads themselves are shared with the deploy actions (src/github/gate-facts.ts).
 */
import type { EnvironmentConfig } from '../../src/config/types.ts';
import type { GateFacts } from '../../src/gates/index.ts';
import { approverTeamMembers, checkFacts, readPromotion } from '../../src/github/gate-facts.ts';
import type { ContextFacts } from '../decisions/deploy.ts';
import type { LockHolder } from './environment-state.ts';
import type { GateRecords } from './gate-records.ts';
import { verdictFacts } from './gate-records.ts';
import type { GitHubIo } from './github-io.ts';

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
    approverTeamMembers(io.octokit.rest.teams, environment, people),
    deployedTo === undefined ? undefined : readPromotion(io.octokit.rest.repos, io.repo, deployedTo),
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
