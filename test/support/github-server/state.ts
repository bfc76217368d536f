/**
 * The test server's in-memory GitHub: accounts, the App and its installations, repositories with a
 * real commit graph (each commit holds its full file tree), refs, statuses, pull requests, releases,
 * environments, and what the API creates (deployments, check runs, comments, reactions). Tests seed
 * it through the `add*` methods and read it back to assert on the outcome.
 */
import { createHash } from 'node:crypto';
import { protectionRuleEvent } from '../protection-rule-event.ts';

export type AccountType = 'User' | 'Organization' | 'Bot';

export interface Account {
  readonly login: string;
  readonly id: number;
  readonly type: AccountType;
  readonly name: string | null;
  readonly email: string | null;
}

/** Repository roles; the REST `permission` field folds them into admin, write and read. */
export type RepositoryRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read';

export interface AppRecord {
  readonly id: number;
  readonly slug: string;
  readonly name: string;
  readonly clientId: string;
  /** The App's OAuth client secret, which `POST /login/oauth/access_token` checks. */
  readonly clientSecret: string;
  readonly owner: Account;
  /** The `<slug>[bot]` account the App acts as with an installation token. */
  readonly bot: Account;
  readonly permissions: Readonly<Record<string, 'read' | 'write'>>;
  readonly events: readonly string[];
  readonly createdAt: Date;
}

export interface InstallationRecord {
  readonly id: number;
  readonly account: Account;
  readonly createdAt: Date;
  /** Lower-cased `owner/name`s the installation was given; undefined: all of the account's repositories. */
  readonly repositories: ReadonlySet<string> | undefined;
  /**
   * The permissions the account granted; undefined: the App's. An installation keeps what it
   * granted until an owner accepts the App's request for more, so it can lack a permission the App
   * now asks for (https://docs.github.com/apps/using-github-apps/approving-updated-permissions-for-a-github-app).
   */
  readonly permissions?: Readonly<Record<string, 'read' | 'write'>>;
}

/** An issued installation token: its installation, and the repositories it may reach. */
export interface InstallationToken {
  readonly installation: InstallationRecord;
  /** Lower-cased `owner/name`s; undefined: every repository of the installation. */
  readonly repositories: ReadonlySet<string> | undefined;
}

/** Who a request acts as, from its `Authorization` header. */
export type Actor =
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'user';
      readonly account: Account;
      /** A user access token (`ghu_…`) issued through the App's OAuth web flow, not a PAT. */
      readonly viaApp?: boolean;
    }
  | { readonly kind: 'app' }
  | {
      readonly kind: 'installation';
      readonly installation: InstallationRecord;
      readonly account: Account;
      /** Lower-cased `owner/name`s the token reaches; undefined: every repository of the installation. */
      readonly repositories: ReadonlySet<string> | undefined;
    };

export interface GitSignature {
  readonly name: string;
  readonly email: string;
  readonly date: Date;
}

export interface CommitRecord {
  readonly sha: string;
  readonly parents: readonly string[];
  readonly message: string;
  readonly author: GitSignature;
  /** The GitHub account of the author, when it has one. */
  readonly authorAccount: Account | null;
  /** Every file of the commit, path → content. */
  readonly tree: ReadonlyMap<string, string>;
}

export type CommitState = 'error' | 'failure' | 'pending' | 'success';

export interface CommitStatusRecord {
  readonly id: number;
  readonly sha: string;
  readonly context: string;
  readonly state: CommitState;
  readonly description: string | null;
  readonly targetUrl: string | null;
  readonly creator: Account;
  readonly createdAt: Date;
}

export interface IssueRecord {
  readonly number: number;
  readonly id: number;
  readonly title: string;
  readonly user: Account;
}

export interface PullRequestRecord extends IssueRecord {
  readonly body: string | null;
  readonly state: 'open' | 'closed';
  readonly draft: boolean;
  /** `fork`: the repository the head branch lives in, when the pull request comes from a fork. */
  readonly head: { readonly ref: string; readonly sha: string; readonly fork?: RepositoryRecord };
  readonly base: { readonly ref: string; readonly sha: string };
  readonly mergedAt: Date | null;
  readonly createdAt: Date;
  readonly labels: readonly string[];
}

export interface ReleaseRecord {
  readonly id: number;
  readonly tagName: string;
  readonly targetCommitish: string;
  readonly name: string | null;
  readonly body: string | null;
  readonly draft: boolean;
  readonly prerelease: boolean;
  readonly author: Account;
  readonly createdAt: Date;
  readonly publishedAt: Date | null;
}

export interface EnvironmentRecord {
  readonly id: number;
  readonly name: string;
  createdAt: Date;
  updatedAt: Date;
  waitTimer: number | null;
  preventSelfReview: boolean;
  reviewers: Account[];
  deploymentBranchPolicy: { protected_branches: boolean; custom_branch_policies: boolean } | null;
}

export type DeploymentState =
  'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';

