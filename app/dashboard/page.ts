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

/** `/dashboard/<owner>/<repo>` with each segment escaped for a URL. */
export function repositoryPath(fullName: string): string {
  return `/dashboard/${fullName.split('/').map(encodeURIComponent).join('/')}`;
}

/** The page of one environment. */
export function environmentPath(fullName: string, environment: string): string {
  return `${repositoryPath(fullName)}/environments/${encodeURIComponent(environment)}`;
}

type Section = 'environments' | 'releases' | 'metrics' | 'environment';

/** The links between a repository's views, the current one marked for assistive technology. */
export function repositoryNav(fullName: string, current: Section): string {
  const base = repositoryPath(fullName);
  const link = (href: string, text: string, here: boolean): string =>
    `<li><a href="${escapeHtml(href)}"${here ? ' aria-current="page"' : ''}>${escapeHtml(text)}</a></li>`;
  return `<nav aria-label="${escapeHtml(fullName)}"><ul class="nav">
<li><a href="/dashboard">All repositories</a></li>
${link(base, `${fullName}: environments`, current === 'environments')}
${link(`${base}/releases`, 'Releases', current === 'releases')}
${link(`${base}/metrics`, 'Delivery metrics', current === 'metrics')}
</ul></nav>`;
}

function row(fullName: string, r: EnvironmentRow, extras?: RepositoryExtras): string {
  const lock = r.lock === undefined ? '—' : `${escapeHtml(r.lock.holder)} (since ${shortTime(r.lock.since)})`;
  return `<tr data-env="${escapeHtml(r.environment)}" data-deployment="${r.deploymentId ?? 0}">
<th scope="row"><a href="${escapeHtml(environmentPath(fullName, r.environment))}" data-field="environment">${escapeHtml(r.environment)}</a></th>
<td data-field="version">${dash(r.version)}</td>
<td data-field="sha"><code>${dash(r.sha?.slice(0, 7))}</code></td>
<td data-field="state"><span class="state">${r.deploymentId === undefined ? '—' : escapeHtml(r.state ?? 'created')}</span></td>
<td data-field="since">${r.since === undefined ? '—' : `<time datetime="${escapeHtml(r.since)}">${shortTime(r.since)}</time>`}</td>
<td data-field="by">${dash(r.by)}</td>
<td data-field="lock">${lock}</td>${extras?.rowActions === undefined ? '' : `\n<td data-field="actions">${extras.rowActions(r)}</td>`}
</tr>`;
}

