import { describe, expect, test } from '@jest/globals';
import { parseHealthCheckSpec, type HealthCheckSpec } from '../../src/health/spec.ts';
import { formatStatusRanges, judgeResponse, percentile } from '../../src/health/verdict.ts';

type Expectations = Pick<HealthCheckSpec, 'expectedStatus' | 'expectBody' | 'expectJson'>;

/** Expectations as a workflow writes them, parsed the way the action parses them. */
function expectations(written: { status?: string; body?: string; json?: string }): Expectations {
  const spec = parseHealthCheckSpec({
    url: 'https://staging.example.com/healthz',
    method: '',
    headers: '',
    'expected-status': written.status ?? '',
    'expect-body': written.body ?? '',
    'expect-json': written.json ?? '',
    timeout: '5s',
    interval: '2s',
    'max-interval': '',
    backoff: '',
    deadline: '30s',
    'consecutive-successes': '1',
    'max-latency-ms': '',
    'max-redirects': '',
  });
  return { expectedStatus: spec.expectedStatus, expectBody: spec.expectBody, expectJson: spec.expectJson };
}

describe('judgeResponse: status', () => {
  test.each([
    ['', 200, undefined],
    ['', 299, undefined],
    ['', 204, undefined],
    ['', 199, 'expected status 200-299, got 199'],
    ['', 300, 'expected status 200-299, got 300'],
    ['', 503, 'expected status 200-299, got 503'],
    ['200', 200, undefined],
    ['200', 201, 'expected status 200, got 201'],
    ['200,204', 204, undefined],
    ['200,301-302', 302, undefined],
    ['200,301-302', 204, 'expected status 200, 301-302, got 204'],
    ['2xx', 250, undefined],
    ['4xx', 404, undefined],
    ['4xx', 500, 'expected status 400-499, got 500'],
    ['401 403', 403, undefined],
  ])('expected-status %j with status %d → %s', (status, code, reason) => {
    const verdict = judgeResponse(expectations({ status }), { status: code, body: '' });
    expect(verdict).toEqual(reason === undefined ? { ok: true } : { ok: false, reason });
  });

  test('judges the status before the body and the JSON', () => {
    const verdict = judgeResponse(expectations({ body: 'ok', json: 'status=ok' }), {
      status: 503,
      body: 'not json',
    });
    expect(verdict).toEqual({ ok: false, reason: 'expected status 200-299, got 503' });
  });
});

describe('judgeResponse: body', () => {
  test.each([
    ['ok', 'status: ok', undefined],
    ['ok', 'ok', undefined],
    ['ok', 'OK', "body does not contain 'ok'"],
    ['ok', '', "body does not contain 'ok'"],
    ['"status":"ok"', '{"status":"ok"}', undefined],
    ['"status":"ok"', '{"status": "ok"}', `body does not contain '"status":"ok"'`],
    ['/^ok$/', 'ok', undefined],
    ['/^ok$/', 'ok\n', 'body does not match /^ok$/'],
    ['/^ok$/i', 'OK', undefined],
    ['/^ok$/m', 'status\nok\nend', undefined],
    ['/^ok$/', 'status\nok\nend', 'body does not match /^ok$/'],
    ['/"version":"1\\.\\d+/', '{"version":"1.42"}', undefined],
    ['/"version":"1\\.\\d+/', '{"version":"2.0"}', 'body does not match /"version":"1\\.\\d+/'],
    ['/a.b/s', 'a\nb', undefined],
  ])('expect-body %j with body %j → %s', (body, responseBody, reason) => {
    const verdict = judgeResponse(expectations({ body }), { status: 200, body: responseBody });
    expect(verdict).toEqual(reason === undefined ? { ok: true } : { ok: false, reason });
  });

  test.each(['/ok/g', '/ok/y', '/ok/gy', '/ok/gg'])(
    'gives the same verdict on every attempt for the stateful regex %s',
    (body) => {
      const spec = expectations({ body });
      const verdicts = [1, 2, 3].map(() => judgeResponse(spec, { status: 200, body: 'ok' }));
      expect(verdicts).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    },
  );

  test('accepts any body when no body expectation is set', () => {
    expect(judgeResponse(expectations({}), { status: 200, body: '\u0000 binary' })).toEqual({ ok: true });
  });
});

