/**
 * The delivery metrics' arithmetic, worked out by hand: one production history over a week with a
 * failure, an automatic rollback and a rolled-back deploy; the window's edges; environments read
 * apart; and the empty and all-failed cases.
 */
import { describe, expect, test } from '@jest/globals';
import {
  deliveryMetrics,
  formatDuration,
  formatRate,
  median,
  windowOf,
  type DeliveryRecord,
} from '../../app/dashboard/delivery-metrics.ts';

const HOUR = 60 * 60 * 1000;
const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);

/** A record created `created` hours before NOW, finished `took` hours later, its commit `commit` hours before NOW. */
function record(
  id: number,
  task: DeliveryRecord['task'],
  created: number,
  outcome: DeliveryRecord['outcome'],
  took: number,
  commit?: number,
  environment = 'production',
): DeliveryRecord {
  return {
    id,
    environment,
    task,
    createdAt: NOW - created * HOUR,
    outcome,
    finishedAt: outcome === undefined ? undefined : NOW - created * HOUR + took * HOUR,
    commitAt: commit === undefined ? undefined : NOW - commit * HOUR,
  };
}

/**
 * 1 deploy ok (commit 2.5 h before its success); 2 deploy failed after 15 min; 3 its automatic
 * rollback, ok 6 min later (restored 9 min after the failure); 4 deploy ok (lead 11 h); 5 a
 * `/rollback` of it, ok after 30 min (restored in 30 min); 6 deploy ok (lead 1.5 h); 7 in progress.
 */
const WEEK: DeliveryRecord[] = [
  record(1, 'deploy', 100, 'success', 0.5, 102),
  record(2, 'deploy', 80, 'failure', 0.25, 81),
  record(3, 'deploy:rollback', 79.7, 'success', 0.1),
  record(4, 'deploy', 50, 'success', 1, 60),
  record(5, 'deploy:rollback', 48, 'success', 0.5),
  record(6, 'deploy', 10, 'success', 0.5, 11),
  record(7, 'deploy', 1, undefined, 0, 1.5),
];