export interface DeploymentStatusRecord {
  readonly id: number;
  readonly deploymentId: number;
  readonly state: DeploymentState;
  readonly description: string;
  readonly environment: string;
  readonly targetUrl: string;
  readonly logUrl: string;
  readonly environmentUrl: string;
  readonly creator: Account | null;
  readonly viaApp: boolean;
  readonly createdAt: Date;
}

export interface DeploymentRecord {
  readonly id: number;
  readonly sha: string;
  readonly ref: string;
  readonly task: string;
  readonly payload: Readonly<Record<string, unknown>> | string;
  readonly originalEnvironment: string;
  environment: string;
  readonly description: string | null;
  readonly creator: Account | null;
  readonly viaApp: boolean;
  readonly transient: boolean;
  readonly production: boolean;
  readonly createdAt: Date;
  updatedAt: Date;
  /** Oldest first. */
  readonly statuses: DeploymentStatusRecord[];
}

/**
 * `waiting`, `requested` and `pending` are "reserved for GitHub Actions check runs" (GitHub's
 * OpenAPI description, `check-run.status`): a job held by its environment's protection rules waits.
 */
export type CheckStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';

export interface CheckRunRecord {
  readonly id: number;
  readonly headSha: string;
  readonly checkSuiteId: number;
  readonly viaApp: boolean;
  name: string;
  externalId: string;
  detailsUrl: string | null;
  status: CheckStatus;
  conclusion: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
  output: { title: string | null; summary: string | null; text: string | null; annotations: unknown[] };
  actions: { label: string; description: string; identifier: string }[];
}

export interface IssueCommentRecord {
  readonly id: number;
  readonly issueNumber: number;
  body: string;
  readonly user: Account;
  readonly viaApp: boolean;
  /** Another App's comment (its `performed_via_github_app`), posted by its bot. */
  readonly otherApp?: AppRecord;
  readonly createdAt: Date;
  updatedAt: Date;
}

export type ReactionContent = '+1' | '-1' | 'laugh' | 'confused' | 'heart' | 'hooray' | 'rocket' | 'eyes';

export interface ReactionRecord {
  readonly id: number;
  readonly commentId: number;
  readonly content: ReactionContent;
  readonly user: Account;
  readonly createdAt: Date;
}

/**
 * A repository ruleset's restriction on branches or tags
 * (https://docs.github.com/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/available-rules-for-rulesets).
 * Rulesets target branches and tags only: refs in other namespaces are outside their reach.
 */
export interface RulesetRecord {
  readonly name: string;
  readonly target: 'branch' | 'tag';
  /** Full ref names matched with fnmatch-style `*` (not across `/`) and `**`, or `~ALL`. */
  readonly include: readonly string[];
  readonly rules: readonly ('creation' | 'update' | 'deletion' | 'non_fast_forward')[];
}

/**
 * A webhook GitHub would send for a ref written through the API: `create` and `push` when a
 * branch or tag appears, `push` when it moves, `delete` when it goes. GitHub sends `create` and
 * `delete` only for branches and tags (https://docs.github.com/webhooks/webhook-events-and-payloads#create);
 * the test server records no event for refs in other namespaces, so a test can prove none fired.
 */
export interface RefEvent {
  readonly event: 'create' | 'push' | 'delete';
  readonly ref: string;
  readonly refType: 'branch' | 'tag';
  /** The commit the ref points at afterwards; null for `delete`. */
  readonly sha: string | null;
  readonly actor: string;
}

export type TeamRole = 'member' | 'maintainer';
export type TeamMembershipState = 'active' | 'pending';

export interface TeamMemberSeed {
  readonly login: string;
  /** `member` by default. */
  readonly role?: TeamRole;
  /** `active` by default; `pending`: invited, not yet accepted. */
  readonly state?: TeamMembershipState;
}

export interface TeamMembershipRecord {
  readonly account: Account;
  readonly role: TeamRole;
  readonly state: TeamMembershipState;
}

export interface TeamRecord {
  readonly id: number;
  readonly org: Account;
  readonly slug: string;
  /** By lower-cased login. */
  readonly members: Map<string, TeamMembershipRecord>;
}

/** What a custom deployment protection rule has been told for one environment of a run. */
export type ProtectionRuleState = 'waiting' | 'approved' | 'rejected';

export interface ProtectionRuleRecord {
  readonly environment: string;
  /** The Deployment GitHub created for the job that names the environment. */
  readonly deploymentId: number;
  state: ProtectionRuleState;
  /** The comment of the answer; null while waiting. */
  comment: string | null;
  /** Status reports (posts without `state`), oldest first. */
  readonly reports: string[];
}

/**
 * A workflow run with jobs that name `environment:` where Rollgate is enabled as a custom
 * deployment protection rule: each such environment waits for the App's answer.
 */
export interface WorkflowRunRecord {
  readonly id: number;
  readonly headSha: string;
  readonly headBranch: string;
  /** The event that started the run (`push`, `pull_request`, `workflow_dispatch`, …). */
  readonly event: string;
  readonly actor: Account;
  /** `waiting` while a rule is unanswered; `queued` once every rule approved; `completed` after a rejection. */
  status: 'waiting' | 'queued' | 'completed';
  conclusion: 'failure' | null;
  readonly rules: ProtectionRuleRecord[];
}

