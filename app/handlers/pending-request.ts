/**
 * A deploy request held by its gates, as people see it: the check run `rollgate / <env>` on the
 * commit, in progress with the gates' checklist while it waits, then concluded — rejected,
 * superseded by a push to the pull request, or carried out (the Deployment's own check run takes
 * over from there). Found again by its `external_id` (`request:<comment id>`), so a repeat or
 * another replica updates the same run.
 */
import { checkRunName } from '../../src/github/check-runs.ts';
import { cleanValue, code, mention } from '../../src/github/markdown.ts';
import { checklistMarkdown, type Verdict } from '../../src/gates/index.ts';
import type { RequestRecord } from './gate-records.ts';
import { byThisApp, type GitHubIo } from './github-io.ts';
import { reconciledWrite } from './reconciled-write.ts';

export type RequestState =
  | { readonly kind: 'waiting'; readonly verdict: Verdict }
  | { readonly kind: 'rejected'; readonly verdict: Verdict }
  /** The pull request's head moved to `head`: the request's approvals were for its old commit. */
  | { readonly kind: 'superseded'; readonly head: string }
  | { readonly kind: 'carried-out'; readonly deploymentId: number };

/** The request check run's `external_id`: `request:<comment id>` of its `/deploy` comment. */
export const requestExternalId = (request: RequestRecord): string => `request:${request.comment}`;

function output(request: RequestRecord, state: RequestState): { title: string; summary: string } {
  const asked = `${code(request.version)} (\`${request.sha.slice(0, 7)}\`) to ${code(request.environment)}, asked by ${mention(request.requester)} in #${request.pull}.`;
  const version = cleanValue(request.version, 64);
  switch (state.kind) {
    case 'waiting':
      return {
        title: `${version} → ${request.environment}: waiting for its gates`,
        summary: `${asked}\n\n${checklistMarkdown(state.verdict)}\n\nEligible approvers comment \`/approve ${request.environment}\` on #${request.pull}; the Deployment is created when the last gate passes.`,
      };
    case 'rejected':
      return {
        title: `${version} → ${request.environment}: rejected`,
        summary: `${asked}\n\n${checklistMarkdown(state.verdict)}`,
      };
    case 'superseded':
      return {
        title: `${version} → ${request.environment}: cancelled, the head moved`,
        summary: `${asked}\n\nThe pull request's head moved to \`${state.head.slice(0, 7)}\`: approvals were for \`${request.sha.slice(0, 7)}\`; comment ${code(`/deploy ${request.environment}`)} again.`,
      };
    case 'carried-out':
      return {
        title: `${version} → ${request.environment}: gates passed`,
        summary: `${asked}\n\nEvery gate passed: Deployment #${state.deploymentId} was created, and its own check run follows it.`,
      };
  }
}

/*
 * A superseded request ends `cancelled`, as GitHub Actions ends a run that a newer one replaces
 * (`concurrency` with `cancel-in-progress`,
 * https://docs.github.com/actions/using-jobs/using-concurrency): nobody waits on its verdict any
 * more, and it neither passed (`neutral` reads as "ran, nothing to say") nor failed.
 */
function conclusion(state: Exclude<RequestState, { kind: 'waiting' }>): 'failure' | 'cancelled' | 'success' {
  if (state.kind === 'rejected') return 'failure';
  return state.kind === 'superseded' ? 'cancelled' : 'success';
}

function fieldsOf(state: RequestState) {
  return state.kind === 'waiting'
    ? { status: 'in_progress' as const }
    : { status: 'completed' as const, conclusion: conclusion(state) };
}

/** Moves the request's check run `checkRunId` (found already) to `state`: a PATCH, so sending it twice is safe. */
export async function updateRequestRun(
  io: GitHubIo,
  checkRunId: number,
  request: RequestRecord,
  state: RequestState,
): Promise<void> {
  await io.octokit.rest.checks.update({
    ...io.repo,
    check_run_id: checkRunId,
    ...fieldsOf(state),
    output: output(request, state),
  });
}

/** Creates or updates the request's check run to show `state`. */
export async function showRequest(io: GitHubIo, request: RequestRecord, state: RequestState): Promise<void> {
  const name = checkRunName(request.environment);
  const find = async (): Promise<number | undefined> => {
    const { data } = await io.octokit.rest.checks.listForRef({
      ...io.repo,
      ref: request.sha,
      check_name: name,
      filter: 'all',
    });
    const id = requestExternalId(request);
    return data.check_runs.find((r) => r.external_id === id && byThisApp(io, r.app))?.id;
  };
  const existing = await find();
  if (existing !== undefined) {
    await updateRequestRun(io, existing, request, state);
    return;
  }
  const fields = fieldsOf(state);
  await reconciledWrite(
    async () =>
      (
        await io.octokit.rest.checks.create({
          ...io.repo,
          name,
          head_sha: request.sha,
          external_id: requestExternalId(request),
          ...fields,
          output: output(request, state),
        })
      ).data.id,
    find,
  );
}
