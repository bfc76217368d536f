import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../src/errors.ts';
import { formatDuration, parseDuration } from '../../src/inputs/duration.ts';
import { parseHealthCheckSpec } from '../../src/health/spec.ts';
import { collectInputErrors, InputErrorCollector, InputErrors } from '../../src/inputs/input-errors.ts';
import { parseBoolean, parseInteger, parseNumber, splitLines } from '../../src/inputs/scalars.ts';

/** Calls `parse`, expecting an InputError, and returns it. */
function inputErrorOf(parse: () => unknown): InputError {
  try {
    parse();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('parseDuration', () => {
  test.each([
    ['500ms', 500],
    ['1ms', 1],
    ['0ms', 0],
    ['5s', 5000],
    ['0.5s', 500],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1.5m', 90_000],
    ['1h', 3_600_000],
    ['0.25h', 900_000],
    ['10', 10_000],
    ['0', 0],
    ['2.5', 2500],
    ['  5s  ', 5000],
    ['5 s', 5000],
    ['250 ms', 250],
    ['0.4ms', 0],
    ['1.6ms', 2],
    ['0.0015s', 2],
    ['007s', 7000],
  ])('reads %j as %d ms', (raw, ms) => {
    expect(parseDuration('timeout', raw)).toBe(ms);
  });

  test.each([
    '',
    '   ',
    's',
    '5x',
    '5sec',
    '5 seconds',
    '1d',
    '5S',
    '5MS',
    '-1s',
    '+1s',
    '.5s',
    '5.s',
    '1e3',
    '1,5s',
    '1m30s',
    '5s ago',
    'Infinity',
  ])('rejects %j, naming the input and the accepted forms', (raw) => {
    const error = inputErrorOf(() => parseDuration('deadline', raw));
    expect(error.input).toBe('deadline');
    expect(error.message).toBe(`Input 'deadline' is invalid: '${raw}' is not a duration.`);
    expect(error.fix).toMatch(/'500ms', '10s' or '2m' \(a bare number means seconds\)/);
  });
});

describe('formatDuration', () => {
  test.each([
    [0, '0 ms'],
    [1, '1 ms'],
    [850, '850 ms'],
    [850.4, '850 ms'],
    [999, '999 ms'],
    [1000, '1.0 s'],
    [1049, '1.0 s'],
    [2500, '2.5 s'],
    [9940, '9.9 s'],
    [10_000, '10 s'],
    [15_400, '15 s'],
    [42_000, '42 s'],
    [60_000, '1 min'],
    [999.5, '1.0 s'],
    [9_960, '10 s'],
    [59_600, '1 min'],
    [119_600, '2 min'],
    [60_400, '1 min'],
    [61_000, '1 min 1 s'],
    [90_000, '1 min 30 s'],
    [185_000, '3 min 5 s'],
    [600_000, '10 min'],
    [3_600_000, '60 min'],
  ])('renders %d ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('parseInteger', () => {
  test.each([
    ['0', 0, 10, 0],
    ['10', 0, 10, 10],
    ['7', 1, undefined, 7],
    [' 42 ', 1, undefined, 42],
    ['-3', -5, 5, -3],
    ['0012', 0, 100, 12],
    ['9007199254740991', 0, undefined, Number.MAX_SAFE_INTEGER],
  ])('reads %j within [%d, %s] as %d', (raw, min, max, value) => {
    expect(parseInteger('count', raw, min, max)).toBe(value);
  });

  test.each([
    ['', 1, 10, 'from 1 to 10'],
    ['  ', 1, 10, 'from 1 to 10'],
    ['0', 1, 10, 'from 1 to 10'],
    ['11', 1, 10, 'from 1 to 10'],
    ['-1', 0, 50, 'from 0 to 50'],
    ['1.5', 1, 10, 'from 1 to 10'],
    ['1.0', 1, 10, 'from 1 to 10'],
    ['1e3', 1, undefined, 'at least 1'],
    ['0x10', 1, undefined, 'at least 1'],
    ['+5', 1, undefined, 'at least 1'],
    ['5 5', 1, undefined, 'at least 1'],
    ['five', 1, undefined, 'at least 1'],
    ['9007199254740993', 1, undefined, 'at least 1'],
    ['0', 1, undefined, 'at least 1'],
  ])('rejects %j within [%d, %s], stating the range', (raw, min, max, range) => {
    const error = inputErrorOf(() => parseInteger('consecutive-successes', raw, min, max));
    expect(error.input).toBe('consecutive-successes');
    expect(error.message).toBe(
      `Input 'consecutive-successes' is invalid: '${raw}' is not a whole number ${range}.`,
    );
    expect(error.fix).toBe(`Set 'consecutive-successes' to a whole number ${range}.`);
  });
});

describe('parseNumber', () => {
  test.each([
    ['1', 1],
    ['1.5', 1.5],
    [' 2.25 ', 2.25],
    ['10', 10],
    ['10.0', 10],
  ])('reads %j within [1, 10] as %d', (raw, value) => {
    expect(parseNumber('backoff', raw, 1, 10)).toBe(value);
  });

  test.each([
    '',
    '   ',
    '0.99',
    '10.01',
    '-2',
    'two',
    '1.5x',
    'Infinity',
    '-Infinity',
    'NaN',
    '1,5',
    '1e0',
    '.5e1',
    '0x2',
    '0b10',
  ])('rejects %j within [1, 10], stating the range', (raw) => {
    const error = inputErrorOf(() => parseNumber('backoff', raw, 1, 10));
    expect(error.input).toBe('backoff');
    expect(error.message).toBe(`Input 'backoff' is invalid: '${raw}' is not a number from 1 to 10.`);
    expect(error.fix).toBe(`Set 'backoff' to a number from 1 to 10.`);
  });
});

describe('parseBoolean', () => {
  test.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    [' true ', true],
    ['false', false],
    ['False', false],
    ['FALSE', false],
    ['\tfalse\n', false],
  ])('reads %j as %s', (raw, value) => {
    expect(parseBoolean('dry-run', raw)).toBe(value);
  });

  test.each(['', 'yes', 'no', 'on', 'off', '1', '0', 'tRUE', 'y', 'truthy'])(
    'rejects %j as the Actions toolkit does',
    (raw) => {
      const error = inputErrorOf(() => parseBoolean('dry-run', raw));
      expect(error.input).toBe('dry-run');
      expect(error.message).toBe(`Input 'dry-run' is invalid: '${raw}' is not a boolean.`);
      expect(error.fix).toBe(`Set 'dry-run' to 'true' or 'false'.`);
    },
  );
});

describe('splitLines', () => {
  test.each([
    ['', []],
    ['   ', []],
    ['\n\n', []],
    ['one', ['one']],
    ['  one  ', ['one']],
    ['one\ntwo', ['one', 'two']],
    ['one\r\ntwo\r\n', ['one', 'two']],
    ['\n one \n\n\t two\t\n  \n', ['one', 'two']],
    ['a b\nc  d', ['a b', 'c  d']],
    ['x\n\r\ny', ['x', 'y']],
  ])('splits %j into %j', (raw, lines) => {
    expect(splitLines(raw)).toEqual(lines);
  });
});

describe('InputErrorCollector', () => {
  test('keeps going after an input error and reports every one together, in order', () => {
    const inputs = new InputErrorCollector();
    const timeout = inputs.check(() => parseDuration('timeout', 'soon'));
    const retries = inputs.check(() => parseInteger('retries', '3', 0));
    const backoff = inputs.check(() => parseNumber('backoff', 'fast', 1, 10));
    expect([timeout, retries, backoff]).toEqual([undefined, 3, undefined]);
    expect(inputs.failed).toBe(true);
    let thrown: unknown;
    try {
      inputs.throwIfAny();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputErrors);
    const all = thrown as InputErrors;
    expect(all.errors.map((e) => e.input)).toEqual(['timeout', 'backoff']);
    expect(all.render().split('\n')).toEqual([
      '2 inputs are invalid: timeout, backoff.',
      `- Input 'timeout' is invalid: 'soon' is not a duration. Write a non-negative number with a unit, for example '500ms', '10s' or '2m' (a bare number means seconds).`,
      `- Input 'backoff' is invalid: 'fast' is not a number from 1 to 10. Set 'backoff' to a number from 1 to 10.`,
    ]);
  });

  test('one error is thrown as that InputError, so a single mistake reads as before', () => {
    const inputs = new InputErrorCollector();
    inputs.check(() => parseBoolean('push', 'yes'));
    expect(() => {
      inputs.throwIfAny();
    }).toThrow(new InputError('push', `'yes' is not a boolean`, `Set 'push' to 'true' or 'false'.`));
  });

  test('nested collections flatten into one list', () => {
    expect(() => {
      collectInputErrors((outer) => {
        outer.check(() => {
          collectInputErrors((inner) => {
            inner.check(() => parseInteger('a', 'x', 0));
            inner.check(() => parseInteger('b', 'y', 0));
          });
        });
        outer.check(() => parseInteger('c', 'z', 0));
      });
    }).toThrow(/^3 inputs are invalid: a, b, c\.$/);
  });

  test('an error that is not about an input passes straight through', () => {
    const inputs = new InputErrorCollector();
    expect(() => {
      inputs.check(() => {
        throw new RangeError('a bug');
      });
    }).toThrow(RangeError);
    expect(inputs.failed).toBe(false);
  });

  test('no error: throwIfAny does nothing and the values are all there', () => {
    expect(
      collectInputErrors((inputs) => ({
        a: inputs.check(() => parseInteger('a', '1', 0)),
        b: inputs.check(() => parseBoolean('b', 'true')),
      })),
    ).toEqual({ a: 1, b: true });
  });
});

describe('health-check inputs: the interval floor and the names the user wrote', () => {
  const raw = {
    url: 'https://staging.example.com/healthz',
    method: '',
    headers: '',
    'expected-status': '',
    'expect-body': '',
    'expect-json': '',
    timeout: '',
    interval: '',
    'max-interval': '',
    backoff: '',
    deadline: '',
    'consecutive-successes': '',
    'max-latency-ms': '',
    'max-redirects': '',
  };

  test.each([
    ['100ms', 100],
    ['0.1s', 100],
    ['2s', 2000],
  ])('an interval of %s is accepted', (interval, ms) => {
    expect(parseHealthCheckSpec({ ...raw, interval }).intervalMs).toBe(ms);
  });

  test.each(['0', '0ms', '5ms', '99ms', '0.05s'])(
    'an interval of %s is refused: it would hammer the service',
    (interval) => {
      expect(() => parseHealthCheckSpec({ ...raw, interval })).toThrow(
        new InputError(
          'interval',
          `'${interval}' is shorter than 100 ms, which would hammer the service`,
          `Set 'interval' to at least '100ms' (the default is '2s').`,
        ),
      );
    },
  );

  test('an embedding step names each input as its user wrote it, in the message and the fix', () => {
    let thrown: unknown;
    try {
      parseHealthCheckSpec(
        { ...raw, url: '', timeout: '0s', deadline: 'later' },
        { names: { url: 'health-url', timeout: 'health-timeout', deadline: 'health-deadline' } },
      );
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputErrors);
    const errors = (thrown as InputErrors).errors;
    expect(errors.map((e) => e.input)).toEqual(['health-url', 'health-timeout', 'health-deadline']);
    expect(errors[0]?.fix).toMatch(/^Set 'health-url' to one URL per line/);
    expect(errors[1]?.render()).toBe(
      "Input 'health-timeout' is invalid: '0s' must be longer than zero. Set 'health-timeout' to a positive duration such as '5s'.",
    );
  });
});
