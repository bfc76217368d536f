/**
 * Neutralising what a user wrote before a reply, the sticky comment or a check run echoes it.
 * GitHub renders comments and check-run output as GitHub Flavored Markdown with HTML, mentions
 * and autolinks: a value shown as plain text could ping a team (`@org/team`), add a link or an
 * image, close an HTML comment Rollgate keeps state in (`-->`), or break a table row (`|`).
 * Every user value is therefore shown inside a code span, where GFM interprets no markup,
 * mention or link (GFM spec 0.29, §6.1 "Code spans": "backslash escapes do not work in code
 * spans"; entity references, HTML and autolinks inside are literal text), after removing what a
 * code span does not hide: line breaks, control characters, bidirectional overrides and
 * zero-width characters.
 *
 * A code span from `code` or `cell` must not touch another backtick or follow a backslash in the
 * surrounding text (`\`` escapes the opening backtick, and two adjacent spans merge into one run):
 * put a space or punctuation between it and its neighbours.
 */

/** GitHub's limit on an issue comment's body (characters). */
export const COMMENT_LIMIT = 65_536;
/** GitHub's limit on a check run's `output.summary` and `output.text` (characters). */
export const CHECK_RUN_TEXT_LIMIT = 65_535;
/** How much of one user value a reply echoes. */
export const VALUE_LIMIT = 128;

/**
 * What a code span does not hide, replaced by a space: controls (`\p{Cc}`, tab and newline
 * included: a value is one line); format characters (`\p{Cf}`: bidi embeddings, overrides, isolates
 * and marks, zero-width space/joiners, word joiner, BOM, soft hyphen, the invisible tag characters
 * U+E0000–E007F used to smuggle text); line and paragraph separators; and characters that render
 * as nothing though they are letters or marks: the combining grapheme joiner U+034F, Hangul fillers
 * U+115F, U+1160, U+3164, U+FFA0, Khmer vowels U+17B4–U+17B5, Mongolian selectors U+180B–U+180F,
 * and the supplementary variation selectors U+E0100–U+E01EF (which carry hidden bytes).
 */
const INVISIBLE =
  // eslint-disable-next-line no-misleading-character-class -- each mark is listed to be removed alone, not as part of a sequence
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u034f\u115f-\u1160\u17b4-\u17b5\u180b-\u180f\u3164\uffa0\u{e0100}-\u{e01ef}]/gu;

/**
 * `text` cut to at most `units` UTF-16 code units without splitting a surrogate pair: a lone half
 * of an emoji would render as U+FFFD.
 */
export function sliceUnits(text: string, units: number): string {
  if (text.length <= units) return text;
  const end = Math.max(0, units);
  const last = text.charCodeAt(end - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end);
}

/**
 * A user value made safe to show as one line of text: invisible characters gone, runs of spaces
 * collapsed, lone surrogates replaced (U+FFFD), and capped at `max` code points, ending in `…`
 * when cut. The work is bounded by `max`, not by the value: a megabyte of input costs no more
 * than a short one.
 */
