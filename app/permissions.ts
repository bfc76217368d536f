import type { RepositoryPermission } from '../src/config/types.ts';

const RANK: Readonly<Record<string, number>> = {
  none: 0,
  read: 1,
  triage: 2,
  write: 3,
  maintain: 4,
  admin: 5,
};

/** What `GET /repos/{owner}/{repo}/collaborators/{username}/permission` says of a user. */
export interface PermissionFacts {
  /** `role_name`: a built-in role, or the name of a custom repository role. */
  readonly roleName: string;
  /** `permission`: the legacy base level (`admin`, `write`, `read`, `none`) every role maps to. */
  readonly permission: string;
}

/**
 * The level a user acts with. A custom repository role counts by the base role it extends, which
 * GitHub reports in `permission` (https://docs.github.com/organizations/managing-user-access-to-your-organizations-repositories/managing-repository-roles/about-custom-repository-roles).
 */
export function effectiveRank(facts: PermissionFacts): number {
  return RANK[facts.roleName] ?? RANK[facts.permission] ?? 0;
}

/** Whether a collaborator reaches the configured level. */
export function hasPermission(facts: PermissionFacts, required: RepositoryPermission): boolean {
  return effectiveRank(facts) >= (RANK[required] ?? 3);
}

/** Whether the user is a repository admin (who may clear anyone's lock or marker). */
export function isAdmin(facts: PermissionFacts): boolean {
  return effectiveRank(facts) >= 5;
}

/**
 * The one short refusal for a user who may not run commands. In a public repository it names the
 * user's role; in a private one it does not, as that would tell an outsider about access (and an
 * outsider has no role to show).
 */
export function permissionRefusal(
  required: RepositoryPermission,
  facts: PermissionFacts | undefined,
  privateRepository: boolean,
): string {
  const role = facts?.roleName ?? '';
  const have = privateRepository || !/^[a-z][a-z0-9 _-]{0,39}$/i.test(role) ? '' : `; you have \`${role}\``;
  return `running Rollgate commands needs \`${required}\` permission on this repository${have}.`;
}
