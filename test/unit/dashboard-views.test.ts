/**
 * The pure parts of the dashboard's views: a Deployment and its statuses as a history entry, what
 * runs where, which release a version is, the gate summaries' Markdown as HTML, and the pages'
 * escaping of what GitHub holds.
 */
import { describe, expect, test } from '@jest/globals';
import { deploymentEntry, liveByEnvironment, type DeploymentEntry } from '../../app/dashboard/history.ts';
import { isRelease } from '../../app/dashboard/releases.ts';
import { environmentPage, inlineMarkdown, releasesPage } from '../../app/dashboard/view-pages.ts';
import { metricsSections } from '../../app/dashboard/views.ts';
import type { GitHubDeployment, GitHubDeploymentStatus } from '../../src/github/deployments.ts';

function deployment(id: number, fields: Partial<GitHubDeployment> = {}): GitHubDeployment {
  return {
    id,
    environment: 'production',
    sha: `${id}`.padStart(40, 'a'),
    task: 'deploy',
    payload: { version: '1.2.0', requester: 'octocat', pull_request: 7 },
    created_at: '2026-12-01T10:00:00Z',
    creator: { login: 'rollgate[bot]' },
    ...fields,
  } as GitHubDeployment;
}

function status(
  state: string,
  at: string,
  logUrl = 'https://github.com/o/r/actions/runs/1',
): GitHubDeploymentStatus {
  return { state, created_at: at, log_url: logUrl } as GitHubDeploymentStatus;
}

describe('a history entry', () => {
  test('the final state is the last success or failure, not the inactive GitHub adds when a newer one succeeds', () => {
    const entry = deploymentEntry(deployment(1), [
      status('inactive', '2026-12-01T12:00:00Z', ''),
      status('success', '2026-12-01T10:12:30Z'),
      status('in_progress', '2026-12-01T10:00:05Z'),
    ]);
    expect(entry).toMatchObject({
      state: 'inactive',
      final: { state: 'success', at: '2026-12-01T10:12:30Z' },
      durationMs: 750_000,
      logUrl: 'https://github.com/o/r/actions/runs/1',
      pullRequest: 7,
      by: 'octocat',
    });
  });

  test.each([
    [
      'still running',
      [status('in_progress', '2026-12-01T10:00:05Z')],
      { final: undefined, durationMs: undefined },
    ],
    ['no status yet', [], { state: undefined, final: undefined, logUrl: undefined }],
    [
      'an error',
      [status('error', '2026-12-01T10:01:00Z')],
      { final: { state: 'error', at: '2026-12-01T10:01:00Z' } },
    ],
    [
      'a run URL that is no http(s) URL',
      [status('success', '2026-12-01T10:01:00Z', 'javascript:alert(1)')],
      { logUrl: undefined },
    ],
  ])('%s', (_, statuses, expected) => {
    expect(deploymentEntry(deployment(1), statuses)).toMatchObject(expected);
  });

  test('an automatic rollback: no requester, the version it replaced, and the creator as who', () => {
    const entry = deploymentEntry(
      deployment(2, {
        task: 'deploy:rollback',
        payload: { version: null, rolled_back_from: '1.3.0', failed_deployment_id: 1 },
        creator: { login: 'github-actions[bot]' } as GitHubDeployment['creator'],
      }),
      [],
    );
    expect(entry).toMatchObject({
      task: 'deploy:rollback',
      version: undefined,
      rolledBackFrom: '1.3.0',
      by: 'github-actions[bot]',
      pullRequest: undefined,
    });
  });

  test.each([['7'], [0], [-3], [1.5]])('a payload pull_request of %j links no pull request', (pull) => {
    expect(
      deploymentEntry(deployment(1, { payload: { version: '1', pull_request: pull } }), []).pullRequest,
    ).toBeUndefined();
  });
});

describe('what runs where', () => {
  const entry = (id: number, environment: string, state: 'success' | 'failure'): DeploymentEntry =>
    deploymentEntry(deployment(id, { environment }), [status(state, '2026-12-01T10:05:00Z')]);

  test('each environment runs its newest Deployment that succeeded, whatever failed after it', () => {
    const live = liveByEnvironment([
      entry(1, 'production', 'success'),
      entry(3, 'Production', 'success'),
      entry(4, 'production', 'failure'),
      entry(2, 'staging', 'success'),
      entry(5, 'qa', 'failure'),
    ]);
    expect([...live].map(([env, e]) => [env, e.id])).toEqual([
      ['production', 3],
      ['staging', 2],
    ]);
  });

  test.each([
    ['1.4.0', 'v1.4.0', true],
    ['v1.4.0', 'v1.4.0', true],
    ['1.4.0', '1.4.0', true],
    ['1.4', 'v1.4.0', false],
    ['1.4.0', 'v1.4.0-rc.1', false],
    [undefined, 'v1.4.0', false],
    ['version-2', 'vversion-2', false],
  ])('version %s is release %s: %s', (version, tag, expected) => {
    expect(isRelease(version, tag)).toBe(expected);
  });
});

describe("the gates' Markdown as HTML", () => {
  test.each([
    ['0 of 1 approval', '0 of 1 approval'],
    [
      'needs `/approve production` from @admin-alice',
      'needs <code>/approve production</code> from @admin-alice',
    ],
    ['``a`b``', '<code>a`b</code>'],
    ['`` `x` ``', '<code>`x`</code>'],
    ['**approvals**: done', '<strong>approvals</strong>: done'],
    ['locked by `<img src=x onerror=alert(1)>`', 'locked by <code>&lt;img src=x onerror=alert(1)&gt;</code>'],
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['a \\*literal\\* star', 'a *literal* star'],
    ['an unclosed ` tick', 'an unclosed ` tick'],
  ])('%s', (markdown, html) => {
    expect(inlineMarkdown(markdown)).toBe(html);
  });
});

describe('the pages escape what GitHub holds', () => {
  const hostile = '<img src=x onerror=alert(1)>';

  test('an environment page with a hostile version, requester and run URL', () => {
    const entry = deploymentEntry(
      deployment(1, { payload: { version: hostile, requester: `"${hostile}` } }),
      [status('success', '2026-12-01T10:05:00Z', `https://example.com/"><script>x</script>`)],
    );
    const html = environmentPage('n0nce', {
      fullName: 'o/r',
      webRepo: 'https://github.com/o/r',
      environment: hostile,
      history: [entry],
      live: entry,
      lock: undefined,
      pending: undefined,
    });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script>x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  test('a release whose name and tag are markup', () => {
    const html = releasesPage('n0nce', 'o/r', [
      {
        tag: hostile,
        name: hostile,
        prerelease: false,
        publishedAt: undefined,
        author: 'octocat',
        url: 'javascript:alert(1)',
        runsIn: [hostile],
      },
    ]);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain(`/dashboard/o/r/environments/${encodeURIComponent(hostile)}`);
  });
});

describe('the sections of the metrics page', () => {
  test('all environments first, then each by name, however its name is written', () => {
    const record = (id: number, environment: string) => ({
      id,
      environment,
      task: 'deploy' as const,
      createdAt: 0,
      outcome: 'success' as const,
      finishedAt: 1000,
      commitAt: undefined,
    });
    const sections = metricsSections(
      [record(1, 'staging'), record(2, 'Production'), record(3, 'production')],
      {
        now: 10_000,
        days: 7,
      },
    );
    expect(sections.map((s) => [s.title, s.metrics.deployments])).toEqual([
      ['All environments', 3],
      ['Production', 2],
      ['staging', 1],
    ]);
  });
});
