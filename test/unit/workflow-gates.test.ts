import { describe, expect, test } from '@jest/globals';
import { parseConfigText } from '../../src/config/parse.ts';
import type { EnvironmentConfig } from '../../src/config/types.ts';
import {
  configuredEnvironment,
  deploymentApproval,
  gateAudit,
  gateRefusal,
  gateSummary,
  parseAppSlug,
  parseGatesMode,
  workflowVerdict,
  type ApprovalClaim,
} from '../../src/deploy/workflow-gates.ts';
import type { GateFacts } from '../../src/gates/index.ts';

const SHA = 'a'.repeat(40);

function environment(yaml: string): EnvironmentConfig {
  const config = parseConfigText(`environments:\n  production:\n${yaml}`);
  const found = config.environments.get('production');
  if (found === undefined) throw new Error('no production');
  return found;
}

function facts(env: EnvironmentConfig, extra: Partial<GateFacts> = {}): GateFacts {
  return {
    now: new Date('2026-12-02T10:00:00Z'),
    environment: env,
    sha: SHA,
    branch: 'main',
    requester: 'octocat',
    approvals: [],
    rejections: [],
    teams: new Map(),
    checks: [],
    promotion: undefined,
    lock: undefined,
    ...extra,
  };
}

describe('parseGatesMode', () => {
  test.each([
    ['', 'enforce'],
    ['enforce', 'enforce'],
    [' ignore ', 'ignore'],
  ])('%p is %p', (raw, mode) => {
    expect(parseGatesMode(raw)).toBe(mode);
  });
  test('anything else is an input error that names both values', () => {
    expect(() => parseGatesMode('off')).toThrow(
      /Input 'gates' is invalid: 'off' is neither enforce nor ignore/,
    );
  });
});

