/**
 * `/approve [<env>]` and `/reject [<env>] [reason]`: a verdict on the pull request's pending deploy
 * request. Only an eligible approver's verdict is taken (the environment's `approvers`, team
 * membership asked of GitHub, never the requester's own unless `self_approval`), and only for the
 * commit the request is for, which must still be the pull request's head: a push invalidates the
 * request and its approvals. The reply carries the verdict's record (gate-records.ts); when the
 * last gate passes, the request is carried out at once, as its requester's Deployment.
 */
import type { Command } from '../commands/parse.ts';
import { isEligible } from '../../src/gates/approvals.ts';
import { checklistMarkdown, evaluateGates } from '../../src/gates/index.ts';
import { code } from '../../src/github/markdown.ts';
import { refuse, type CommandResult, type CommandRun } from './command-run.ts';
import { deferredAnswer, deployAnswer, pendingAnswer } from './deploy-command.ts';
import { requestOrder } from './request-order.ts';
import { now as clockNow } from '../clock.ts';
import { deployThroughGates, findOwnDeployment } from './deployment-plan.ts';
import { readGateFacts } from './gate-facts.ts';
import {
  latestRequest,
  readGateRecords,
  verdictMarker,
  type GateRecords,
  type VerdictRecord,
} from './gate-records.ts';
import { showRequest } from './pending-request.ts';
import { answerWaitingRules } from './protection-rule.ts';

export async function verdictCommand(
  run: CommandRun,
  command: Extract<Command, { kind: 'approve' | 'reject' }>,
): Promise<CommandResult> {
  let taken: VerdictRecord | undefined;
  const result = await takeVerdict(run, command, (verdict) => (taken = verdict));
  // A workflow job waiting on the environment's protection rule is answered now the gates changed;
  // the command's own result stands whatever becomes of that.
  if (taken !== undefined) {
    try {
      await answerWaitingRules(run.io, run.config, taken.sha, taken.environment, taken);
    } catch (error) {
      run.io.log.warn({ err: error }, 'waiting protection rules not answered');
    }
  }
  return result;
}

async function takeVerdict(
  run: CommandRun,
  command: Extract<Command, { kind: 'approve' | 'reject' }>,
  recordedAs: (verdict: VerdictRecord) => void,
): Promise<CommandResult> {
  const records = await readGateRecords(run.io, run.pull.number);
  const request = latestRequest(records, command.environment);
  const word = command.kind === 'approve' ? 'approve' : 'reject';
  if (request === undefined) {
    const standing =
      command.environment === undefined
        ? undefined
        : await standingVerdict(run, command, command.environment, word, recordedAs);
    if (standing !== undefined) return standing;
    return refuse(
      `There is no deploy request${command.environment === undefined ? '' : ` for ${code(command.environment)}`} waiting on #${run.pull.number}. Approvals are given to a \`/deploy <env>\` that waits for them.`,
    );
  }
  const environment = run.config.environments.get(request.environment);
  if (environment === undefined)
    return refuse(
      `${code(request.environment)} is no longer in \`.github/rollgate.yml\`: its request cannot be carried out.`,
    );
  const done = await findOwnDeployment(run.io, request.environment, { kind: 'comment', id: request.comment });
  if (done !== undefined)
    return refuse(
      `The request to deploy ${code(request.version)} to ${code(request.environment)} was carried out already: Deployment #${done.id}.`,
    );
  if (request.sha !== run.pull.headSha) {
    return refuse(
      `The request was for \`${request.sha.slice(0, 7)}\`, and #${run.pull.number} has had a push since (its head is \`${run.pull.headSha.slice(0, 7)}\`): a push invalidates a request and its approvals. Ask for the new head with \`/deploy ${request.environment}\`.`,
    );
  }

  const verdict: VerdictRecord = {
    environment: request.environment,
    sha: request.sha,
    by: run.user,
    verdict: word,
    reason: command.kind === 'reject' ? command.reason : undefined,
    request: request.comment,
  };
  const ask = {
    environment,
    sha: request.sha,
    branch: request.branch,
    requester: request.requester,
    lock: run.environments.locks.get(request.environment),
    records: {
      requests: records.requests,
      verdicts: [...records.verdicts, { ...verdict, at: new Date(clockNow()) }],
    },
    contexts: undefined,
    now: new Date(clockNow()),
  };
  const facts = await readGateFacts(run.io, ask);
  if (
    command.kind === 'approve' &&
    run.user.toLowerCase() === request.requester.toLowerCase() &&
    !environment.requires.selfApproval
  ) {
    return refuse(
      `You asked for this deploy, and ${code(request.environment)} does not take its requester's own approval (\`requires.self_approval: false\`). Another approver has to \`/approve ${request.environment}\`.`,
    );
  }
  if (!isEligible(run.user, environment.requires.approvers, facts.teams)) {
    return refuse(
      `You are not among the approvers of ${code(request.environment)} (\`requires.approvers\` in \`.github/rollgate.yml\`), so nothing was recorded.`,
    );
  }
  const recorded = verdictMarker(verdict);
  recordedAs(verdict);

  if (command.kind === 'reject') {
    const rejected = evaluateGates(facts);
    await showRequest(run.io, request, { kind: 'rejected', verdict: rejected });
    return {
      ok: true,
      message: `Rejected ${code(request.version)} to ${code(request.environment)}${verdict.reason ? `: ${code(verdict.reason)}` : ''}. Nothing was deployed; the request ends here.\n\n${checklistMarkdown(rejected)}`,
      records: recorded,
    };
  }

  // Two approvals given at once each read the records before the other's existed, and each
  // would wait for the other forever. So the approval is written first and the records read
  // back: of two concurrent approvals, the later write's reader sees both (the claim below lets
  // only one of them carry the request out).
  await run.recordFirst(recorded, `Recording the approval of ${code(request.environment)}…`);
  const withVerdict = withOwnVerdict(await readGateRecords(run.io, run.pull.number), verdict);
  const { order, facts: orderFacts } = requestOrder(
    request,
    run.config,
    run.pull,
    run.environments,
    withVerdict,
    run.resume,
  );
  const outcome = await deployThroughGates(run.io, run.config, order, orderFacts, clockNow);
  const lead = `Approval of ${code(request.environment)} recorded. `;
  if (outcome.kind === 'refused' && outcome.underWay === true)
    return {
      ok: true,
      message: `${lead}With the approvals given at the same moment, the request is being carried out: the reply to the other approval names its Deployment.`,
      records: recorded,
    };
  if (outcome.kind === 'pending') {
    const answer = await pendingAnswer(run.io, request, outcome.verdict, lead);
    return { ...answer, records: recorded };
  }
  if (outcome.kind === 'deferred') {
    const answer = await deferredAnswer(run.io, request, outcome.verdict, outcome.opensAt, lead);
    return { ...answer, records: recorded };
  }
  if (outcome.kind === 'deployed') {
    try {
      await showRequest(run.io, request, { kind: 'carried-out', deploymentId: outcome.deployment.id });
    } catch (error) {
      run.io.log.warn({ err: error }, 'the check run of the carried-out request was not concluded');
    }
  }
  const answer = deployAnswer(
    { ...run, user: request.requester },
    request.environment,
    request.version,
    outcome,
  );
  return { ok: true, message: `${lead}${answer.message}`, records: recorded };
}

