/**
 * Complete API objects built from the in-memory records, in the shapes GitHub's description
 * requires (every required field, realistic URLs and node ids). Typed with `@octokit/openapi-types`
 * so a missing field fails the typecheck before it fails a response validation.
 */
import type { components } from '@octokit/openapi-types';
import { blobSha, diffTrees, treeSha } from './history.ts';
import type {
  Account,
  AppRecord,
  CheckRunRecord,
  CommitRecord,
  CommitStatusRecord,
  DeploymentRecord,
  DeploymentStatusRecord,
  EnvironmentRecord,
  InstallationRecord,
  IssueCommentRecord,
  PullRequestRecord,
  ReactionRecord,
  ReleaseRecord,
  RepositoryRecord,
  RepositoryRole,
} from './state.ts';

type Schemas = components['schemas'];

/** Where objects point: the API (this server) and the web UI. */
export interface Links {
  readonly api: string;
  readonly web: string;
}

/** GitHub's legacy global node id: base64 of `<length of type>:<Type><id>` (`MDQ6VXNlcjE=` is User 1). */
export function nodeId(type: string, id: number | string): string {
  return Buffer.from(`${String(type.length).padStart(2, '0')}:${type}${id}`).toString('base64');
}

const iso = (date: Date): string => date.toISOString();

