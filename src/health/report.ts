import type { HealthReport } from './check.ts';
import type { ReadinessReport } from './readiness.ts';

/** The job summary a person reads: one row per URL with attempts, last status, p50/p95 and verdict. */
export function renderHealthSummary(
  report: HealthReport,
  readiness: readonly ReadinessReport[] = [],
): string {
  const healthy = report.healthy && readiness.every((r) => r.ready);
  const title = healthy ? '### ✅ Health check passed' : '### ❌ Health check failed';
  const rows = report.urls.map((u) =>
    [
      `\`${escapeCell(u.url)}\``,
      String(u.attempts),
      u.lastStatus === undefined ? (u.lastError === undefined ? '—' : 'no response') : String(u.lastStatus),
      ms(u.latencyP50Ms),
      ms(u.latencyP95Ms),
      u.healthy ? '✅ healthy' : `❌ ${escapeCell(u.reason ?? 'unhealthy')}`,
    ].join(' | '),
  );
  return [
    title,
    '',
    `${report.urls.length} URL${report.urls.length === 1 ? '' : 's'}, ${report.attempts} attempts in ${(report.durationMs / 1000).toFixed(1)} s; p50 ${ms(report.latencyP50Ms)}, p95 ${ms(report.latencyP95Ms)}.`,
    '',
    '| URL | Attempts | Last status | p50 | p95 | Verdict |',
    '|---|---:|---:|---:|---:|---|',
    ...rows.map((row) => `| ${row} |`),
    '',
    ...(readiness.length === 0
      ? []
      : [
          '| Deployment | Ready | Verdict |',
          '|---|---|---|',
          ...readiness.map(
            (r) =>
              `| ${r.deployment} | ${r.ready ? 'yes' : 'no'} | ${r.ready ? '✅' : '❌'} ${escapeCell(r.message)} |`,
          ),
          '',
        ]),
  ].join('\n');
}

function ms(value: number | undefined): string {
  return value === undefined ? '—' : `${value} ms`;
}

function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}
