/**
 * The `deployment_protection_rule.requested` webhook GitHub sends a custom deployment protection
 * rule's App when a workflow job reaches an environment the rule guards
 * (https://docs.github.com/webhooks/webhook-events-and-payloads#deployment_protection_rule).
 * `@octokit/webhooks-examples` has no example of it, so the payload is built from the test server's
 * state and checked against `@octokit/openapi-webhooks`' schema
 * (`webhook-deployment-protection-rule-requested`), an OpenAPI 3.1 (JSON Schema 2020-12) document.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';
import {
  buildDeployment,
  buildPullRequest,
  buildRepository,
  buildSimpleUser,
  headSha,
  nodeId,
  type Links,
} from './github-server/fixtures.ts';
import { compareCommits, diffTrees } from './github-server/history.ts';
import type {
  GitHubState,
  ProtectionRuleRecord,
  PullRequestRecord,
  RepositoryRecord,
  WorkflowRunRecord,
} from './github-server/state.ts';

const addFormats = formatsModule.default;
const SCHEMA = 'webhook-deployment-protection-rule-requested';
const DOCUMENT_ID = 'https://rollgate.test/github/openapi-webhooks.json';

/**
 * The URL GitHub gives the App to answer a run's rules: the REST route
 * `POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`
 * (https://docs.github.com/rest/actions/workflow-runs#review-custom-deployment-protection-rules-for-a-workflow-run)
 * on the API host — this server's, as GitHub's is api.github.com.
 */
export function deploymentCallbackUrl(links: Links, repository: RepositoryRecord, runId: number): string {
  return `${links.api}/repos/${repository.fullName}/actions/runs/${runId}/deployment_protection_rule`;
}

/** The event's payload for one rule of a run; throws when it breaks GitHub's webhook schema. */
export function protectionRuleEvent(
  state: GitHubState,
  repository: RepositoryRecord,
  run: WorkflowRunRecord,
  rule: ProtectionRuleRecord,
): Record<string, unknown> {
  const links = state.links;
  if (links.api === '') throw new Error('the test server has no URL yet: start it before requesting rules');
  const deployment = repository.deployments.get(rule.deploymentId);
  if (!deployment) throw new Error(`deployment ${rule.deploymentId} of the rule is gone`);
  const installation = [...state.installations.values()].find((i) => i.account.id === repository.owner.id);
  const payload: Record<string, unknown> = {
    action: 'requested',
    environment: rule.environment,
    event: run.event,
    deployment_callback_url: deploymentCallbackUrl(links, repository, run.id),
    deployment: buildDeployment(links, repository, deployment, state.app),
    pull_requests: run.event.startsWith('pull_request') ? pullRequestsOf(links, repository, run) : [],
    repository: webhookRepository(links, repository),
    ...(repository.owner.type === 'Organization'
      ? { organization: webhookOrganization(links, repository) }
      : {}),
    ...(installation
      ? { installation: { id: installation.id, node_id: nodeId('Installation', installation.id) } }
      : {}),
    sender: buildSimpleUser(links, run.actor),
  };
  const problems = protectionRuleEventProblems(payload);
  if (problems.length > 0) {
    throw new Error(`the deployment_protection_rule payload breaks GitHub's schema:\n${problems.join('\n')}`);
  }
  return payload;
}

let validator: ValidateFunction | undefined;

/** The ways a payload breaks `webhook-deployment-protection-rule-requested`; [] when it fits. */
export function protectionRuleEventProblems(payload: unknown): string[] {
  validator ??= compileValidator();
  if (validator(payload)) return [];
  return (validator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

function compileValidator(): ValidateFunction {
  const file = createRequire(import.meta.url).resolve(
    '@octokit/openapi-webhooks/generated/api.github.com.json',
  );
  const document = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });
  return ajv.compile({ $ref: `${DOCUMENT_ID}#/components/schemas/${SCHEMA}` });
}

/** `repository-webhooks`: the REST repository plus the fields webhooks always carry. */
function webhookRepository(links: Links, repository: RepositoryRecord): Record<string, unknown> {
  return {
    ...buildRepository(links, repository),
    license: null,
    has_pages: false,
    has_wiki: false,
  };
}

function webhookOrganization(links: Links, repository: RepositoryRecord): Record<string, unknown> {
  const org = repository.owner;
  const api = `${links.api}/orgs/${org.login}`;
  return {
    login: org.login,
    id: org.id,
    node_id: nodeId('Organization', org.id),
    url: api,
    repos_url: `${api}/repos`,
    events_url: `${api}/events`,
    hooks_url: `${api}/hooks`,
    issues_url: `${api}/issues`,
    members_url: `${api}/members{/member}`,
    public_members_url: `${api}/public_members{/member}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${org.id}?v=4`,
    description: null,
  };
}

/** The open pull requests whose head is the run's commit, as GitHub lists them for a `pull_request` run. */
function pullRequestsOf(links: Links, repository: RepositoryRecord, run: WorkflowRunRecord): unknown[] {
  return [...repository.pulls.values()]
    .filter((pull) => pull.state === 'open' && headSha(repository, pull) === run.headSha)
    .map((pull) => pullRequest(links, repository, pull));
}

function pullRequest(links: Links, repository: RepositoryRecord, pull: PullRequestRecord): unknown {
  const head = headSha(repository, pull);
  const base = repository.refs.get(`refs/heads/${pull.base.ref}`) ?? pull.base.sha;
  const comparison = compareCommits(repository, base, head);
  const tree = (sha: string) => repository.commits.get(sha)?.tree ?? new Map<string, string>();
  const files = diffTrees(tree(comparison.mergeBase), tree(head));
  const changes = {
    commits: comparison.ahead.length,
    additions: files.reduce((sum, f) => sum + f.additions, 0),
    deletions: files.reduce((sum, f) => sum + f.deletions, 0),
    changedFiles: files.length,
  };
  const comments = [...repository.comments.values()].filter((c) => c.issueNumber === pull.number).length;
  return buildPullRequest(links, repository, pull, changes, comments, 'CONTRIBUTOR');
}