describe('judgeResponse: JSON', () => {
  test.each([
    // strings
    ['status=ok', '{"status":"ok"}', undefined],
    ['status="ok"', '{"status":"ok"}', undefined],
    ['status=ok', '{"status":"degraded"}', `JSON path 'status' is "degraded", expected ok`],
    ['status=ok', '{"status":"OK"}', `JSON path 'status' is "OK", expected ok`],
    ['status=ok now', '{"status":"ok now"}', undefined],
    ['version=1.0', '{"version":"1.0"}', undefined],
    ['version=1.10', '{"version":"1.10"}', undefined],
    ['version=1.0', '{"version":1}', undefined],
    ['checks={"db":"up","cache":"up"}', '{"checks":{"cache":"up","db":"up"}}', undefined],
    ['checks=[1,2]', '{"checks":[2,1]}', `JSON path 'checks' is [2,1], expected [1,2]`],
    ['note=', '{"note":""}', undefined],
    ['note=', '{"note":null}', `JSON path 'note' is null, expected `],
    // numbers
    ['count=3', '{"count":3}', undefined],
    ['count=3', '{"count":3.0}', undefined],
    ['count=3.0', '{"count":3}', undefined],
    ['count=3', '{"count":4}', "JSON path 'count' is 4, expected 3"],
    ['ratio=0.5', '{"ratio":0.5}', undefined],
    ['ratio=1e2', '{"ratio":100}', undefined],
    ['offset=-1', '{"offset":-1}', undefined],
    ['count=3', '{"count":"3"}', undefined],
    ['count="3"', '{"count":3}', `JSON path 'count' is 3, expected "3"`],
    ['count=3', '{"count":[3]}', "JSON path 'count' is [3], expected 3"],
    // booleans
    ['up=true', '{"up":true}', undefined],
    ['up=true', '{"up":"true"}', undefined],
    ['up=true', '{"up":false}', "JSON path 'up' is false, expected true"],
    ['up=true', '{"up":1}', "JSON path 'up' is 1, expected true"],
    ['up=false', '{"up":0}', "JSON path 'up' is 0, expected false"],
    ['up=false', '{"up":null}', "JSON path 'up' is null, expected false"],
    ['up="true"', '{"up":true}', `JSON path 'up' is true, expected "true"`],
    // null
    ['error=null', '{"error":null}', undefined],
    ['error=null', '{"error":"null"}', undefined],
    ['error=null', '{"error":{}}', "JSON path 'error' is {}, expected null"],
    ['error=null', '{"error":0}', "JSON path 'error' is 0, expected null"],
    ['error=null', '{"error":""}', `JSON path 'error' is "", expected null`],
    // objects and arrays
    ['checks={"db":"up"}', '{"checks":{"db":"up"}}', undefined],
    ['checks={ "db" : "up" }', '{"checks":{"db":"up"}}', undefined],
    [
      'checks={"db":"up"}',
      '{"checks":{"db":"down"}}',
      `JSON path 'checks' is {"db":"down"}, expected {"db":"up"}`,
    ],
    [
      'checks={"db":"up"}',
      '{"checks":{"db":"up","cache":"up"}}',
      `JSON path 'checks' is {"db":"up","cache":"up"}, expected {"db":"up"}`,
    ],
    ['checks={}', '{"checks":{}}', undefined],
    ['checks={}', '{"checks":[]}', "JSON path 'checks' is [], expected {}"],
    ['checks=up', '{"checks":{"db":"up"}}', `JSON path 'checks' is {"db":"up"}, expected up`],
    [
      'checks={"db":"up"}',
      '{"checks":"{\\"db\\":\\"up\\"}"}',
      `JSON path 'checks' is "{\\"db\\":\\"up\\"}", expected {"db":"up"}`,
    ],
    ['tags=["a","b"]', '{"tags":["a","b"]}', undefined],
    ['tags=["a","b"]', '{"tags":["b","a"]}', `JSON path 'tags' is ["b","a"], expected ["a","b"]`],
    ['tags=[]', '{"tags":[]}', undefined],
    ['tags=null', '{"tags":[]}', "JSON path 'tags' is [], expected null"],
    // paths
    ['checks.db.up=true', '{"checks":{"db":{"up":true}}}', undefined],
    ['items[0].id=42', '{"items":[{"id":42},{"id":7}]}', undefined],
    ['items[1].id=7', '{"items":[{"id":42},{"id":7}]}', undefined],
    ['grid[1][0]=3', '{"grid":[[1,2],[3,4]]}', undefined],
    ['$.status=ok', '{"status":"ok"}', undefined],
    ['$[0].id=1', '[{"id":1}]', undefined],
    ['a["x.y"]=1', '{"a":{"x.y":1}}', undefined],
    ['a["x.y"]=1', '{"a":{"x":{"y":1}}}', `JSON path 'a["x.y"]' is missing (expected 1)`],
    ['a.x.y=1', '{"a":{"x":{"y":1}}}', undefined],
  ])('expect-json %j with body %s → %s', (json, body, reason) => {
    const verdict = judgeResponse(expectations({ json }), { status: 200, body });
    expect(verdict).toEqual(reason === undefined ? { ok: true } : { ok: false, reason });
  });

  test.each([
    ['status=ok', '{}'],
    ['status=ok', '{"Status":"ok"}'],
    ['checks.db=up', '{"checks":{}}'],
    ['checks.db=up', '{"checks":null}'],
    ['checks.db=up', '{"checks":"db"}'],
    ['checks.db=up', '{"checks":5}'],
    ['items[2].id=1', '{"items":[{"id":1}]}'],
    ['items[0]=1', '{"items":[]}'],
    ['a.toString=1', '{"a":{}}'],
    ['a.constructor=1', '{"a":{}}'],
    ['status=ok', '[]'],
    ['status=ok', 'null'],
    ['status=ok', '"ok"'],
    ['[0]=1', '{}'],
  ])('expect-json %j is missing in %s', (json, body) => {
    const { pathText, expectedText } = expectations({ json }).expectJson[0]!;
    expect(judgeResponse(expectations({ json }), { status: 200, body })).toEqual({
      ok: false,
      reason: `JSON path '${pathText}' is missing (expected ${expectedText})`,
    });
  });

  test('a path to a present null is not missing', () => {
    expect(
      judgeResponse(expectations({ json: 'a.b=null' }), { status: 200, body: '{"a":{"b":null}}' }),
    ).toEqual({
      ok: true,
    });
  });

  test.each(['', 'OK', '<html>ok</html>', '{"status":"ok"', "{'status':'ok'}", 'status=ok'])(
    'a non-JSON body %j fails, listing every JSON expectation',
    (body) => {
      const verdict = judgeResponse(expectations({ json: 'status=ok\nchecks.db=up' }), { status: 200, body });
      expect(verdict).toEqual({ ok: false, reason: 'body is not JSON (expected status=ok, checks.db=up)' });
    },
  );

  test('a non-JSON body is fine when no JSON path is expected', () => {
    expect(judgeResponse(expectations({ body: 'OK' }), { status: 200, body: 'OK' })).toEqual({ ok: true });
  });

  test('reports the first of several expectations that fails', () => {
    const spec = expectations({ json: 'status=ok\nchecks.db=up\nchecks.cache=up' });
    const body = '{"status":"ok","checks":{"db":"down","cache":"down"}}';
    expect(judgeResponse(spec, { status: 200, body })).toEqual({
      ok: false,
      reason: `JSON path 'checks.db' is "down", expected up`,
    });
  });

  test('judges the body substring before the JSON paths', () => {
    const verdict = judgeResponse(expectations({ body: 'healthy', json: 'status=ok' }), {
      status: 200,
      body: '{"status":"degraded"}',
    });
    expect(verdict).toEqual({ ok: false, reason: "body does not contain 'healthy'" });
  });

  test('passes when status, body and every JSON path hold', () => {
    const verdict = judgeResponse(
      expectations({
        status: '200',
        body: '/"version":"1\\./',
        json: 'status=ok\nversion="1.4.2"\nchecks[0].up=true',
      }),
      { status: 200, body: '{"status":"ok","version":"1.4.2","checks":[{"up":true}]}' },
    );
    expect(verdict).toEqual({ ok: true });
  });
});

