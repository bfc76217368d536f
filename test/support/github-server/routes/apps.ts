/**
 * GitHub App endpoints (https://docs.github.com/rest/apps/apps): they answer only a JWT (the App),
 * and installation access tokens they issue act as the App's `<slug>[bot]` afterwards.
 */
import { buildInstallation, buildIntegration } from '../fixtures.ts';
import {
  ApiError,
  bodyOf,
  integerParam,
  notFound,
  requireRepository,
  type ApiRequest,
  type RouteTable,
} from './handler.ts';

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