export function cleanValue(value: string, max: number = VALUE_LIMIT): string {
  // Sixteen units per kept code point leave room for invisible characters that are removed.
  const window = Math.max(16, max * 16);
  const bounded = value.length > window ? sliceUnits(value, window) : value;
  const clean = bounded
    .replace(/\p{Cs}/gu, '\ufffd')
    .replace(INVISIBLE, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  const chars = Array.from(clean);
  if (chars.length <= max && bounded.length === value.length) return clean;
  if (chars.length < max) return `${clean}…`;
  return `${chars
    .slice(0, Math.max(0, max - 1))
    .join('')
    .trimEnd()}…`;
}

/**
 * A user value as an inline code span: the fence is one backtick longer than the longest run of
 * backticks inside, and padded with spaces when the value starts or ends with one, since GFM
 * strips one space from each side of a span's content (GFM spec §6.1). The fence is therefore never
 * three backticks at the start of a line with a backtick-free info string, so it cannot open a
 * fenced code block (§4.5).
 */
export function code(value: string, max: number = VALUE_LIMIT): string {
  const clean = cleanValue(value, max);
  if (clean.length === 0) return '` `';
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = clean.startsWith('`') || clean.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${clean}${pad}${fence}`;
}

/**
 * A user value as a code span inside a table cell: GFM splits rows at `|` even inside code spans,
 * unless it is escaped as `\|`, which the table then unescapes before the span is read (GFM spec
 * §4.10 "Tables", example 200). A backslash before a pipe in the value stays literal: the table
 * removes only the backslash Rollgate adds.
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

/**
 * Lines shown literally in a fenced code block (GFM spec §4.5): each line cleaned and capped like a
 * value, the fence a run of backticks longer than any inside, so no line can close it early; the info
 * string `text` keeps GitHub from guessing a language.
 */
export function codeBlock(lines: readonly string[], maxLine: number = 1_000): string {
  const clean = lines.map((line) => cleanValue(line, maxLine));
  const longest = clean.reduce(
    (most, line) => (line.match(/`+/g) ?? []).reduce((inLine, run) => Math.max(inLine, run.length), most),
    0,
  );
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}text`, ...clean, fence].join('\n');
}

/**
 * Items joined by `separator` within `budget` characters; the ones that do not fit are counted
 * instead (`a, b and 2,998 more`), so a list of thousands stays a useful, bounded line.
 */
export function listWithin(items: readonly string[], budget: number, separator = ', '): string {
  const kept: string[] = [];
  let used = 0;
  for (const item of items) {
    const cost = item.length + (kept.length === 0 ? 0 : separator.length);
    // Room for the longest possible tail, " and 9,999,999 more".
    if (used + cost > budget - 24) break;
    kept.push(item);
    used += cost;
  }
  const more = items.length - kept.length;
  if (more === 0) return kept.join(separator);
  const tail = `${more.toLocaleString('en-US')} more`;
  return kept.length === 0 ? tail : `${kept.join(separator)} and ${tail}`;
}

const CUT_NOTE = '\n\n… (cut: the full text is longer than GitHub allows in one comment)';

/**
 * A body cut to fit GitHub's limit, saying so at its end rather than being refused. It is cut at
 * the end of a line when one is in reach (so no code span, table row or link is cut in two), else
 * before the code span the limit falls in; never inside a surrogate pair; an open fenced code block
 * is closed and an open HTML comment dropped, so the note is rendered as text.
 */
export function capBody(body: string, limit: number = COMMENT_LIMIT): string {
  if (body.length <= limit) return body;
  let budget = limit - CUT_NOTE.length;
  for (;;) {
    const kept = cutAtBoundary(body, budget);
    const closing = closingFence(kept);
    const result = `${kept}${closing}${CUT_NOTE}`;
    if (result.length <= limit) return result;
    budget -= result.length - limit;
  }
}

function cutAtBoundary(body: string, budget: number): string {
  let kept = sliceUnits(body, budget);
  const newline = kept.lastIndexOf('\n');
  // A line end within the last quarter keeps the cut clean without losing much.
  if (newline >= budget * 0.75) kept = kept.slice(0, newline);
  else kept = kept.slice(0, codeSpanStartBefore(kept, kept.length));
  // An HTML comment block starts a line (GFM spec §4.6); a `<!--` inside a code span is text.
  const comment = [...kept.matchAll(/^ {0,3}<!--/gm)].at(-1)?.index;
  if (comment !== undefined && !kept.includes('-->', comment + 4)) kept = kept.slice(0, comment);
  return kept.trimEnd();
}

/**
 * Where to cut `text` at `position` without cutting a code span: `position` itself when it is
 * outside every span of its line, else the start of the span it falls in. Spans are found as GFM's
 * inline parser does, left to right (§6.1): outside a span a backslash escapes the backtick after it;
 * a backtick run opens a span that the next run of the same length closes, and inside a span a
 * backslash is literal.
 */
function codeSpanStartBefore(text: string, position: number): number {
  const lineStart = text.lastIndexOf('\n', position - 1) + 1;
  const line = text.slice(lineStart, position);
  const runs = [...line.matchAll(/`+/g)].map((run) => ({ start: run.index, length: run[0].length }));
  // For each run, the index of the next run of the same length: one pass from the end.
  const closer: number[] = [];
  const seen = new Map<number, number>();
  for (let index = runs.length - 1; index >= 0; index--) {
    const length = runs[index]?.length ?? 0;
    closer[index] = seen.get(length) ?? -1;
    seen.set(length, index);
  }
  let index = 0;
  while (index < runs.length) {
    const run = runs[index];
    if (run === undefined) break;
    let { start, length } = run;
    let close = closer[index] ?? -1;
    if (isEscaped(line, start)) {
      // `\`` is a literal backtick; the rest of the run, if any, may still open a span.
      start++;
      length--;
      if (length === 0) {
        index++;
        continue;
      }
      close = runs.findIndex((other, at) => at > index && other.length === length);
    }
    if (close === -1) return lineStart + start;
    index = close + 1;
  }
  return position;
}

/** Whether an odd number of backslashes precedes `index`. */
function isEscaped(text: string, index: number): boolean {
  let backslashes = 0;
  while (index - backslashes - 1 >= 0 && text.charAt(index - backslashes - 1) === '\\') backslashes++;
  return backslashes % 2 === 1;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/** The line that closes a fenced code block `text` leaves open (GFM spec §4.5), or nothing. */
function closingFence(text: string): string {
  let open: string | undefined;
  for (const line of text.split('\n')) {
    const fence = FENCE.exec(line);
    if (fence === null) continue;
    const [, run = '', rest = ''] = fence;
    if (open === undefined) {
      if (!(run.startsWith('`') && rest.includes('`'))) open = run;
    } else if (run[0] === open[0] && run.length >= open.length && rest.trim() === '') {
      open = undefined;
    }
  }
  return open === undefined ? '' : `\n${open}`;
}
