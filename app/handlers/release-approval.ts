/**
 * The Approve and Reject buttons of a release request's check run (`release-request.ts`): a
 * release has no pull request to comment `/approve` on, so approvers press a button on the
 * release commit's `rollgate / <env>` check run. GitHub sends `check_run.requested_action` only
 * to the App that created the run, with `requested_action.identifier` and the user who pressed it
 * as `sender` (https://docs.github.com/rest/checks/runs#check-runs-and-requested-actions,
 * https://docs.github.com/webhooks/webhook-events-and-payloads#check_run). The press is taken as
 * `/approve` is: the presser must have `commands.permission` on the repository, be among the
 * environment's `approvers` (team membership asked of GitHub) and, unless `self_approval`, not be
 * the release's author. A refused press changes nothing but a line on the check run saying why.
 */
import type { Context } from 'probot';
import { isEligible } from '../../src/gates/approvals.ts';
import { checklistMarkdown, evaluateGates } from '../../src/gates/index.ts';
import { code, mention } from '../../src/github/markdown.ts';
import { now as clockNow } from '../clock.ts';
import { loadConfig } from '../config-loader.ts';
import { hasPermission, permissionRefusal } from '../permissions.ts';
import type { CommandResult } from './command-run.ts';
import { readPermission } from './comment.ts';
import { readEnvironmentState } from './environment-state.ts';
import { readGateFacts } from './gate-facts.ts';
import { byThisApp, gitHubIo, type GitHubIo } from './github-io.ts';
import { gateRelease, logOutcome } from './release.ts';
import {
  APPROVE,
  parseReleaseExternalId,
  readReleaseRun,
  REJECT,
  releaseRecords,
  showReleaseRequest,
  type ReleaseRequest,
  type ReleaseRun,
} from './release-request.ts';
import { releaseStanding } from './release-standing.ts';

export async function handleRequestedAction(context: Context<'check_run.requested_action'>): Promise<void> {
  const { check_run: checkRun, requested_action: action, sender } = context.payload;
  const io = await gitHubIo(context);
  // Another App's run, or one of ours that is no release request (they have no buttons).
  if (!byThisApp(io, checkRun.app) || parseReleaseExternalId(checkRun.external_id) === undefined) return;
  const identifier = action?.identifier;
  if (identifier !== APPROVE && identifier !== REJECT) return;
  // The payload's run may be older than the latest approval: the run as GitHub holds it now counts.
  const run = await readReleaseRun(io, checkRun.id);
  const request = run?.request;
  if (run === undefined || request === undefined) return;
  if (run.completed) {
    io.log.info({ checkRun: run.id, by: sender.login }, `${identifier} of a decided release request ignored`);
    return;
  }
  await takeReleaseVerdict(io, run, request, sender.login, identifier, context.payload.repository.private);
}

/**
 * A verdict on a waiting release request, by `user` — a button press, or the dashboard's form.
 * What it came to is on the check run; the result says it too, for the dashboard's page.
 */
export async function takeReleaseVerdict(
  io: GitHubIo,
  run: ReleaseRun,
  request: ReleaseRequest,
  user: string,
  identifier: typeof APPROVE | typeof REJECT,
  privateRepository: boolean,
): Promise<CommandResult> {
  const [config, state, permission] = await Promise.all([
    loadConfig({ octokit: io.octokit, repo: () => io.repo }),
    readEnvironmentState(io.git, io.repo),
    readPermission(io, user),
  ]);
  const environment = config.environments.get(request.environment);
  if (environment === undefined) {
    const message = `${code(request.environment)} is no longer in \`.github/rollgate.yml\`: the release is not deployed there.`;
    await showReleaseRequest(io, request, { kind: 'refused', message }, run);
    return { ok: false, message };
  }
  const now = new Date(clockNow());
  const withVerdict = {
    ...releaseRecords(request),
    verdicts: [
      ...releaseRecords(request).verdicts,
      {
        environment: request.environment,
        sha: request.sha,
        by: user,
        verdict: identifier === APPROVE ? ('approve' as const) : ('reject' as const),
        reason: undefined,
        request: request.release,
        at: now,
      },
    ],
  };
  const facts = await readGateFacts(io, {
    environment,
    sha: request.sha,
    branch: request.branch,
    requester: request.requester,
    lock: state.locks.get(request.environment),
    records: withVerdict,
    contexts: undefined,
    now,
  });
  const refusal = !hasPermission(permission, config.commands.permission)
    ? `${mention(user)}: ${permissionRefusal(config.commands.permission, permission, privateRepository)}`
    : identifier === APPROVE &&
        user.toLowerCase() === request.requester.toLowerCase() &&
        !environment.requires.selfApproval
      ? `${mention(user)} published this release, and ${code(request.environment)} does not take its requester's own approval (\`requires.self_approval: false\`): another approver has to approve.`
      : !isEligible(user, environment.requires.approvers, facts.teams)
        ? `${mention(user)} is not among the approvers of ${code(request.environment)} (\`requires.approvers\` in \`.github/rollgate.yml\`), so nothing was recorded.`
        : undefined;
  if (refusal !== undefined) {
    io.log.info({ checkRun: run.id, by: user }, `${identifier} of release ${request.tag} refused`);
    // The request waits as it did; only the line saying why the press did not count is new.
    await gateRelease(io, config, state, request, run, { notice: refusal });
    return { ok: false, message: refusal };
  }
  if (identifier === REJECT) {
    io.log.info({ checkRun: run.id, by: user }, `release ${request.tag} to ${request.environment} rejected`);
    await showReleaseRequest(io, request, { kind: 'rejected', by: user, verdict: evaluateGates(facts) }, run);
    return {
      ok: true,
      message: `Rejected release ${code(request.tag)} to ${code(request.environment)}. Nothing was deployed; the request ends here.`,
    };
  }
  // The last approval of a release deleted since, or overtaken by a newer one, must not deploy it.
  const standing = await releaseStanding(io, request);
  if (standing.kind === 'gone') {
    io.log.info({ checkRun: run.id, by: user }, `release ${request.tag} not deployed: ${standing.why}`);
    await showReleaseRequest(
      io,
      request,
      { kind: 'dropped', why: standing.why, conclusion: standing.conclusion },
      run,
    );
    return { ok: false, message: `Release ${code(request.tag)} is not deployed: ${standing.why}.` };
  }
  const approved: ReleaseRequest = {
    ...request,
    approvals: request.approvals.some((a) => a.by.toLowerCase() === user.toLowerCase())
      ? request.approvals
      : [...request.approvals, { by: user, at: now.toISOString() }],
  };
  const outcome = await gateRelease(io, config, state, approved, run);
  logOutcome(io, approved, outcome);
  const lead = `Approval of release ${code(request.tag)} to ${code(request.environment)} recorded on its check run.`;
  switch (outcome.kind) {
    case 'deployed':
      return {
        ok: true,
        message: `${lead} Deployment #${outcome.deployment.id} was created, as ${mention(request.requester)}'s.`,
      };
    case 'pending':
      return { ok: true, message: `${lead} It waits for more:\n\n${checklistMarkdown(outcome.verdict)}` };
    case 'deferred':
      return { ok: true, message: `${lead} It goes out by itself at ${outcome.opensAt.toISOString()}.` };
    case 'refused':
      return { ok: false, message: `${lead} It is not deployed: ${outcome.message}` };
    case 'dry-run':
      return { ok: true, message: lead };
  }
}
