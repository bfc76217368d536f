/**
 * GitHub App endpoints (https://docs.github.com/rest/apps/apps): they answer only a JWT (the App),
 * and installation access tokens they issue act as the App's `<slug>[bot]` afterwards.
 */
import { buildInstallation, buildIntegration, buildRepository } from '../fixtures.ts';
import {
  ApiError,
  bodyOf,
  integerParam,
  notFound,
  requireRepository,
  type ApiRequest,
  type RouteContext,
  type RouteTable,
} from './handler.ts';
import type { Account, InstallationRecord, RepositoryRecord } from '../state.ts';
import { paginate } from './pagination.ts';

/** Installation tokens expire after one hour. */
const tokenLifetimeMs = 60 * 60 * 1000;

export const appRoutes: RouteTable = {
  'apps/get-authenticated': (request, context) => {
    requireJwt(request);
    const app = buildIntegration(context.links, context.state.app);
    return { status: 200, body: { ...app, installations_count: context.state.installations.size } };
  },
  'apps/create-installation-access-token': (request, context) => {
    requireJwt(request);
    const installation = context.state.installations.get(integerParam(request, 'installation_id'));
    if (!installation) throw notFound();
    const body = bodyOf(request, 'apps/create-installation-access-token');
    return {
      status: 201,
      body: {
        token: context.state.issueInstallationToken(installation, body.repositories),
        expires_at: new Date(context.state.now().getTime() + tokenLifetimeMs).toISOString(),
        permissions: body.permissions ?? { ...context.state.app.permissions },
        repository_selection: body.repositories || body.repository_ids ? 'selected' : 'all',
      },
    };
  },
  // GET /app/installations (JWT): every installation of the App
  // (https://docs.github.com/rest/apps/apps#list-installations-for-the-authenticated-app).
  'apps/list-installations': (request, context) => {
    requireJwt(request);
    const all = [...context.state.installations.values()];
    const page = paginate(all, request);
    return {
      status: 200,
      headers: page.headers,
      body: page.items.map((i) => listedInstallation(context, i)),
    };
  },
  // GET /installation/repositories (installation token): the repositories it reaches
  // (https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation).
  'apps/list-repos-accessible-to-installation': (request, context) => {
    const actor = request.actor;
    if (actor.kind !== 'installation')
      throw new ApiError(403, 'This endpoint requires an installation access token');
    const reached = context.state.allRepositories().filter((r) => context.state.tokenReaches(actor, r));
    const page = paginate(reached, request);
    return {
      status: 200,
      headers: page.headers,
      body: {
        total_count: reached.length,
        repository_selection: actor.installation.repositories === undefined ? 'all' : 'selected',
        repositories: page.items.map((r) => buildRepository(context.links, r)),
      },
    };
  },
  // GET /user/installations (user access token): the installations holding a repository the user
  // has explicit permission on — owns or collaborates on
  // (https://docs.github.com/rest/apps/installations#list-app-installations-accessible-to-the-user-access-token).
  'apps/list-installations-for-authenticated-user': (request, context) => {
    const user = requireUserAccessToken(request);
    const all = [...context.state.installations.values()].filter(
      (i) => userRepositories(context, i, user).length > 0,
    );
    const page = paginate(all, request);
    return {
      status: 200,
      headers: page.headers,
      body: { total_count: all.length, installations: page.items.map((i) => listedInstallation(context, i)) },
    };
  },
  // GET /user/installations/{installation_id}/repositories (user access token): the installation's
  // repositories the user has explicit permission on, each with the user's permissions
  // (https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-user-access-token).
  'apps/list-installation-repos-for-authenticated-user': (request, context) => {
    const user = requireUserAccessToken(request);
    const installation = context.state.installations.get(integerParam(request, 'installation_id'));
    if (!installation) throw notFound();
    const reached = userRepositories(context, installation, user);
    if (reached.length === 0) throw notFound();
    const page = paginate(reached, request);
    return {
      status: 200,
      headers: page.headers,
      body: {
        total_count: reached.length,
        repository_selection: installation.repositories === undefined ? 'all' : 'selected',
        repositories: page.items.map((r) => ({
          ...buildRepository(context.links, r),
          permissions: userPermissions(r, user),
        })),
      },
    };
  },
  'apps/get-repo-installation': (request, context) => {
    requireJwt(request);
    const repository = requireRepository(request, context);
    const installation = [...context.state.installations.values()].find(
      (i) => i.account.id === repository.owner.id,
    );
    if (!installation) throw notFound();
    return { status: 200, body: buildInstallation(context.links, context.state.app, installation) };
  },
};

/**
 * The installation in the shape `GET /app/installations` and `GET /user/installations` list it.
 * Their description merges the account's two shapes (simple user and enterprise) so that an answer
 * must carry the fields of both: an account with an enterprise's `slug`, `name` and times, as the
 * description requires, besides the user fields GitHub sends.
 */
function listedInstallation(context: RouteContext, i: InstallationRecord): Record<string, unknown> {
  const installation = buildInstallation(context.links, context.state.app, i);
  const account = installation.account as Record<string, unknown>;
  const at = installation.created_at;
  return {
    ...installation,
    account: {
      ...account,
      slug: i.account.login,
      name: i.account.name ?? i.account.login,
      created_at: at,
      updated_at: at,
    },
  };
}

/**
 * The user of a user access token issued through the App's OAuth web flow: these routes answer
 * nothing else ("You must use a user access token, created for a user who has authorized your
 * GitHub App"; an installation token or a JWT gets 403/401).
 */
function requireUserAccessToken(request: ApiRequest): Account {
  const actor = request.actor;
  if (actor.kind === 'anonymous' || actor.kind === 'app') throw new ApiError(401, 'Requires authentication');
  if (actor.kind !== 'user' || actor.viaApp !== true)
    throw new ApiError(403, 'This endpoint requires a user access token issued to the GitHub App');
  return actor.account;
}

/** The installation's repositories `user` has explicit permission on. */
function userRepositories(
  context: RouteContext,
  installation: InstallationRecord,
  user: Account,
): RepositoryRecord[] {
  return context.state
    .allRepositories()
    .filter(
      (r) =>
        r.owner.id === installation.account.id &&
        (installation.repositories === undefined ||
          installation.repositories.has(r.fullName.toLowerCase())) &&
        context.state.userCanRead(user, r),
    );
}

/** The user's permissions on a repository, in the REST `permissions` hash. */
function userPermissions(repository: RepositoryRecord, user: Account): Record<string, boolean> {
  const role =
    repository.owner.id === user.id
      ? 'admin'
      : (repository.collaborators.get(user.login.toLowerCase()) ?? 'read');
  const order = ['read', 'triage', 'write', 'maintain', 'admin'];
  const at = (level: string): boolean => order.indexOf(role) >= order.indexOf(level);
  return {
    admin: at('admin'),
    maintain: at('maintain'),
    push: at('write'),
    triage: at('triage'),
    pull: true,
  };
}

function requireJwt(request: ApiRequest): void {
  if (request.actor.kind !== 'app') throw new ApiError(401, 'A JSON web token could not be decoded');
}