describe('formatStatusRanges', () => {
  test.each([
    [[], ''],
    [[{ min: 200, max: 299 }], '200-299'],
    [[{ min: 204, max: 204 }], '204'],
    [
      [
        { min: 200, max: 200 },
        { min: 204, max: 204 },
        { min: 301, max: 302 },
      ],
      '200, 204, 301-302',
    ],
    [
      [
        { min: 500, max: 599 },
        { min: 200, max: 299 },
      ],
      '500-599, 200-299',
    ],
  ])('%j → %j', (ranges, text) => {
    expect(formatStatusRanges(ranges)).toBe(text);
  });
});

describe('percentile (nearest rank)', () => {
  const oneToTen = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  test.each([
    [[], 50, undefined],
    [[], 95, undefined],
    [[42], 0, 42],
    [[42], 50, 42],
    [[42], 100, 42],
    [oneToTen, 0, 1],
    [oneToTen, 10, 1],
    [oneToTen, 11, 2],
    [oneToTen, 50, 5],
    [oneToTen, 51, 6],
    [oneToTen, 90, 9],
    [oneToTen, 95, 10],
    [oneToTen, 100, 10],
    [oneToTwenty, 50, 10],
    [oneToHundred, 7, 7],
    [Array.from({ length: 25 }, (_, i) => i + 1), 28, 7],
    [oneToTwenty, 95, 19],
    [oneToTwenty, 96, 20],
    [oneToHundred, 50, 50],
    [oneToHundred, 95, 95],
    [oneToHundred, 99, 99],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 75, 3],
    [[1, 2, 3, 4], 76, 4],
    [[1, 2, 3], 50, 2],
    [[5, 5, 5, 100], 50, 5],
    [[5, 5, 5, 100], 95, 100],
    [[100, 1, 50, 3], 50, 3],
    [[0.5, 0.25, 0.75], 95, 0.75],
    [[10, 2, 33, 4], 95, 33],
  ])('of %j at p%d is %p', (samples, p, expected) => {
    expect(percentile(samples, p)).toBe(expected);
  });

  test('sorts numerically, not as strings', () => {
    expect(percentile([9, 10, 100, 2], 50)).toBe(9);
    expect(percentile([9, 10, 100, 2], 100)).toBe(100);
  });

  test('does not reorder the samples it is given', () => {
    const samples = [30, 10, 20];
    percentile(samples, 50);
    expect(samples).toEqual([30, 10, 20]);
  });
});