describe('parseAppSlug', () => {
  test.each([
    ['', 'rollgate'],
    ['rollgate', 'rollgate'],
    [' Acme-Rollgate ', 'acme-rollgate'],
    ['rollgate-2', 'rollgate-2'],
    ['a'.repeat(34), 'a'.repeat(34)],
  ])('%p is %p', (raw, slug) => {
    expect(parseAppSlug(raw)).toBe(slug);
  });
  test.each([
    ['rollgate[bot]', /'rollgate\[bot\]' is the App's bot account; its slug is 'rollgate'/],
    ['@Acme-Rollgate[bot]', /its slug is 'acme-rollgate'/],
    ['https://github.com/apps/acme-rollgate', /is the App's page; its slug is 'acme-rollgate'/],
    ['Acme Rollgate', /'Acme Rollgate' is not a GitHub App slug/],
    ['-rollgate', /is not a GitHub App slug/],
    ['rollgate-', /is not a GitHub App slug/],
    ['a'.repeat(35), /is not a GitHub App slug/],
    ['github-actions', /is the App whose token is every workflow's GITHUB_TOKEN/],
    ['GitHub-Actions', /is the App whose token is every workflow's GITHUB_TOKEN/],
  ])('%p is refused with what, why and the fix', (raw, what) => {
    let error: unknown;
    try {
      parseAppSlug(raw);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/^Input 'app-slug' is invalid: /);
    expect(message).toMatch(what);
    expect((error as { render(): string }).render()).toMatch(/https:\/\/github.com\/apps\/<slug>/);
  });
});

describe('deploymentApproval', () => {
  const app = { id: 1, slug: 'rollgate' };
  const gates = {
    verdict: 'pass',
    sha: SHA,
    environment: 'production',
    branch: 'main',
    approvals: { counted: 2 },
  };
  const event = (deployment: Record<string, unknown>) => ({
    deployment: {
      id: 9,
      sha: SHA,
      environment: 'production',
      performed_via_github_app: app,
      payload: { gates },
      ...deployment,
    },
  });
  const disowned = (madeBy: string): ApprovalClaim => ({
    kind: 'other-app',
    record: 'Deployment',
    madeBy,
    expected: 'rollgate',
  });
  test.each<[string, string, unknown, ApprovalClaim | undefined]>([
    [
      'the App’s passing verdict',
      'deployment',
      event({}),
      { kind: 'deployment', deploymentId: 9, counted: 2, branch: 'main' },
    ],
    [
      'a payload given as JSON text',
      'deployment',
      event({ payload: JSON.stringify({ gates }) }),
      { kind: 'deployment', deploymentId: 9, counted: 2, branch: 'main' },
    ],
    ['another event', 'push', event({}), undefined],
    ["a person's Deployment", 'deployment', event({ performed_via_github_app: null }), undefined],
    [
      "the App's verdict, its slug in another case",
      'deployment',
      event({ performed_via_github_app: { id: 1, slug: 'RollGate' } }),
      { kind: 'deployment', deploymentId: 9, counted: 2, branch: 'main' },
    ],
    [
      "a Deployment of a workflow's GITHUB_TOKEN",
      'deployment',
      event({ performed_via_github_app: { id: 15368, slug: 'github-actions' } }),
      disowned('github-actions'),
    ],
    [
      'a passing verdict forged by another App',
      'deployment',
      event({ performed_via_github_app: { id: 77, slug: 'ci-helper' } }),
      disowned('ci-helper'),
    ],
    [
      'a forged verdict as JSON text',
      'deployment',
      event({ performed_via_github_app: { id: 77, slug: 'ci-helper' }, payload: JSON.stringify({ gates }) }),
      disowned('ci-helper'),
    ],
    [
      "another App's Deployment that claims no approval",
      'deployment',
      event({ performed_via_github_app: { id: 77, slug: 'ci-helper' }, payload: { version: '1.0.0' } }),
      undefined,
    ],
    [
      'an App without a slug',
      'deployment',
      event({ performed_via_github_app: { id: 77 } }),
      disowned('App 77'),
    ],
    [
      'a verdict that waited',
      'deployment',
      event({ payload: { gates: { ...gates, verdict: 'wait' } } }),
      undefined,
    ],
    [
      'a verdict on another sha',
      'deployment',
      event({ payload: { gates: { ...gates, sha: 'b'.repeat(40) } } }),
      undefined,
    ],
    [
      'a verdict on another environment',
      'deployment',
      event({ payload: { gates: { ...gates, environment: 'staging' } } }),
      undefined,
    ],
    ['no verdict', 'deployment', event({ payload: { version: '1.0.0' } }), undefined],
    ['no deployment', 'deployment', {}, undefined],
  ])('%s', (_, name, payload, expected) => {
    expect(deploymentApproval(name, payload, 'rollgate')).toEqual(expected);
  });
  test('the named App is the one trusted: the default App is then just another App', () => {
    const forged = event({ performed_via_github_app: { id: 77, slug: 'acme-rollgate' } });
    expect(deploymentApproval('deployment', forged, 'acme-rollgate')).toMatchObject({ kind: 'deployment' });
    expect(deploymentApproval('deployment', event({}), 'acme-rollgate')).toEqual({
      kind: 'other-app',
      record: 'Deployment',
      madeBy: 'rollgate',
      expected: 'acme-rollgate',
    });
  });
});

describe('workflowVerdict', () => {
  const locked = { holder: 'octocat', reason: 'incident' };
  test.each<
    [string, string, Partial<GateFacts>, ApprovalClaim | undefined, 'pass' | 'fail' | 'wait', RegExp]
  >([
    [
      'a lock held by the actor still refuses',
      '',
      { lock: locked },
      undefined,
      'fail',
      /❌ \*\*lock\*\*: locked by @octocat: `incident`; a workflow holds no lock/,
    ],
    ['no lock passes', '', {}, undefined, 'pass', /✅ \*\*lock\*\*: not locked/],
    [
      'approvals without a prior approval refuse',
      '    requires: { approvals: 2 }\n',
      {},
      undefined,
      'fail',
      /❌ \*\*approvals\*\*: 2 approvals needed: a workflow cannot collect them/,
    ],
    [
      'the protection rule satisfies approvals',
      '    requires: { approvals: 2 }\n',
      {},
      { kind: 'protection-rule', checkRunUrl: undefined },
      'pass',
      /✅ \*\*approvals\*\*: Rollgate's deployment protection rule approved/,
    ],
    [
      "the App's Deployment with enough approvals",
      '    requires: { approvals: 2 }\n',
      {},
      { kind: 'deployment', deploymentId: 4, counted: 2, branch: 'main' },
      'pass',
      /2 of 2 approvals counted by Rollgate for Deployment 4/,
    ],
    [
      "the App's Deployment counted fewer than the file now needs",
      '    requires: { approvals: 3 }\n',
      {},
      { kind: 'deployment', deploymentId: 4, counted: 2, branch: 'main' },
      'fail',
      /Rollgate counted 2 for Deployment 4, and `.github\/rollgate.yml` now needs 3/,
    ],
    [
      "another App's Deployment approves nothing, and the checklist says whose it was",
      '    requires: { approvals: 2 }\n',
      {},
      { kind: 'other-app', record: 'Deployment', madeBy: 'ci-helper', expected: 'rollgate' },
      'fail',
      /❌ \*\*approvals\*\*: 2 approvals needed: a workflow cannot collect them, and a Deployment made by `ci-helper`, not by `rollgate`: its approval is not counted.*give the job `app-slug: ci-helper`/,
    ],
    [
      "another App's check run approves nothing",
      '    requires: { approvals: 1 }\n',
      {},
      { kind: 'other-app', record: 'check run', madeBy: 'ci-helper', expected: 'rollgate' },
      'fail',
      /1 approval needed: a workflow cannot collect them, and a check run made by `ci-helper`, not by `rollgate`: its approval is not counted/,
    ],
    [
      'approvals do not open a lock',
      '    requires: { approvals: 1 }\n',
      { lock: locked },
      { kind: 'protection-rule', checkRunUrl: undefined },
      'fail',
      /❌ \*\*lock\*\*/,
    ],
    [
      'a freeze waits',
      '    freezes: [{ from: 2026-12-01, to: 2026-12-03 }]\n',
      {},
      undefined,
      'wait',
      /⏳ \*\*freeze\*\*/,
    ],
  ])('%s', (_, yaml, extra, approval, state, checklist) => {
    const verdict = workflowVerdict(facts(environment(yaml || '    production: true\n'), extra), approval);
    expect(verdict.state).toBe(state);
    const check = { kind: 'evaluated' as const, environment: 'production', verdict };
    expect(gateSummary(check)).toMatch(checklist);
    expect(gateRefusal(check)?.render()).toEqual(
      state === 'pass' ? undefined : expect.stringMatching(checklist),
    );
  });
});

describe('gateAudit', () => {
  test('records a bypass with its actor, and an enforced verdict gate by gate', () => {
    expect(gateAudit({ kind: 'bypassed', actor: 'octocat' })).toEqual({
      enforced: false,
      bypassed_by: 'octocat',
    });
    const verdict = workflowVerdict(facts(environment('    production: true\n')), undefined);
    expect(gateAudit({ kind: 'evaluated', environment: 'production', verdict })).toEqual({
      enforced: true,
      verdict: 'pass',
      gates: [
        { gate: 'lock', state: 'passed' },
        { gate: 'checks', state: 'passed' },
      ],
    });
  });
});

describe('configuredEnvironment', () => {
  test('matches the environment without regard to case, as GitHub does', () => {
    const config = parseConfigText('environments:\n  production: {}\n');
    expect(configuredEnvironment(config, 'Production')?.name).toBe('production');
    expect(configuredEnvironment(config, 'staging')).toBeUndefined();
  });
});
