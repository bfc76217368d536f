import type { Octokit } from '@octokit/rest';
import type { DeploymentsApi, Repo } from '../src/github/deployments.ts';
import { InputError } from '../src/errors.ts';

/**
 * GitHub's REST API for the actions, on Octokit; loaded only when a token is given. The base
 * URL is the runner's GITHUB_API_URL, so GitHub Enterprise Server works unchanged.
 */
export async function connectGitHub(
  token: string,
  env: NodeJS.ProcessEnv,
): Promise<{
  api: DeploymentsApi;
  /** The whole REST API, for reads beyond the Deployment (the deploy action's gates). */
  rest: Octokit['rest'];
  repo: Repo;
  deploymentUrl: (id: number) => string;
}> {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (!owner || !repo) {
    throw new InputError(
      'token',
      'GITHUB_REPOSITORY is not set, so there is no repository to record the deployment in',
      'Run the action inside a GitHub Actions workflow, or leave token empty.',
    );
  }
  const { Octokit: OctokitClass } = await import('@octokit/rest');
  const octokit = new OctokitClass({
    auth: token,
    baseUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    userAgent: 'rollgate-action',
  });
  const api: DeploymentsApi = octokit.rest.repos;
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  return {
    api,
    rest: octokit.rest,
    repo: { owner, repo },
    deploymentUrl: (id) => `${server}/${owner}/${repo}/deployments?deployment_id=${id}`,
  };
}
