/**
 * The HTML of a repository's views beyond its environments' table: one environment (its history,
 * the request waiting for its gates, the commits between what runs and what waits), the releases
 * and the delivery metrics. Rendered on the server from plain data; everything from GitHub is
 * escaped; each chart is drawn by uPlot from data in the page, its numbers written beside it and
 * in a table, so that nothing depends on the canvas.
 */
import type { GateOutcome } from '../../src/gates/index.ts';
import type { DeliveryMetrics, Sample } from './delivery-metrics.ts';
import { formatDuration, formatRate, WINDOWS } from './delivery-metrics.ts';
import { ASSETS } from './assets.ts';
import type { DeploymentEntry } from './history.ts';
import { escapeHtml, page, repositoryNav, repositoryPath, shortTime } from './page.ts';
import type { CommitDiff, PendingRequest } from './pending.ts';
import type { ReleaseRow } from './releases.ts';

const dash = (value: string | undefined): string => escapeHtml(value ?? '—');

const time = (iso: string | undefined): string =>
  iso === undefined ? '—' : `<time datetime="${escapeHtml(iso)}">${shortTime(iso)}</time>`;

/** A link to GitHub's web UI (never to a `javascript:` or other scheme: GitHub's own URLs only). */
const external = (url: string, text: string, label?: string): string =>
  /^https?:\/\//.test(url)
    ? `<a href="${escapeHtml(url)}"${label === undefined ? '' : ` aria-label="${escapeHtml(label)}"`}>${escapeHtml(text)}</a>`
    : escapeHtml(text);

/**
 * The Markdown of a gate's summary (src/gates: user values already in code spans) as HTML: code
 * spans and `**bold**` become elements, the rest stays text, escaped.
 */