export function buildSimpleUser(links: Links, account: Account): Schemas['simple-user'] {
  const api = `${links.api}/users/${account.login}`;
  return {
    name: account.name,
    email: account.email,
    login: account.login,
    id: account.id,
    node_id: nodeId(account.type, account.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${account.id}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: `${links.web}/${account.type === 'Bot' ? `apps/${account.login.replace('[bot]', '')}` : account.login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: account.type,
    site_admin: false,
    user_view_type: 'public',
  };
}

/** A GitHub App as `GET /app` and `performed_via_github_app` show it. */
export function buildIntegration(links: Links, app: AppRecord): Schemas['integration'] & object {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId('App', app.id),
    client_id: app.clientId,
    owner: buildSimpleUser(links, app.owner),
    name: app.name,
    description: 'GitHub-native continuous delivery for Kubernetes',
    external_url: `https://${app.slug}.example.com`,
    html_url: `${links.web}/apps/${app.slug}`,
    created_at: iso(app.createdAt),
    updated_at: iso(app.createdAt),
    permissions: { ...app.permissions },
    events: [...app.events],
  };
}

export function buildInstallation(
  links: Links,
  app: AppRecord,
  installation: InstallationRecord,
): Schemas['installation'] {
  const account = installation.account;
  return {
    id: installation.id,
    account: buildSimpleUser(links, account),
    repository_selection: 'all',
    access_tokens_url: `${links.api}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${links.api}/installation/repositories`,
    html_url:
      account.type === 'Organization'
        ? `${links.web}/organizations/${account.login}/settings/installations/${installation.id}`
        : `${links.web}/settings/installations/${installation.id}`,
    app_id: app.id,
    client_id: app.clientId,
    target_id: account.id,
    target_type: account.type,
    permissions: { ...app.permissions },
    events: [...app.events],
    created_at: iso(installation.createdAt),
    updated_at: iso(installation.createdAt),
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    app_slug: app.slug,
    suspended_by: null,
    suspended_at: null,
  };
}

/** The URL fields every repository shape shares. */
function repositoryUrls(links: Links, repository: RepositoryRecord) {
  const api = `${links.api}/repos/${repository.fullName}`;
  return {
    html_url: `${links.web}/${repository.fullName}`,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_url: `git://github.com/${repository.fullName}.git`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    ssh_url: `git@github.com:${repository.fullName}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    clone_url: `${links.web}/${repository.fullName}.git`,
    svn_url: `${links.web}/${repository.fullName}`,
    hooks_url: `${api}/hooks`,
  };
}

function repositoryFacts(links: Links, repository: RepositoryRecord) {
  const pushedAt = [...repository.commits.values()].reduce(
    (latest, commit) => (commit.author.date > latest ? commit.author.date : latest),
    repository.createdAt,
  );
  return {
    id: repository.id,
    node_id: nodeId('Repository', repository.id),
    name: repository.name,
    full_name: repository.fullName,
    owner: buildSimpleUser(links, repository.owner),
    private: repository.private,
    description: repository.description,
    fork: false,
    ...repositoryUrls(links, repository),
    mirror_url: null,
    homepage: null,
    language: 'TypeScript',
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 128,
    default_branch: repository.defaultBranch,
    open_issues_count:
      repository.issues.size + [...repository.pulls.values()].filter((p) => p.state === 'open').length,
    open_issues:
      repository.issues.size + [...repository.pulls.values()].filter((p) => p.state === 'open').length,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: true,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: repository.private ? 'private' : 'public',
    pushed_at: iso(pushedAt),
    created_at: iso(repository.createdAt),
    updated_at: iso(pushedAt),
    allow_forking: true,
    web_commit_signoff_required: false,
    license: null,
  };
}

export function buildMinimalRepository(
  links: Links,
  repository: RepositoryRecord,
): Schemas['minimal-repository'] {
  return { ...repositoryFacts(links, repository), delete_branch_on_merge: false };
}

const mergeSettings = {
  allow_rebase_merge: true,
  allow_squash_merge: true,
  allow_auto_merge: false,
  delete_branch_on_merge: false,
  allow_merge_commit: true,
  allow_update_branch: false,
  use_squash_pr_title_as_default: false,
};

export function buildRepository(links: Links, repository: RepositoryRecord): Schemas['repository'] {
  return { ...repositoryFacts(links, repository), ...mergeSettings };
}

export function buildFullRepository(
  links: Links,
  repository: RepositoryRecord,
  permissions: Schemas['full-repository']['permissions'],
): Schemas['full-repository'] {
  const organization =
    repository.owner.type === 'Organization' ? buildSimpleUser(links, repository.owner) : null;
  return {
    ...repositoryFacts(links, repository),
    ...mergeSettings,
    ...(permissions === undefined ? {} : { permissions }),
    temp_clone_token: null,
    subscribers_count: 1,
    network_count: 0,
    organization,
  };
}

/** The legacy `permission` value of a role: `maintain` reads as write, `triage` as read. */
export function legacyPermission(role: RepositoryRole | 'none'): 'admin' | 'write' | 'read' | 'none' {
  if (role === 'maintain') return 'write';
  if (role === 'triage') return 'read';
  return role;
}

export function buildCollaboratorPermission(
  links: Links,
  account: Account,
  role: RepositoryRole | 'none',
  customRole?: string,
): Schemas['repository-collaborator-permission'] {
  const at = (level: RepositoryRole): boolean => {
    const order: (RepositoryRole | 'none')[] = ['none', 'read', 'triage', 'write', 'maintain', 'admin'];
    return order.indexOf(role) >= order.indexOf(level);
  };
  const permissions = {
    admin: at('admin'),
    maintain: at('maintain'),
    push: at('write'),
    triage: at('triage'),
    pull: at('read'),
  };
  return {
    // A custom role shows by its name; `permission` stays the base role's legacy level
    // (https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user).
    permission: legacyPermission(role),
    role_name: customRole ?? role,
    user: { ...buildSimpleUser(links, account), permissions, role_name: customRole ?? role },
  };
}

export function buildCommit(
  links: Links,
  repository: RepositoryRecord,
  commit: CommitRecord,
): Schemas['commit'] {
  const api = `${links.api}/repos/${repository.fullName}`;
  const parentTree = repository.commits.get(commit.parents[0] ?? '')?.tree ?? new Map<string, string>();
  const files = buildDiffEntries(links, repository, commit.sha, diffTrees(parentTree, commit.tree));
  const additions = files.reduce((sum, file) => sum + file.additions, 0);
  const deletions = files.reduce((sum, file) => sum + file.deletions, 0);
  const signature = { name: commit.author.name, email: commit.author.email, date: iso(commit.author.date) };
  const author = commit.authorAccount ? buildSimpleUser(links, commit.authorAccount) : null;
  return {
    url: `${api}/commits/${commit.sha}`,
    sha: commit.sha,
    node_id: nodeId('Commit', commit.sha),
    html_url: `${links.web}/${repository.fullName}/commit/${commit.sha}`,
    comments_url: `${api}/commits/${commit.sha}/comments`,
    commit: {
      url: `${api}/git/commits/${commit.sha}`,
      author: signature,
      committer: signature,
      message: commit.message,
      comment_count: 0,
      tree: { sha: treeSha(commit.tree), url: `${api}/git/trees/${treeSha(commit.tree)}` },
      verification: {
        verified: false,
        reason: 'unsigned',
        signature: null,
        payload: null,
        verified_at: null,
      },
    },
    author,
    committer: author,
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${api}/commits/${sha}`,
      html_url: `${links.web}/${repository.fullName}/commit/${sha}`,
    })),
    stats: { additions, deletions, total: additions + deletions },
    files,
  };
}

