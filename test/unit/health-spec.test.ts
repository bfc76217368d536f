import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../src/errors.ts';
import {
  healthCheckSecrets,
  parseHealthCheckSpec,
  parseStatusRanges,
  type HealthCheckSpec,
  type RawHealthCheckInputs,
} from '../../src/health/spec.ts';

/** The inputs as the runner hands them over when a workflow sets only `url` (action.yml defaults). */
const defaults: RawHealthCheckInputs = {
  url: 'https://staging.example.com/healthz',
  method: 'GET',
  headers: '',
  'expected-status': '200-299',
  'expect-body': '',
  'expect-json': '',
  timeout: '5s',
  interval: '2s',
  'max-interval': '',
  backoff: '1.5',
  deadline: '30s',
  'consecutive-successes': '1',
  'max-latency-ms': '',
  'max-redirects': '5',
};

function parse(overrides: Partial<RawHealthCheckInputs>): HealthCheckSpec {
  return parseHealthCheckSpec({ ...defaults, ...overrides });
}

/** Runs `parse` expecting an InputError, and returns it for the caller's assertions. */
function inputErrorOf(overrides: Partial<RawHealthCheckInputs>): InputError {
  try {
    parse(overrides);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error(`expected an InputError for ${JSON.stringify(overrides)}`);
}

/** `text` as a regular expression source that matches it literally. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Asserts the error names the input, says what is wrong, and says how to fix it. */
function expectInputError(error: InputError, input: string, what: RegExp, fix: RegExp): void {
  expect(error.input).toBe(input);
  expect(error.message).toMatch(new RegExp(`^Input '${input}' is invalid: `));
  expect(error.message).toMatch(what);
  expect(error.fix).toMatch(fix);
  expect(error.render()).toContain(error.fix);
}

describe('parseHealthCheckSpec with the action.yml defaults', () => {
  test('yields a GET of the one URL with every documented default', () => {
    const spec = parse({});
    expect(spec.urls.map((u) => u.href)).toEqual(['https://staging.example.com/healthz']);
    expect(spec).toMatchObject({
      method: 'GET',
      headers: {},
      expectedStatus: [{ min: 200, max: 299 }],
      expectBody: undefined,
      expectJson: [],
      timeoutMs: 5000,
      intervalMs: 2000,
      maxIntervalMs: 15_000,
      backoff: 1.5,
      deadlineMs: 30_000,
      consecutiveSuccesses: 1,
      maxLatencyMs: undefined,
      maxRedirects: 5,
    });
  });

  test.each([
    ['expected-status', { 'expected-status': '' }, { expectedStatus: [{ min: 200, max: 299 }] }],
    ['expected-status (blank)', { 'expected-status': '  ' }, { expectedStatus: [{ min: 200, max: 299 }] }],
    ['backoff', { backoff: '' }, { backoff: 1.5 }],
    ['max-redirects', { 'max-redirects': '' }, { maxRedirects: 5 }],
    ['method', { method: '' }, { method: 'GET' }],
    ['timeout', { timeout: '' }, { timeoutMs: 5000 }],
    ['interval', { interval: '' }, { intervalMs: 2000 }],
    ['deadline', { deadline: '' }, { deadlineMs: 30_000 }],
    ['consecutive-successes', { 'consecutive-successes': '' }, { consecutiveSuccesses: 1 }],
    [
      'expected-status (only commas)',
      { 'expected-status': ' , ' },
      { expectedStatus: [{ min: 200, max: 299 }] },
    ],
    ['max-latency-ms', { 'max-latency-ms': '' }, { maxLatencyMs: undefined }],
    ['max-interval with a short interval', { 'max-interval': '', interval: '2s' }, { maxIntervalMs: 15_000 }],
    ['max-interval with a long interval', { 'max-interval': '', interval: '40s' }, { maxIntervalMs: 40_000 }],
    [
      'max-interval with interval of exactly 15s',
      { 'max-interval': '', interval: '15s' },
      { maxIntervalMs: 15_000 },
    ],
  ] as const)('an empty %s falls back to its documented default', (_name, overrides, expected) => {
    expect(parse(overrides)).toMatchObject(expected);
  });
});

describe('url', () => {
  test.each([
    ['one https URL', 'https://a.example.com/healthz', ['https://a.example.com/healthz']],
    [
      'one http URL with a port and query',
      'http://10.0.0.1:8080/ready?full=1',
      ['http://10.0.0.1:8080/ready?full=1'],
    ],
    [
      'one URL per line, blank lines and surrounding spaces ignored',
      '\n  https://a.example.com/healthz  \n\nhttp://b.example.com/\r\n',
      ['https://a.example.com/healthz', 'http://b.example.com/'],
    ],
    ['an upper-case scheme', 'HTTPS://A.example.com/x', ['https://a.example.com/x']],
    [
      'credentials in the URL (kept for the request)',
      'https://user:pw@a.example.com/',
      ['https://user:pw@a.example.com/'],
    ],
  ])('accepts %s', (_name, url, hrefs) => {
    expect(parse({ url }).urls.map((u) => u.href)).toEqual(hrefs);
  });

  test.each([
    ['nothing', '', /no URL was given/, /one URL per line/],
    ['only blank lines', '\n  \n', /no URL was given/, /one URL per line/],
    [
      'a host without a scheme',
      'staging.example.com/healthz',
      /'staging\.example\.com\/healthz' is not a URL/,
      /absolute URLs with a scheme/,
    ],
    ['a relative path', '/healthz', /'\/healthz' is not a URL/, /absolute URLs with a scheme/],
    [
      'an ftp URL',
      'ftp://files.example.com/health',
      /uses ftp, not http or https/,
      /http:\/\/ or https:\/\//,
    ],
    ['a file URL', 'file:///etc/passwd', /uses file, not http or https/, /http:\/\/ or https:\/\//],
    [
      'a websocket URL',
      'wss://a.example.com/socket',
      /uses wss, not http or https/,
      /http:\/\/ or https:\/\//,
    ],
    [
      'a bad second line after a good first',
      'https://a.example.com/\nftp://b.example.com/',
      /'ftp:\/\/b\.example\.com\/' uses ftp/,
      /http:\/\/ or https:\/\//,
    ],
  ])('rejects %s', (_name, url, what, fix) => {
    expectInputError(inputErrorOf({ url }), 'url', what, fix);
  });
});

describe('method', () => {
  test.each([
    ['GET', 'GET'],
    ['post', 'POST'],
    [' head ', 'HEAD'],
    ['Put', 'PUT'],
    ['PATCH', 'PATCH'],
    ['delete', 'DELETE'],
    ['OPTIONS', 'OPTIONS'],
  ])('accepts %j as %s', (method, expected) => {
    expect(parse({ method }).method).toBe(expected);
  });

  test.each(['FETCH', 'GET POST', 'CONNECT', 'TRACE', 'G3T'])(
    'rejects %j, listing the methods it takes',
    (method) => {
      expectInputError(
        inputErrorOf({ method }),
        'method',
        /is not an HTTP method/,
        /GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS/,
      );
    },
  );
});

describe('headers', () => {
  test.each([
    ['one header, name lower-cased', 'Authorization: Bearer abc', { authorization: 'Bearer abc' }],
    [
      'several headers, one per line',
      'X-Api-Key: k1\nAccept: application/json\r\nX-Request-Id: 42',
      { 'x-api-key': 'k1', accept: 'application/json', 'x-request-id': '42' },
    ],
    ['a value with colons kept whole', 'X-Window: 12:30:00', { 'x-window': '12:30:00' }],
    ['spaces around the name and the value', '  X-Trace  :   on  ', { 'x-trace': 'on' }],
    ['no space after the colon', 'X-Tight:yes', { 'x-tight': 'yes' }],
    ['an empty value', 'X-Empty:', { 'x-empty': '' }],
    ['token characters in the name', "X-a!#$%&'*+.^_`|~9: v", { "x-a!#$%&'*+.^_`|~9": 'v' }],
    ['blank lines ignored', '\nAccept: text/plain\n\n', { accept: 'text/plain' }],
    ['nothing', '', {}],
  ])('parses %s', (_name, headers, expected) => {
    expect(parse({ headers }).headers).toEqual(expected);
  });

  test.each([
    ['a line without a colon', 'Bearer s3cr3t-t0ken', /line 1 is not 'Name: value'\.$/],
    ['a line starting with a colon', ': s3cr3t-t0ken', /line 1 is not 'Name: value'\.$/],
    ['a name with a space', 'X Auth: s3cr3t-t0ken', /line 1 is not 'Name: value'\.$/],
    ['a name with a non-token character', 'X-Authörization: s3cr3t-t0ken', /line 1 is not 'Name: value'\.$/],
    [
      'a good line then a bad one',
      'Accept: text/plain\nX(Key): s3cr3t-t0ken',
      /line 2 is not 'Name: value'\.$/,
    ],
    ['a token with a colon but no header name', 'Bearer s3cr3t t0ken:x', /line 1 is not 'Name: value'\.$/],
  ])('rejects %s without echoing the value', (_name, headers, what) => {
    const error = inputErrorOf({ headers });
    expectInputError(error, 'headers', what, /one header per line as 'Name: value'/);
    expect(`${error.message} ${error.why} ${error.fix}`).not.toContain('s3cr3t');
    expect(error.render()).not.toContain('s3cr3t');
  });
});

describe('parseStatusRanges', () => {
  test.each([
    ['', [{ min: 200, max: 299 }]],
    ['  \n ', [{ min: 200, max: 299 }]],
    ['200', [{ min: 200, max: 200 }]],
    ['200-299', [{ min: 200, max: 299 }]],
    ['204-204', [{ min: 204, max: 204 }]],
    [
      '200,204',
      [
        { min: 200, max: 200 },
        { min: 204, max: 204 },
      ],
    ],
    [
      '200, 204 301-302',
      [
        { min: 200, max: 200 },
        { min: 204, max: 204 },
        { min: 301, max: 302 },
      ],
    ],
    [
      '200\n404',
      [
        { min: 200, max: 200 },
        { min: 404, max: 404 },
      ],
    ],
    ['2xx', [{ min: 200, max: 299 }]],
    ['5XX', [{ min: 500, max: 599 }]],
    [
      '1xx,3xx',
      [
        { min: 100, max: 199 },
        { min: 300, max: 399 },
      ],
    ],
    ['100-599', [{ min: 100, max: 599 }]],
    [',200,', [{ min: 200, max: 200 }]],
  ])('parses %j', (raw, expected) => {
    expect(parseStatusRanges(raw)).toEqual(expected);
  });

  test.each([
    ['600', '600'],
    ['099', '099'],
    ['20', '20'],
    ['2000', '2000'],
    ['299-200', '299-200'],
    ['200-600', '200-600'],
    ['200-', '200-'],
    ['-299', '-299'],
    ['6xx', '6xx'],
    ['0xx', '0xx'],
    ['2xx-3xx', '2xx-3xx'],
    ['ok', 'ok'],
    ['200;204', '200;204'],
    ['200, abc', 'abc'],
  ])('rejects %j, naming the bad part', (raw, part) => {
    let thrown: unknown;
    try {
      parseStatusRanges(raw);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expectInputError(
      thrown as InputError,
      'expected-status',
      new RegExp(`'${literal(part)}' is not a status code or range`),
      /100 to 599.*'200-299'.*'2xx'/,
    );
  });

  test('is what parseHealthCheckSpec uses for expected-status', () => {
    expect(parse({ 'expected-status': '200,301-302' }).expectedStatus).toEqual(
      parseStatusRanges('200,301-302'),
    );
    expectInputError(inputErrorOf({ 'expected-status': '700' }), 'expected-status', /'700'/, /100 to 599/);
  });
});

describe('expect-body', () => {
  test('is absent when empty', () => {
    expect(parse({ 'expect-body': '' }).expectBody).toBeUndefined();
  });

  test.each([
    ['a word', 'ok', 'ok'],
    ['a path-like text without a closing slash', '/healthz', '/healthz'],
    ['two slashes only', '//', '//'],
    ['a single slash', '/', '/'],
    ['text with a slash inside', 'a/b', 'a/b'],
    ['JSON text', '"status":"ok"', '"status":"ok"'],
  ])('treats %s as a substring', (_name, raw, text) => {
    expect(parse({ 'expect-body': raw }).expectBody).toEqual({ kind: 'substring', text });
  });

  test.each([
    ['no flags', '/^ok$/', '^ok$', '', ['ok'], ['OK', 'not ok']],
    ['the i flag', '/^ok$/i', '^ok$', 'i', ['OK', 'ok'], ['okay']],
    ['the s and m flags', '/a.b$/sm', 'a.b$', 'ms', ['a\nb\nc'], ['a\n\nb']],
    ['the g flag dropped (it would make test() stateful)', '/ok/gi', 'ok', 'i', ['OK'], ['no']],
    [
      'slashes inside the pattern',
      '/"version":"1\\.\\d+"/',
      '"version":"1\\.\\d+"',
      '',
      ['{"version":"1.4"}'],
      ['{"version":"2.0"}'],
    ],
    ['an inner slash', '/a\\/b/', 'a\\/b', '', ['x a/b y'], ['ab']],
    ['surrounding spaces', '  /up/  ', 'up', '', ['is up'], ['down']],
  ])('reads /…/ with %s as a regular expression', (_name, raw, source, flags, matching, notMatching) => {
    const body = parse({ 'expect-body': raw }).expectBody;
    if (body?.kind !== 'regex') throw new Error(`expected a regex, got ${JSON.stringify(body)}`);
    expect(body.pattern.source).toBe(source);
    expect(body.pattern.flags).toBe(flags);
    for (const text of matching) expect(body.pattern.test(text)).toBe(true);
    for (const text of notMatching) expect(body.pattern.test(text)).toBe(false);
  });

  test.each([
    ['an unclosed group', '/(ok/'],
    ['an unterminated class', '/[ok/'],
    ['a reversed class range', '/[z-a]/'],
    ['a dangling quantifier', '/*ok/'],
    ['conflicting u and v flags', '/ok/uv'],
    ['a repeated flag', '/ok/ii'],
  ])('rejects a regular expression with %s', (_name, raw) => {
    const error = inputErrorOf({ 'expect-body': raw });
    expectInputError(
      error,
      'expect-body',
      new RegExp(`'${literal(raw)}' is not a valid regular expression \\(.+\\)`),
      /Fix the pattern, or write the text without surrounding slashes/,
    );
  });
});

describe('expect-json', () => {
  test.each([
    ['a plain key and a bare word', 'status=ok', ['status'], 'ok', 'ok'],
    ['a dotted path and a boolean', 'checks.db.up=true', ['checks', 'db', 'up'], true, 'true'],
    ['an index and a number', 'items[0].id=42', ['items', 0, 'id'], 42, '42'],
    ['a nested index', 'a.b[0].c=1.5', ['a', 'b', 0, 'c'], 1.5, '1.5'],
    ['consecutive indexes', 'grid[1][2]=0', ['grid', 1, 2], 0, '0'],
    ['a leading $.', '$.a=null', ['a'], null, 'null'],
    ['a leading $ before an index', '$[0].id=7', [0, 'id'], 7, '7'],
    ['a double-quoted key with a dot', 'a["x.y"]=1', ['a', 'x.y'], 1, '1'],
    ['a single-quoted key with a dot', "a['x.y'].z=1", ['a', 'x.y', 'z'], 1, '1'],
    ['a quoted key with brackets', 'a["[0]"]=1', ['a', '[0]'], 1, '1'],
    ['a quoted key first', '["a b"].c=d', ['a b', 'c'], 'd', 'd'],
    ['an empty quoted key', 'a[""]=1', ['a', ''], 1, '1'],
    ['a quoted string value', 'version="1.4.2"', ['version'], '1.4.2', '"1.4.2"'],
    ['a quoted number', 'code="42"', ['code'], '42', '"42"'],
    ['an object value', 'checks={"db":"up"}', ['checks'], { db: 'up' }, '{"db":"up"}'],
    ['an array value', 'tags=["a", "b"]', ['tags'], ['a', 'b'], '["a", "b"]'],
    ['spaces around both sides', '  count  =  3  ', ['count'], 3, '3'],
    ['an = inside the value', 'query=a=b', ['query'], 'a=b', 'a=b'],
    ['an empty value', 'note=', ['note'], '', ''],
    ['a negative number', 'offset=-1', ['offset'], -1, '-1'],
    ['a value that is not JSON', 'status=ok now', ['status'], 'ok now', 'ok now'],
  ])('parses %s', (_name, line, path, expected, expectedText) => {
    const [expectation, ...rest] = parse({ 'expect-json': line }).expectJson;
    expect(rest).toEqual([]);
    expect(expectation).toEqual({
      path,
      pathText: line.slice(0, line.indexOf('=')).trim(),
      expected,
      expectedText,
    });
  });

  test('parses one expectation per line, skipping blank lines', () => {
    const spec = parse({ 'expect-json': 'status=ok\n\n  checks.db=up \r\nitems[1]=2\n' });
    expect(spec.expectJson.map((e) => [e.pathText, e.expected])).toEqual([
      ['status', 'ok'],
      ['checks.db', 'up'],
      ['items[1]', 2],
    ]);
  });

  test.each([
    ['no =', 'status', /'status' is not 'path=value'/],
    ['nothing before =', '=ok', /'=ok' is not 'path=value'/],
    ['only spaces before =', '   =ok', /'=ok' is not 'path=value'/],
    ['an empty segment', 'a..b=1', /'a\.\.b' is not a JSON path/],
    ['a leading dot', '.a=1', /'\.a' is not a JSON path/],
    ['a trailing dot', 'a.=1', /'a\.' is not a JSON path/],
    ['a bare $', '$=1', /'\$' is not a JSON path/],
    ['a $. alone', '$.=1', /'\$\.' is not a JSON path/],
    ['a non-numeric index', 'a[x]=1', /'a\[x\]' is not a JSON path/],
    ['a negative index', 'a[-1]=1', /'a\[-1\]' is not a JSON path/],
    ['an unclosed index', 'a[0=1', /'a\[0' is not a JSON path/],
    ['an unclosed quote', 'a["x]=1', /'a\["x\]' is not a JSON path/],
    ['mismatched quotes', `a["x']=1`, /'a\["x'\]' is not a JSON path/],
    ['a stray closing bracket', 'a]=1', /'a\]' is not a JSON path/],
    ['an index glued to a name', 'a[0]b=1', /'a\[0\]b' is not a JSON path/],
    ['a bad line after a good one', 'status=ok\nbroken', /'broken' is not 'path=value'/],
  ])('rejects %s', (_name, line, what) => {
    expectInputError(
      inputErrorOf({ 'expect-json': line }),
      'expect-json',
      what,
      /'path=value' per line.*'items\[0\]\.id=42'/,
    );
  });
});

describe('durations', () => {
  test.each([
    ['timeout', '5s', 'timeoutMs', 5000],
    ['timeout', '500ms', 'timeoutMs', 500],
    ['timeout', '2', 'timeoutMs', 2000],
    ['timeout', '1.5m', 'timeoutMs', 90_000],
    ['deadline', '30s', 'deadlineMs', 30_000],
    ['deadline', '1h', 'deadlineMs', 3_600_000],
    ['deadline', '1ms', 'deadlineMs', 1],
    ['interval', '250ms', 'intervalMs', 250],
    ['interval', '10', 'intervalMs', 10_000],
    ['max-interval', '1m', 'maxIntervalMs', 60_000],
  ] as const)('%s %j is %s = %d', (input, raw, key, ms) => {
    expect(parse({ [input]: raw })[key]).toBe(ms);
  });

  test.each(['timeout', 'deadline'] as const)('%s must be longer than zero', (input) => {
    for (const raw of ['0', '0s', '0ms']) {
      expectInputError(
        inputErrorOf({ [input]: raw }),
        input,
        new RegExp(`'${raw}' must be longer than zero`),
        /positive duration such as '5s'/,
      );
    }
  });

  test.each([
    ['timeout', 'soon'],
    ['deadline', '-1s'],
    ['deadline', '30 sec'],
    ['interval', '1d'],
    ['max-interval', 'never'],
  ] as const)('%s rejects %j as not a duration', (input, raw) => {
    expectInputError(inputErrorOf({ [input]: raw }), input, /is not a duration/, /'500ms', '10s' or '2m'/);
  });

  test.each([
    ['2s', '1s'],
    ['1m', '59s'],
    ['500ms', '499ms'],
  ])('max-interval shorter than interval %s (%s) is rejected', (interval, maxInterval) => {
    expectInputError(
      inputErrorOf({ interval, 'max-interval': maxInterval }),
      'max-interval',
      /ms is shorter than 'interval' \(\d+ ms\)/,
      /at least the 'interval'/,
    );
  });

  test('max-interval equal to interval is accepted', () => {
    expect(parse({ interval: '5s', 'max-interval': '5000ms' })).toMatchObject({
      intervalMs: 5000,
      maxIntervalMs: 5000,
    });
  });
});

describe('numbers', () => {
  test.each([
    [{ backoff: '1' }, { backoff: 1 }],
    [{ backoff: '2' }, { backoff: 2 }],
    [{ backoff: ' 1.25 ' }, { backoff: 1.25 }],
    [{ backoff: '10' }, { backoff: 10 }],
    [{ 'consecutive-successes': '1' }, { consecutiveSuccesses: 1 }],
    [{ 'consecutive-successes': '3' }, { consecutiveSuccesses: 3 }],
    [{ 'consecutive-successes': '1000' }, { consecutiveSuccesses: 1000 }],
    [{ 'max-latency-ms': '1' }, { maxLatencyMs: 1 }],
    [{ 'max-latency-ms': ' 250 ' }, { maxLatencyMs: 250 }],
    [{ 'max-redirects': '0' }, { maxRedirects: 0 }],
    [{ 'max-redirects': '50' }, { maxRedirects: 50 }],
  ])('accepts %j', (overrides, expected) => {
    expect(parse(overrides)).toMatchObject(expected);
  });

  test.each([
    ['backoff', '0.5', /'0\.5' is not a number from 1 to 10/],
    ['backoff', '11', /'11' is not a number from 1 to 10/],
    ['backoff', 'fast', /'fast' is not a number from 1 to 10/],
    ['backoff', 'Infinity', /'Infinity' is not a number from 1 to 10/],
    ['consecutive-successes', '0', /'0' is not a whole number from 1 to 1000/],
    ['consecutive-successes', '1001', /'1001' is not a whole number from 1 to 1000/],
    ['consecutive-successes', '1.5', /'1\.5' is not a whole number from 1 to 1000/],
    ['consecutive-successes', 'two', /'two' is not a whole number from 1 to 1000/],
    ['max-latency-ms', '0', /'0' is not a whole number at least 1/],
    ['max-latency-ms', '-5', /'-5' is not a whole number at least 1/],
    ['max-latency-ms', '2.5', /'2\.5' is not a whole number at least 1/],
    ['max-latency-ms', '200ms', /'200ms' is not a whole number at least 1/],
    ['max-redirects', '-1', /'-1' is not a whole number from 0 to 50/],
    ['max-redirects', '51', /'51' is not a whole number from 0 to 50/],
    ['max-redirects', 'many', /'many' is not a whole number from 0 to 50/],
  ] as const)('%s rejects %j', (input, raw, what) => {
    expectInputError(
      inputErrorOf({ [input]: raw }),
      input,
      what,
      new RegExp(`Set '${input}' to a (whole )?number`),
    );
  });
});

describe('healthCheckSecrets', () => {
  test.each([
    [
      'header values',
      { headers: 'Authorization: Bearer s3cr3t\nX-Api-Key:  k-123 ', url: 'https://a.example.com' },
      ['Bearer s3cr3t', 'k-123'],
    ],
    ['a password in a URL', { headers: '', url: 'https://ci:pa55word@a.example.com/healthz' }, ['pa55word']],
    ['a user without password', { headers: '', url: 'https://ci@a.example.com/healthz' }, []],
    ['a header without a value', { headers: 'X-Empty:', url: '' }, []],
    [
      'both, over several lines',
      { headers: 'A: one', url: 'http://a.example.com\nhttp://u:two@b.example.com' },
      ['one', 'two'],
    ],
  ])('finds %s', (_name, raw, secrets) => {
    expect(healthCheckSecrets(raw)).toEqual(secrets);
  });
});
