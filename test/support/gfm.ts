/**
 * A model of the parts of GitHub Flavored Markdown that decide whether echoed text stays literal
 * (GFM spec 0.29-gfm: §6.1 code spans, §4.10 tables, §4.5 fenced code blocks, §6.6 raw HTML, §6.3
 * links and images), for tests: no Markdown renderer is installed, so the rules are written out here
 * and every test of a reply reads it the way GitHub would.
 */

/** Characters that render as nothing or reorder text (mirrors what src/github/markdown.ts removes). */
export const INVISIBLE =
  // eslint-disable-next-line no-misleading-character-class -- each mark is listed to be removed alone, not as part of a sequence
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u034f\u115f-\u1160\u17b4-\u17b5\u180b-\u180f\u3164\uffa0\u{e0100}-\u{e01ef}]/u;

const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;

/**
 * The literal content of `text` read as exactly one code span (§6.1), or undefined when `text` is
 * not one: it opens with a backtick run of length n, the first later run of exactly n backticks
 * closes it and ends the text; one space is stripped from each side when both are spaces and the
 * content is not only spaces; a line ending inside becomes a space.
 */
export function readCodeSpan(text: string): string | undefined {
  const opening = /^`+/.exec(text)?.[0];
  if (opening === undefined) return undefined;
  const n = opening.length;
  const runs = /`+/g;
  runs.lastIndex = n;
  for (let run = runs.exec(text); run !== null; run = runs.exec(text)) {
    if (run[0].length !== n) continue;
    if (run.index + n !== text.length) return undefined;
    const content = text.slice(n, run.index).replace(/\r\n|\r|\n/g, ' ');
    return content.length >= 2 && content.startsWith(' ') && content.endsWith(' ') && content.trim() !== ''
      ? content.slice(1, -1)
      : content;
  }
  return undefined;
}

/**
 * The cells of a table row (§4.10): split at every `|` not escaped by a backslash (inside code
 * spans too), the outer pipes optional, each cell trimmed, then `\|` unescaped in each cell.
 */
export function tableCells(row: string): string[] {
  const cells: string[] = [];
  let current = '';
  for (let index = 0; index < row.length; index++) {
    const character = row.charAt(index);
    if (character === '\\' && row.charAt(index + 1) === '|') {
      current += '\\|';
      index++;
    } else if (character === '|') {
      cells.push(current);
      current = '';
    } else current += character;
  }
  cells.push(current);
  const trimmed = cells.map((cell) => cell.trim());
  if (row.trimStart().startsWith('|')) trimmed.shift();
  if (row.trimEnd().endsWith('|') && !row.trimEnd().endsWith('\\|')) trimmed.pop();
  return trimmed.map((cell) => cell.replace(/\\\|/g, '|'));
}

/**
 * One inline run of text with its code spans replaced by `⟦code⟧`, as GFM's inline parser finds them
 * left to right: a backslash escapes the punctuation after it, a backtick run opens a span that the
 * next run of the same length closes, and a run without a closer is literal backticks.
 */