/** A commit as the Git database API returns it (`GET /git/commits/{sha}`). */
export function buildGitCommit(
  links: Links,
  repository: RepositoryRecord,
  commit: CommitRecord,
): Schemas['git-commit'] {
  const api = `${links.api}/repos/${repository.fullName}`;
  const signature = { name: commit.author.name, email: commit.author.email, date: iso(commit.author.date) };
  return {
    sha: commit.sha,
    node_id: nodeId('Commit', commit.sha),
    url: `${api}/git/commits/${commit.sha}`,
    html_url: `${links.web}/${repository.fullName}/commit/${commit.sha}`,
    author: signature,
    committer: signature,
    message: commit.message,
    tree: { sha: treeSha(commit.tree), url: `${api}/git/trees/${treeSha(commit.tree)}` },
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${api}/git/commits/${sha}`,
      html_url: `${links.web}/${repository.fullName}/commit/${sha}`,
    })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  };
}

export function buildDiffEntries(
  links: Links,
  repository: RepositoryRecord,
  ref: string,
  changes: ReturnType<typeof diffTrees>,
): Schemas['diff-entry'][] {
  return changes.map((change) => ({
    sha: change.sha,
    filename: change.filename,
    status: change.status,
    additions: change.additions,
    deletions: change.deletions,
    changes: change.additions + change.deletions,
    blob_url: `${links.web}/${repository.fullName}/blob/${ref}/${change.filename}`,
    raw_url: `${links.web}/${repository.fullName}/raw/${ref}/${change.filename}`,
    contents_url: `${links.api}/repos/${repository.fullName}/contents/${change.filename}?ref=${ref}`,
  }));
}

export function buildGitRef(
  links: Links,
  repository: RepositoryRecord,
  ref: string,
  sha: string,
): Schemas['git-ref'] {
  const api = `${links.api}/repos/${repository.fullName}`;
  return {
    ref,
    node_id: nodeId('Ref', `${repository.id}:${ref}`),
    url: `${api}/git/${ref}`,
    object: { type: 'commit', sha, url: `${api}/git/commits/${sha}` },
  };
}

/** A file as `GET /contents/{path}` returns it: base64 in lines of 60 characters, as GitHub sends it. */
export function buildContentFile(
  links: Links,
  repository: RepositoryRecord,
  path: string,
  content: string,
  ref: string,
): Schemas['content-file'] {
  const sha = blobSha(content);
  const self = `${links.api}/repos/${repository.fullName}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const git = `${links.api}/repos/${repository.fullName}/git/blobs/${sha}`;
  const html = `${links.web}/${repository.fullName}/blob/${ref}/${path}`;
  const base64 = Buffer.from(content, 'utf8').toString('base64');
  // Over 1 MB GitHub sends no content in this form: `encoding: "none"`, `content: ""` (only the raw
  // media type carries it; GitHub changelog 2022-05-03).
  const tooLarge = Buffer.byteLength(content) > 1024 * 1024;
  return {
    type: 'file',
    encoding: tooLarge ? 'none' : 'base64',
    size: Buffer.byteLength(content),
    name: path.split('/').pop() ?? path,
    path,
    content: tooLarge ? '' : `${base64.match(/.{1,60}/g)?.join('\n') ?? ''}\n`,
    sha,
    url: self,
    git_url: git,
    html_url: html,
    download_url: `https://raw.githubusercontent.com/${repository.fullName}/${ref}/${path}`,
    _links: { self, git, html },
  };
}

/** An entry of a directory listing (`GET /contents/{dir}`). */
export function buildDirectoryEntry(
  links: Links,
  repository: RepositoryRecord,
  entry: { path: string; content: string | undefined },
  ref: string,
): Schemas['content-directory'][number] {
  const isFile = entry.content !== undefined;
  const sha = blobSha(entry.content ?? entry.path);
  const self = `${links.api}/repos/${repository.fullName}/contents/${entry.path}?ref=${encodeURIComponent(ref)}`;
  const git = `${links.api}/repos/${repository.fullName}/git/${isFile ? 'blobs' : 'trees'}/${sha}`;
  const html = `${links.web}/${repository.fullName}/${isFile ? 'blob' : 'tree'}/${ref}/${entry.path}`;
  return {
    type: isFile ? 'file' : 'dir',
    size: isFile ? Buffer.byteLength(entry.content ?? '') : 0,
    name: entry.path.split('/').pop() ?? entry.path,
    path: entry.path,
    sha,
    url: self,
    git_url: git,
    html_url: html,
    download_url: isFile
      ? `https://raw.githubusercontent.com/${repository.fullName}/${ref}/${entry.path}`
      : null,
    _links: { self, git, html },
  };
}

export function buildCommitStatus(links: Links, status: CommitStatusRecord): Schemas['status'] {
  return {
    url: `${links.api}/repos/statuses/${status.sha}`,
    avatar_url: buildSimpleUser(links, status.creator).avatar_url,
    id: status.id,
    node_id: nodeId('StatusContext', status.id),
    state: status.state,
    description: status.description,
    target_url: status.targetUrl,
    context: status.context,
    created_at: iso(status.createdAt),
    updated_at: iso(status.createdAt),
    creator: buildSimpleUser(links, status.creator),
  };
}

export function buildSimpleCommitStatus(
  links: Links,
  status: CommitStatusRecord,
): Schemas['simple-commit-status'] {
  const full = buildCommitStatus(links, status);
  return {
    description: full.description,
    id: full.id,
    node_id: full.node_id,
    state: full.state,
    context: full.context,
    target_url: full.target_url,
    required: false,
    avatar_url: full.avatar_url,
    url: full.url,
    created_at: full.created_at,
    updated_at: full.updated_at,
  };
}

export function buildDeployment(
  links: Links,
  repository: RepositoryRecord,
  deployment: DeploymentRecord,
  app: AppRecord,
): Schemas['deployment'] {
  const url = `${links.api}/repos/${repository.fullName}/deployments/${deployment.id}`;
  return {
    url,
    id: deployment.id,
    node_id: nodeId('Deployment', deployment.id),
    sha: deployment.sha,
    ref: deployment.ref,
    task: deployment.task,
    payload: typeof deployment.payload === 'string' ? deployment.payload : { ...deployment.payload },
    original_environment: deployment.originalEnvironment,
    environment: deployment.environment,
    description: deployment.description,
    creator: deployment.creator ? buildSimpleUser(links, deployment.creator) : null,
    created_at: iso(deployment.createdAt),
    updated_at: iso(deployment.updatedAt),
    statuses_url: `${url}/statuses`,
    repository_url: `${links.api}/repos/${repository.fullName}`,
    transient_environment: deployment.transient,
    production_environment: deployment.production,
    performed_via_github_app: deployment.viaApp ? buildIntegration(links, app) : null,
  };
}

export function buildDeploymentStatus(
  links: Links,
  repository: RepositoryRecord,
  status: DeploymentStatusRecord,
  app: AppRecord,
): Schemas['deployment-status'] {
  const deploymentUrl = `${links.api}/repos/${repository.fullName}/deployments/${status.deploymentId}`;
  return {
    url: `${deploymentUrl}/statuses/${status.id}`,
    id: status.id,
    node_id: nodeId('DeploymentStatus', status.id),
    state: status.state,
    creator: status.creator ? buildSimpleUser(links, status.creator) : null,
    description: status.description,
    environment: status.environment,
    target_url: status.targetUrl,
    created_at: iso(status.createdAt),
    updated_at: iso(status.createdAt),
    deployment_url: deploymentUrl,
    repository_url: `${links.api}/repos/${repository.fullName}`,
    environment_url: status.environmentUrl,
    log_url: status.logUrl,
    performed_via_github_app: status.viaApp ? buildIntegration(links, app) : null,
  };
}

export function buildCheckRun(
  links: Links,
  repository: RepositoryRecord,
  run: CheckRunRecord,
  app: AppRecord,
): Schemas['check-run'] {
  const url = `${links.api}/repos/${repository.fullName}/check-runs/${run.id}`;
  const pulls = [...repository.pulls.values()].filter(
    (pull) => pull.state === 'open' && headSha(repository, pull) === run.headSha,
  );
  return {
    id: run.id,
    head_sha: run.headSha,
    node_id: nodeId('CheckRun', run.id),
    external_id: run.externalId,
    url,
    html_url: `${links.web}/${repository.fullName}/runs/${run.id}`,
    details_url: run.detailsUrl ?? `${links.web}/${repository.fullName}/runs/${run.id}`,
    status: run.status,
    conclusion: run.conclusion as Schemas['check-run']['conclusion'],
    started_at: run.startedAt ? iso(run.startedAt) : null,
    completed_at: run.completedAt ? iso(run.completedAt) : null,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: run.output.annotations.length,
      annotations_url: `${url}/annotations`,
    },
    name: run.name,
    check_suite: { id: run.checkSuiteId },
    app: run.viaApp ? buildIntegration(links, app) : null,
    pull_requests: pulls.map((pull) => buildPullRequestMinimal(links, repository, pull)),
  };
}

