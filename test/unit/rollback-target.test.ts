import { describe, expect, test } from '@jest/globals';
import type {
  GitHubDeployment,
  GitHubDeploymentStatus,
  RollgateDeployment,
} from '../../src/github/deployments.ts';
import { rollgateDeployment } from '../../src/github/deployments.ts';
import { chooseRollbackTarget, type RollbackChoice } from '../../src/github/rollback-target.ts';

/** `id:version:state`, `id:version:state:rollback`, `id:version:state:rollback:replaces` — oldest first. */
function history(...rows: string[]): RollgateDeployment[] {
  return rows
    .map((row) => {
      const [id = '0', version = '', state = '', task = '', replaces] = row.split(':');
      const record: RollgateDeployment = {
        id: Number(id),
        task: task === 'rollback' ? 'deploy:rollback' : 'deploy',
        version,
        sha: version.replace(/\W/g, '').padEnd(40, '0'),
        state: state === '-' ? undefined : (state as RollgateDeployment['state']),
        requester: 'octocat',
        since: '2026-12-01T10:00:00Z',
        replaces: replaces === undefined ? undefined : Number(replaces),
      };
      return record;
    })
    .reverse();
}

/** The choice in a word and the version it aims at: `rollback 1.1.0`, `already-running 1.1.0`, `never-deployed`. */
function summary(choice: RollbackChoice): string {
  return 'target' in choice && typeof choice.target !== 'string'
    ? `${choice.kind} ${choice.target.version} #${choice.target.id}`
    : choice.kind;
}

describe('chooseRollbackTarget without a target: the previous good version', () => {
  test.each<[string, string[], string]>([
    [
      'two good deploys: the one before the current',
      ['1:1.0.0:inactive', '2:1.1.0:success'],
      'rollback 1.0.0 #1',
    ],
    [
      'the current deploy failed and was left in place: the last good one, not the one before it',
      ['1:1.0.0:inactive', '2:1.1.0:inactive', '3:1.2.0:failure'],
      'rollback 1.1.0 #2',
    ],
    [
      'a failed deploy rolled back automatically: the restored version already runs',
      ['1:1.0.0:inactive', '2:1.1.0:inactive', '3:1.2.0:failure', '4:1.1.0:success:rollback:3'],
      'already-running 1.1.0 #2',
    ],
    [
      'a good deploy after an automatic rollback: back to the restored version (the rollback record)',
      [
        '1:1.0.0:inactive',
        '2:1.1.0:inactive',
        '3:1.2.0:failure',
        '4:1.1.0:inactive:rollback:3',
        '5:1.3.0:success',
      ],
      'rollback 1.1.0 #4',
    ],
    [
      'a version a manual rollback replaced is not good',
      [
        '1:1.0.0:inactive',
        '2:1.1.0:inactive',
        '3:1.2.0:inactive',
        '4:1.1.0:success:rollback',
        '5:1.3.0:success',
      ],
      'rollback 1.1.0 #4',
    ],
    [
      'a second rollback right after a manual one does not walk further back',
      ['1:1.0.0:inactive', '2:1.1.0:inactive', '3:1.0.0:success:rollback'],
      'already-running 1.0.0 #1',
    ],
    [
      'errored deploys are passed over too',
      ['1:1.0.0:inactive', '2:1.1.0:error', '3:1.2.0:success'],
      'rollback 1.0.0 #1',
    ],
    [
      'a deploy still queued or in progress is the current one',
      ['1:1.0.0:inactive', '2:1.1.0:success', '3:1.2.0:-'],
      'rollback 1.1.0 #2',
    ],
    [
      'an earlier deploy that never got a status is not good',
      ['1:1.0.0:success', '2:1.1.0:-', '3:1.2.0:in_progress'],
      'rollback 1.0.0 #1',
    ],
    [
      'a version that failed later is not good, though it once went live',
      ['1:0.9.0:inactive', '2:1.0.0:inactive', '3:1.1.0:inactive', '4:1.0.0:failure', '5:1.2.0:success'],
      'rollback 1.1.0 #3',
    ],
    [
      'the current deploy failed with a version that once went live: not back to it',
      ['1:0.9.0:inactive', '2:1.0.0:inactive', '3:1.0.0:failure'],
      'rollback 0.9.0 #1',
    ],
    [
      'after a rollback that failed: neither what it left nor what it aimed at',
      ['1:0.9.0:inactive', '2:1.0.0:inactive', '3:1.1.0:success', '4:1.0.0:failure:rollback'],
      'rollback 0.9.0 #1',
    ],
    ['one deploy: nothing earlier', ['1:1.0.0:success'], 'no-earlier-good'],
    [
      'every earlier deploy failed or was rolled back',
      ['1:1.0.0:failure', '2:1.1.0:success', '3:1.0.0:success:rollback'],
      'no-earlier-good',
    ],
    ['no Rollgate deploy at all', [], 'never-deployed'],
  ])('%s', (_case, rows, expected) => {
    expect(summary(chooseRollbackTarget(history(...rows)))).toBe(expected);
  });

  test('the order the records come in does not matter', () => {
    const records = history('1:1.0.0:inactive', '2:1.1.0:inactive', '3:1.2.0:failure');
    expect(summary(chooseRollbackTarget([...records].reverse()))).toBe('rollback 1.1.0 #2');
  });

  test('says what it rolls back from', () => {
    const choice = chooseRollbackTarget(history('1:1.0.0:inactive', '2:1.1.0:failure'));
    expect(choice.kind === 'rollback' ? choice.current.version : undefined).toBe('1.1.0');
  });
});

