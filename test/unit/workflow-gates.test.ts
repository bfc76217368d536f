import { describe, expect, test } from '@jest/globals';
import { parseConfigText } from '../../src/config/parse.ts';
import type { EnvironmentConfig } from '../../src/config/types.ts';
import {
  configuredEnvironment,
  deploymentApproval,
  gateAudit,
  gateRefusal,
  gateSummary,
  parseGatesMode,
  workflowVerdict,
  type PriorApproval,
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
  test.each<[string, string, unknown, PriorApproval | undefined]>([
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
      "a Deployment of a workflow's GITHUB_TOKEN",
      'deployment',
      event({ performed_via_github_app: { id: 15368, slug: 'github-actions' } }),
      undefined,
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
    expect(deploymentApproval(name, payload)).toEqual(expected);
  });
});

describe('workflowVerdict', () => {
  const locked = { holder: 'octocat', reason: 'incident' };
  test.each<
    [string, string, Partial<GateFacts>, PriorApproval | undefined, 'pass' | 'fail' | 'wait', RegExp]
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