/** The current head commit of a pull request: its branch's head while the branch exists. */
export function headSha(repository: RepositoryRecord, pull: PullRequestRecord): string {
  return repository.refs.get(`refs/heads/${pull.head.ref}`) ?? pull.head.sha;
}

function buildPullRequestMinimal(
  links: Links,
  repository: RepositoryRecord,
  pull: PullRequestRecord,
): Schemas['pull-request-minimal'] {
  const repo = { id: repository.id, url: `${links.api}/repos/${repository.fullName}`, name: repository.name };
  const baseSha = repository.refs.get(`refs/heads/${pull.base.ref}`) ?? pull.base.sha;
  return {
    id: pull.id,
    number: pull.number,
    url: `${links.api}/repos/${repository.fullName}/pulls/${pull.number}`,
    head: { ref: pull.head.ref, sha: headSha(repository, pull), repo },
    base: { ref: pull.base.ref, sha: baseSha, repo },
  };
}

export interface PullRequestChanges {
  readonly commits: number;
  readonly additions: number;
  readonly deletions: number;
  readonly changedFiles: number;
}

export function buildPullRequest(
  links: Links,
  repository: RepositoryRecord,
  pull: PullRequestRecord,
  changes: PullRequestChanges,
  comments: number,
  association: Schemas['author-association'],
): Schemas['pull-request'] {
  const api = `${links.api}/repos/${repository.fullName}`;
  const url = `${api}/pulls/${pull.number}`;
  const html = `${links.web}/${repository.fullName}/pull/${pull.number}`;
  const side = (ref: string, sha: string, from: RepositoryRecord = repository) => ({
    label: `${from.owner.login}:${ref}`,
    ref,
    sha,
    user: buildSimpleUser(links, from.owner),
    repo: buildRepository(links, from),
  });
  const merged = pull.mergedAt !== null;
  return {
    url,
    id: pull.id,
    node_id: nodeId('PullRequest', pull.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${pull.number}`,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${pull.number}/comments`,
    statuses_url: `${api}/statuses/${headSha(repository, pull)}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user: buildSimpleUser(links, pull.user),
    body: pull.body,
    labels: pull.labels.map((name, index) => ({
      id: repository.id * 100 + index,
      node_id: nodeId('Label', `${repository.id}:${name}`),
      url: `${api}/labels/${encodeURIComponent(name)}`,
      name,
      description: null,
      color: 'ededed',
      default: false,
    })),
    milestone: null,
    active_lock_reason: null,
    created_at: iso(pull.createdAt),
    updated_at: iso(pull.mergedAt ?? pull.createdAt),
    closed_at: pull.state === 'closed' ? iso(pull.mergedAt ?? pull.createdAt) : null,
    merged_at: pull.mergedAt ? iso(pull.mergedAt) : null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: side(pull.head.ref, headSha(repository, pull), pull.head.fork),
    base: side(pull.base.ref, repository.refs.get(`refs/heads/${pull.base.ref}`) ?? pull.base.sha),
    _links: {
      comments: { href: `${api}/issues/${pull.number}/comments` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${api}/statuses/${headSha(repository, pull)}` },
      html: { href: html },
      issue: { href: `${api}/issues/${pull.number}` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      self: { href: url },
    },
    author_association: association,
    auto_merge: null,
    draft: pull.draft,
    merged,
    mergeable: merged ? null : true,
    rebaseable: merged ? null : true,
    mergeable_state: merged ? 'unknown' : 'clean',
    merged_by: null,
    comments,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: changes.commits,
    additions: changes.additions,
    deletions: changes.deletions,
    changed_files: changes.changedFiles,
  };
}