export function withoutCodeSpans(inline: string): string {
  let out = '';
  let index = 0;
  while (index < inline.length) {
    const character = inline.charAt(index);
    if (character === '\\' && ASCII_PUNCTUATION.test(inline.charAt(index + 1))) {
      out += inline.slice(index, index + 2);
      index += 2;
      continue;
    }
    if (character !== '`') {
      out += character;
      index++;
      continue;
    }
    const run = /^`+/.exec(inline.slice(index))?.[0] ?? '`';
    const closer = new RegExp(`(?<!\`)${'`'.repeat(run.length)}(?!\`)`, 'g');
    closer.lastIndex = index + run.length;
    const close = closer.exec(inline);
    if (close === null) {
      out += run;
      index += run.length;
    } else {
      out += '⟦code⟧';
      index = close.index + run.length;
    }
  }
  return out;
}

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

const OWN_MARKER = /^<!-- rollgate:[a-z]+ [^<>-]* -->$/;

/**
 * What in `markdown` would render as something other than literal text: a mention, HTML (any `<`
 * outside code), a link or image, the end of an HTML comment, an invisible or bidi character, a
 * fenced code block never closed. Code spans are looked for within one line (or one table cell),
 * which finds fewer of them than GitHub can, so this errs on the side of reporting.
 */
export function liveMarkup(markdown: string): string[] {
  const problems: string[] = [];
  const invisible = INVISIBLE.exec(markdown.replace(/\n/g, ''));
  if (invisible !== null)
    problems.push(`invisible U+${invisible[0].codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}`);
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const fenced = FENCE_LINE.exec(line);
    if (fenced !== null) {
      const [, run = '', rest = ''] = fenced;
      if (fence === undefined && !(run.startsWith('`') && rest.includes('`'))) fence = run;
      else if (fence !== undefined && run[0] === fence[0] && run.length >= fence.length && rest.trim() === '')
        fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    // Rollgate's own hidden data: a whole line, JSON through `hiddenJson` (no `<`, `>` or `-` inside).
    if (OWN_MARKER.test(line)) continue;
    const parts = line.trimStart().startsWith('|') ? tableCells(line) : [line];
    for (const part of parts) {
      const text = withoutCodeSpans(part);
      if (/(^|[^A-Za-z0-9])@[A-Za-z0-9]/.test(text)) problems.push(`mention in ${JSON.stringify(part)}`);
      if (text.includes('<')) problems.push(`HTML in ${JSON.stringify(part)}`);
      if (text.includes('](')) problems.push(`link in ${JSON.stringify(part)}`);
      if (text.includes('![')) problems.push(`image in ${JSON.stringify(part)}`);
      if (text.includes('-->')) problems.push(`comment end in ${JSON.stringify(part)}`);
    }
  }
  if (fence !== undefined) problems.push(`fenced code block opened with ${fence} is never closed`);
  return problems;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same run, so a failure can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Pieces of hostile text: markup, mentions, table and comment breakers, code-span breakers, invisibles. */
export const HOSTILE_PIECES: readonly string[] = [
  '`',
  '``',
  '```',
  '````````',
  '\\',
  '\\`',
  '|',
  '\\|',
  '<!--',
  '-->',
  '<img src=x onerror=alert(1)>',
  '<script>',
  '</details>',
  '@octo-org/sre',
  '@monalisa',
  '[click](https://evil.example)',
  '![x](https://evil.example/x.png)',
  '<https://evil.example>',
  'www.evil.example',
  '**bold**',
  '# heading',
  '> quote',
  '- item',
  '&lt;',
  '&#60;',
  '\u202e',
  '\u2066',
  '\u200b',
  '\u200d',
  '\ufeff',
  '\u00ad',
  '\u{e0041}',
  '\u{e0100}',
  '\u3164',
  '\n',
  '\r\n',
  '\t',
  '\u0000',
  '\u0007',
  '\u0085',
  '\u2028',
  ' ',
  '   ',
  '"',
  "'",
  '😀',
  '👨‍👩‍👧',
  '\ud800',
  '\udc00',
  'e\u0301',
  'staging',
  'production',
  'main',
  'v1.2.3',
  '=',
  '--dry-run',
  '—dry-run',
  '/deploy',
  '..',
  '.lock',
  '~',
  '^',
  ':',
];

/** A hostile string of up to `maxPieces` pieces, sometimes with one piece repeated many times. */
export function hostileText(random: () => number, maxPieces = 12): string {
  const pick = (): string => HOSTILE_PIECES[Math.floor(random() * HOSTILE_PIECES.length)] ?? '';
  const count = 1 + Math.floor(random() * maxPieces);
  let text = '';
  for (let index = 0; index < count; index++) {
    const roll = random();
    if (roll < 0.05) text += pick().repeat(1 + Math.floor(random() * 300));
    else if (roll < 0.25) text += String.fromCodePoint(0x20 + Math.floor(random() * 0x2ff0));
    else text += pick();
  }
  return text;
}
