// The benchmark's baseline: a bare Probot 14 app on Probot's own server with its default
// plugins (throttling and retry as shipped), doing what a /deploy must do first — one reaction,
// then one deployment of the ref named in the comment (`/deploy <sha>`).
import { run } from 'probot';

await run((app) => {
  app.on('issue_comment.created', async (context) => {
    await context.octokit.rest.reactions.createForIssueComment(
      context.repo({ comment_id: context.payload.comment.id, content: 'eyes' }),
    );
    await context.octokit.rest.repos.createDeployment(
      context.repo({
        ref: context.payload.comment.body.split(' ')[1] ?? 'main',
        environment: 'bench',
        required_contexts: [],
        auto_merge: false,
      }),
    );
  });
});
