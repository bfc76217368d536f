/**
 * Neutralising what a user wrote before a reply, the sticky comment or a check run echoes it.
 * GitHub renders comments and check-run output as GitHub Flavored Markdown with HTML, mentions
 * and autolinks: a value shown as plain text could ping a team (`@org/team`), add a link or an
 * image, close an HTML comment Rollgate keeps state in (`-->`), or break a table row (`|`).
 * Every user value is therefore shown inside a code span, where GFM interprets no markup,
 * mention or link (GFM spec, "Code spans"), after removing what a code span does not hide:
 * line breaks, control characters, bidirectional overrides and zero-width characters.
 */

/** GitHub's limit on an issue comment's body (characters). */
export const COMMENT_LIMIT = 65_536;
/** GitHub's limit on a check run's `output.summary` and `output.text` (characters). */
export const CHECK_RUN_TEXT_LIMIT = 65_535;
/** How much of one user value a reply echoes. */
export const VALUE_LIMIT = 128;

// C0/C1 controls (tab and newline included: a value is one line), bidi embeddings, overrides and
// isolates (U+202A–U+202E, U+2066–U+2069), marks (U+200E, U+200F, U+061C), zero-width characters
// (U+200B–U+200D, U+2060, U+FEFF), and the line and paragraph separators (U+2028, U+2029).
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu;

/** A user value made safe to show as one line of text: invisible characters gone, length capped. */
export function cleanValue(value: string, max: number = VALUE_LIMIT): string {
  const clean = value.replace(INVISIBLE, ' ').replace(/ {2,}/g, ' ').trim();
  const chars = Array.from(clean);
  return chars.length <= max ? clean : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * A user value as an inline code span: the fence is one backtick longer than the longest run of
 * backticks inside, and padded with spaces when the value starts or ends with one (GFM spec).
 */
export function code(value: string, max: number = VALUE_LIMIT): string {
  const clean = cleanValue(value, max);
  if (clean.length === 0) return '` `';
  const longest = Math.max(0, ...[...clean.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = clean.startsWith('`') || clean.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${clean}${pad}${fence}`;
}

/**
 * A user value as a code span inside a table cell: GFM splits rows at `|` even inside code spans,
 * unless it is escaped as `\|` (GFM spec, "Tables").
 */
export function cell(value: string, max: number = VALUE_LIMIT): string {
  return code(value, max).replace(/\|/g, '\\|');
}

/** A GitHub login: only letters, digits and single hyphens, so anything else is not one. */
export function mention(login: string): string {
  return /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(?:\[bot\])?$/.test(login)
    ? `@${login}`
    : code(login);
}

/**
 * Data kept in an HTML comment: JSON whose `<`, `>` and `-` are escaped, so no value can end the
 * comment (`-->`) or open markup.
 */
export function hiddenJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>-]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A body cut to fit GitHub's limit, saying so at its end rather than being refused. */
export function capBody(body: string, limit: number = COMMENT_LIMIT): string {
  if (body.length <= limit) return body;
  const note = '\n\n… (cut: the full text is longer than GitHub allows in one comment)';
  return body.slice(0, limit - note.length) + note;
}
