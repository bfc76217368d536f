/**
 * A push to a pull request (`pull_request.synchronize`): approvals bind to a sha, so every deploy
 * request of the pull request still waiting on its old head ends visibly — its check run
 * `rollgate / <env>` is concluded `cancelled`, saying where the head went and what to do. Nothing
 * else has to move: the gates count only approvals of the sha being deployed, so the new head
 * starts at 0, and a request deferred to a window is dropped by the sweep when its time comes
 * (app/deferred/sweep.ts cancels one whose pull request's head is no longer its sha, and says so
 * on the pull request). A redelivered event finds the check runs concluded and changes nothing.
 */
import type { Context } from 'probot';
import { readGateRecords, type GateRecords, type RequestRecord } from './gate-records.ts';
import { byThisApp, gitHubIo } from './github-io.ts';
import { requestExternalId, updateRequestRun } from './pending-request.ts';

/** The facts of a push to a pull request that the handler acts on. */
export interface PullPush {
  readonly pull: number;
  /** The head before the push: the commit the waiting requests were for. */
  readonly before: string;
  /** The new head. */
  readonly after: string;
}

/** A check run on the old head, as the decision needs it. */
export interface HeadCheckRun {
  readonly id: number;
  readonly externalId: string | null;
  readonly status: string;
  /** Made by this App (another App can write the same name and external id). */
  readonly ours: boolean;
}

const SHA = /^[0-9a-f]{40}$/i;

/** The push, from the webhook payload; undefined when it carries no usable shas or number. */
export function parsePullPush(payload: {
  readonly before?: unknown;
  readonly after?: unknown;
  readonly pull_request?: { readonly number?: unknown } | null;
}): PullPush | undefined {
  const { before, after } = payload;
  const pull = payload.pull_request?.number;
  if (typeof before !== 'string' || typeof after !== 'string' || !SHA.test(before) || !SHA.test(after))
    return undefined;
  if (typeof pull !== 'number' || !Number.isSafeInteger(pull) || before.toLowerCase() === after.toLowerCase())
    return undefined;
  return { pull, before: before.toLowerCase(), after: after.toLowerCase() };
}

/**
 * The request check runs the push supersedes: for each request of this pull request on the old
 * head, its check run made by this App that has not concluded yet (a rejected or carried-out
 * request keeps its verdict).
 */
export function supersededRuns(
  records: GateRecords,
  push: PullPush,
  runs: readonly HeadCheckRun[],
): { readonly checkRunId: number; readonly request: RequestRecord }[] {
  return records.requests
    .filter((request) => request.pull === push.pull && request.sha.toLowerCase() === push.before)
    .flatMap((request) =>
      runs
        .filter(
          (run) => run.ours && run.status !== 'completed' && run.externalId === requestExternalId(request),
        )
        .map((run) => ({ checkRunId: run.id, request })),
    );
}

/** Concludes the waiting requests of the pull request's old head. */
export async function handlePullPush(context: Context<'pull_request.synchronize'>): Promise<void> {
  const push = parsePullPush(context.payload);
  if (push === undefined) {
    context.log.warn('pull_request.synchronize without a usable before, after or number: ignored');
    return;
  }
  const io = await gitHubIo(context);
  const [records, runs] = await Promise.all([
    readGateRecords(io, push.pull),
    io.octokit.paginate(io.octokit.rest.checks.listForRef, {
      ...io.repo,
      ref: push.before,
      filter: 'all',
      per_page: 100,
      ...(io.appId === undefined ? {} : { app_id: io.appId }),
    }),
  ]);
  const superseded = supersededRuns(
    records,
    push,
    runs.map((run) => ({
      id: run.id,
      externalId: run.external_id,
      status: run.status,
      ours: byThisApp(io, run.app),
    })),
  );
  const failures: unknown[] = [];
  for (const { checkRunId, request } of superseded) {
    await updateRequestRun(io, checkRunId, request, { kind: 'superseded', head: push.after }).catch(
      (error: unknown) => failures.push(error),
    );
  }
  io.log.info(
    {
      pull: push.pull,
      before: push.before,
      after: push.after,
      cancelled: superseded.length - failures.length,
    },
    'a push superseded the waiting deploy requests of its old head',
  );
  // Redelivering the event concludes what is left: the ones concluded are skipped then.
  if (failures.length > 0) throw failures[0];
}
