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
  type RouteTable,
} from './handler.ts';
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
      // This operation's description merges the account's two shapes (simple user and enterprise)
      // so that an answer must carry the fields of both: an account with an enterprise's `slug`,
      // `name` and times, as the description requires, besides the user fields GitHub sends.
      body: page.items.map((i) => {
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
      }),
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

function requireJwt(request: ApiRequest): void {
  if (request.actor.kind !== 'app') throw new ApiError(401, 'A JSON web token could not be decoded');
}
