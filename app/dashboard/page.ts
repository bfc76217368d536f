/**
 * The dashboard's HTML, rendered on the server: one table per repository, a row per environment.
 * Every value from GitHub (names, versions, logins) is escaped; the only script is the small live
 * updater below, allowed by a per-response nonce in the Content-Security-Policy, and it writes
 * with `textContent` only.
 */
import type { EnvironmentRow } from './environments.ts';

/** Text for HTML content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export interface RepositoryView {
  readonly fullName: string;
  readonly rows: readonly EnvironmentRow[];
  /** Set when the repository could not be read: the page says so instead of its rows. */
  readonly error?: string;
}

/**
 * What a repository's page adds when the user may act (app/dashboard/action-forms.ts): a cell of
 * forms in each row, and the last action's result above the table. Both are HTML, escaped by it.
 */
export interface RepositoryExtras {
  readonly notice?: string;
  readonly rowActions?: (row: EnvironmentRow) => string;
}

/** `2026-12-02T03:51:16Z` → `2026-12-02 03:51 UTC`. */
export function shortTime(iso: string | undefined): string {
  if (iso === undefined || !Number.isFinite(Date.parse(iso))) return '—';
  return `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const dash = (value: string | undefined): string => escapeHtml(value ?? '—');

function row(r: EnvironmentRow, extras?: RepositoryExtras): string {
  const lock = r.lock === undefined ? '—' : `${escapeHtml(r.lock.holder)} (since ${shortTime(r.lock.since)})`;
  return `<tr data-env="${escapeHtml(r.environment)}" data-deployment="${r.deploymentId ?? 0}">
<th scope="row" data-field="environment">${escapeHtml(r.environment)}</th>
<td data-field="version">${dash(r.version)}</td>
<td data-field="sha"><code>${dash(r.sha?.slice(0, 7))}</code></td>
<td data-field="state"><span class="state">${r.deploymentId === undefined ? '—' : escapeHtml(r.state ?? 'created')}</span></td>
<td data-field="since">${r.since === undefined ? '—' : `<time datetime="${escapeHtml(r.since)}">${shortTime(r.since)}</time>`}</td>
<td data-field="by">${dash(r.by)}</td>
<td data-field="lock">${lock}</td>${extras?.rowActions === undefined ? '' : `\n<td data-field="actions">${extras.rowActions(r)}</td>`}
</tr>`;
}

function repositoryTable(view: RepositoryView, extras?: RepositoryExtras): string {
  const link = `<a href="/dashboard/${view.fullName.split('/').map(encodeURIComponent).join('/')}">${escapeHtml(view.fullName)}</a>`;
  if (view.error !== undefined)
    return `<section><h2>${link}</h2><p class="error">${escapeHtml(view.error)}</p></section>`;
  const body =
    view.rows.length === 0
      ? '<tr><td colspan="7">No environment and no deployment yet.</td></tr>'
      : view.rows.map((r) => row(r, extras)).join('\n');
  return `<section>
<h2>${link}</h2>
<table data-repo="${escapeHtml(view.fullName)}">
<caption>Environments of ${escapeHtml(view.fullName)}</caption>
<thead><tr><th scope="col">Environment</th><th scope="col">Version</th><th scope="col">Commit</th><th scope="col">Status</th><th scope="col">Since</th><th scope="col">By</th><th scope="col">Lock</th>${extras?.rowActions === undefined ? '' : '<th scope="col">Actions</th>'}</tr></thead>
<tbody>
${body}
</tbody>
</table>
</section>`;
}

/** Updates rows from the server-sent events of `/dashboard/events`, without a reload. */
const LIVE_SCRIPT = `
const live = document.getElementById('live');
const source = new EventSource('/dashboard/events');
source.onopen = () => { live.dataset.live = 'open'; live.textContent = 'Live: updates appear as they happen.'; };
source.onerror = () => { live.dataset.live = 'retrying'; live.textContent = 'Reconnecting…'; };
const same = (a, b) => a.toLowerCase() === b.toLowerCase();
const time = (iso) => { const d = new Date(iso); return isNaN(d) ? '—' : d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC'; };
source.addEventListener('environment', (message) => {
  const e = JSON.parse(message.data);
  const table = [...document.querySelectorAll('table[data-repo]')].find((t) => same(t.dataset.repo, e.repository));
  if (!table) return;
  const body = table.tBodies[0];
  let tr = [...body.rows].find((r) => r.dataset.env !== undefined && same(r.dataset.env, e.environment));
  if (!tr) {
    [...body.rows].filter((r) => r.dataset.env === undefined).forEach((r) => r.remove());
    tr = body.insertRow();
    tr.dataset.env = e.environment;
    tr.dataset.deployment = '0';
    const th = document.createElement('th');
    th.scope = 'row';
    th.dataset.field = 'environment';
    tr.append(th);
    for (const field of ['version', 'sha', 'state', 'since', 'by', 'lock']) tr.insertCell().dataset.field = field;
    tr.cells[6].textContent = '—';
  }
  if (Number(tr.dataset.deployment) > e.deploymentId) return;
  tr.dataset.deployment = String(e.deploymentId);
  const set = (field, value) => { tr.querySelector('[data-field="' + field + '"]').textContent = value; };
  set('environment', e.environment);
  set('version', e.version ?? '—');
  set('sha', e.sha.slice(0, 7));
  set('state', e.state ?? 'created');
  set('since', time(e.since));
  set('by', e.by ?? '—');
  tr.dataset.updated = 'live';
});
`;

const STYLE = `
body { font: 16px/1.5 system-ui, sans-serif; color: #1f2328; background: #fff; margin: 0 auto; max-width: 72rem; padding: 1rem; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
caption { text-align: left; color: #59636e; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #d1d9e0; }
a { color: #0550ae; }
a:focus, a:hover { outline: 2px solid #0550ae; outline-offset: 2px; }
.error { color: #a40e26; }
#live { color: #59636e; }
`;

/** A whole page. */
export function page(title: string, nonce: string, content: string, live: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1>${live ? '<p id="live" role="status" aria-live="polite">Connecting…</p>' : ''}</header>
<main>
${content}
</main>
${live ? `<script nonce="${nonce}">${LIVE_SCRIPT}</script>` : ''}
</body>
</html>
`;
}

/** The overview: every visible repository. */
export function overviewPage(nonce: string, repositories: readonly RepositoryView[]): string {
  const content =
    repositories.length === 0
      ? '<p>No repository to show: the App is installed on none that you can access.</p>'
      : repositories.map((r) => repositoryTable(r)).join('\n');
  return page('Rollgate — environments', nonce, content, true);
}

/** One repository's page. */
export function repositoryPage(nonce: string, repository: RepositoryView, extras?: RepositoryExtras): string {
  return page(
    `Rollgate — ${repository.fullName}`,
    nonce,
    `<p><a href="/dashboard">All repositories</a></p>\n${extras?.notice ?? ''}${repositoryTable(repository, extras)}`,
    true,
  );
}

/** A page that only says something (an error, a refusal). */
export function messagePage(
  nonce: string,
  title: string,
  message: string,
  link?: { href: string; text: string },
): string {
  const more = link === undefined ? '' : ` <a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a>`;
  return page(title, nonce, `<p>${escapeHtml(message)}${more}</p>`, false);
}
