/**
 * Delivery metrics from an environment's Deployments, as plain arithmetic over plain records (the
 * four measures of DORA's research, https://dora.dev/guides/dora-metrics-four-keys/):
 * - deployment frequency: successful deploys (`task: deploy`) created in the window;
 * - lead time for changes: from the deployed commit's time to its deploy's success (median);
 * - change failure rate: the share of finished deploys that failed, or that the environment's next
 *   Deployment rolled back (`task: deploy:rollback`);
 * - time to restore: from a failure (a failed Deployment, or the rollback that undid a deploy) to
 *   the environment's next successful Deployment (median).
 * The window is `[now − days, now]` and holds what was created in it; what came before only tells
 * what came next (a deploy just before the window rolled back inside it is not counted).
 */

export const WINDOWS = [7, 30, 90] as const;
export type WindowDays = (typeof WINDOWS)[number];

const DAY_MS = 24 * 60 * 60 * 1000;

/** One Deployment of one environment, reduced to what the metrics read. */
export interface DeliveryRecord {
  readonly id: number;
  readonly environment: string;
  readonly task: 'deploy' | 'deploy:rollback';
  /** When the Deployment was created (ms since the epoch). */
  readonly createdAt: number;
  /** Its final state; undefined while it has none (queued, in progress). */
  readonly outcome: 'success' | 'failure' | undefined;
  /** When the final state was written; undefined with no outcome. */
  readonly finishedAt: number | undefined;
  /** When the deployed commit was made; undefined when GitHub did not say. */
  readonly commitAt: number | undefined;
}

/** A day of the window, for the charts: successful and failed deploys created that UTC day. */
export interface DailyCount {
  /** Midnight UTC of the day (ms). */
  readonly day: number;
  readonly successes: number;
  readonly failures: number;
}

/** One measured duration, for the charts and their tables. */
export interface Sample {
  readonly deploymentId: number;
  /** When it ended: the deploy's success, the restoring Deployment's success (ms). */
  readonly at: number;
  readonly ms: number;
}

export interface DeliveryMetrics {
  readonly days: number;
  /** Successful deploys created in the window. */
  readonly deployments: number;
  /** `deployments` per day of the window. */
  readonly perDay: number;
  readonly leadTimes: readonly Sample[];
  /** Median of `leadTimes`; undefined without any. */
  readonly leadTimeMs: number | undefined;
  /** Deploys created in the window that have finished (success or failure). */
  readonly changes: number;
  /** Of `changes`, those that failed or were rolled back next. */
  readonly failedChanges: number;
  /** `failedChanges / changes`; undefined without changes. */
  readonly changeFailureRate: number | undefined;
  readonly restores: readonly Sample[];
  /** Median of `restores`; undefined without any. */
  readonly restoreMs: number | undefined;
  /** Failures that began in the window and have no success after them yet. */
  readonly unrestored: number;
  readonly daily: readonly DailyCount[];
}

/** The middle value (the mean of the two middle ones for an even count); undefined for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? 0) + upper) / 2;
}

const byCreation = (a: DeliveryRecord, b: DeliveryRecord): number => a.createdAt - b.createdAt || a.id - b.id;

/** The records of each environment (case-insensitive, as GitHub's names are), oldest first. */
function perEnvironment(records: readonly DeliveryRecord[]): DeliveryRecord[][] {
  const groups = new Map<string, DeliveryRecord[]>();
  for (const record of records) {
    const key = record.environment.toLowerCase();
    groups.set(key, [...(groups.get(key) ?? []), record]);
  }
  return [...groups.values()].map((group) => group.sort(byCreation));
}

/** Whether a deploy is a failed change: it failed, or the environment's next Deployment rolled it back. */
function failedChange(record: DeliveryRecord, next: DeliveryRecord | undefined): boolean {
  return record.outcome === 'failure' || next?.task === 'deploy:rollback';
}

/**
 * The failures of one environment (oldest first) and what restored each: a failure begins when a
 * Deployment fails (at its failure) or when a rollback is created while none is open; it ends with
 * the first success written after it began. Failures while one is open belong to it.
 */
