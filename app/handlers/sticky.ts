import {
  isStickyComment,
  readStickyRows,
  renderStickyComment,
  type EnvironmentRow,
} from '../../src/github/sticky-comment.ts';
import { mergeStickyRow, mergeStickyRows } from '../decisions/deployment-status.ts';
import { byThisApp, type GitHubIo } from './github-io.ts';

/** Rounds of read → write → read back before giving up on a sticky comment others keep editing. */
const ROUNDS = 4;

interface StickyCopy {
  readonly id: number;
  readonly body: string;
}

/** This App's sticky comments on the pull request, oldest first (another App's never count). */
async function readStickyCopies(io: GitHubIo, pullNumber: number): Promise<StickyCopy[]> {
  const comments = await io.octokit.paginate(io.octokit.rest.issues.listComments, {
    ...io.repo,
    issue_number: pullNumber,
    per_page: 100,
  });
  return comments
    .filter((c) => byThisApp(io, c.performed_via_github_app) && isStickyComment(c.body))
    .map((c) => ({ id: c.id, body: c.body ?? '' }))
    .sort((a, b) => a.id - b.id);
}

/**
 * Puts the environment's row into the pull request's sticky comment. GitHub has no conditional
 * write for comments, so every write is read back: a row another replica's edit overwrote is
 * written again, a second copy made by a concurrent create is merged into the oldest and deleted,
 * and a row older than the one there (an event that arrived late) changes nothing.
 */
export async function updateStickyRow(io: GitHubIo, pullNumber: number, row: EnvironmentRow): Promise<void> {
  let failure: unknown;
  for (let round = 0; round < ROUNDS; round++) {
    const copies = await readStickyCopies(io, pullNumber);
    const [keep, ...extra] = copies;
    try {
      if (keep === undefined) {
        // A create whose answer was lost shows up in the next round's read: never sent blindly twice.
        await io.octokit.rest.issues.createComment({
          ...io.repo,
          issue_number: pullNumber,
          body: renderStickyComment([row]),
        });
        continue;
      }
      const rows = mergeStickyRows(copies.map((c) => readStickyRows(c.body)));
      const body = renderStickyComment(mergeStickyRow(rows, row) ?? rows);
      if (body === keep.body && extra.length === 0) return;
      if (body !== keep.body)
        await io.octokit.rest.issues.updateComment({ ...io.repo, comment_id: keep.id, body });
      for (const copy of extra) await deleteComment(io, copy.id);
    } catch (error) {
      failure = error;
    }
  }
  throw failure instanceof Error
    ? failure
    : new Error(`the sticky comment of #${pullNumber} kept changing under concurrent edits`);
}

async function deleteComment(io: GitHubIo, id: number): Promise<void> {
  try {
    await io.octokit.rest.issues.deleteComment({ ...io.repo, comment_id: id });
  } catch (error) {
    // Another replica deleted the same copy first.
    if ((error as { status?: number }).status !== 404) throw error;
  }
}
