import { describe, expect, test } from '@jest/globals';
import {
  answerProtectionRule,
  parseProtectionRuleEvent,
  PROTECTION_RULE_COMMENT_LIMIT,
  ProtectionRuleAnswerError,
  ProtectionRuleEventError,
  reportProtectionStatus,
  type ProtectionRuleApi,
} from '../../src/github/protection-rule.ts';
import {
  activeTeamMembers,
  isActiveTeamMember,
  TeamMembershipError,
  type TeamsApi,
} from '../../src/github/teams.ts';
import { GitHubState } from '../support/github-server/state.ts';
import { protectionRuleEventProblems } from '../support/protection-rule-event.ts';

/** A payload as GitHub sends it, built from the test server's state (no server: only its model). */
function requestedEvent(): Record<string, unknown> {
  const state = new GitHubState();
  state.links.api = 'https://api.github.com';
  state.addRepository('octo-org/hello-service');
  return state.requestProtectionRule('octo-org/hello-service', { environment: 'production', actor: 'alice' });
}

/** A copy of `payload` with the value at `path` replaced (or removed, for `undefined`). */
function withField(payload: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(payload);
  const keys = path.split('.');
  const last = keys.pop() ?? '';
  let node: Record<string, unknown> = copy;
  for (const key of keys) node = node[key] as Record<string, unknown>;
  if (value === undefined) Reflect.deleteProperty(node, last);
  else node[last] = value;
  return copy;
}

/** What Octokit throws for a non-2xx answer. */
function httpError(status: number, message: string, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(`${message} - https://docs.github.com/rest`), {
    status,
    response: { status, data: { message }, headers },
  });
}

describe('parseProtectionRuleEvent', () => {
  test("reads a payload that GitHub's webhook schema accepts", () => {
    const payload = requestedEvent();
    expect(protectionRuleEventProblems(payload)).toEqual([]);
    const event = parseProtectionRuleEvent(payload);
    expect(event).toMatchObject({
      environment: 'production',
      event: 'push',
      ref: 'main',
      repository: { owner: 'octo-org', name: 'hello-service' },
      sender: 'alice',
    });
    expect(event.callbackUrl).toBe(
      `https://api.github.com/repos/octo-org/hello-service/actions/runs/${event.runId}/deployment_protection_rule`,
    );
    expect(event.sha).toMatch(/^[0-9a-f]{40}$/);
  });

  test('takes the run id from a GitHub Enterprise callback URL under /api/v3', () => {
    const payload = withField(
      requestedEvent(),
      'deployment_callback_url',
      'https://ghe.example.com/api/v3/repos/o/r/actions/runs/4242/deployment_protection_rule',
    );
    expect(parseProtectionRuleEvent(payload).runId).toBe(4242);
  });

  test.each([
    ['action', 'created', /action is "created", not "requested"/],
    ['environment', undefined, /`environment` is missing/],
    ['environment', '', /`environment` is missing or not a non-empty string/],
    ['event', 7, /`event` is missing/],
    ['deployment', undefined, /`deployment` is missing or not an object/],
    ['deployment.id', '12', /`deployment.id` is missing or not a positive integer/],
    ['deployment.sha', null, /`deployment.sha`/],
    ['deployment.ref', undefined, /`deployment.ref`/],
    ['deployment_callback_url', 'not a url', /is not a URL/],
    [
      'deployment_callback_url',
      'https://api.github.com/repos/o/r/actions/runs/abc/deployment_protection_rule',
      /does not name a workflow run/,
    ],
    [
      'deployment_callback_url',
      'https://api.github.com/repos/o/r/deployments/5',
      /does not name a workflow run/,
    ],
    ['repository.owner', [], /`repository.owner` is missing or not an object/],
    ['repository.name', undefined, /`repository.name`/],
    ['installation', undefined, /`installation` is missing/],
    ['installation.id', -1, /`installation.id` is missing or not a positive integer/],
    ['sender.login', undefined, /`sender.login`/],
  ])('refuses a payload whose %s is %p', (path, value, message) => {
    const payload = withField(requestedEvent(), path, value);
    expect(() => parseProtectionRuleEvent(payload)).toThrow(ProtectionRuleEventError);
    expect(() => parseProtectionRuleEvent(payload)).toThrow(message);
  });

  test.each([null, 'requested', 42, []])('refuses %p as a payload', (payload) => {
    expect(() => parseProtectionRuleEvent(payload)).toThrow(/the payload is missing or not an object/);
  });
});

