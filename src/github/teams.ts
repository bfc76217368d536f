/**
 * Whether a user is an active member of an organization's team, for approvers named as a team
 * (`approvers: ["@acme/sre"]`). GitHub answers `GET /orgs/{org}/teams/{team_slug}/memberships/{username}`
 * with the membership's `state` — `pending` is an invitation not yet accepted, which grants nothing —
 * and 404 when the user is not a member (https://docs.github.com/rest/teams/members#get-team-membership-for-a-user).
 * An installation token needs the organization permission "Members: read" for it
 * (https://docs.github.com/rest/authentication/permissions-required-for-github-apps#organization-permissions-for-members).
 */
import type { RestEndpointMethodTypes } from '@octokit/rest';
import { RollgateError } from '../errors.ts';
import { requestFailure, type RequestFailure } from './request-failure.ts';

type Teams = RestEndpointMethodTypes['teams'];

/** The slice of Octokit's `rest.teams` membership checks use: production passes `octokit.rest.teams`. */
export interface TeamsApi {
  getMembershipForUserInOrg(
    params: Teams['getMembershipForUserInOrg']['parameters'],
  ): Promise<Pick<Teams['getMembershipForUserInOrg']['response'], 'data'>>;
}

/** GitHub would not say whether someone belongs to a team. */
export class TeamMembershipError extends RollgateError {
  readonly status: number | undefined;

  constructor(what: string, why: string, fix: string, status: number | undefined) {
    super(what, why, fix);
    this.status = status;
  }
}

/**
 * Whether `login` is an active member of `org/slug`. Not a member, or a pending invitation: false.
 * GitHub answers 404 alike for a non-member, a team that does not exist and a team the token
 * cannot see, so each of those is "not a member". Any other refusal throws a `TeamMembershipError`.
 */
export async function isActiveTeamMember(
  api: TeamsApi,
  org: string,
  slug: string,
  login: string,
): Promise<boolean> {
  try {
    const { data } = await api.getMembershipForUserInOrg({ org, team_slug: slug, username: login });
    return data.state === 'active';
  } catch (error) {
    const failure = requestFailure(error);
    if (failure?.status === 404) return false;
    throw membershipError(org, slug, login, failure, error);
  }
}

/** Those of `logins` that are active members of `org/slug`, asked in parallel. */
export async function activeTeamMembers(
  api: TeamsApi,
  org: string,
  slug: string,
  logins: readonly string[],
): Promise<ReadonlySet<string>> {
  const unique = [...new Set(logins)];
  const active = await Promise.all(unique.map((login) => isActiveTeamMember(api, org, slug, login)));
  return new Set(unique.filter((_, index) => active[index]));
}

function membershipError(
  org: string,
  slug: string,
  login: string,
  failure: RequestFailure | undefined,
  error: unknown,
): TeamMembershipError {
  const said = failure?.message ?? (error instanceof Error ? error.message : String(error));
  const what = `GitHub would not say whether ${login} is a member of the team ${org}/${slug}: ${said.trim() || 'no answer'} (HTTP ${failure?.status ?? '?'}).`;
  const permissionMissing =
    failure?.status === 403 &&
    (failure.headers['x-accepted-github-permissions'] !== undefined || /not accessible/i.test(said));
  if (failure && permissionMissing) {
    return new TeamMembershipError(
      what,
      'Reading team membership needs the organization permission "Members: read", which this installation of the App has not been granted.',
      `An owner of ${org} accepts the App's request for "Members: read" (Organization settings → GitHub Apps → Rollgate), or lists the approvers by login instead of by team.`,
      failure.status,
    );
  }
  return new TeamMembershipError(
    what,
    'Approvals from a team count only once GitHub confirms the membership.',
    'Try again; if it keeps failing, check that the App is installed on the organization.',
    failure?.status,
  );
}