function incidents(
  records: readonly DeliveryRecord[],
): { start: number; end: number | undefined; by: number | undefined }[] {
  const found: { start: number; end: number | undefined; by: number | undefined }[] = [];
  let open: { start: number; end: number | undefined; by: number | undefined } | undefined;
  for (const record of records) {
    const failedAt =
      record.outcome === 'failure'
        ? record.finishedAt
        : record.task === 'deploy:rollback'
          ? record.createdAt
          : undefined;
    if (open === undefined && failedAt !== undefined) {
      open = { start: failedAt, end: undefined, by: undefined };
      found.push(open);
    }
    if (
      open !== undefined &&
      record.outcome === 'success' &&
      record.finishedAt !== undefined &&
      record.finishedAt >= open.start
    ) {
      open.end = record.finishedAt;
      open.by = record.id;
      open = undefined;
    }
  }
  return found;
}

/**
 * The metrics of `records` (of one environment or several: each environment's sequence is read on
 * its own, then everything is counted together) over the `days` before `now`.
 */
export function deliveryMetrics(
  records: readonly DeliveryRecord[],
  window: { readonly now: number; readonly days: number },
): DeliveryMetrics {
  const from = window.now - window.days * DAY_MS;
  const inWindow = (at: number): boolean => at >= from && at <= window.now;
  const leadTimes: Sample[] = [];
  const restores: Sample[] = [];
  let deployments = 0;
  let changes = 0;
  let failedChanges = 0;
  let unrestored = 0;
  const firstDay = Math.floor(from / DAY_MS) * DAY_MS;
  const dayCount = Math.floor(window.now / DAY_MS) - Math.floor(from / DAY_MS) + 1;
  const daily = Array.from({ length: dayCount }, (_, i) => ({
    day: firstDay + i * DAY_MS,
    successes: 0,
    failures: 0,
  }));

  for (const group of perEnvironment(records)) {
    group.forEach((record, index) => {
      if (record.task !== 'deploy' || !inWindow(record.createdAt)) return;
      const day = daily[Math.floor((record.createdAt - firstDay) / DAY_MS)];
      if (record.outcome === 'success') {
        deployments += 1;
        if (day !== undefined) day.successes += 1;
        if (record.commitAt !== undefined && record.finishedAt !== undefined)
          leadTimes.push({
            deploymentId: record.id,
            at: record.finishedAt,
            ms: Math.max(0, record.finishedAt - record.commitAt),
          });
      }
      if (record.outcome === 'failure' && day !== undefined) day.failures += 1;
      if (record.outcome === undefined) return;
      changes += 1;
      if (failedChange(record, group[index + 1])) failedChanges += 1;
    });
    for (const incident of incidents(group)) {
      if (!inWindow(incident.start)) continue;
      if (incident.end === undefined || incident.by === undefined) unrestored += 1;
      else restores.push({ deploymentId: incident.by, at: incident.end, ms: incident.end - incident.start });
    }
  }
  return {
    days: window.days,
    deployments,
    perDay: deployments / window.days,
    leadTimes: leadTimes.sort((a, b) => a.at - b.at),
    leadTimeMs: median(leadTimes.map((s) => s.ms)),
    changes,
    failedChanges,
    changeFailureRate: changes === 0 ? undefined : failedChanges / changes,
    restores: restores.sort((a, b) => a.at - b.at),
    restoreMs: median(restores.map((s) => s.ms)),
    unrestored,
    daily,
  };
}

/** The window a `days` query asks for; 30 when it names none of 7, 30 and 90. */
export function windowOf(query: string | null): WindowDays {
  return WINDOWS.find((days) => String(days) === query) ?? 30;
}

/** `93784000` → `1 d 2 h`, `5400000` → `1 h 30 min`, `42000` → `42 s`: two units at most. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  const seconds = Math.round(ms / 1000);
  const units: [number, string][] = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor((seconds % 86_400) / 3_600), 'h'],
    [Math.floor((seconds % 3_600) / 60), 'min'],
    [seconds % 60, 's'],
  ];
  const first = units.findIndex(([value]) => value > 0);
  if (first < 0) return '0 s';
  return units
    .slice(first, first + 2)
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value} ${unit}`)
    .join(' ');
}

/** `0.25` → `25%`, `1/3` → `33.3%`; `—` without a rate. */
export function formatRate(rate: number | undefined): string {
  if (rate === undefined) return '—';
  const percent = Math.round(rate * 1000) / 10;
  return `${percent}%`;
}
