/**
 * What the dashboard's tests (and its benchmark) share: the App started with the dashboard on,
 * an Octokit with the installation's token for seeding and reading what GitHub holds, Rollgate
 * Deployments seeded as the deploy action writes them, and Debian's headless Chromium.
 */
import { Octokit } from '@octokit/rest';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startAppStand, type AppStand } from './app-stand.ts';

export const CHROMIUM = '/usr/bin/chromium';

/** A stand of the App with the dashboard on, and the installation's Octokit. */
export async function startDashboardStand(
  options: {
    config?: string;
    /** More environment for the App. */
    env?: Record<string, string>;
    /** The session key; a fresh one by default (replicas of one stand share it). */
    sessionKey?: string;
  } = {},
): Promise<{ stand: AppStand; octokit: Octokit }> {
  const sessionKey = options.sessionKey ?? randomBytes(32).toString('base64');
  const stand = await startAppStand({
    ...(options.config === undefined ? {} : { config: options.config }),
    env: (github) => ({
      GITHUB_CLIENT_ID: github.state.app.clientId,
      GITHUB_CLIENT_SECRET: github.state.app.clientSecret,
      ROLLGATE_SESSION_KEY: sessionKey,
      ...options.env,
    }),
  });
  return { stand, octokit: installationOctokit(stand) };
}

/** An Octokit acting with the stand's installation token, quiet about the errors a test expects. */
export function installationOctokit(stand: AppStand): Octokit {
  const installation = stand.github.state.installations.get(stand.installationId);
  if (installation === undefined) throw new Error('the stand installed no App');
  return new Octokit({
    baseUrl: stand.github.url,
    auth: stand.github.state.issueInstallationToken(installation),
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
}

/** A Rollgate Deployment of `version` to `environment` with one status, as the deploy action writes them. */
export async function seedDeployment(
  octokit: Octokit,
  fullName: string,
  environment: string,
  version: string,
  state: 'success' | 'in_progress' | 'failure',
  requester = 'monalisa',
): Promise<{ deployment: Record<string, unknown>; status: Record<string, unknown> }> {
  const [owner = '', repo = ''] = fullName.split('/');
  const { data: deployment } = await octokit.rest.repos.createDeployment({
    owner,
    repo,
    ref: 'main',
    environment,
    task: 'deploy',
    auto_merge: false,
    required_contexts: [],
    payload: { version, requester },
  });
  if (!('id' in deployment)) throw new Error(`no deployment: ${JSON.stringify(deployment)}`);
  const { data: status } = await octokit.rest.repos.createDeploymentStatus({
    owner,
    repo,
    deployment_id: deployment.id,
    state,
    environment,
  });
  return {
    deployment: deployment as unknown as Record<string, unknown>,
    status: status as unknown as Record<string, unknown>,
  };
}

/** Debian's Chromium, headless; a clear error when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `The dashboard's browser tests need Debian's chromium at ${CHROMIUM}: install it with 'apt-get install -y chromium' (.ci/run does).`,
    );
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}
