/**
 * A release's auto-deploy held by its environment's gates, as people see it: the check run
 * `rollgate / <env>` on the release's commit (`external_id` `release:<release id>:<env>`), in
 * progress with the gates' checklist while it waits — for approvals, with the buttons Approve and
 * Reject; for a window or a freeze, with the time it opens — then concluded. A release has no pull
 * request to keep records on, so the check run is the record: its `output.text` carries the
 * request and the approvals given so far as hidden JSON, made by this App alone (a check run
 * counts only when `app.id` is ours), so any replica, and the App after a restart, reads the same.
 */
import { checkRunName } from '../../src/github/check-runs.ts';
import { cleanValue, code, hiddenJson, mention } from '../../src/github/markdown.ts';
import { checklistMarkdown, type Verdict } from '../../src/gates/index.ts';
import type { GateRecords } from './gate-records.ts';
import { byThisApp, type GitHubIo } from './github-io.ts';
import { reconciledWrite } from './reconciled-write.ts';
import { jsonRecord } from '../../src/json/record.ts';

/** A release's deploy to one environment, waiting or decided. */
export interface ReleaseRequest {
  readonly release: number;
  readonly tag: string;
  readonly environment: string;
  /** The tag's commit. */
  readonly sha: string;
  readonly version: string;
  /** The release's author: the requester for the self-approval and lock rules. */
  readonly requester: string;
  /** The branch the release was cut from, for the branch rule. */
  readonly branch: string | undefined;
  readonly publishedAt: string;
  /** Approvals given with the check run's Approve button, oldest first. */
  readonly approvals: readonly { readonly by: string; readonly at: string }[];
}

export type ReleaseRequestState =
  | { readonly kind: 'approvals'; readonly verdict: Verdict; readonly notice?: string }
  | { readonly kind: 'deferred'; readonly verdict: Verdict; readonly opensAt: Date }
  | { readonly kind: 'carried-out'; readonly deploymentId: number }
  | { readonly kind: 'rejected'; readonly by: string; readonly verdict: Verdict }
  | { readonly kind: 'refused'; readonly message: string }
  /** Another deploy holds the environment: tried again at `retryAt` (a deferred request, like a window's). */
  | { readonly kind: 'busy'; readonly message: string; readonly retryAt: Date }
  /** Ended without a deploy, not by anyone's verdict: the release went, or a newer one went out. */
  | { readonly kind: 'dropped'; readonly why: string; readonly conclusion: 'cancelled' | 'neutral' };

/** A release request's check run as found on GitHub. */
export interface ReleaseRun {
  readonly id: number;
  readonly completed: boolean;
  readonly request: ReleaseRequest | undefined;
}

/** The button identifiers (at most 20 characters, PLATFORM-NOTES.md "Checks and comments"). */
export const APPROVE = 'approve';
export const REJECT = 'reject';

const MARKER = 'rollgate:release';
const MARKER_PATTERN = /<!-- rollgate:release (\{[^\n]*?\}) -->/;
const EXTERNAL_ID = /^release:(\d+):(.+)$/;

export function releaseExternalId(request: Pick<ReleaseRequest, 'release' | 'environment'>): string {
  return `release:${request.release}:${request.environment}`;
}

/** The release and environment a check run's `external_id` names, when it is a release request's. */
export function parseReleaseExternalId(
  externalId: string | null | undefined,
): { readonly release: number; readonly environment: string } | undefined {
  const match = EXTERNAL_ID.exec(externalId ?? '');
  if (match === null) return undefined;
  const release = Number(match[1]);
  return Number.isSafeInteger(release) ? { release, environment: match[2] ?? '' } : undefined;
}

/** The approvals of a release request, as the gates read them (`src/gates` counts them per sha). */
export function releaseRecords(request: ReleaseRequest): GateRecords {
  return {
    requests: [],
    verdicts: request.approvals.map((a) => ({
      environment: request.environment,
      sha: request.sha,
      by: a.by,
      verdict: 'approve' as const,
      reason: undefined,
      request: request.release,
      at: new Date(a.at),
    })),
  };
}

const isString = (v: unknown): v is string => typeof v === 'string';

function parseRequest(text: string | null | undefined): ReleaseRequest | undefined {
  const json = MARKER_PATTERN.exec(text ?? '')?.[1];
  const r = json === undefined ? undefined : jsonRecord(json);
  if (r === undefined) return undefined;

  if (typeof r.release !== 'number' || !Number.isSafeInteger(r.release)) return undefined;
  if (!isString(r.tag) || !isString(r.environment) || !isString(r.sha) || !isString(r.version))
    return undefined;
  if (!isString(r.requester) || !isString(r.publishedAt) || !Array.isArray(r.approvals)) return undefined;
  const approvals = (r.approvals as unknown[]).flatMap((a) => {
    if (typeof a !== 'object' || a === null) return [];
    const { by, at } = a as Record<string, unknown>;
    return isString(by) && isString(at) ? [{ by, at }] : [];
  });
  return {
    release: r.release,
    tag: r.tag,
    environment: r.environment,
    sha: r.sha,
    version: r.version,
    requester: r.requester,
    branch: isString(r.branch) ? r.branch : undefined,
    publishedAt: r.publishedAt,
    approvals,
  };
}

