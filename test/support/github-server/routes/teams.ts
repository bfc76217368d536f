/**
 * Team membership (https://docs.github.com/rest/teams/members#get-team-membership-for-a-user):
 * `role` and `state` of a member, 404 for anyone else or a team that does not exist. An
 * installation token needs the organization permission "Members: read" for it
 * (https://docs.github.com/rest/authentication/permissions-required-for-github-apps#organization-permissions-for-members).
 */
import { notFound, requireInstallationPermission, stringParam, type RouteTable } from './handler.ts';

export const teamRoutes: RouteTable = {
  'teams/get-membership-for-user-in-org': (request, context) => {
    // A team is visible to members of its organization only: without a token it does not exist.
    if (request.actor.kind === 'anonymous') throw notFound();
    requireInstallationPermission(request, context, 'members', 'read');
    const team = context.state.team(stringParam(request, 'org'), stringParam(request, 'team_slug'));
    // An installation on another account sees none of this organization's teams.
    if (
      !team ||
      (request.actor.kind === 'installation' && request.actor.installation.account.id !== team.org.id)
    ) {
      throw notFound();
    }
    const membership = team.members.get(stringParam(request, 'username').toLowerCase());
    // "404 if user has no team membership" (the operation's declared answer).
    if (!membership) throw notFound();
    return {
      status: 200,
      body: {
        url: `${context.links.api}/organizations/${team.org.id}/team/${team.id}/memberships/${membership.account.login}`,
        role: membership.role,
        state: membership.state,
      },
    };
  },
};