describe('answerProtectionRule and reportProtectionStatus', () => {
  const target = { owner: 'octo-org', repo: 'hello-service', runId: 77, environment: 'production' };

  /** A port that records what it is asked and answers with `fail` (or 204). */
  function port(fail?: Error): { api: ProtectionRuleApi; sent: unknown[] } {
    const sent: unknown[] = [];
    return {
      sent,
      api: {
        request: (route, parameters) => {
          sent.push({ route, ...parameters });
          return fail ? Promise.reject(fail) : Promise.resolve({ status: 204 });
        },
      },
    };
  }

  test("sends the decision to the run's callback route", async () => {
    const { api, sent } = port();
    expect(await answerProtectionRule(api, { ...target, state: 'rejected', comment: 'Frozen' })).toBe(
      'posted',
    );
    expect(sent).toEqual([
      {
        route: 'POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule',
        owner: 'octo-org',
        repo: 'hello-service',
        run_id: 77,
        environment_name: 'production',
        state: 'rejected',
        comment: 'Frozen',
      },
    ]);
  });

  test('sends a status report without a state', async () => {
    const { api, sent } = port();
    expect(await reportProtectionStatus(api, { ...target, comment: '1 of 2 approvals' })).toBe('posted');
    expect(sent[0]).not.toHaveProperty('state');
    expect(sent[0]).toMatchObject({ comment: '1 of 2 approvals' });
  });

  test.each([
    ['exactly the limit', 'x'.repeat(PROTECTION_RULE_COMMENT_LIMIT), false],
    ['one over the limit', 'x'.repeat(PROTECTION_RULE_COMMENT_LIMIT + 1), true],
    ['many lines over the limit', 'line of text\n'.repeat(500), true],
    ['emoji over the limit', '🚀'.repeat(600), true],
  ])('caps a comment of %s at 1,024 characters', async (_name, comment, cut) => {
    const { api, sent } = port();
    await answerProtectionRule(api, { ...target, state: 'approved', comment });
    const posted = (sent[0] as { comment: string }).comment;
    expect(posted.length).toBeLessThanOrEqual(PROTECTION_RULE_COMMENT_LIMIT);
    expect(posted.includes('…')).toBe(cut);
    expect(posted).not.toMatch(/[\ud800-\udbff]$/);
  });

  test('a 422 means nothing is pending any more: not-pending, for an answer and a report', async () => {
    const stale = httpError(422, 'No pending deployment protection rule');
    expect(await answerProtectionRule(port(stale).api, { ...target, state: 'approved', comment: 'ok' })).toBe(
      'not-pending',
    );
    expect(await reportProtectionStatus(port(stale).api, { ...target, comment: 'ok' })).toBe('not-pending');
  });

  test.each([
    [403, 'Resource not accessible by integration', /Deployments: read and write/],
    [404, 'Not Found', /installed on the repository/],
    [500, 'Server Error', /answers again when the gate changes/],
  ])('explains an HTTP %i refusal with what to do', async (status, message, fix) => {
    const refused = answerProtectionRule(port(httpError(status, message)).api, {
      ...target,
      state: 'approved',
      comment: 'ok',
    });
    await expect(refused).rejects.toBeInstanceOf(ProtectionRuleAnswerError);
    await expect(refused).rejects.toMatchObject({ status, message: expect.stringContaining(message), fix });
  });

  test('a rate limit (403) is not mistaken for a missing permission', async () => {
    const limited = answerProtectionRule(
      port(httpError(403, 'You have exceeded a secondary rate limit.')).api,
      {
        ...target,
        state: 'approved',
        comment: 'ok',
      },
    );
    await expect(limited).rejects.toMatchObject({
      status: 403,
      fix: expect.not.stringContaining('Deployments'),
    });
  });

  test('a dropped connection is an error with an unknown status, never not-pending', async () => {
    const dropped = answerProtectionRule(port(new Error('socket hang up')).api, {
      ...target,
      state: 'approved',
      comment: 'ok',
    });
    await expect(dropped).rejects.toMatchObject({
      status: undefined,
      message: expect.stringContaining('socket hang up'),
    });
  });
});

describe('isActiveTeamMember and activeTeamMembers', () => {
  function teams(answers: Record<string, 'active' | 'pending' | Error>): TeamsApi {
    return {
      getMembershipForUserInOrg: ({ username }) => {
        const answer = answers[username] ?? httpError(404, 'Not Found');
        if (answer instanceof Error) return Promise.reject(answer);
        return Promise.resolve({ data: { url: 'https://api.github.com/x', role: 'member', state: answer } });
      },
    };
  }

  test.each([
    ['an active member', true, 'active'],
    ['a pending invitation', false, 'pending'],
    ['a non-member (404)', false, httpError(404, 'Not Found')],
  ] as const)('%s counts as a member: %p', async (_name, expected, answer) => {
    expect(await isActiveTeamMember(teams({ alice: answer }), 'octo-org', 'sre', 'alice')).toBe(expected);
  });

  test('a missing "Members: read" says what to grant', async () => {
    const refused = isActiveTeamMember(
      teams({
        alice: httpError(403, 'Resource not accessible by integration', {
          'x-accepted-github-permissions': 'members=read',
        }),
      }),
      'octo-org',
      'sre',
      'alice',
    );
    await expect(refused).rejects.toBeInstanceOf(TeamMembershipError);
    await expect(refused).rejects.toMatchObject({
      status: 403,
      why: expect.stringContaining('"Members: read"'),
    });
  });

  test('a rate limit (403) is not mistaken for a missing permission', async () => {
    const refused = isActiveTeamMember(
      teams({ alice: httpError(403, 'API rate limit exceeded for installation ID 1.') }),
      'octo-org',
      'sre',
      'alice',
    );
    await expect(refused).rejects.toMatchObject({
      status: 403,
      why: expect.not.stringContaining('Members: read'),
    });
  });

  test('lists the active members among the logins, each asked once', async () => {
    const asked: string[] = [];
    const api: TeamsApi = {
      getMembershipForUserInOrg: (params) => {
        asked.push(params.username);
        return teams({ alice: 'active', bob: 'pending', carol: 'active' }).getMembershipForUserInOrg(params);
      },
    };
    const active = await activeTeamMembers(api, 'octo-org', 'sre', [
      'alice',
      'bob',
      'carol',
      'dave',
      'alice',
    ]);
    expect([...active].sort()).toEqual(['alice', 'carol']);
    expect(asked.sort()).toEqual(['alice', 'bob', 'carol', 'dave']);
  });
});