/** The records read back, with this verdict among them even if GitHub's list lags behind its write. */
function withOwnVerdict(records: GateRecords, verdict: VerdictRecord): GateRecords {
  const listed = records.verdicts.some(
    (v) =>
      v.request === verdict.request &&
      v.by.toLowerCase() === verdict.by.toLowerCase() &&
      v.verdict === verdict.verdict &&
      v.sha === verdict.sha,
  );
  return listed
    ? records
    : {
        requests: records.requests,
        verdicts: [...records.verdicts, { ...verdict, at: new Date(clockNow()) }],
      };
}

/**
 * A verdict on a commit rather than on a request: `/approve production` on a pull request where
 * no `/deploy production` waits. A workflow job that Rollgate's deployment protection rule holds
 * has no comment thread of its own; its approvals are those given on the pull request of its
 * commit (or whose merge commit it is: protection-rule.ts `approvalRecords`). So an eligible
 * approver's verdict is recorded for the head, and a job waiting for it is answered
 * (`verdictCommand`). Undefined when the environment takes no approvals: then there is nothing
 * to approve and the usual refusal stands.
 */
async function standingVerdict(
  run: CommandRun,
  command: Extract<Command, { kind: 'approve' | 'reject' }>,
  named: string,
  word: 'approve' | 'reject',
  recordedAs: (verdict: VerdictRecord) => void,
): Promise<CommandResult | undefined> {
  const folded = named.toLowerCase();
  const environment = [...run.config.environments.values()].find((e) => e.name.toLowerCase() === folded);
  if (environment === undefined || environment.requires.approvals === 0) return undefined;
  if (run.pull.merged || run.pull.state === 'closed')
    return refuse(
      `#${run.pull.number} is ${run.pull.merged ? 'merged' : 'closed'}: approvals are given while a pull request is open, for its head.`,
    );
  const verdict: VerdictRecord = {
    environment: environment.name,
    sha: run.pull.headSha,
    by: run.user,
    verdict: word,
    reason: command.kind === 'reject' ? command.reason : undefined,
    // No request: the verdict is the commit's (gate-records.ts reads 0 as "no request").
    request: 0,
  };
  const facts = await readGateFacts(run.io, {
    environment,
    sha: verdict.sha,
    branch: run.pull.headRef,
    requester: '',
    lock: undefined,
    records: { requests: [], verdicts: [{ ...verdict, at: new Date(clockNow()) }] },
    contexts: undefined,
    now: new Date(clockNow()),
  });
  if (!isEligible(run.user, environment.requires.approvers, facts.teams))
    return refuse(
      `You are not among the approvers of ${code(environment.name)} (\`requires.approvers\` in \`.github/rollgate.yml\`), so nothing was recorded.`,
    );
  const recorded = verdictMarker(verdict);
  // Written before a waiting job is answered, so two approvals at once both count (as for requests).
  await run.recordFirst(
    recorded,
    `Recording the ${word === 'approve' ? 'approval' : 'rejection'} of ${code(environment.name)}…`,
  );
  recordedAs(verdict);
  const what = word === 'approve' ? 'Approval' : 'Rejection';
  return {
    ok: true,
    message: `${what} of ${code(environment.name)} recorded for \`${verdict.sha.slice(0, 7)}\`${verdict.reason ? `: ${code(verdict.reason)}` : ''}. No \`/deploy ${environment.name}\` waits on #${run.pull.number}, so nothing is deployed now: it counts for a workflow job that Rollgate's deployment protection rule holds for this commit, or for its merge commit once #${run.pull.number} is merged. A push invalidates it.`,
    records: recorded,
  };
}
