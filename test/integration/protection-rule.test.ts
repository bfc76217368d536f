import { afterEach, describe, expect, test } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import {
  answerProtectionRule,
  parseProtectionRuleEvent,
  ProtectionRuleAnswerError,
  reportProtectionStatus,
} from '../../src/github/protection-rule.ts';
import { activeTeamMembers, isActiveTeamMember, TeamMembershipError } from '../../src/github/teams.ts';
import { startGitHubServer, type GitHubServer } from '../support/github-server/server.ts';

const REPOSITORY = 'octo-org/hello-service';
const appJwt = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjQyNDI0Mn0.c2lnbmF0dXJl';
const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const servers: GitHubServer[] = [];

afterEach(async () => {
  const started = servers.splice(0);
  await Promise.all(started.map((server) => server.close()));
  for (const server of started) server.assertNoViolations();
});

async function start(): Promise<GitHubServer> {
  const server = await startGitHubServer();
  servers.push(server);
  server.state.addRepository(REPOSITORY);
  return server;
}

/** The installation's Octokit, as the App gets it: a token from the JWT, for the event's installation. */
async function installationOctokit(server: GitHubServer, installationId: number): Promise<Octokit> {
  const app = new Octokit({ baseUrl: server.url, auth: appJwt, log: quiet });
  const { data } = await app.rest.apps.createInstallationAccessToken({ installation_id: installationId });
  return new Octokit({ baseUrl: server.url, auth: data.token, log: quiet });
}

/** A waiting job's event, parsed as the App reads it, with the Octokit it would answer with. */
async function waitingJob(server: GitHubServer, environment = 'production') {
  const event = parseProtectionRuleEvent(
    server.state.requestProtectionRule(REPOSITORY, { environment, actor: 'alice' }),
  );
  const octokit = await installationOctokit(server, event.installationId);
  const target = {
    owner: event.repository.owner,
    repo: event.repository.name,
    runId: event.runId,
    environment: event.environment,
  };
  return { event, octokit, target };
}

describe('custom deployment protection rule, over HTTP', () => {
  test('reads the event GitHub sends: run, deployment, repository and installation', async () => {
    const server = await start();
    const sha = server.state.addCommit(REPOSITORY, { message: 'Ship it' });
    const { event } = await waitingJob(server);
    const installation = server.state.installApp('octo-org');
    const run = server.state.workflowRun(REPOSITORY, event.runId);
    expect(event).toEqual({
      environment: 'production',
      event: 'push',
      sha,
      ref: 'main',
      runId: run.id,
      callbackUrl: `${server.url}/repos/${REPOSITORY}/actions/runs/${run.id}/deployment_protection_rule`,
      deploymentId: run.rules[0]?.deploymentId,
      repository: { owner: 'octo-org', name: 'hello-service' },
      installationId: installation.id,
      sender: 'alice',
    });
  });

  test('approves with a comment cut to 1,024 characters after status reports, and the job proceeds', async () => {
    const server = await start();
    const { event, octokit, target } = await waitingJob(server);
    expect(await reportProtectionStatus(octokit, { ...target, comment: 'Waiting for 1 more approval' })).toBe(
      'posted',
    );
    const long = `All gates passed.\n\n${'- approved by a reviewer\n'.repeat(100)}`;
    expect(await answerProtectionRule(octokit, { ...target, state: 'approved', comment: long })).toBe(
      'posted',
    );
    const answered = server.state.protectionRuleOf(REPOSITORY, event.runId);
    expect(answered.state).toBe('approved');
    expect(answered.reports).toEqual(['Waiting for 1 more approval']);
    expect(answered.comment?.length).toBeLessThanOrEqual(1024);
    expect(answered.comment).toMatch(/^All gates passed\.[\s\S]*…/);
    const { data: statuses } = await octokit.rest.repos.listDeploymentStatuses({
      owner: target.owner,
      repo: target.repo,
      deployment_id: event.deploymentId,
    });
    expect(statuses.map((s) => s.state)).toEqual(['queued']);
  });

  test('a redelivered event or a second replica finds the rule answered: not-pending, no error, no change', async () => {
    const server = await start();
    const { event, octokit, target } = await waitingJob(server);
    expect(
      await answerProtectionRule(octokit, { ...target, state: 'rejected', comment: 'Outside the window' }),
    ).toBe('posted');
    const second = await installationOctokit(server, event.installationId);
    expect(
      await answerProtectionRule(second, { ...target, state: 'approved', comment: 'All gates passed' }),
    ).toBe('not-pending');
    expect(await reportProtectionStatus(second, { ...target, comment: 'late report' })).toBe('not-pending');
    expect(server.state.protectionRuleOf(REPOSITORY, event.runId)).toEqual({
      state: 'rejected',
      comment: 'Outside the window',
      reports: [],
    });
    expect(server.callsTo('actions/review-custom-gates-for-run').map((c) => c.status)).toEqual([
      204, 422, 422,
    ]);
  });

  test('an installation without "Deployments: write" gets an error that says what to grant', async () => {
    const server = await start();
    const { event, target } = await waitingJob(server);
    const { deployments: _deployments, ...granted } = server.state.app.permissions;
    server.state.installApp('octo-org', { permissions: granted });
    const octokit = await installationOctokit(server, event.installationId);
    const refused = answerProtectionRule(octokit, { ...target, state: 'approved', comment: 'ok' });
    await expect(refused).rejects.toBeInstanceOf(ProtectionRuleAnswerError);
    await expect(refused).rejects.toMatchObject({
      status: 403,
      fix: expect.stringContaining('Deployments: read and write'),
    });
    expect(server.state.protectionRuleOf(REPOSITORY, event.runId).state).toBe('waiting');
  });
});

describe('team membership, over HTTP', () => {
  test('counts active members only: a pending invitation and a non-member do not count', async () => {
    const server = await start();
    server.state.addTeam('octo-org', 'sre', [
      { login: 'alice', role: 'maintainer' },
      { login: 'bob', state: 'pending' },
      { login: 'carol' },
    ]);
    const octokit = await installationOctokit(server, server.state.installApp('octo-org').id);
    expect(await isActiveTeamMember(octokit.rest.teams, 'octo-org', 'sre', 'alice')).toBe(true);
    expect(await isActiveTeamMember(octokit.rest.teams, 'octo-org', 'sre', 'bob')).toBe(false);
    expect(await isActiveTeamMember(octokit.rest.teams, 'octo-org', 'sre', 'dave')).toBe(false);
    expect(await isActiveTeamMember(octokit.rest.teams, 'octo-org', 'dba', 'alice')).toBe(false);
    const active = await activeTeamMembers(octokit.rest.teams, 'octo-org', 'sre', [
      'alice',
      'bob',
      'carol',
      'dave',
      'alice',
    ]);
    expect([...active].sort()).toEqual(['alice', 'carol']);
  });

  test('an installation without "Members: read" gets an error that says what to grant', async () => {
    const server = await start();
    server.state.addTeam('octo-org', 'sre', [{ login: 'alice' }]);
    const { members: _members, ...granted } = server.state.app.permissions;
    const installation = server.state.installApp('octo-org', { permissions: granted });
    const octokit = await installationOctokit(server, installation.id);
    const refused = isActiveTeamMember(octokit.rest.teams, 'octo-org', 'sre', 'alice');
    await expect(refused).rejects.toBeInstanceOf(TeamMembershipError);
    await expect(refused).rejects.toMatchObject({
      status: 403,
      why: expect.stringContaining('"Members: read"'),
      fix: expect.stringContaining('octo-org'),
    });
  });
});