export interface ProtectionRuleSeed {
  /** The environment the job names. */
  readonly environment: string;
  /** The commit the run is for; the head of `ref` by default. */
  readonly sha?: string;
  /** The branch (or tag) the run is for; the default branch by default. */
  readonly ref?: string;
  /** `push` by default. */
  readonly event?: string;
  /** Who started the run (and the Deployment's creator); the viewer by default. */
  readonly actor?: string;
  /** Another job of an existing run (its id), instead of a new run. */
  readonly runId?: number;
}

/** What the App answered a run's rule, as `state.protectionRuleOf` reads it. */
export interface ProtectionRuleView {
  readonly state: ProtectionRuleState;
  readonly comment: string | null;
  readonly reports: readonly string[];
}

export interface RepositoryRecord {
  readonly id: number;
  readonly owner: Account;
  readonly name: string;
  readonly fullName: string;
  readonly private: boolean;
  readonly description: string | null;
  readonly defaultBranch: string;
  readonly createdAt: Date;
  readonly collaborators: Map<string, RepositoryRole>;
  /** A collaborator's custom repository role, by login: its name, over the base role in `collaborators`. */
  readonly customRoles: Map<string, string>;
  /** Full ref names (`refs/heads/main`, `refs/tags/v1.0.0`) → commit SHA. */
  readonly refs: Map<string, string>;
  readonly commits: Map<string, CommitRecord>;
  /** Blobs created through `POST /git/blobs`, by SHA (files of commits are found through their trees). */
  readonly blobs: Map<string, string>;
  /** Trees created through `POST /git/trees`, by SHA: path → content, as commits hold theirs. */
  readonly trees: Map<string, ReadonlyMap<string, string>>;
  readonly rulesets: RulesetRecord[];
  /** Webhook-worthy ref changes made through the API, oldest first. */
  readonly refEvents: RefEvent[];
  readonly statuses: CommitStatusRecord[];
  readonly issues: Map<number, IssueRecord>;
  readonly pulls: Map<number, PullRequestRecord>;
  readonly releases: ReleaseRecord[];
  readonly environments: Map<string, EnvironmentRecord>;
  readonly deployments: Map<number, DeploymentRecord>;
  readonly checkRuns: Map<number, CheckRunRecord>;
  readonly comments: Map<number, IssueCommentRecord>;
  readonly reactions: ReactionRecord[];
  readonly workflowRuns: Map<number, WorkflowRunRecord>;
}

export interface RepositorySeed {
  readonly private?: boolean;
  readonly description?: string;
  readonly defaultBranch?: string;
  /** The owner's account type when the owner is new; an organization by default. */
  readonly ownerType?: 'User' | 'Organization';
  /** Files of the initial commit; a README by default. */
  readonly files?: Readonly<Record<string, string>>;
  /** Install the App on the owner (default true). */
  readonly installApp?: boolean;
}

export interface CommitSeed {
  /** The branch the commit lands on (created from the default branch when new); the default branch by default. */
  readonly branch?: string;
  readonly message?: string;
  /** Files to add or change; `null` deletes a file. */
  readonly files?: Readonly<Record<string, string | null>>;
  /** Parent SHAs; the branch head by default. */
  readonly parents?: readonly string[];
  readonly author?: string;
  readonly date?: Date;
}

export interface PullRequestSeed {
  /** The head branch; it must exist (see `addCommit`). */
  readonly head: string;
  readonly base?: string;
  readonly title?: string;
  readonly body?: string;
  readonly user?: string;
  readonly draft?: boolean;
  readonly state?: 'open' | 'closed';
  readonly merged?: boolean;
  readonly labels?: readonly string[];
  /** A fork (`owner/name`, seeded with addRepository) the pull request comes from; its head commit is `head` here. */
  readonly fork?: string;
}

export interface ReleaseSeed {
  readonly tag: string;
  readonly name?: string;
  readonly body?: string;
  readonly draft?: boolean;
  readonly prerelease?: boolean;
  /** Branch or SHA the tag is created at when it does not exist; the default branch by default. */
  readonly target?: string;
  readonly author?: string;
  readonly createdAt?: Date;
}

export interface EnvironmentSeed {
  readonly waitTimer?: number;
  readonly reviewers?: readonly string[];
  readonly preventSelfReview?: boolean;
  readonly deploymentBranchPolicy?: { protected_branches: boolean; custom_branch_policies: boolean };
}

export interface AppSeed {
  readonly id?: number;
  readonly slug?: string;
  readonly name?: string;
  readonly owner?: string;
}

export interface StateOptions {
  /** The user that tokens other than installation tokens and JWTs act as; `octocat` by default. */
  readonly viewer?: string;
  readonly app?: AppSeed;
  /** The clock for every timestamp; the real one by default. */
  readonly now?: () => Date;
}