describe('delivery metrics', () => {
  test('a week of production: 3 deploys, lead time 2.5 h, half the changes failed, restored in 19.5 min', () => {
    const metrics = deliveryMetrics(WEEK, { now: NOW, days: 7 });
    expect(metrics).toMatchObject({
      days: 7,
      deployments: 3,
      perDay: 3 / 7,
      // 2.5 h, 11 h, 1.5 h: the middle one.
      leadTimeMs: 2.5 * HOUR,
      // 1, 2, 4 and 6 finished; 2 failed and 4 was rolled back next; 7 has not finished.
      changes: 4,
      failedChanges: 2,
      changeFailureRate: 0.5,
      // 9 min (2 → 3) and 30 min (5 → its success): the mean of the two.
      restoreMs: 19.5 * 60 * 1000,
      unrestored: 0,
    });
    expect(metrics.leadTimes.map((s) => [s.deploymentId, s.ms / HOUR])).toEqual([
      [1, 2.5],
      [4, 11],
      [6, 1.5],
    ]);
    expect(metrics.restores.map((s) => [s.deploymentId, Math.round(s.ms / 60_000)])).toEqual([
      [3, 9],
      [5, 30],
    ]);
    // Noon to noon touches 8 UTC days; deploy 2 failed on Nov 29 (80 h before Dec 2, 12:00 is Nov 29, 04:00).
    expect(metrics.daily).toHaveLength(8);
    expect(metrics.daily.reduce((n, d) => n + d.successes, 0)).toBe(3);
    expect(metrics.daily.find((d) => d.failures > 0)?.day).toBe(Date.UTC(2026, 10, 29));
  });

  test('the window holds what was created in it, its first instant included', () => {
    // 48 h: the rollback 5 (created exactly 48 h ago), deploy 6 and 7 in progress.
    const metrics = deliveryMetrics(WEEK, { now: NOW, days: 2 });
    expect(metrics).toMatchObject({
      deployments: 1,
      perDay: 0.5,
      leadTimeMs: 1.5 * HOUR,
      changes: 1,
      failedChanges: 0,
      changeFailureRate: 0,
      restoreMs: 30 * 60 * 1000,
      unrestored: 0,
    });
  });

  test('a deploy counts as rolled back only by the next Deployment of its own environment', () => {
    const records = [
      record(1, 'deploy', 5, 'success', 0.5, 6, 'staging'),
      record(2, 'deploy', 4, 'success', 0.5, 6, 'production'),
      record(3, 'deploy:rollback', 3, 'success', 0.5, undefined, 'Production'),
    ];
    const metrics = deliveryMetrics(records, { now: NOW, days: 7 });
    expect(metrics).toMatchObject({ deployments: 2, changes: 2, failedChanges: 1, changeFailureRate: 0.5 });
    expect(metrics.restoreMs).toBe(0.5 * HOUR);
    expect(deliveryMetrics(records.slice(0, 1), { now: NOW, days: 7 }).changeFailureRate).toBe(0);
  });

  test('no deployments: zero deploys, and no lead time, rate or restore to speak of', () => {
    const metrics = deliveryMetrics([], { now: NOW, days: 30 });
    expect(metrics).toMatchObject({
      deployments: 0,
      perDay: 0,
      leadTimeMs: undefined,
      changes: 0,
      failedChanges: 0,
      changeFailureRate: undefined,
      restoreMs: undefined,
      unrestored: 0,
    });
    expect(metrics.daily).toHaveLength(31);
    expect(metrics.daily.every((d) => d.successes === 0 && d.failures === 0)).toBe(true);
  });

  test('only failures: every change failed and the failure is not restored yet', () => {
    const records = [
      record(1, 'deploy', 30, 'failure', 0.2, 31),
      record(2, 'deploy', 20, 'failure', 0.2, 21),
    ];
    const metrics = deliveryMetrics(records, { now: NOW, days: 7 });
    expect(metrics).toMatchObject({
      deployments: 0,
      leadTimeMs: undefined,
      changes: 2,
      failedChanges: 2,
      changeFailureRate: 1,
      restoreMs: undefined,
      // Two failures in a row are one outage.
      unrestored: 1,
    });
  });

  // Failed 199.5 h ago, restored by the success 149 h ago: 50.5 h, seen by 30 days, not by 7.
  test('a failure before the window restored inside it is not counted; a success before a failure restores nothing', () => {
    const records = [
      record(1, 'deploy', 200, 'failure', 0.5, 201),
      record(2, 'deploy', 150, 'success', 1, 151),
      record(3, 'deploy', 40, 'success', 1, 41),
    ];
    const metrics = deliveryMetrics(records, { now: NOW, days: 7 });
    expect(metrics).toMatchObject({
      deployments: 2,
      changes: 2,
      failedChanges: 0,
      restores: [],
      unrestored: 0,
    });
    expect(deliveryMetrics(records, { now: NOW, days: 30 }).restoreMs).toBe(50.5 * HOUR);
  });

  test('a commit dated after its deploy (a clock skew) counts as no wait, not as a negative one', () => {
    const metrics = deliveryMetrics([record(1, 'deploy', 5, 'success', 0.5, 1)], { now: NOW, days: 7 });
    expect(metrics.leadTimeMs).toBe(0);
  });
});

describe('the helpers', () => {
  test.each([
    [[], undefined],
    [[5], 5],
    [[7, 1, 3], 3],
    [[1, 3, 5, 7], 4],
  ])('median of %j is %s', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  test.each([
    [undefined, '—'],
    [0, '0 s'],
    [42_000, '42 s'],
    [5_400_000, '1 h 30 min'],
    [93_784_000, '1 d 2 h'],
    [2 * 24 * HOUR + 59_000, '2 d'],
    [19.5 * 60 * 1000, '19 min 30 s'],
  ])('%s ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  test.each([
    [undefined, '—'],
    [0, '0%'],
    [0.5, '50%'],
    [1 / 3, '33.3%'],
    [1, '100%'],
  ])('rate %s reads %s', (rate, text) => {
    expect(formatRate(rate)).toBe(text);
  });

  test.each([
    ['7', 7],
    ['90', 90],
    [null, 30],
    ['14', 30],
    ['7 ', 30],
  ])('?days=%s is a window of %i days', (query, days) => {
    expect(windowOf(query)).toBe(days);
  });
});