/** The request's check run, made by this App, if there is one. */
export async function findReleaseRun(
  io: GitHubIo,
  key: Pick<ReleaseRequest, 'release' | 'environment' | 'sha'>,
): Promise<ReleaseRun | undefined> {
  const { data } = await io.octokit.rest.checks.listForRef({
    ...io.repo,
    ref: key.sha,
    check_name: checkRunName(key.environment),
    filter: 'all',
    per_page: 100,
  });
  const run = data.check_runs.find((r) => r.external_id === releaseExternalId(key) && byThisApp(io, r.app));
  if (run === undefined) return undefined;
  return { id: run.id, completed: run.status === 'completed', request: parseRequest(run.output.text) };
}

/** Reads a release request's check run by its id (a `requested_action` names it). */
export async function readReleaseRun(io: GitHubIo, id: number): Promise<ReleaseRun | undefined> {
  const { data } = await io.octokit.rest.checks.get({ ...io.repo, check_run_id: id });
  if (!byThisApp(io, data.app) || parseReleaseExternalId(data.external_id) === undefined) return undefined;
  return { id: data.id, completed: data.status === 'completed', request: parseRequest(data.output.text) };
}

function output(
  request: ReleaseRequest,
  state: ReleaseRequestState,
): { title: string; summary: string; text: string } {
  const asked = `Release ${code(request.tag)} (\`${request.sha.slice(0, 7)}\`) to ${code(request.environment)}, published by ${mention(request.requester)}.`;
  const tag = cleanValue(request.tag, 64);
  const text = `<!-- ${MARKER} ${hiddenJson(request)} -->`;
  switch (state.kind) {
    case 'approvals': {
      const given =
        request.approvals.length === 0
          ? ''
          : `\n\nApproved by ${request.approvals.map((a) => mention(a.by)).join(', ')}.`;
      const notice = state.notice === undefined ? '' : `\n\n⚠️ ${state.notice}`;
      return {
        title: `${tag} → ${request.environment}: waiting for approvals`,
        summary: `${asked}\n\n${checklistMarkdown(state.verdict)}${given}${notice}\n\nEligible approvers press **Approve** (or **Reject**) above; the Deployment is created as soon as the last gate passes.`,
        text,
      };
    }
    case 'deferred':
      return {
        title: `${tag} → ${request.environment}: waits until ${state.opensAt.toISOString()}`,
        summary: `${asked}\n\n${checklistMarkdown(state.verdict)}\n\nRollgate deploys it by itself at ${state.opensAt.toISOString()}, if the gates still pass then. Deleting the release, or a newer release deployed to ${code(request.environment)} meanwhile, cancels it.`,
        text,
      };
    case 'busy':
      return {
        title: `${tag} → ${request.environment}: waits for the deploy in progress`,
        summary: `${asked}\n\n${state.message}\n\nRollgate tries again by itself at ${state.retryAt.toISOString()}, and every minute after until the environment is free. Deleting the release, or a newer release deployed to ${code(request.environment)} meanwhile, cancels it.`,
        text,
      };
    case 'carried-out':
      return {
        title: `${tag} → ${request.environment}: gates passed`,
        summary: `${asked}\n\nEvery gate passed: Deployment #${state.deploymentId} was created, and its own check run follows it.`,
        text,
      };
    case 'rejected':
      return {
        title: `${tag} → ${request.environment}: rejected by ${cleanValue(state.by, 39)}`,
        summary: `${asked}\n\nRejected by ${mention(state.by)}; nothing was deployed.\n\n${checklistMarkdown(state.verdict)}`,
        text,
      };
    case 'refused':
      return {
        title: `${tag} → ${request.environment}: not deployed`,
        summary: `${asked}\n\n${state.message}`,
        text,
      };
    case 'dropped':
      return {
        title: `${tag} → ${request.environment}: not deployed`,
        summary: `${asked}\n\nNot deployed: ${state.why}.`,
        text,
      };
  }
}

function fields(state: ReleaseRequestState) {
  switch (state.kind) {
    case 'approvals':
      // Buttons on the check run (https://docs.github.com/rest/checks/runs#check-runs-and-requested-actions):
      // a click sends `check_run.requested_action` with `requested_action.identifier` to this App only.
      return {
        status: 'in_progress' as const,
        actions: [
          { label: 'Approve', identifier: APPROVE, description: 'Approve this release for the environment' },
          { label: 'Reject', identifier: REJECT, description: 'Reject this release for the environment' },
        ],
      };
    case 'deferred':
    case 'busy':
      return { status: 'in_progress' as const, actions: [] };
    case 'carried-out':
      return { status: 'completed' as const, conclusion: 'success' as const, actions: [] };
    case 'rejected':
    case 'refused':
      return { status: 'completed' as const, conclusion: 'failure' as const, actions: [] };
    case 'dropped':
      return { status: 'completed' as const, conclusion: state.conclusion, actions: [] };
  }
}

/**
 * Creates or updates the request's check run to show `state` (`existing` when it was just read).
 * A completed run is left as it is: it records the decision made first.
 */
export async function showReleaseRequest(
  io: GitHubIo,
  request: ReleaseRequest,
  state: ReleaseRequestState,
  existing?: ReleaseRun,
): Promise<void> {
  const find = () => findReleaseRun(io, request);
  const run = existing ?? (await find());
  if (run?.completed === true) return;
  const body = { ...fields(state), output: output(request, state) };
  if (run !== undefined) {
    await io.octokit.rest.checks.update({ ...io.repo, check_run_id: run.id, ...body });
    return;
  }
  await reconciledWrite(
    async () => {
      await io.octokit.rest.checks.create({
        ...io.repo,
        name: checkRunName(request.environment),
        head_sha: request.sha,
        external_id: releaseExternalId(request),
        ...body,
      });
      return true;
    },
    async () => ((await find()) === undefined ? undefined : true),
  );
}
