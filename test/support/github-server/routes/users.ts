/**
 * The signed-in user (https://docs.github.com/rest/users/users#get-the-authenticated-user):
 * `GET /user` answers a user's token with that user's profile — the public view for a GitHub App's
 * user access token, which reads "public information" of the user without the account permission
 * "Email addresses" — and 401 without a user.
 */
import { buildSimpleUser } from '../fixtures.ts';
import { ApiError, type RouteTable } from './handler.ts';

export const userRoutes: RouteTable = {
  'users/get-authenticated': (request, context) => {
    const actor = request.actor;
    if (actor.kind !== 'user') throw new ApiError(401, 'Requires authentication');
    const account = actor.account;
    const at = context.state.now().toISOString();
    return {
      status: 200,
      body: {
        ...buildSimpleUser(context.links, account),
        user_view_type: 'public',
        bio: null,
        blog: '',
        company: null,
        location: null,
        hireable: null,
        public_repos: 0,
        public_gists: 0,
        followers: 0,
        following: 0,
        created_at: at,
        updated_at: at,
      },
    };
  },
};
