/**
 * Which repositories a signed-in user may see on the dashboard: those of the App's installations
 * that the user can access, as GitHub answers for the user's token — `GET /user/installations`,
 * then `GET /user/installations/{id}/repositories` ("repositories that the authenticated user has
 * explicit permission (:read, :write, or :admin) to access for an installation";
 * https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-user-access-token).
 * A user access token "can only access resources that both the user and app can access"
 * (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app).
 */
import { Octokit } from '@octokit/rest';

export interface VisibleRepository {
  readonly owner: string;
  readonly repo: string;
  /** `owner/repo` as GitHub spells it. */
  readonly fullName: string;
  readonly installationId: number;
}

/** The narrow port: the user's installations and, per installation, the repositories they reach. */
export interface UserGitHub {
  installations(): Promise<readonly number[]>;
  repositories(installationId: number): Promise<readonly { owner: string; repo: string; fullName: string }[]>;
}

/** The port over Octokit with the user's token, at the App's API base URL. */
export function userGitHub(apiUrl: string, token: string): UserGitHub {
  const octokit = new Octokit({ auth: token, baseUrl: apiUrl, userAgent: 'rollgate-dashboard' });
  return {
    async installations() {
      const all = await octokit.paginate(octokit.rest.apps.listInstallationsForAuthenticatedUser, {
        per_page: 100,
      });
      return all.map((i) => i.id);
    },
    async repositories(installationId) {
      const all = await octokit.paginate(octokit.rest.apps.listInstallationReposForAuthenticatedUser, {
        installation_id: installationId,
        per_page: 100,
      });
      return all.map((r) => ({ owner: r.owner.login, repo: r.name, fullName: r.full_name }));
    },
  };
}

/** Every repository the user may see, sorted by name. */
export async function visibleRepositories(github: UserGitHub): Promise<VisibleRepository[]> {
  const installations = await github.installations();
  const lists = await Promise.all(
    installations.map(async (installationId) =>
      (await github.repositories(installationId)).map((r) => ({ ...r, installationId })),
    ),
  );
  return lists.flat().sort((a, b) => a.fullName.localeCompare(b.fullName));
}

/** The visible repository `owner/repo` (case-insensitive, as GitHub's names are), if any. */
export function findVisible(
  repositories: readonly VisibleRepository[],
  owner: string,
  repo: string,
): VisibleRepository | undefined {
  const wanted = `${owner}/${repo}`.toLowerCase();
  return repositories.find((r) => r.fullName.toLowerCase() === wanted);
}
