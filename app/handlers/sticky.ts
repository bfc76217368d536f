import type { Context } from 'probot';
import {
  isStickyComment,
  readStickyRows,
  renderStickyComment,
  upsertRow,
  type EnvironmentRow,
} from '../../src/github/sticky-comment.ts';

type AnyContext = Context<'issue_comment.created'> | Context<'deployment_status.created'>;

/** Creates the pull request's sticky comment, or edits it in place with the environment's new row. */
export async function updateStickyComment(
  context: AnyContext,
  repo: { owner: string; repo: string },
  pullNumber: number,
  row: EnvironmentRow,
): Promise<void> {
  const comments = await context.octokit.paginate(context.octokit.rest.issues.listComments, {
    ...repo,
    issue_number: pullNumber,
    per_page: 100,
  });
  const sticky = comments.find(
    (comment) => comment.performed_via_github_app !== null && isStickyComment(comment.body),
  );
  if (sticky === undefined) {
    await context.octokit.rest.issues.createComment({
      ...repo,
      issue_number: pullNumber,
      body: renderStickyComment([row]),
    });
    return;
  }
  const rows = upsertRow(readStickyRows(sticky.body ?? ''), row);
  await context.octokit.rest.issues.updateComment({
    ...repo,
    comment_id: sticky.id,
    body: renderStickyComment(rows),
  });
}
