/**
 * Issue (and pull-request) comments and their reactions
 * (https://docs.github.com/rest/issues/comments, https://docs.github.com/rest/reactions/reactions).
 */
import { buildIssueComment, buildReaction } from '../fixtures.ts';
import type { IssueCommentRecord, ReactionRecord, RepositoryRecord } from '../state.ts';
import {
  authorAssociation,
  bodyOf,
  integerParam,
  notFound,
  queryString,
  requireAccount,
  requireRepository,
  validationFailed,
  type ApiAnswer,
  type ApiRequest,
  type RouteContext,
  type RouteTable,
} from './handler.ts';
import { paginate } from './pagination.ts';

/** GitHub refuses comment bodies over 65,536 characters. */
const maxBodyLength = 65_536;

export const commentRoutes: RouteTable = {
  'issues/create-comment': (request, context) => {
    const repository = requireRepository(request, context);
    const user = requireAccount(request);
    const issueNumber = integerParam(request, 'issue_number');
    if (!repository.issues.has(issueNumber) && !repository.pulls.has(issueNumber)) throw notFound();
    const body = checkedBody(bodyOf(request, 'issues/create-comment').body);
    const now = context.state.now();
    const comment: IssueCommentRecord = {
      id: context.state.nextId(),
      issueNumber,
      body,
      user,
      viaApp: request.actor.kind === 'installation',
      createdAt: now,
      updatedAt: now,
    };
    repository.comments.set(comment.id, comment);
    return render(201, context, repository, comment);
  },
  'issues/update-comment': (request, context) => {
    const repository = requireRepository(request, context);
    requireAccount(request);
    const comment = requireComment(request, repository);
    comment.body = checkedBody(bodyOf(request, 'issues/update-comment').body);
    comment.updatedAt = context.state.now();
    return render(200, context, repository, comment);
  },
  'issues/get-comment': (request, context) => {
    const repository = requireRepository(request, context);
    return render(200, context, repository, requireComment(request, repository));
  },
  'issues/delete-comment': (request, context) => {
    const repository = requireRepository(request, context);
    requireAccount(request);
    const comment = requireComment(request, repository);
    repository.comments.delete(comment.id);
    return { status: 204 };
  },
  'issues/list-comments': (request, context) => {
    const repository = requireRepository(request, context);
    const issueNumber = integerParam(request, 'issue_number');
    if (!repository.issues.has(issueNumber) && !repository.pulls.has(issueNumber)) throw notFound();
    const since = queryString(request, 'since');
    const comments = [...repository.comments.values()]
      .filter((c) => c.issueNumber === issueNumber)
      .filter((c) => since === undefined || c.updatedAt >= new Date(since))
      .sort((a, b) => a.id - b.id);
    const page = paginate(comments, request);
    return {
      status: 200,
      body: page.items.map((comment) => commentObject(context, repository, comment)),
      headers: page.headers,
    };
  },
  /*
   * "List issue comments for a repository": by default ascending id; `sort` (`created` or
   * `updated`) with `direction` (`asc` or `desc`; `direction` is ignored without `sort`), and
   * `since` (https://docs.github.com/rest/issues/comments#list-issue-comments-for-a-repository).
   */
  'issues/list-comments-for-repo': (request, context) => {
    const repository = requireRepository(request, context);
    const since = queryString(request, 'since');
    const sort = queryString(request, 'sort');
    const descending = sort !== undefined && queryString(request, 'direction') === 'desc';
    const key = (c: IssueCommentRecord): number =>
      sort === 'updated' ? c.updatedAt.getTime() : sort === 'created' ? c.createdAt.getTime() : c.id;
    const comments = [...repository.comments.values()]
      .filter((c) => since === undefined || c.updatedAt >= new Date(since))
      .sort((a, b) => (descending ? -1 : 1) * (key(a) - key(b) || a.id - b.id));
    const page = paginate(comments, request);
    return {
      status: 200,
      body: page.items.map((comment) => commentObject(context, repository, comment)),
      headers: page.headers,
    };
  },
  'reactions/create-for-issue-comment': (request, context) => {
    const repository = requireRepository(request, context);
    const user = requireAccount(request);
    const comment = requireComment(request, repository);
    const { content } = bodyOf(request, 'reactions/create-for-issue-comment');
    // Reacting twice with the same content answers the existing reaction with 200.
    const existing = repository.reactions.find(
      (r) => r.commentId === comment.id && r.user.id === user.id && r.content === content,
    );
    if (existing) return { status: 200, body: buildReaction(context.links, existing) };
    const reaction: ReactionRecord = {
      id: context.state.nextId(),
      commentId: comment.id,
      content,
      user,
      createdAt: context.state.now(),
    };
    repository.reactions.push(reaction);
    return { status: 201, body: buildReaction(context.links, reaction) };
  },
  'reactions/list-for-issue-comment': (request, context) => {
    const repository = requireRepository(request, context);
    const comment = requireComment(request, repository);
    const content = queryString(request, 'content');
    const reactions = repository.reactions.filter(
      (r) => r.commentId === comment.id && (content === undefined || r.content === content),
    );
    const page = paginate(reactions, request);
    return {
      status: 200,
      body: page.items.map((r) => buildReaction(context.links, r)),
      headers: page.headers,
    };
  },
};

function requireComment(request: ApiRequest, repository: RepositoryRecord): IssueCommentRecord {
  const comment = repository.comments.get(integerParam(request, 'comment_id'));
  if (!comment) throw notFound();
  return comment;
}

function checkedBody(body: string): string {
  if (body.length <= maxBodyLength) return body;
  throw validationFailed([
    {
      resource: 'IssueComment',
      code: 'unprocessable',
      field: 'data',
      message: `Body is too long (maximum is ${maxBodyLength} characters)`,
    },
  ]);
}

function commentObject(context: RouteContext, repository: RepositoryRecord, comment: IssueCommentRecord) {
  const association = authorAssociation(repository, comment.user);
  return buildIssueComment(context.links, repository, comment, association, context.state.app);
}

function render(
  status: number,
  context: RouteContext,
  repository: RepositoryRecord,
  comment: IssueCommentRecord,
): ApiAnswer {
  return { status, body: commentObject(context, repository, comment) };
}