export function inlineMarkdown(markdown: string): string {
  let html = '';
  let rest = markdown;
  while (rest.length > 0) {
    const fence = /^`+/.exec(rest)?.[0];
    if (fence !== undefined) {
      const end = rest.indexOf(fence, fence.length);
      if (end > 0) {
        html += `<code>${escapeHtml(rest.slice(fence.length, end).replace(/^ (.*) $/, '$1'))}</code>`;
        rest = rest.slice(end + fence.length);
        continue;
      }
    }
    const bold = /^\*\*([^*]+)\*\*/.exec(rest);
    if (bold !== null) {
      html += `<strong>${escapeHtml(bold[1] ?? '')}</strong>`;
      rest = rest.slice(bold[0].length);
      continue;
    }
    const escaped = /^\\([\\`*_[\]<>|#!~-])/.exec(rest);
    const plain = escaped?.[1] ?? /^[^`*\\]+|^./.exec(rest)?.[0] ?? '';
    html += escapeHtml(plain);
    rest = rest.slice(escaped === null ? plain.length : 2);
  }
  return html;
}

/** Symbols the fonts of a plain Linux desktop draw too (not every system has colour emoji), with words. */
const GATE_WORDS: Readonly<Record<GateOutcome['state'], string>> = {
  passed: '✓ passed',
  failed: '✗ failed',
  waiting: '… waiting',
};

function gateItem(gate: GateOutcome): string {
  const parts = [`<strong>${escapeHtml(gate.gate)}</strong>: ${inlineMarkdown(gate.summary)}`];
  if (gate.change !== undefined) parts.push(`needs ${inlineMarkdown(gate.change)}`);
  if (gate.opensAt !== undefined) parts.push(`opens ${time(gate.opensAt.toISOString())}`);
  return `<li data-gate="${escapeHtml(gate.gate)}" data-state="${gate.state}"><span class="state-${gate.state === 'passed' ? 'success' : gate.state === 'failed' ? 'failure' : 'waiting'}">${GATE_WORDS[gate.state]}</span> ${parts.join(' — ')}</li>`;
}

function diffSection(diff: CommitDiff): string {
  const rows = diff.commits.map(
    (c) =>
      `<tr><td><code>${external(c.url, c.sha.slice(0, 7), `commit ${c.sha.slice(0, 7)}`)}</code></td><td>${escapeHtml(c.title)}</td><td>${dash(c.author)}</td><td>${time(c.at)}</td></tr>`,
  );
  const summary =
    diff.status === 'identical'
      ? 'What waits is what runs.'
      : `${diff.aheadBy} commit${diff.aheadBy === 1 ? '' : 's'} ahead of what runs${diff.behindBy > 0 ? `, ${diff.behindBy} behind` : ''} (${external(diff.url, 'compare on GitHub')}).`;
  return `<section aria-labelledby="diff-title">
<h3 id="diff-title">Commits between what runs and what waits</h3>
<p data-diff="${escapeHtml(diff.status)}"><code>${escapeHtml(diff.base.slice(0, 7))}</code> → <code>${escapeHtml(diff.head.slice(0, 7))}</code>: ${summary}</p>
${
  rows.length === 0
    ? ''
    : `<table class="commits"><caption>Commits waiting to be deployed, newest first</caption>
<thead><tr><th scope="col">Commit</th><th scope="col">Message</th><th scope="col">Author</th><th scope="col">Committed</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>`
}
</section>`;
}

function pendingSection(
  webRepo: string,
  pending: PendingRequest | undefined,
  verdictForm: string | undefined,
): string {
  if (pending === undefined)
    return `<section aria-labelledby="pending-title"><h2 id="pending-title">Waiting for approval</h2><p>No request waits for this environment’s gates.</p></section>`;
  const { request } = pending;
  const gates =
    pending.verdict === undefined
      ? `<p class="error">${escapeHtml(pending.problem ?? 'The gates could not be evaluated.')}</p>`
      : `<ul class="gates" aria-label="Gates">${pending.verdict.gates.map(gateItem).join('\n')}</ul>`;
  return `<section aria-labelledby="pending-title" data-pending="${request.comment}">
<h2 id="pending-title">Waiting for approval</h2>
<p><strong>${escapeHtml(request.version)}</strong> (<code>${escapeHtml(request.sha.slice(0, 7))}</code>), asked by ${escapeHtml(request.requester)} in ${external(`${webRepo}/pull/${request.pull}`, `#${request.pull}`, `pull request ${request.pull}`)}. Eligible approvers comment <code>/approve ${escapeHtml(request.environment)}</code> there.</p>
${gates}
${verdictForm ?? ''}
${pending.diff === undefined ? '<p>Nothing runs here yet: every commit of the request is new.</p>' : diffSection(pending.diff)}
</section>`;
}

const KIND: Readonly<Record<DeploymentEntry['task'], string>> = {
  deploy: 'deploy',
  'deploy:rollback': 'rollback',
};

function historyRow(webRepo: string, e: DeploymentEntry): string {
  const state = e.final?.state ?? e.state ?? 'created';
  const version =
    e.task === 'deploy:rollback' && e.rolledBackFrom !== undefined
      ? `${dash(e.version)} <span class="muted">(from ${escapeHtml(e.rolledBackFrom)})</span>`
      : dash(e.version);
  return `<tr data-deployment="${e.id}">
<th scope="row" data-field="id">${e.id}</th>
<td data-field="kind">${KIND[e.task]}</td>
<td data-field="version">${version}</td>
<td data-field="sha"><code>${external(`${webRepo}/commit/${e.sha}`, e.sha.slice(0, 7), `commit ${e.sha.slice(0, 7)}`)}</code></td>
<td data-field="by">${dash(e.by)}</td>
<td data-field="state"><span class="state-${escapeHtml(state)}">${escapeHtml(state)}</span></td>
<td data-field="started">${time(e.createdAt)}</td>
<td data-field="duration">${formatDuration(e.durationMs)}</td>
<td data-field="run">${e.logUrl === undefined ? '—' : external(e.logUrl, 'run', `workflow run of deployment ${e.id}`)}</td>
<td data-field="pull">${e.pullRequest === undefined ? '—' : external(`${webRepo}/pull/${e.pullRequest}`, `#${e.pullRequest}`, `pull request ${e.pullRequest}`)}</td>
</tr>`;
}

export interface EnvironmentView {
  readonly fullName: string;
  /** `https://github.com/<owner>/<repo>`. */
  readonly webRepo: string;
  readonly environment: string;
  readonly history: readonly DeploymentEntry[];
  readonly live: DeploymentEntry | undefined;
  readonly lock: { readonly holder: string; readonly since: string } | undefined;
  readonly pending: PendingRequest | undefined;
  /** The Approve / Reject form of the waiting request (action-forms.ts), when the user can act. */
  readonly verdictForm?: string;
}

/** One environment's page. */
export function environmentPage(nonce: string, view: EnvironmentView): string {
  const { live } = view;
  const running =
    live === undefined
      ? '<p>Nothing runs here yet.</p>'
      : `<p data-live="${live.id}"><strong>${dash(live.version)}</strong> (<code>${escapeHtml(live.sha.slice(0, 7))}</code>) since ${time(live.final?.at)}, deployed by ${dash(live.by)}.${
          view.lock === undefined
            ? ''
            : ` Locked by ${escapeHtml(view.lock.holder)} since ${time(view.lock.since)}.`
        }</p>`;
  const body =
    view.history.length === 0
      ? '<tr><td colspan="10">No deployment yet.</td></tr>'
      : view.history.map((e) => historyRow(view.webRepo, e)).join('\n');
  const content = `${repositoryNav(view.fullName, 'environment')}
<section aria-labelledby="running-title"><h2 id="running-title">Running now</h2>${running}</section>
${pendingSection(view.webRepo, view.pending, view.verdictForm)}
<section aria-labelledby="history-title">
<h2 id="history-title">History</h2>
<table data-history="${escapeHtml(view.environment)}">
<caption>Deployments of ${escapeHtml(view.environment)}, newest first (the last 100 of the repository)</caption>
<thead><tr><th scope="col">Deployment</th><th scope="col">Kind</th><th scope="col">Version</th><th scope="col">Commit</th><th scope="col">By</th><th scope="col">State</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Run</th><th scope="col">Pull request</th></tr></thead>
<tbody>
${body}
</tbody>
</table>
</section>`;
  return page(`Rollgate — ${view.fullName} · ${view.environment}`, nonce, content, false, { signedIn: true });
}

/** The releases page. */
export function releasesPage(nonce: string, fullName: string, releases: readonly ReleaseRow[]): string {
  const rows = releases.map((r) => {
    const where =
      r.runsIn.length === 0
        ? '<span class="muted">nowhere</span>'
        : r.runsIn
            .map(
              (env) =>
                `<a href="${escapeHtml(`${repositoryPath(fullName)}/environments/${encodeURIComponent(env)}`)}">${escapeHtml(env)}</a>`,
            )
            .join(', ');
    return `<tr data-release="${escapeHtml(r.tag)}">
<th scope="row">${external(r.url, r.tag, `release ${r.tag} on GitHub`)}${r.prerelease ? ' <span class="muted">(pre-release)</span>' : ''}</th>
<td>${escapeHtml(r.name)}</td>
<td>${time(r.publishedAt)}</td>
<td>${dash(r.author)}</td>
<td data-field="runs">${where}</td>
</tr>`;
  });
  const content = `${repositoryNav(fullName, 'releases')}
<table data-releases="${escapeHtml(fullName)}">
<caption>Published releases of ${escapeHtml(fullName)}, newest first, and the environments running each now</caption>
<thead><tr><th scope="col">Tag</th><th scope="col">Name</th><th scope="col">Published</th><th scope="col">By</th><th scope="col">Runs in</th></tr></thead>
<tbody>
${rows.length === 0 ? '<tr><td colspan="5">No published release yet.</td></tr>' : rows.join('\n')}
</tbody>
</table>`;
  return page(`Rollgate — ${fullName} · releases`, nonce, content, false, { signedIn: true });
}

/** One chart's data for the page's script: x in seconds (uPlot's time scale), one array per series. */
interface ChartData {
  readonly title: string;
  readonly unit: string;
  readonly kind: 'bars' | 'points';
  readonly series: readonly { readonly label: string; readonly color: string }[];
  readonly data: readonly (readonly number[])[];
}

const hours = (ms: number): number => Math.round((ms / 3_600_000) * 100) / 100;
const minutes = (ms: number): number => Math.round((ms / 60_000) * 10) / 10;

function sampleTable(
  caption: string,
  samples: readonly Sample[],
  unit: string,
  value: (ms: number) => number,
): string {
  if (samples.length === 0) return `<p class="muted">${escapeHtml(caption)}: none in this window.</p>`;
  return `<table><caption>${escapeHtml(caption)}</caption>
<thead><tr><th scope="col">Deployment</th><th scope="col">Ended</th><th scope="col">${escapeHtml(unit)}</th></tr></thead>
<tbody>${samples.map((s) => `<tr><td>${s.deploymentId}</td><td>${time(new Date(s.at).toISOString())}</td><td>${value(s.ms)}</td></tr>`).join('')}</tbody></table>`;
}

function chart(id: string, data: ChartData, beside: string, table: string): string {
  return `<figure class="chart" aria-labelledby="${id}-caption">
<div class="canvas" data-chart="${escapeHtml(JSON.stringify(data))}" role="img" aria-label="${escapeHtml(`${data.title} (chart; the numbers are beside it and in the table below)`)}"></div>
<figcaption id="${id}-caption"><strong>${escapeHtml(data.title)}</strong><br>${beside}</figcaption>
</figure>
<details><summary>${escapeHtml(data.title)}: the table</summary>${table}</details>`;
}

export interface MetricsSection {
  /** `All environments`, or an environment's name. */
  readonly title: string;
  readonly environment: string | undefined;
  readonly metrics: DeliveryMetrics;
}

function metricsSection(index: number, section: MetricsSection): string {
  const m = section.metrics;
  const id = `m${index}`;
  const figures = `<dl class="figures" data-metrics="${escapeHtml(section.environment ?? '*')}">
<div><dt>Deployment frequency</dt><dd data-metric="frequency">${m.deployments} in ${m.days} days</dd><dd class="muted">${(Math.round(m.perDay * 100) / 100).toString()} a day</dd></div>
<div><dt>Lead time for changes (median)</dt><dd data-metric="lead-time">${formatDuration(m.leadTimeMs)}</dd><dd class="muted">${m.leadTimes.length} deploys measured</dd></div>
<div><dt>Change failure rate</dt><dd data-metric="failure-rate">${formatRate(m.changeFailureRate)}</dd><dd class="muted">${m.failedChanges} of ${m.changes} changes</dd></div>
<div><dt>Time to restore (median)</dt><dd data-metric="restore">${formatDuration(m.restoreMs)}</dd><dd class="muted">${m.restores.length} restored${m.unrestored > 0 ? `, ${m.unrestored} not yet` : ''}</dd></div>
</dl>`;
  const days = m.daily.map((d) => d.day / 1000);
  const daily = chart(
    `${id}-daily`,
    {
      title: 'Deploys per day',
      unit: 'deploys',
      kind: 'bars',
      series: [
        { label: 'Succeeded', color: '#1a7f37' },
        { label: 'Failed', color: '#cf222e' },
      ],
      data: [days, m.daily.map((d) => d.successes), m.daily.map((d) => d.failures)],
    },
    `${m.deployments} succeeded, ${m.daily.reduce((n, d) => n + d.failures, 0)} failed; one bar a UTC day.`,
    `<table><caption>Deploys per day (UTC)</caption><thead><tr><th scope="col">Day</th><th scope="col">Succeeded</th><th scope="col">Failed</th></tr></thead><tbody>${
      m.daily
        .filter((d) => d.successes + d.failures > 0)
        .map(
          (d) =>
            `<tr><td>${new Date(d.day).toISOString().slice(0, 10)}</td><td>${d.successes}</td><td>${d.failures}</td></tr>`,
        )
        .join('') || '<tr><td colspan="3">No deploy in this window.</td></tr>'
    }</tbody></table>`,
  );
  const lead = chart(
    `${id}-lead`,
    {
      title: 'Lead time per deploy',
      unit: 'hours',
      kind: 'points',
      series: [{ label: 'Lead time (h)', color: '#0550ae' }],
      data: [m.leadTimes.map((s) => s.at / 1000), m.leadTimes.map((s) => hours(s.ms))],
    },
    `Median ${formatDuration(m.leadTimeMs)} over ${m.leadTimes.length} deploys.`,
    sampleTable('Lead time per deploy', m.leadTimes, 'Hours', hours),
  );
  const restore = chart(
    `${id}-restore`,
    {
      title: 'Time to restore per failure',
      unit: 'minutes',
      kind: 'points',
      series: [{ label: 'Time to restore (min)', color: '#9a6700' }],
      data: [m.restores.map((s) => s.at / 1000), m.restores.map((s) => minutes(s.ms))],
    },
    `Median ${formatDuration(m.restoreMs)} over ${m.restores.length} failures; change failure rate ${formatRate(m.changeFailureRate)}.`,
    sampleTable('Time to restore per failure', m.restores, 'Minutes', minutes),
  );
  return `<section aria-labelledby="${id}-title">
<h2 id="${id}-title">${escapeHtml(section.title)}</h2>
${figures}
${daily}
${lead}
${restore}
</section>`;
}

/**
 * Draws each `[data-chart]` with uPlot (loaded before it under the same nonce). Written with DOM
 * calls and uPlot's options only, so the strict CSP (no inline style attributes, no eval) holds.
 */
const CHART_SCRIPT = `
for (const element of document.querySelectorAll('[data-chart]')) {
  const chart = JSON.parse(element.dataset.chart);
  if (chart.data[0].length === 0) { element.textContent = 'No data in this window.'; continue; }
  const bars = chart.kind === 'bars' ? uPlot.paths.bars({ size: [0.6, 40] }) : () => null;
  const width = Math.max(240, Math.min(640, element.clientWidth || 480));
  new uPlot({
    width, height: 200,
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
    axes: [{}, { label: chart.unit }],
    legend: { show: true },
    series: [{}, ...chart.series.map((s) => ({
      label: s.label, stroke: s.color, fill: chart.kind === 'bars' ? s.color : undefined,
      paths: bars, points: { show: chart.kind !== 'bars', size: 8, fill: s.color },
    }))],
  }, chart.data, element);
  element.dataset.drawn = 'true';
}
`;

/** The delivery metrics page for the window of `days`. */
export function metricsPage(
  nonce: string,
  fullName: string,
  days: number,
  sections: readonly MetricsSection[],
): string {
  const windows = WINDOWS.map(
    (d) =>
      `<li><a href="${escapeHtml(`${repositoryPath(fullName)}/metrics?days=${d}`)}"${d === days ? ' aria-current="page"' : ''}>${d} days</a></li>`,
  ).join('');
  const content = `${repositoryNav(fullName, 'metrics')}
<nav aria-label="Window"><ul class="nav">${windows}</ul></nav>
<p class="muted">From the repository’s last 100 Deployments, over the ${days} days to now. How each number is computed: the dashboard’s documentation (docs/dashboard.md in Rollgate).</p>
${sections.map((s, i) => metricsSection(i, s)).join('\n')}`;
  const head = `<link rel="stylesheet" href="${ASSETS.css}" nonce="${nonce}">
<script src="${ASSETS.script}" nonce="${nonce}"></script>`;
  return page(`Rollgate — ${fullName} · delivery metrics`, nonce, content, false, {
    head,
    script: CHART_SCRIPT,
    signedIn: true,
  });
}
