/**
 * The actions' HTML: plain forms in each environment's row of a repository's page (posted to the
 * dashboard itself, as the page's `form-action 'self'` allows), and the result of the last action
 * shown above the table after the redirect. Every value is escaped; the handlers' Markdown answers
 * are turned into a small, escaped subset of HTML (code, bold, links, lists).
 */
import { randomInt } from 'node:crypto';
import { ACTION_ID_MAX, type ActionResult } from './actions.ts';
import type { EnvironmentRow } from './environments.ts';
import { escapeHtml } from './page.ts';

/** What every form of one page carries. */
export interface FormContext {
  /** `owner/repo`. */
  readonly repository: string;
  /** The page's CSRF token (csrf.ts `csrfToken`). */
  readonly csrfToken: string;
  /** A fresh action id per form; random by default. */
  readonly newId?: () => number;
}

/** Where a repository's actions are posted. */
export function actionPath(repository: string): string {
  return `/dashboard/${repository.split('/').map(encodeURIComponent).join('/')}/actions`;
}

function form(
  context: FormContext,
  environment: string,
  kind: string | undefined,
  fields: string,
  buttons: string,
): string {
  const id = (context.newId ?? (() => randomInt(1, ACTION_ID_MAX)))();
  const kindField = kind === undefined ? '' : `<input type="hidden" name="kind" value="${escapeHtml(kind)}">`;
  return `<form method="post" action="${escapeHtml(actionPath(context.repository))}" class="action" data-kind="${escapeHtml(kind ?? 'verdict')}">
<input type="hidden" name="csrf" value="${escapeHtml(context.csrfToken)}">
<input type="hidden" name="action" value="${id}">
<input type="hidden" name="environment" value="${escapeHtml(environment)}">
${kindField}${fields}
${buttons}
</form>`;
}

/** The actions on one environment, folded under a disclosure so the table stays readable. */
export function rowActions(context: FormContext, row: EnvironmentRow): string {
  const env = row.environment;
  const lock =
    row.lock === undefined
      ? form(
          context,
          env,
          'lock',
          '<label>Reason <input name="reason" maxlength="256" autocomplete="off"></label>',
          '<button type="submit">Lock</button>',
        )
      : form(context, env, 'unlock', '', '<button type="submit">Unlock</button>');
  return `<details><summary>Act on ${escapeHtml(env)}</summary>
${form(
  context,
  env,
  'deploy',
  '<label>Release tag, branch or commit <input name="ref" required maxlength="255" autocomplete="off"></label>\n<label>Version (optional) <input name="version" maxlength="128" autocomplete="off"></label>',
  '<button type="submit">Deploy</button>',
)}
${form(
  context,
  env,
  'rollback',
  '<label>Version or deployment id (optional: the previous good one) <input name="target" maxlength="128" autocomplete="off"></label>',
  '<button type="submit">Roll back</button>',
)}
${lock}
${form(
  context,
  env,
  undefined,
  '<label>Pull request with the waiting deploy <input name="pull" inputmode="numeric" pattern="[0-9]+" maxlength="10" autocomplete="off"></label>\n<label>or the release whose deploy waits (its tag) <input name="release" maxlength="255" autocomplete="off"></label>\n<label>Reason (for a rejection on a pull request) <input name="reason" maxlength="256" autocomplete="off"></label>',
  '<button type="submit" name="kind" value="approve">Approve</button> <button type="submit" name="kind" value="reject">Reject</button>',
)}
</details>`;
}

/**
 * Approve or Reject for the request an environment's page shows waiting on pull request `pull`:
 * the same form as a row's, with the pull request already filled in.
 */
export function pendingVerdictForm(context: FormContext, environment: string, pull: number): string {
  return form(
    context,
    environment,
    undefined,
    `<input type="hidden" name="pull" value="${pull}">\n<label>Reason (for a rejection) <input name="reason" maxlength="256" autocomplete="off"></label>`,
    '<button type="submit" name="kind" value="approve">Approve</button> <button type="submit" name="kind" value="reject">Reject</button>',
  );
}

/** The result of the action just taken, above the table: announced to screen readers. */
export function resultNotice(result: ActionResult): string {
  const link =
    result.link === undefined
      ? ''
      : `<p><a href="${escapeHtml(result.link.href)}">${escapeHtml(result.link.text)}</a></p>`;
  return `<section id="result" class="${result.ok ? 'done' : 'error'}" role="${result.ok ? 'status' : 'alert'}" data-ok="${result.ok}">
<h2>${result.ok ? 'Done' : 'Not done'}</h2>
${markdownHtml(result.message)}
${link}
</section>`;
}

/** A code span's content and the index after it, or undefined when the backticks are not closed. */
function codeSpan(text: string, at: number): { content: string; end: number } | undefined {
  let run = 0;
  while (text.charAt(at + run) === '`') run++;
  const fence = '`'.repeat(run);
  for (let close = text.indexOf(fence, at + run); close !== -1; close = text.indexOf(fence, close + 1)) {
    if (text.charAt(close + run) === '`' || text.charAt(close - 1) === '`') continue;
    const inner = text.slice(at + run, close);
    const content =
      inner.startsWith(' ') && inner.endsWith(' ') && inner.trim() !== '' ? inner.slice(1, -1) : inner;
    return { content, end: close + run };
  }
  return undefined;
}

/** Text outside code spans: escaped, then links and bold, whose parts are escaped already. */
function prose(text: string): string {
  return escapeHtml(text)
    .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2">$1</a>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}

function inline(text: string): string {
  let html = '';
  let plain = 0;
  for (let at = text.indexOf('`'); at !== -1;) {
    const span = codeSpan(text, at);
    if (span === undefined) {
      let run = 0;
      while (text.charAt(at + run) === '`') run++;
      at = text.indexOf('`', at + run);
      continue;
    }
    html += `${prose(text.slice(plain, at))}<code>${escapeHtml(span.content)}</code>`;
    plain = span.end;
    at = text.indexOf('`', plain);
  }
  return html + prose(text.slice(plain));
}

/** The handlers' Markdown as HTML: paragraphs, `- ` lists, code spans, bold and links. */
export function markdownHtml(markdown: string): string {
  const blocks: string[] = [];
  let lines: string[] = [];
  let items: string[] = [];
  const flush = (): void => {
    if (lines.length > 0) blocks.push(`<p>${lines.map(inline).join('<br>')}</p>`);
    if (items.length > 0) blocks.push(`<ul>${items.map((i) => `<li>${inline(i)}</li>`).join('')}</ul>`);
    lines = [];
    items = [];
  };
  for (const line of markdown.split('\n')) {
    if (line.trim() === '') flush();
    else if (line.startsWith('- ')) {
      if (lines.length > 0) flush();
      items.push(line.slice(2));
    } else {
      if (items.length > 0) flush();
      lines.push(line);
    }
  }
  flush();
  return blocks.join('\n');
}
