/**
 * Pending deploy requests and the approvals given to them, kept where GitHub already keeps the
 * conversation: in this App's own replies on the pull request, each carrying its record as hidden
 * JSON. Any replica reads the same records, a restart loses nothing, and a user cannot forge one
 * (a comment counts only when this App made it, by `performed_via_github_app`).
 */
import { hiddenJson } from '../../src/github/markdown.ts';
import type { ApprovalFact, RejectionFact } from '../../src/gates/index.ts';
import { byThisApp, type GitHubIo } from './github-io.ts';

/** A `/deploy` held by its gates: what to deploy once they pass. */
export interface RequestRecord {
  readonly environment: string;
  readonly sha: string;
  readonly version: string;
  readonly requester: string;
  /** The `/deploy` comment: the Deployment's `payload.comment_id` once it is carried out. */
  readonly comment: number;
  readonly pull: number;
  readonly params: Readonly<Record<string, string>>;
  readonly commentUrl: string;
  /** The branch the commit is deployed from, for the branch rule. */
  readonly branch: string | undefined;
}

/** An `/approve` or `/reject` of a request, as recorded when it was taken. */
export interface VerdictRecord {
  readonly environment: string;
  readonly sha: string;
  readonly by: string;
  readonly verdict: 'approve' | 'reject';
  readonly reason: string | undefined;
  /** The request's comment; 0 for a verdict on the commit itself, given where no request waits. */
  readonly request: number;
}

export interface GateRecords {
  /** Oldest first. */
  readonly requests: readonly RequestRecord[];
  readonly verdicts: readonly (VerdictRecord & { readonly at: Date })[];
}

const REQUEST = 'rollgate:request';
const VERDICT = 'rollgate:verdict';
const HIDDEN = /<!-- (rollgate:request|rollgate:verdict) (\{[^\n]*?\}) -->/g;

export function requestMarker(record: RequestRecord): string {
  return `<!-- ${REQUEST} ${hiddenJson(record)} -->`;
}

export function verdictMarker(record: VerdictRecord): string {
  return `<!-- ${VERDICT} ${hiddenJson(record)} -->`;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isWhole = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

function asRequest(value: Record<string, unknown>): RequestRecord | undefined {
  const { environment, sha, version, requester, comment, pull, params, commentUrl, branch } = value;
  if (!isString(environment) || !isString(sha) || !isString(version) || !isString(requester))
    return undefined;
  if (!isWhole(comment) || !isWhole(pull) || !isString(commentUrl)) return undefined;
  const cleanParams: Record<string, string> = {};
  if (typeof params === 'object' && params !== null)
    for (const [key, text] of Object.entries(params)) if (isString(text)) cleanParams[key] = text;
  return {
    environment,
    sha,
    version,
    requester,
    comment,
    pull,
    params: cleanParams,
    commentUrl,
    branch: isString(branch) ? branch : undefined,
  };
}

function asVerdict(value: Record<string, unknown>): VerdictRecord | undefined {
  const { environment, sha, by, verdict, reason, request } = value;
  if (!isString(environment) || !isString(sha) || !isString(by) || !isWhole(request)) return undefined;
  if (verdict !== 'approve' && verdict !== 'reject') return undefined;
  return { environment, sha, by, verdict, reason: isString(reason) ? reason : undefined, request };
}

/** The records in comment bodies made by this App, oldest comment first. */
export function parseGateRecords(
  comments: readonly { readonly body: string; readonly at: Date; readonly ours: boolean }[],
): GateRecords {
  const requests: RequestRecord[] = [];
  const verdicts: (VerdictRecord & { at: Date })[] = [];
  for (const comment of comments) {
    if (!comment.ours) continue;
    for (const match of comment.body.matchAll(HIDDEN)) {
      let value: unknown;
      try {
        value = JSON.parse(match[2] ?? '');
      } catch {
        continue;
      }
      if (typeof value !== 'object' || value === null) continue;
      if (match[1] === REQUEST) {
        const request = asRequest(value as Record<string, unknown>);
        if (request !== undefined) requests.push(request);
      } else {
        const verdict = asVerdict(value as Record<string, unknown>);
        if (verdict !== undefined) verdicts.push({ ...verdict, at: comment.at });
      }
    }
  }
  return { requests, verdicts };
}

/** Every record on the pull request, read from its comments. */
export async function readGateRecords(io: GitHubIo, pullNumber: number): Promise<GateRecords> {
  const comments = await io.octokit.paginate(io.octokit.rest.issues.listComments, {
    ...io.repo,
    issue_number: pullNumber,
    per_page: 100,
  });
  return parseGateRecords(
    comments.map((c) => ({
      body: c.body ?? '',
      at: new Date(c.created_at),
      ours: byThisApp(io, c.performed_via_github_app),
    })),
  );
}

const sameEnvironment = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** The latest request for `environment` (any environment when undefined). */
export function latestRequest(
  records: GateRecords,
  environment: string | undefined,
): RequestRecord | undefined {
  return records.requests.findLast(
    (r) => environment === undefined || sameEnvironment(r.environment, environment),
  );
}

/**
 * The approvals and rejections given for `environment` on this pull request, of any commit: the
 * gates count only those of the sha being deployed, and say how many an older commit had.
 */
export function verdictFacts(
  records: GateRecords,
  environment: string,
): { approvals: ApprovalFact[]; rejections: RejectionFact[] } {
  const mine = records.verdicts.filter((v) => sameEnvironment(v.environment, environment));
  return {
    approvals: mine.filter((v) => v.verdict === 'approve').map((v) => ({ by: v.by, sha: v.sha, at: v.at })),
    rejections: mine
      .filter((v) => v.verdict === 'reject')
      .map((v) => ({ by: v.by, sha: v.sha, at: v.at, reason: v.reason })),
  };
}