function repositoryTable(view: RepositoryView, links = false, extras?: RepositoryExtras): string {
  const base = repositoryPath(view.fullName);
  const link = `<a href="${escapeHtml(base)}">${escapeHtml(view.fullName)}</a>${
    links
      ? ` <small><a href="${escapeHtml(`${base}/releases`)}" aria-label="Releases of ${escapeHtml(view.fullName)}">Releases</a> · <a href="${escapeHtml(`${base}/metrics`)}" aria-label="Delivery metrics of ${escapeHtml(view.fullName)}">Delivery metrics</a></small>`
      : ''
  }`;
  if (view.error !== undefined)
    return `<section><h2>${link}</h2><p class="error">${escapeHtml(view.error)}</p></section>`;
  const body =
    view.rows.length === 0
      ? '<tr><td colspan="7">No environment and no deployment yet.</td></tr>'
      : view.rows.map((r) => row(view.fullName, r, extras)).join('\n');
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
const rowOf = (e, create) => {
  const table = [...document.querySelectorAll('table[data-repo]')].find((t) => same(t.dataset.repo, e.repository));
  if (!table) return undefined;
  const body = table.tBodies[0];
  let tr = [...body.rows].find((r) => r.dataset.env !== undefined && same(r.dataset.env, e.environment));
  if (!tr && create) {
    [...body.rows].filter((r) => r.dataset.env === undefined).forEach((r) => r.remove());
    tr = body.insertRow();
    tr.dataset.env = e.environment;
    tr.dataset.deployment = '0';
    const th = document.createElement('th');
    th.scope = 'row';
    th.dataset.field = 'environment';
    th.textContent = e.environment;
    tr.append(th);
    for (const field of ['version', 'sha', 'state', 'since', 'by', 'lock']) tr.insertCell().dataset.field = field;
    tr.cells[6].textContent = '—';
  }
  return tr;
};
const cell = (tr, field, value) => { const c = tr.querySelector('[data-field="' + field + '"]'); if (c) c.textContent = value; };
source.addEventListener('lock', (message) => {
  const e = JSON.parse(message.data);
  const tr = rowOf(e, true);
  if (!tr) return;
  cell(tr, 'lock', e.holder === undefined ? '—' : e.holder + ' (since ' + time(e.since) + ')');
  tr.dataset.updated = 'live';
});
source.addEventListener('check', (message) => {
  const e = JSON.parse(message.data);
  const tr = rowOf(e, false);
  if (!tr) return;
  tr.dataset.check = e.conclusion ?? e.status;
  cell(tr, 'gate', e.conclusion ?? e.status.replace('_', ' '));
});
source.addEventListener('environment', (message) => {
  const e = JSON.parse(message.data);
  const tr = rowOf(e, true);
  if (!tr) return;
  if (Number(tr.dataset.deployment) > e.deploymentId) return;
  tr.dataset.deployment = String(e.deploymentId);
  cell(tr, 'version', e.version ?? '—');
  cell(tr, 'sha', e.sha.slice(0, 7));
  cell(tr, 'state', e.state ?? 'created');
  cell(tr, 'since', time(e.since));
  cell(tr, 'by', e.by ?? '—');
  tr.dataset.updated = 'live';
});
`;

// Colours from GitHub's light theme; each text colour is at least 4.5:1 on white (WCAG AA).
const STYLE = `
body { font: 16px/1.5 system-ui, sans-serif; color: #1f2328; background: #fff; margin: 0 auto; max-width: 72rem; padding: 1rem; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
caption { text-align: left; color: #59636e; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #d1d9e0; vertical-align: top; }
a { color: #0550ae; }
h2 small { font-size: 1rem; font-weight: 400; margin-left: 1rem; }
a:focus-visible, a:hover, button:focus-visible { outline: 2px solid #0550ae; outline-offset: 2px; }
.error { color: #a40e26; }
#live, .muted { color: #59636e; }
header { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 1rem; }
.nav { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; list-style: none; padding: 0; margin: 0 0 1rem; }
.nav a[aria-current] { font-weight: 600; color: #1f2328; }
button { font: inherit; color: #1f2328; background: #f6f8fa; border: 1px solid #818b98; border-radius: 6px; padding: .25rem .75rem; cursor: pointer; }
.state-success { color: #1a7f37; } .state-failure, .state-error { color: #a40e26; }
.gates { list-style: none; padding: 0; } .gates li { margin: .25rem 0; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 1rem; margin: 0 0 1rem; }
.figures div { border: 1px solid #d1d9e0; border-radius: 6px; padding: .5rem .75rem; }
.figures dt { color: #59636e; } .figures dd { margin: 0; font-size: 1.5rem; font-weight: 600; }
.figures dd.muted { font-size: 1rem; font-weight: 400; }
.chart { display: grid; grid-template-columns: minmax(0, 2fr) minmax(12rem, 1fr); gap: 1rem; align-items: start; margin-bottom: 1rem; }
@media (max-width: 48rem) { .chart { grid-template-columns: 1fr; } }
`;

/** What a page adds to the frame: more in `<head>`, a script of its own; whether its user is signed in. */
export interface PageExtras {
  readonly head?: string;
  readonly script?: string;
  readonly signedIn?: boolean;
}

/**
 * The sign-out: a plain form POST (a link's GET could be triggered by any page that embeds it),
 * answered by `POST /dashboard/logout`.
 */
const SIGN_OUT = `<form method="post" action="/dashboard/logout"><button type="submit">Sign out</button></form>`;

/** A whole page. */
export function page(
  title: string,
  nonce: string,
  content: string,
  live: boolean,
  extras: PageExtras = {},
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">${STYLE}</style>
${extras.head ?? ''}
</head>
<body>
<header><h1>${escapeHtml(title)}</h1>${(extras.signedIn ?? live) ? SIGN_OUT : ''}</header>
${live ? '<p id="live" role="status" aria-live="polite">Connecting…</p>' : ''}
<main>
${content}
</main>
${live ? `<script nonce="${nonce}">${LIVE_SCRIPT}</script>` : ''}
${extras.script === undefined ? '' : `<script nonce="${nonce}">${extras.script}</script>`}
</body>
</html>
`;
}

/** The overview: every visible repository. */
export function overviewPage(nonce: string, repositories: readonly RepositoryView[]): string {
  const content =
    repositories.length === 0
      ? '<p>No repository to show: the App is installed on none that you can access.</p>'
      : repositories.map((r) => repositoryTable(r, true)).join('\n');
  return page('Rollgate — environments', nonce, content, true);
}

/** One repository's page. */
export function repositoryPage(nonce: string, repository: RepositoryView, extras?: RepositoryExtras): string {
  return page(
    `Rollgate — ${repository.fullName}`,
    nonce,
    `${repositoryNav(repository.fullName, 'environments')}\n${extras?.notice ?? ''}${repositoryTable(repository, false, extras)}`,
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