describe('chooseRollbackTarget with a target', () => {
  const records = history(
    '10:1.0.0:inactive',
    '11:1.1.0:inactive',
    '12:1.2.0:failure',
    '13:1.1.0:success:rollback:12',
  );
  test.each<[string, string]>([
    ['1.0.0', 'rollback 1.0.0 #10'],
    ['1.1.0', 'rollback 1.1.0 #13'],
    ['10', 'rollback 1.0.0 #10'],
    ['#11', 'rollback 1.1.0 #11'],
    ['1.2.0', 'no-match'],
    ['12', 'no-match'],
    ['2.0.0', 'no-match'],
  ])('%s → %s', (target, expected) => {
    expect(summary(chooseRollbackTarget(records, target))).toBe(expected);
  });

  test('an unknown target names the versions that went live, newest first, once each', () => {
    expect(chooseRollbackTarget(records, '9.9.9')).toEqual({
      kind: 'no-match',
      target: '9.9.9',
      known: ['1.1.0', '1.0.0'],
    });
  });
});

describe('rollgateDeployment: only Rollgate’s own records', () => {
  const base = {
    id: 7,
    sha: 'a'.repeat(40),
    task: 'deploy',
    created_at: '2026-12-01T09:00:00Z',
    creator: { login: 'github-actions[bot]' },
  };
  const status = { state: 'success', updated_at: '2026-12-01T09:05:00Z' } as GitHubDeploymentStatus;
  const read = (fields: Record<string, unknown>) =>
    rollgateDeployment({ ...base, ...fields } as unknown as GitHubDeployment, status);

  test.each<[string, Record<string, unknown>]>([
    ['a workflow job’s deployment (empty payload)', { payload: {} }],
    ['an empty string payload', { payload: '' }],
    ['a payload that is not JSON', { payload: 'deploy please' }],
    ['a payload with a version that is not a string', { payload: { version: 3 } }],
    ['an empty version', { payload: { version: '' } }],
    ['another task', { task: 'migrate', payload: { version: '1.0.0' } }],
    ['an array payload', { payload: ['1.0.0'] }],
  ])('leaves out %s', (_case, fields) => {
    expect(read(fields)).toBeUndefined();
  });

  test('reads a deploy, its requester and its newest state', () => {
    expect(read({ payload: { version: '1.4.0', requester: 'monalisa' } })).toEqual({
      id: 7,
      task: 'deploy',
      version: '1.4.0',
      sha: 'a'.repeat(40),
      state: 'success',
      requester: 'monalisa',
      since: '2026-12-01T09:05:00Z',
      replaces: undefined,
    });
  });

  test('reads a rollback given as a JSON string, naming the deployment it reverted', () => {
    expect(
      read({
        task: 'deploy:rollback',
        payload: JSON.stringify({ version: '1.3.0', failed_deployment_id: 6 }),
      }),
    ).toMatchObject({
      task: 'deploy:rollback',
      version: '1.3.0',
      replaces: 6,
      requester: 'github-actions[bot]',
    });
  });
});