export function buildReactionRollup(
  links: Links,
  repository: RepositoryRecord,
  commentId: number,
): Schemas['reaction-rollup'] {
  const reactions = repository.reactions.filter((r) => r.commentId === commentId);
  const count = (content: ReactionRecord['content']): number =>
    reactions.filter((r) => r.content === content).length;
  return {
    url: `${links.api}/repos/${repository.fullName}/issues/comments/${commentId}/reactions`,
    total_count: reactions.length,
    '+1': count('+1'),
    '-1': count('-1'),
    laugh: count('laugh'),
    confused: count('confused'),
    heart: count('heart'),
    hooray: count('hooray'),
    eyes: count('eyes'),
    rocket: count('rocket'),
  };
}

export function buildIssueComment(
  links: Links,
  repository: RepositoryRecord,
  comment: IssueCommentRecord,
  association: Schemas['author-association'],
  app: AppRecord,
): Schemas['issue-comment'] {
  const api = `${links.api}/repos/${repository.fullName}`;
  const kind = repository.pulls.has(comment.issueNumber) ? 'pull' : 'issues';
  return {
    id: comment.id,
    node_id: nodeId('IssueComment', comment.id),
    url: `${api}/issues/comments/${comment.id}`,
    body: comment.body,
    html_url: `${links.web}/${repository.fullName}/${kind}/${comment.issueNumber}#issuecomment-${comment.id}`,
    user: buildSimpleUser(links, comment.user),
    created_at: iso(comment.createdAt),
    updated_at: iso(comment.updatedAt),
    issue_url: `${api}/issues/${comment.issueNumber}`,
    author_association: association,
    performed_via_github_app: comment.viaApp
      ? buildIntegration(links, app)
      : comment.otherApp === undefined
        ? null
        : buildIntegration(links, comment.otherApp),
    reactions: buildReactionRollup(links, repository, comment.id),
  };
}

