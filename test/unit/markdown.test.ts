import { describe, expect, test } from '@jest/globals';
import {
  capBody,
  cell,
  cleanValue,
  code,
  COMMENT_LIMIT,
  hiddenJson,
  listWithin,
  mention,
  sliceUnits,
  VALUE_LIMIT,
} from '../../src/github/markdown.ts';
import {
  hostileText,
  INVISIBLE,
  liveMarkup,
  readCodeSpan,
  seededRandom,
  tableCells,
  withoutCodeSpans,
} from '../support/gfm.ts';

const SAMPLES = 10_000;

/** Seeded hostile strings, plus the hand-picked cases that broke naive neutralisers. */
function* hostileStrings(seed: number): Generator<string> {
  yield* ['', ' ', '`', '``', '` `', '`a`', 'a`', '`a', '\\', '\\`', '|', '\\|', 'a\\|b', '-->', '```js'];
  const random = seededRandom(seed);
  for (let index = 0; index < SAMPLES; index++) yield hostileText(random);
}

function hasLoneSurrogate(text: string): boolean {
  return /\p{Cs}/u.test(text);
}

describe('code: any string renders as one code span showing exactly the cleaned value (GFM §6.1)', () => {
  test(`${SAMPLES.toLocaleString('en-US')} seeded hostile strings`, () => {
    const failures: { value: string; span: string }[] = [];
    for (const value of hostileStrings(1)) {
      const span = code(value);
      const expected = cleanValue(value) === '' ? ' ' : cleanValue(value);
      const wrong =
        readCodeSpan(span) !== expected ||
        /[\r\n]/.test(span) ||
        INVISIBLE.test(span) ||
        hasLoneSurrogate(span) ||
        liveMarkup(`Before ${span} after.`).length > 0 ||
        // At the start of a line a span never opens a fenced code block.
        liveMarkup(`${span}\nnext line`).length > 0;
      if (wrong) failures.push({ value, span });
    }
    expect(failures).toEqual([]);
  });

  test.each([
    ['a`b', '``a`b``'],
    ['`start', '`` `start ``'],
    ['end`', '`` end` ``'],
    ['``', '``` `` ```'],
    ['', '` `'],
    ['x\ny', '`x y`'],
    ['a\u202eb\u200bc', '`a b c`'],
  ])('%j becomes %j', (value, expected) => {
    expect(code(value)).toBe(expected);
  });

  test('a mention, a link, an image, HTML and a comment end inside stay text', () => {
    const value = '@octo-org/sre [x](https://evil.example) ![i](https://e.x/i.png) <img src=x> -->';
    expect(readCodeSpan(code(value))).toBe(value);
    expect(liveMarkup(`Environment ${code(value)} is unknown.`)).toEqual([]);
  });
});

describe('cell: any string stays one table cell that shows the cleaned value (GFM §4.10)', () => {
  test(`${SAMPLES.toLocaleString('en-US')} seeded hostile strings in a three-column row`, () => {
    const failures: { value: string; row: string }[] = [];
    for (const value of hostileStrings(2)) {
      const row = `| ${cell(value)} | ${cell('ok')} | last |`;
      const cells = tableCells(row);
      const expected = cleanValue(value) === '' ? ' ' : cleanValue(value);
      const wrong =
        cells.length !== 3 ||
        readCodeSpan(cells[0] ?? '') !== expected ||
        cells[1] !== '`ok`' ||
        cells[2] !== 'last' ||
        liveMarkup(row).length > 0;
      if (wrong) failures.push({ value, row });
    }
    expect(failures).toEqual([]);
  });

  test('a backslash before a pipe stays literal', () => {
    expect(readCodeSpan(tableCells(`| ${cell('a\\|b')} |`)[0] ?? '')).toBe('a\\|b');
  });
});

describe('cleanValue: one line, capped by code points, never a broken surrogate pair', () => {
  test('caps at 128 code points by default, ending in …', () => {
    const capped = cleanValue('x'.repeat(1_000));
    expect(Array.from(capped)).toHaveLength(VALUE_LIMIT);
    expect(capped.endsWith('…')).toBe(true);
  });

  test('cuts between emoji, never inside one', () => {
    for (let max = 1; max < 12; max++) {
      const capped = cleanValue('😀'.repeat(20), max);
      expect(hasLoneSurrogate(capped)).toBe(false);
      expect(Array.from(capped).length).toBeLessThanOrEqual(max);
    }
  });

  test('replaces lone surrogates and removes tag characters used to smuggle text', () => {
    expect(cleanValue('a\ud800b\udc00c')).toBe('a\ufffdb\ufffdc');
    expect(cleanValue('ok\u{e0041}\u{e0042}')).toBe('ok');
  });

  test('a megabyte of invisibles is cut in linear time (a quadratic scan would take minutes)', () => {
    const huge = '\u200b'.repeat(1_000_000) + 'tail';
    const started = performance.now();
    const capped = cleanValue(huge);
    // A bound on the algorithm, not a speed target (those are in `npm run bench`): linear work
    // over 1 MB takes milliseconds even on a loaded machine, quadratic work takes minutes.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(capped).toBe('…');
  });

  test('a value cut before cleaning says so', () => {
    expect(cleanValue(`abc${' '.repeat(5_000)}def`)).toBe('abc…');
  });
});

