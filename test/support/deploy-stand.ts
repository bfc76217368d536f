/**
 * A deploy stand: the Kubernetes API test server and the GitHub API test server side by side,
 * a repository with a commit to deploy, and the env that points a bundled action at both.
 */
import { Octokit } from '@octokit/rest';
import { startGitHubServer, type GitHubServer, type GitHubServerOptions } from './github-server/server.ts';
import { startKubeServer, type KubeServer, type KubeServerOptions } from './kube-server/server.ts';

export const REPOSITORY = 'octo-org/hello-service';
export const NAMESPACE = 'shop';

export interface DeployStand {
  readonly kube: KubeServer;
  readonly github: GitHubServer;
  /** The commit being deployed. */
  readonly sha: string;
  /** Env for runAction: GitHub API URL, repository and sha. */
  readonly env: Record<string, string>;
  /** A GitHub Deployment of the stand's commit, as the App creates one (what a `deployment` event carries). */
  createGitHubDeployment(
    environment: string,
    task: string,
    payload: Record<string, unknown>,
  ): Promise<Record<string, unknown> & { id: number }>;
  /** Seeds a Deployment `name` running `image` with `replicas`, and waits until it has rolled out. */
  seedDeployment(
    name: string,
    image: string,
    options?: { replicas?: number; progressDeadlineSeconds?: number; labels?: Record<string, string> },
  ): Promise<void>;
  close(): Promise<void>;
}

export async function startDeployStand(
  options: KubeServerOptions = {},
  githubOptions: GitHubServerOptions = {},
): Promise<DeployStand> {
  const kube = await startKubeServer({ namespaces: [NAMESPACE], ...options });
  const github = await startGitHubServer(githubOptions);
  github.state.addRepository(REPOSITORY, { files: { 'README.md': '# hello-service\n' } });
  const sha = github.state.addCommit(REPOSITORY, {
    files: { 'src/index.ts': 'export {};\n' },
    message: 'Release 1.1.0',
  });
  return {
    kube,
    github,
    sha,
    env: { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: REPOSITORY, GITHUB_SHA: sha },
    async createGitHubDeployment(environment, task, payload) {
      const octokit = new Octokit({ baseUrl: github.url, auth: 'test-token' });
      const [owner = '', repo = ''] = REPOSITORY.split('/');
      const { data } = await octokit.rest.repos.createDeployment({
        owner,
        repo,
        ref: sha,
        environment,
        task,
        payload,
        auto_merge: false,
        required_contexts: [],
      });
      if (!('id' in data)) throw new Error('the GitHub API test server created no deployment');
      return data;
    },
    async seedDeployment(name, image, seed = {}) {
      const labels = seed.labels ?? { app: name };
      kube.state.create({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name,
          namespace: NAMESPACE,
          labels,
          annotations: { 'rollgate.dev/version': image.split(':').at(-1) ?? '' },
        },
        spec: {
          replicas: seed.replicas ?? 3,
          ...(seed.progressDeadlineSeconds === undefined
            ? {}
            : { progressDeadlineSeconds: seed.progressDeadlineSeconds }),
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080 }] }] },
          },
        },
      });
      await kube.waitForIdle();
    },
    async close() {
      await Promise.all([kube.close(), github.close()]);
    },
  };
}

type WithPodTemplate = { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } } | undefined;

/** The image of the first container of a Deployment's or ReplicaSet's pod template. */
export function imageOf(object: unknown): string | undefined {
  return (object as WithPodTemplate)?.spec?.template?.spec?.containers?.[0]?.image;
}
