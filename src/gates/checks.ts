/**
 * The checks gate (`requires.checks: success`), in agreement with the Deployment the App then
 * creates (app/handlers/deployment-plan.ts and app/decisions/deploy.ts): that Deployment lists
 * every check and status on the sha but Rollgate's own `rollgate / <env>` check runs in
 * `required_contexts`, and GitHub refuses it (409 "Commit status checks failed") unless each is in
 * state `success` — `skipped` and `neutral` included, unlike branch protection (seen in
 * sbb-design-systems/sbb-angular#2447 and Flexget/Flexget#4479, which had to leave skipped checks
 * out of `required_contexts`). So only `success` passes here, and a passing gate never leads to a
 * refused Deployment. With no checks at all the Deployment requires none, and the gate passes.
 */
import { code, listWithin } from '../github/markdown.ts';
import type { CheckFact, CheckState, GateFacts } from './facts.ts';
import type { GateOutcome } from './verdict.ts';

/** The prefix of the check runs Rollgate itself creates (src/github/check-runs.ts). */
const OWN_CHECK_PREFIX = 'rollgate / ';

const RUNNING: ReadonlySet<CheckState> = new Set(['queued', 'in_progress', 'pending']);

/** The checks a Deployment of this sha would require: all but Rollgate's own check runs. */
export function requiredChecks(checks: readonly CheckFact[]): CheckFact[] {
  return checks.filter((c) => !(c.source === 'check_run' && c.name.startsWith(OWN_CHECK_PREFIX)));
}

const named = (checks: readonly CheckFact[], withState: boolean): string =>
  listWithin(
    checks.map((c) => (withState ? `${code(c.name)} (${c.state.replaceAll('_', ' ')})` : code(c.name))),
    400,
  );

const shortSha = (sha: string): string => code(sha.slice(0, 7));

/** `1 of 1 check`, `2 of 5 checks`. */
const ofChecks = (count: number, total: number): string =>
  `${count} of ${total} ${total === 1 ? 'check' : 'checks'}`;

/** The checks gate's outcome for `facts` (the environment `requires.checks: success`). */
export function checksGate(facts: GateFacts): GateOutcome {
  const required = requiredChecks(facts.checks);
  const failed = required.filter((c) => c.state !== 'success' && !RUNNING.has(c.state));
  const running = required.filter((c) => RUNNING.has(c.state));
  if (failed.length > 0) {
    return {
      gate: 'checks',
      state: 'failed',
      summary: `${ofChecks(failed.length, required.length)} on ${shortSha(facts.sha)} did not succeed: ${named(failed, true)}`,
      change:
        'fix them, or re-run them until they succeed (GitHub creates a Deployment only when every check succeeded: skipped and neutral do not count), then deploy again',
    };
  }
  if (running.length > 0) {
    return {
      gate: 'checks',
      state: 'waiting',
      summary: `${ofChecks(running.length, required.length)} on ${shortSha(facts.sha)} still running: ${named(running, false)}`,
      change: 'their success',
    };
  }
  return {
    gate: 'checks',
    state: 'passed',
    summary:
      required.length === 0
        ? `no checks reported on ${shortSha(facts.sha)}`
        : required.length === 1
          ? `the 1 check on ${shortSha(facts.sha)} succeeded`
          : `all ${required.length} checks on ${shortSha(facts.sha)} succeeded`,
  };
}