export function buildReaction(links: Links, reaction: ReactionRecord): Schemas['reaction'] {
  return {
    id: reaction.id,
    node_id: nodeId('Reaction', reaction.id),
    user: buildSimpleUser(links, reaction.user),
    content: reaction.content,
    created_at: iso(reaction.createdAt),
  };
}

export function buildRelease(
  links: Links,
  repository: RepositoryRecord,
  release: ReleaseRecord,
): Schemas['release'] {
  const api = `${links.api}/repos/${repository.fullName}`;
  const tag = release.draft ? `untagged-${release.id}` : release.tagName;
  return {
    url: `${api}/releases/${release.id}`,
    html_url: `${links.web}/${repository.fullName}/releases/tag/${tag}`,
    assets_url: `${api}/releases/${release.id}/assets`,
    upload_url: `https://uploads.github.com/repos/${repository.fullName}/releases/${release.id}/assets{?name,label}`,
    tarball_url: release.draft ? null : `${api}/tarball/${release.tagName}`,
    zipball_url: release.draft ? null : `${api}/zipball/${release.tagName}`,
    id: release.id,
    node_id: nodeId('Release', release.id),
    tag_name: release.tagName,
    target_commitish: release.targetCommitish,
    name: release.name,
    body: release.body,
    draft: release.draft,
    prerelease: release.prerelease,
    immutable: false,
    created_at: iso(release.createdAt),
    published_at: release.publishedAt ? iso(release.publishedAt) : null,
    updated_at: iso(release.publishedAt ?? release.createdAt),
    author: buildSimpleUser(links, release.author),
    assets: [],
  };
}

export function buildEnvironment(
  links: Links,
  repository: RepositoryRecord,
  environment: EnvironmentRecord,
): Schemas['environment'] {
  const rules: NonNullable<Schemas['environment']['protection_rules']> = [];
  const ruleId = (kind: number): number => environment.id * 10 + kind;
  if (environment.waitTimer !== null) {
    rules.push({
      id: ruleId(1),
      node_id: nodeId('ProtectionRule', ruleId(1)),
      type: 'wait_timer',
      wait_timer: environment.waitTimer,
    });
  }
  if (environment.reviewers.length > 0) {
    rules.push({
      id: ruleId(2),
      node_id: nodeId('ProtectionRule', ruleId(2)),
      prevent_self_review: environment.preventSelfReview,
      type: 'required_reviewers',
      reviewers: environment.reviewers.map((account) => ({
        type: 'User',
        reviewer: buildSimpleUser(links, account),
      })),
    });
  }
  if (environment.deploymentBranchPolicy !== null) {
    rules.push({ id: ruleId(3), node_id: nodeId('ProtectionRule', ruleId(3)), type: 'branch_policy' });
  }
  return {
    id: environment.id,
    node_id: nodeId('Environment', environment.id),
    name: environment.name,
    url: `${links.api}/repos/${repository.fullName}/environments/${encodeURIComponent(environment.name)}`,
    html_url: `${links.web}/${repository.fullName}/deployments/activity_log?environments_filter=${encodeURIComponent(environment.name)}`,
    created_at: iso(environment.createdAt),
    updated_at: iso(environment.updatedAt),
    protection_rules: rules,
    deployment_branch_policy: environment.deploymentBranchPolicy,
  };
}