describe('sliceUnits', () => {
  test('never ends in the first half of a surrogate pair', () => {
    expect(sliceUnits('a😀', 2)).toBe('a');
    expect(sliceUnits('a😀', 3)).toBe('a😀');
  });
});

describe('mention and hiddenJson', () => {
  test.each(['octocat', 'monalisa-2', 'rollgate[bot]'])('%s is a mention', (login) => {
    expect(mention(login)).toBe(`@${login}`);
  });

  test.each(['octo-org/sre', 'a--b', '-x', 'x'.repeat(40), 'a b', '<b>'])(
    '%j is code, not a mention',
    (login) => {
      expect(liveMarkup(mention(login))).toEqual([]);
    },
  );

  test('hidden JSON never ends its HTML comment and reads back', () => {
    const value = { reason: '--> <b>x</b> <!-- ---' };
    const hidden = hiddenJson(value);
    expect(hidden).not.toMatch(/[<>-]/);
    expect(JSON.parse(hidden)).toEqual(value);
  });
});

describe('listWithin', () => {
  test('keeps what fits and counts the rest', () => {
    const names = Array.from({ length: 3_000 }, (_, index) => code(`environment-${index}`));
    const line = listWithin(names, 2_000);
    expect(line.length).toBeLessThanOrEqual(2_000);
    const kept = line.split(', ').length;
    expect(line).toMatch(new RegExp(`and ${(3_000 - kept).toLocaleString('en-US')} more$`));
  });

  test('everything when it fits', () => {
    expect(listWithin(['`a`', '`b`'], 100)).toBe('`a`, `b`');
  });
});

describe('capBody: under the limit, and never cut inside a code span, surrogate pair or code block', () => {
  test('a short body is unchanged', () => {
    expect(capBody('hello')).toBe('hello');
  });

  test('a body of many lines is cut at a line end', () => {
    const body = Array.from({ length: 10_000 }, (_, index) => `- ${code(`value ${index}`)} is wrong`).join(
      '\n',
    );
    const capped = capBody(body);
    expect(capped.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(capped).toMatch(/is wrong\n\n… \(cut: /);
    expect(liveMarkup(capped)).toEqual([]);
  });

  test('one long line of code spans is cut before the span the limit falls in', () => {
    const random = seededRandom(3);
    for (let round = 0; round < 50; round++) {
      const spans: string[] = [];
      while (spans.join(' ').length < 3_000) spans.push(code(hostileText(random)));
      const limit = 500 + Math.floor(random() * 2_000);
      const capped = capBody(spans.join(' '), limit);
      expect(capped.length).toBeLessThanOrEqual(limit);
      const line = capped.split('\n')[0] ?? '';
      // Every backtick left on the line belongs to a whole span.
      expect(withoutCodeSpans(line)).not.toContain('`');
      expect(hasLoneSurrogate(capped)).toBe(false);
    }
  });

  test('a surrogate pair at the limit is kept whole or dropped', () => {
    for (let limit = 100; limit < 110; limit++) {
      const capped = capBody('😀'.repeat(200), limit);
      expect(capped.length).toBeLessThanOrEqual(limit);
      expect(hasLoneSurrogate(capped)).toBe(false);
    }
  });

  test('an open fenced code block is closed before the note', () => {
    const body = `Intro\n\n\`\`\`\`yaml\n${'key: value\n'.repeat(10_000)}\`\`\`\`\n`;
    const capped = capBody(body);
    expect(capped.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(liveMarkup(capped)).toEqual([]);
    expect(capped).toMatch(/\n````\n\n… \(cut: /);
  });

  test('an HTML comment cut open is dropped', () => {
    const capped = capBody(`text\n<!-- ${'x'.repeat(200)} -->`, 150);
    expect(capped).not.toContain('<!--');
  });
});