/** The whole in-memory GitHub of one test server. */
export class GitHubState {
  readonly now: () => Date;
  readonly app: AppRecord;
  readonly viewer: Account;
  readonly installations = new Map<number, InstallationRecord>();
  readonly #accounts = new Map<string, Account>();
  readonly #repositories = new Map<string, RepositoryRecord>();
  readonly #tokens = new Map<string, InstallationToken>();
  /** User access tokens (`ghu_…`) the OAuth web flow issued, and whom they act as. */
  readonly #userTokens = new Map<string, Account>();
  /** OAuth codes not yet exchanged: whom they authorize, for which redirect URI. */
  readonly #oauthCodes = new Map<string, { account: Account; redirectUri: string | undefined }>();
  /** Who signs in when a browser reaches `/login/oauth/authorize`; the viewer unless a test says. */
  #authorizing: Account | undefined;
  readonly #teams = new Map<string, TeamRecord>();
  /**
   * Where objects point: this server's URL (set once it listens) and the web UI. Webhook payloads
   * built from the state (`requestProtectionRule`) need it, as GitHub's point at api.github.com.
   */
  readonly links: { api: string; web: string } = { api: '', web: 'https://github.com' };
  #nextId = 1000;

  constructor(options: StateOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.viewer = this.user(options.viewer ?? 'octocat');
    this.app = this.#appRecord(options.app ?? {});
  }

  /** Another GitHub App, as one more installed on the same repositories (a second bot). */
  otherApp(seed: AppSeed & { readonly slug: string }): AppRecord {
    return this.#appRecord({ id: seed.id ?? this.nextId(), ...seed });
  }

