import { describe, expect, test } from '@jest/globals';
import type { GateRecords, RequestRecord } from '../../app/handlers/gate-records.ts';
import { parsePullPush, supersededRuns, type HeadCheckRun } from '../../app/handlers/pull-push.ts';

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);

describe('parsePullPush', () => {
  test.each<[string, Record<string, unknown>, ReturnType<typeof parsePullPush>]>([
    [
      'a push',
      { before: OLD, after: NEW, pull_request: { number: 7 } },
      { pull: 7, before: OLD, after: NEW },
    ],
    [
      'shas in upper case are folded',
      { before: OLD.toUpperCase(), after: NEW, pull_request: { number: 7 } },
      { pull: 7, before: OLD, after: NEW },
    ],
    ['no before', { after: NEW, pull_request: { number: 7 } }, undefined],
    ['a short sha', { before: 'abc1234', after: NEW, pull_request: { number: 7 } }, undefined],
    ['the head did not move', { before: OLD, after: OLD, pull_request: { number: 7 } }, undefined],
    ['no pull request', { before: OLD, after: NEW, pull_request: null }, undefined],
    ['a number that is not one', { before: OLD, after: NEW, pull_request: { number: '7' } }, undefined],
  ])('%s', (_, payload, expected) => {
    expect(parsePullPush(payload)).toEqual(expected);
  });
});

describe('supersededRuns', () => {
  const request = (comment: number, extra: Partial<RequestRecord> = {}): RequestRecord => ({
    environment: 'production',
    sha: OLD,
    version: '1.2.0',
    requester: 'octocat',
    comment,
    pull: 7,
    params: {},
    commentUrl: `https://github.com/o/r/pull/7#issuecomment-${comment}`,
    branch: 'feature',
    ...extra,
  });
  const run = (id: number, comment: number, extra: Partial<HeadCheckRun> = {}): HeadCheckRun => ({
    id,
    externalId: `request:${comment}`,
    status: 'in_progress',
    ours: true,
    ...extra,
  });
  const push = { pull: 7, before: OLD, after: NEW };
  const records = (...requests: RequestRecord[]): GateRecords => ({ requests, verdicts: [] });

  test.each<[string, GateRecords, HeadCheckRun[], number[]]>([
    ['a waiting request of the old head', records(request(1)), [run(10, 1)], [10]],
    ['a deferred request (queued) too', records(request(1)), [run(10, 1, { status: 'queued' })], [10]],
    [
      'one per request, whatever the environment',
      records(request(1), request(2, { environment: 'staging' })),
      [run(10, 1), run(11, 2)],
      [10, 11],
    ],
    [
      'a request already concluded keeps its verdict',
      records(request(1)),
      [run(10, 1, { status: 'completed' })],
      [],
    ],
    ["another App's run of the same external id", records(request(1)), [run(10, 1, { ours: false })], []],
    ['a run of no request of this pull request', records(request(1)), [run(10, 99)], []],
    [
      'a request of another pull request on the same commit',
      records(request(1, { pull: 8 })),
      [run(10, 1)],
      [],
    ],
    ['a request of an older commit', records(request(1, { sha: 'c'.repeat(40) })), [run(10, 1)], []],
    [
      'a Deployment check run (its external id is the Deployment id)',
      records(request(1)),
      [run(10, 1, { externalId: '4242' })],
      [],
    ],
  ])('%s', (_, given, runs, expected) => {
    expect(supersededRuns(given, push, runs).map((r) => r.checkRunId)).toEqual(expected);
  });
});
