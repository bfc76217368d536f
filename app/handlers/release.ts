import type { Context } from 'probot';
import { createDeployment } from '../../src/github/deployments.ts';
import { loadConfig } from '../config-loader.ts';

/** A published release is deployed to every environment whose `auto_deploy` lists `release`. */
export async function handleRelease(context: Context<'release.published'>): Promise<void> {
  const { release } = context.payload;
  const config = await loadConfig(context);
  const version = release.tag_name.replace(/^v(?=\d)/, '');
  for (const [name, environment] of [...config.environments]) {
    if (!environment.autoDeploy.includes('release')) continue;
    const deployment = await createDeployment(context.octokit.rest.repos, context.repo(), {
      ref: release.tag_name,
      environment: name,
      task: 'deploy',
      payload: { version, release: release.id, requester: release.author?.login ?? 'release' },
      description: `Release ${release.tag_name} to ${name}`,
      productionEnvironment: environment.production,
      transientEnvironment: environment.transient,
      requiredContexts: [],
    });
    context.log.info(
      { environment: name, deployment: deployment.id },
      `release ${release.tag_name} deploying`,
    );
  }
}