  #appRecord(seed: AppSeed): AppRecord {
    const slug = seed.slug ?? 'rollgate';
    return {
      id: seed.id ?? 424242,
      slug,
      name: seed.name ?? (seed.slug === undefined ? 'Rollgate' : slug),
      clientId: `Iv23li${slug.replace(/[^a-z0-9]/gi, '').slice(0, 8)}test`,
      clientSecret: `${slug.replace(/[^a-z0-9]/gi, '')}-client-secret`,
      owner: this.#account(seed.owner ?? 'octo-org', 'Organization'),
      bot: this.#account(`${slug}[bot]`, 'Bot'),
      permissions: {
        checks: 'write',
        contents: 'write',
        deployments: 'write',
        issues: 'write',
        members: 'read',
        metadata: 'read',
        pull_requests: 'write',
        statuses: 'write',
      },
      events: ['check_run', 'deployment', 'deployment_status', 'issue_comment', 'pull_request'],
      createdAt: this.now(),
    };
  }

  /** A fresh id, unique across every kind of object of this server. */
  nextId(): number {
    return this.#nextId++;
  }

  /** The user `login`, created on first mention. */
  user(login: string): Account {
    return this.#account(login, 'User');
  }

  /** Every account known to the server, by id. */
  accountById(id: number): Account | undefined {
    return [...this.#accounts.values()].find((account) => account.id === id);
  }

  accountByLogin(login: string): Account | undefined {
    return this.#accounts.get(login.toLowerCase());
  }

  #account(login: string, type: AccountType): Account {
    const known = this.#accounts.get(login.toLowerCase());
    if (known) return known;
    const name = type === 'Bot' ? null : login.replace(/[-_]/g, ' ');
    const account: Account = { login, id: this.nextId(), type, name, email: null };
    this.#accounts.set(login.toLowerCase(), account);
    return account;
  }

  /**
   * Installs the App on an account (idempotent) and returns the installation; `repositories`
   * (names without the owner) limits it to those, as "Only select repositories" does.
   */
  installApp(
    login: string,
    options: {
      repositories?: readonly string[];
      /** What the account granted, when not every permission the App asks for. */
      permissions?: Readonly<Record<string, 'read' | 'write'>>;
    } = {},
  ): InstallationRecord {
    const account = this.#accounts.get(login.toLowerCase()) ?? this.#account(login, 'Organization');
    const known = [...this.installations.values()].find((i) => i.account.id === account.id);
    if (known && options.repositories === undefined && options.permissions === undefined) return known;
    const permissions = options.permissions ?? known?.permissions;
    const installation: InstallationRecord = {
      id: known?.id ?? this.nextId(),
      account,
      createdAt: known?.createdAt ?? this.now(),
      repositories:
        options.repositories === undefined
          ? known?.repositories
          : new Set(options.repositories.map((name) => `${account.login}/${name}`.toLowerCase())),
      ...(permissions === undefined ? {} : { permissions: { ...permissions } }),
    };
    this.installations.set(installation.id, installation);
    return installation;
  }

  /**
   * Issues an installation access token (`ghs_…`) as `POST /app/installations/{id}/access_tokens`
   * does; `repositories` (names without the owner) narrows it to those.
   */
  issueInstallationToken(installation: InstallationRecord, repositories?: readonly string[]): string {
    const token = `ghs_${createHash('sha256').update(`${installation.id}:${this.nextId()}`).digest('hex').slice(0, 36)}`;
    const narrowed =
      repositories === undefined
        ? installation.repositories
        : new Set(repositories.map((name) => `${installation.account.login}/${name}`.toLowerCase()));
    this.#tokens.set(token, { installation, repositories: narrowed });
    return token;
  }

  /** The user who authorizes the App at the next `/login/oauth/authorize` (a test's choice of browser user). */
  authorizeAs(login: string): Account {
    this.#authorizing = this.user(login);
    return this.#authorizing;
  }

  /** The user `/login/oauth/authorize` signs in: the one `authorizeAs` chose, else the viewer. */
  authorizingUser(): Account {
    return this.#authorizing ?? this.viewer;
  }

  /** A one-time OAuth code for `account`, bound to the redirect URI it was issued for. */
  issueOAuthCode(account: Account, redirectUri: string | undefined): string {
    const code = createHash('sha256')
      .update(`code:${account.id}:${this.nextId()}`)
      .digest('hex')
      .slice(0, 20);
    this.#oauthCodes.set(code, { account, redirectUri });
    return code;
  }

  /** Takes an OAuth code (each is good once, as GitHub's are); undefined when unknown or used. */
  takeOAuthCode(code: string): { account: Account; redirectUri: string | undefined } | undefined {
    const grant = this.#oauthCodes.get(code);
    this.#oauthCodes.delete(code);
    return grant;
  }

  /** Issues a user access token (`ghu_…`, GitHub's prefix for them) that acts as `login`. */
  issueUserToken(login: string): string {
    const account = this.user(login);
    const token = `ghu_${createHash('sha256').update(`user:${account.id}:${this.nextId()}`).digest('hex').slice(0, 36)}`;
    this.#userTokens.set(token, account);
    return token;
  }

  /**
   * Whether `account` has explicit permission on a repository — owns it or collaborates on it —
   * which is what `GET /user/installations/{id}/repositories` lists
   * (https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-user-access-token).
   */
  userCanRead(account: Account, repository: RepositoryRecord): boolean {
    return repository.owner.id === account.id || repository.collaborators.has(account.login.toLowerCase());
  }

  /** Every repository, in the order they were added. */
  allRepositories(): RepositoryRecord[] {
    return [...this.#repositories.values()];
  }

  /**
   * Whether an installation token reaches a repository: one of its installation's account, and of
   * the selected repositories when there is a selection. Others look like they do not exist
   * (private) or are read-only (public), as on GitHub.
   */
  tokenReaches(actor: Extract<Actor, { kind: 'installation' }>, repository: RepositoryRecord): boolean {
    if (repository.owner.id !== actor.installation.account.id) return false;
    const scope = actor.repositories ?? actor.installation.repositories;
    return scope === undefined || scope.has(repository.fullName.toLowerCase());
  }

  /**
   * Who an `Authorization` header acts as: a JWT (three dot-separated parts) is the App, an issued
   * installation token its installation (`<slug>[bot]`), an issued user access token its user, any
   * other token the viewer.
   */
  actorFor(authorization: string | undefined): Actor {
    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) return { kind: 'anonymous' };
    if (/^[\w-]+\.[\w-]+\.[\w-]*$/.test(token)) return { kind: 'app' };
    const issued = this.#tokens.get(token);
    if (issued) {
      return {
        kind: 'installation',
        installation: this.installations.get(issued.installation.id) ?? issued.installation,
        account: this.app.bot,
        repositories: issued.repositories,
      };
    }
    const user = this.#userTokens.get(token);
    if (user) return { kind: 'user', account: user, viaApp: true };
    return { kind: 'user', account: this.viewer };
  }

  /** What an installation may do: what its account granted, else everything the App asks for. */
  installationPermissions(installation: InstallationRecord): Readonly<Record<string, 'read' | 'write'>> {
    return installation.permissions ?? this.app.permissions;
  }

  /**
   * Seeds the team `org/slug` (replacing one of that name) with its members: active members unless
   * `state: 'pending'` (invited, not yet accepted), `member` unless `role: 'maintainer'`.
   */
  addTeam(org: string, slug: string, members: readonly TeamMemberSeed[] = []): TeamRecord {
    const account = this.#accounts.get(org.toLowerCase()) ?? this.#account(org, 'Organization');
    const known = this.#teams.get(`${account.login}/${slug}`.toLowerCase());
    const team: TeamRecord = { id: known?.id ?? this.nextId(), org: account, slug, members: new Map() };
    for (const member of members) {
      const user = this.user(member.login);
      team.members.set(user.login.toLowerCase(), {
        account: user,
        role: member.role ?? 'member',
        state: member.state ?? 'active',
      });
    }
    this.#teams.set(`${account.login}/${slug}`.toLowerCase(), team);
    return team;
  }

  /** The team `org/slug` (case-insensitive), if seeded. */
  team(org: string, slug: string): TeamRecord | undefined {
    return this.#teams.get(`${org}/${slug}`.toLowerCase());
  }

  /**
   * A workflow job that names `environment:` reaches an environment where Rollgate is enabled as a
   * custom deployment protection rule: GitHub creates the job's Deployment itself (no payload of
   * ours, created by the run's actor, task `deploy`, description null — as cli/cli#5541 shows one)
   * and sends the App `deployment_protection_rule.requested`. Returns that event's payload, checked
   * against GitHub's webhook schema; its `deployment_callback_url` points at this server.
   */
  requestProtectionRule(fullName: string, seed: ProtectionRuleSeed): Record<string, unknown> {
    const repository = this.seeded(fullName);
    const ref = seed.ref ?? repository.defaultBranch;
    const sha = seed.sha ?? this.resolveRef(repository, ref);
    if (sha === undefined || !repository.commits.has(sha)) {
      throw new Error(`no commit '${seed.sha ?? ref}' in ${fullName}: seed it with addCommit first`);
    }
    const actor = this.user(seed.actor ?? this.viewer.login);
    const known = seed.runId === undefined ? undefined : repository.workflowRuns.get(seed.runId);
    if (seed.runId !== undefined && !known) throw new Error(`no workflow run ${seed.runId} in ${fullName}`);
    const run: WorkflowRunRecord = known ?? {
      id: this.nextId(),
      headSha: sha,
      headBranch: ref,
      event: seed.event ?? 'push',
      actor,
      status: 'waiting',
      conclusion: null,
      rules: [],
    };
    repository.workflowRuns.set(run.id, run);
    this.environment(repository, seed.environment);
    const now = this.now();
    const deployment: DeploymentRecord = {
      id: this.nextId(),
      sha: run.headSha,
      ref: run.headBranch,
      task: 'deploy',
      payload: {},
      originalEnvironment: seed.environment,
      environment: seed.environment,
      description: null,
      creator: run.actor,
      viaApp: false,
      transient: false,
      production: seed.environment.toLowerCase() === 'production',
      createdAt: now,
      updatedAt: now,
      statuses: [],
    };
    repository.deployments.set(deployment.id, deployment);
    const rule: ProtectionRuleRecord = {
      environment: seed.environment,
      deploymentId: deployment.id,
      state: 'waiting',
      comment: null,
      reports: [],
    };
    run.rules.push(rule);
    run.status = 'waiting';
    return protectionRuleEvent(this, repository, run, rule);
  }

  /** The workflow run `runId` of a repository, as `requestProtectionRule` created it. */
  workflowRun(fullName: string, runId: number): WorkflowRunRecord {
    const run = this.seeded(fullName).workflowRuns.get(runId);
    if (!run) throw new Error(`no workflow run ${runId} in ${fullName}: call requestProtectionRule first`);
    return run;
  }

  /**
   * What the App answered the protection rule of a run (its only environment, or `environment`):
   * still `waiting`, `approved` or `rejected` with the answer's comment, and the status reports.
   */
  protectionRuleOf(fullName: string, runId: number, environment?: string): ProtectionRuleView {
    const run = this.workflowRun(fullName, runId);
    const rule =
      environment === undefined
        ? run.rules[0]
        : run.rules.find((r) => r.environment.toLowerCase() === environment.toLowerCase());
    if (!rule) throw new Error(`workflow run ${runId} has no protection rule for '${environment ?? ''}'`);
    return { state: rule.state, comment: rule.comment, reports: [...rule.reports] };
  }

  /** The repository `owner/name` (case-insensitive, as GitHub's routes are). */
  repository(owner: string, name: string): RepositoryRecord | undefined {
    return this.#repositories.get(`${owner}/${name}`.toLowerCase());
  }

  /** The seeded repository `owner/name`; throws for a repository nobody seeded. */
  seeded(fullName: string): RepositoryRecord {
    const repository = this.#repositories.get(fullName.toLowerCase());
    if (!repository) throw new Error(`no repository '${fullName}' was seeded: call addRepository first`);
    return repository;
  }

  /** Seeds a repository with one commit on its default branch, and installs the App on its owner. */
  addRepository(fullName: string, seed: RepositorySeed = {}): RepositoryRecord {
    const [ownerLogin = '', name = ''] = fullName.split('/');
    if (ownerLogin === '' || name === '') throw new Error(`'${fullName}' is not owner/name`);
    const owner =
      this.#accounts.get(ownerLogin.toLowerCase()) ??
      this.#account(ownerLogin, seed.ownerType ?? 'Organization');
    const repository: RepositoryRecord = {
      id: this.nextId(),
      owner,
      name,
      fullName: `${owner.login}/${name}`,
      private: seed.private ?? false,
      description: seed.description ?? null,
      defaultBranch: seed.defaultBranch ?? 'main',
      createdAt: this.now(),
      collaborators: new Map(),
      customRoles: new Map(),
      refs: new Map(),
      commits: new Map(),
      blobs: new Map(),
      trees: new Map(),
      rulesets: [],
      refEvents: [],
      statuses: [],
      issues: new Map(),
      pulls: new Map(),
      releases: [],
      environments: new Map(),
      deployments: new Map(),
      checkRuns: new Map(),
      comments: new Map(),
      reactions: [],
      workflowRuns: new Map(),
    };
    this.#repositories.set(repository.fullName.toLowerCase(), repository);
    this.addCommit(repository.fullName, {
      message: 'Initial commit',
      files: seed.files ?? { 'README.md': `# ${name}\n` },
      parents: [],
    });
    if (seed.installApp !== false) this.installApp(owner.login);
    return repository;
  }

  /** Adds a ruleset that restricts creating, updating or deleting matching branches or tags. */
  addRuleset(fullName: string, ruleset: RulesetRecord): RulesetRecord {
    this.seeded(fullName).rulesets.push(ruleset);
    return ruleset;
  }

  /** Gives `login` a role on the repository. */
  /**
   * Gives `login` a role on the repository; `customRole` names an organization's custom repository
   * role that extends `role` (GitHub then reports the custom name as `role_name`).
   */
  addCollaborator(fullName: string, login: string, role: RepositoryRole, customRole?: string): Account {
    const user = this.user(login);
    const repository = this.seeded(fullName);
    repository.collaborators.set(user.login.toLowerCase(), role);
    if (customRole === undefined) repository.customRoles.delete(user.login.toLowerCase());
    else repository.customRoles.set(user.login.toLowerCase(), customRole);
    return user;
  }

  /** Adds a commit and moves its branch to it; returns the SHA. */
  addCommit(fullName: string, seed: CommitSeed = {}): string {
    const repository = this.seeded(fullName);
    const branch = seed.branch ?? repository.defaultBranch;
    const branchRef = `refs/heads/${branch}`;
    const head =
      repository.refs.get(branchRef) ?? repository.refs.get(`refs/heads/${repository.defaultBranch}`);
    const parents = seed.parents ?? (head === undefined ? [] : [head]);
    const tree = new Map(parents[0] === undefined ? [] : repository.commits.get(parents[0])?.tree);
    for (const [path, content] of Object.entries(seed.files ?? {})) {
      if (content === null) tree.delete(path);
      else tree.set(path, content);
    }
    const message = seed.message ?? `Update ${branch}`;
    const authorLogin = seed.author ?? this.viewer.login;
    const sha = createHash('sha1')
      .update(`${repository.fullName}\n${this.nextId()}\n${parents.join(' ')}\n${message}`)
      .digest('hex');
    repository.commits.set(sha, {
      sha,
      parents,
      message,
      author: {
        name: authorLogin,
        email: `${authorLogin}@users.noreply.github.com`,
        date: seed.date ?? this.now(),
      },
      authorAccount: this.user(authorLogin),
      tree,
    });
    repository.refs.set(branchRef, sha);
    return sha;
  }

  /** Adds (or changes) one file with a commit on `branch`; returns the commit SHA. */
  addFile(fullName: string, path: string, content: string, options: { branch?: string } = {}): string {
    return this.addCommit(fullName, { ...options, message: `Add ${path}`, files: { [path]: content } });
  }

  /** Creates a lightweight tag at a commit (the default branch's head by default). */
  addTag(fullName: string, tag: string, at?: string): string {
    const repository = this.seeded(fullName);
    const sha = this.resolveRef(repository, at ?? repository.defaultBranch);
    if (sha === undefined) throw new Error(`cannot tag '${at ?? repository.defaultBranch}': no such commit`);
    repository.refs.set(`refs/tags/${tag}`, sha);
    return sha;
  }

  /** Adds a commit status (as `POST /statuses/{sha}` would) to the commit `ref` names. */
  addCommitStatus(
    fullName: string,
    ref: string,
    status: { context: string; state: CommitState; description?: string; targetUrl?: string },
  ): CommitStatusRecord {
    const repository = this.seeded(fullName);
    const sha = this.resolveRef(repository, ref);
    if (sha === undefined) throw new Error(`no commit '${ref}' in ${fullName}`);
    const record: CommitStatusRecord = {
      id: this.nextId(),
      sha,
      context: status.context,
      state: status.state,
      description: status.description ?? null,
      targetUrl: status.targetUrl ?? null,
      creator: this.viewer,
      createdAt: this.now(),
    };
    repository.statuses.push(record);
    return record;
  }

  /** Adds an issue; issues and pull requests share their numbers, as on GitHub. */
  addIssue(fullName: string, issue: { title: string; user?: string }): IssueRecord {
    const repository = this.seeded(fullName);
    const record: IssueRecord = {
      number: this.#nextNumber(repository),
      id: this.nextId(),
      title: issue.title,
      user: this.user(issue.user ?? this.viewer.login),
    };
    repository.issues.set(record.number, record);
    return record;
  }

  /** Adds a pull request from an existing branch. */
  addPullRequest(fullName: string, seed: PullRequestSeed): PullRequestRecord {
    const repository = this.seeded(fullName);
    const base = seed.base ?? repository.defaultBranch;
    const headSha = repository.refs.get(`refs/heads/${seed.head}`);
    const baseSha = repository.refs.get(`refs/heads/${base}`);
    if (headSha === undefined || baseSha === undefined) {
      throw new Error(`pull request ${seed.head} → ${base}: both branches must exist in ${fullName}`);
    }
    const merged = seed.merged ?? false;
    const record: PullRequestRecord = {
      number: this.#nextNumber(repository),
      id: this.nextId(),
      title: seed.title ?? `Merge ${seed.head}`,
      body: seed.body ?? null,
      user: this.user(seed.user ?? this.viewer.login),
      state: merged ? 'closed' : (seed.state ?? 'open'),
      draft: seed.draft ?? false,
      head: {
        ref: seed.head,
        sha: headSha,
        ...(seed.fork === undefined ? {} : { fork: this.seeded(seed.fork) }),
      },
      base: { ref: base, sha: baseSha },
      mergedAt: merged ? this.now() : null,
      createdAt: this.now(),
      labels: seed.labels ?? [],
    };
    repository.pulls.set(record.number, record);
    return record;
  }

  /** Adds a comment to an issue or pull request, as `user` wrote it (not through the App). */
  addComment(
    fullName: string,
    issueNumber: number,
    seed: { user: string; body: string } | { app: AppRecord; body: string },
  ): IssueCommentRecord {
    const repository = this.seeded(fullName);
    const now = this.now();
    const record: IssueCommentRecord = {
      id: this.nextId(),
      issueNumber,
      body: seed.body,
      ...('app' in seed ? { user: seed.app.bot, otherApp: seed.app } : { user: this.user(seed.user) }),
      viaApp: false,
      createdAt: now,
      updatedAt: now,
    };
    repository.comments.set(record.id, record);
    return record;
  }

  /** Adds a release; a published release's tag is created at `target` when missing. */
  addRelease(fullName: string, seed: ReleaseSeed): ReleaseRecord {
    const repository = this.seeded(fullName);
    const target = seed.target ?? repository.defaultBranch;
    const draft = seed.draft ?? false;
    if (!draft && !repository.refs.has(`refs/tags/${seed.tag}`)) this.addTag(fullName, seed.tag, target);
    const createdAt = seed.createdAt ?? this.now();
    const record: ReleaseRecord = {
      id: this.nextId(),
      tagName: seed.tag,
      targetCommitish: target,
      name: seed.name ?? seed.tag,
      body: seed.body ?? null,
      draft,
      prerelease: seed.prerelease ?? false,
      author: this.user(seed.author ?? this.viewer.login),
      createdAt,
      publishedAt: draft ? null : createdAt,
    };
    repository.releases.push(record);
    return record;
  }

  /** Adds (or replaces) an environment with its protection rules. */
  addEnvironment(fullName: string, name: string, seed: EnvironmentSeed = {}): EnvironmentRecord {
    const repository = this.seeded(fullName);
    const record = this.environment(repository, name);
    record.waitTimer = seed.waitTimer ?? null;
    record.preventSelfReview = seed.preventSelfReview ?? false;
    record.reviewers = (seed.reviewers ?? []).map((login) => this.user(login));
    record.deploymentBranchPolicy = seed.deploymentBranchPolicy ?? null;
    return record;
  }

  /** The environment `name`, created without protection rules when missing (as a deployment does). */
  environment(repository: RepositoryRecord, name: string): EnvironmentRecord {
    const known = [...repository.environments.values()].find(
      (e) => e.name.toLowerCase() === name.toLowerCase(),
    );
    if (known) return known;
    const now = this.now();
    const record: EnvironmentRecord = {
      id: this.nextId(),
      name,
      createdAt: now,
      updatedAt: now,
      waitTimer: null,
      preventSelfReview: false,
      reviewers: [],
      deploymentBranchPolicy: null,
    };
    repository.environments.set(name, record);
    return record;
  }

  /**
   * The commit a ref names, as GitHub resolves `ref` parameters: a branch, a tag, `heads/…`,
   * `refs/…`, a full SHA, or an unambiguous SHA prefix of 7 or more characters.
   */
  resolveRef(repository: RepositoryRecord, ref: string): string | undefined {
    const candidates = [ref, `refs/${ref}`, `refs/heads/${ref}`, `refs/tags/${ref}`];
    for (const name of candidates) {
      const sha = repository.refs.get(name);
      if (sha !== undefined) return sha;
    }
    if (repository.commits.has(ref)) return ref;
    if (!/^[0-9a-f]{7,39}$/.test(ref)) return undefined;
    const matches = [...repository.commits.keys()].filter((sha) => sha.startsWith(ref));
    return matches.length === 1 ? matches[0] : undefined;
  }

  /** Every commit reachable from `sha`, itself included. */
  ancestors(repository: RepositoryRecord, sha: string): Set<string> {
    const seen = new Set<string>();
    const queue = [sha];
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(repository.commits.get(next)?.parents ?? []));
    }
    return seen;
  }

  /** The latest status of each context on a commit, most recent first, as the combined status shows them. */
  latestStatuses(repository: RepositoryRecord, sha: string): CommitStatusRecord[] {
    const latest = new Map<string, CommitStatusRecord>();
    for (const status of repository.statuses) {
      if (status.sha === sha) latest.set(status.context, status);
    }
    return [...latest.values()].sort((a, b) => b.id - a.id);
  }

  #nextNumber(repository: RepositoryRecord): number {
    return Math.max(0, ...repository.issues.keys(), ...repository.pulls.keys()) + 1;
  }
}
