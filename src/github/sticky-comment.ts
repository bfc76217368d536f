import { cell, hiddenJson, mention } from './markdown.ts';

/** One environment's row in the pull request's sticky comment. */
export interface EnvironmentRow {
  readonly environment: string;
  readonly state: string;
  readonly version: string;
  readonly sha: string;
  readonly by: string;
  readonly deploymentId: number;
  readonly logUrl: string | undefined;
  readonly environmentUrl: string | undefined;
  readonly updatedAt: string;
  /** A failed deploy the deploy action rolled back: what runs is the version before it. */
  readonly rolledBack?: boolean;
}

const MARKER = '<!-- rollgate:environments';

const ICONS: Readonly<Record<string, string>> = {
  queued: '⏳',
  pending: '⏳',
  in_progress: '🔄',
  success: '✅',
  failure: '❌',
  error: '❌',
  inactive: '⚪',
};

/** Whether a comment body is Rollgate's sticky comment. */
export function isStickyComment(body: string | undefined | null): boolean {
  return body?.startsWith(MARKER) === true;
}

/** The rows kept in a sticky comment's hidden data (its first line), oldest environment first. */
export function readStickyRows(body: string): EnvironmentRow[] {
  const first = body.split('\n', 1)[0] ?? '';
  const json = first
    .slice(MARKER.length)
    .replace(/-->\s*$/, '')
    .trim();
  try {
    const rows: unknown = JSON.parse(json);
    return Array.isArray(rows) ? (rows as EnvironmentRow[]) : [];
  } catch {
    return [];
  }
}

/** Replaces (or adds) the row of `row.environment`, keeping the others. */
export function upsertRow(rows: readonly EnvironmentRow[], row: EnvironmentRow): EnvironmentRow[] {
  const index = rows.findIndex((r) => r.environment === row.environment);
  if (index < 0) return [...rows, row];
  return rows.map((r, i) => (i === index ? row : r));
}

/** Only plain http(s) URLs become links: nothing that could close the link or the table cell. */
export function linkable(url: string | undefined): url is string {
  return url !== undefined && /^https?:\/\/[^\s()<>|[\]`]+$/.test(url);
}

/**
 * The sticky comment: a table of this pull request's environments and their state, with its
 * rows as data in the first (hidden) line so that any App replica can update it in place.
 */
export function renderStickyComment(rows: readonly EnvironmentRow[]): string {
  const table = rows.map((r) => {
    const state = `${ICONS[r.state] ?? '•'} ${r.state.replace('_', ' ')}${r.rolledBack === true ? ', rolled back' : ''}`;
    const links = [
      linkable(r.environmentUrl) ? `[open](${r.environmentUrl})` : '',
      linkable(r.logUrl) ? `[run](${r.logUrl})` : '',
    ]
      .filter((l) => l !== '')
      .join(' · ');
    return `| ${cell(r.environment)} | ${state} | ${cell(r.version)} | \`${r.sha.slice(0, 7)}\` | ${mention(r.by)} | ${r.updatedAt.replace('T', ' ').slice(0, 16)} UTC | ${links || '—'} |`;
  });
  return [
    `${MARKER} ${hiddenJson(rows)} -->`,
    '### 🚦 Rollgate environments',
    '',
    '| Environment | State | Version | Commit | By | Updated | Links |',
    '|---|---|---|---|---|---|---|',
    ...table,
    '',
    '<sub>Updated by Rollgate as deployments move. Type `/help` for the commands.</sub>',
  ].join('\n');
}
