import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendSummary,
  error,
  saveState,
  setFailed,
  setOutput,
  setSecret,
  warning,
} from '../../actions/runner-io.ts';
import { parseCommands, parseKeyValueFile } from '../support/runner.ts';

const FILE_VARIABLES = ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY'] as const;
type FileVariable = (typeof FILE_VARIABLES)[number];

const saved = Object.fromEntries(FILE_VARIABLES.map((name) => [name, process.env[name]]));
const savedExitCode = process.exitCode;
let scratch = '';
let fileCount = 0;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'rollgate-runner-files-'));
});

/** Every test writes to fresh files, as each step of a job gets its own. */
beforeEach(() => {
  fileCount++;
  for (const name of FILE_VARIABLES) process.env[name] = join(scratch, `${name.toLowerCase()}-${fileCount}`);
});

afterEach(() => {
  process.exitCode = savedExitCode;
});

afterAll(() => {
  for (const name of FILE_VARIABLES) {
    const value = saved[name];
    if (value === undefined) Reflect.deleteProperty(process.env, name);
    else process.env[name] = value;
  }
  process.exitCode = savedExitCode;
  rmSync(scratch, { recursive: true, force: true });
});

function fileOf(variable: FileVariable): string {
  const path = process.env[variable];
  if (path === undefined) throw new Error(`${variable} is not set`);
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Runs `body` with stdout captured (and kept out of the test log); returns what it wrote. */
function stdoutOf(body: () => void): string {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  });
  try {
    body();
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

const awkwardValues: [string, string][] = [
  ['a plain word', 'true'],
  ['an empty value', ''],
  ['several lines', 'line one\nline two\n  indented line three'],
  ['a trailing newline', 'ends with a newline\n'],
  ['a leading newline', '\nstarts with a newline'],
  ['blank lines inside', 'a\n\n\nb'],
  ['= signs', 'url=https://x.example/?a=1&b=2'],
  ['a line that looks like name=value', 'first\nother=value\nlast'],
  ['<< markers', 'cat <<EOF\nbody\nEOF'],
  ['a line that looks like a heredoc start', 'name<<DELIM\nDELIM'],
  ['the runner delimiter prefix', 'ghadelimiter_123\nghadelimiter_'],
  ['workflow-command text', '::error::not a command here'],
  ['percent signs and colons', '100%: done, 50%25 left'],
  ['unicode', 'déployé ✅ 🚀'],
  ['tabs and trailing spaces', '\tindented  '],
];

describe('setOutput and saveState round-trip through parseKeyValueFile', () => {
  test.each(awkwardValues)('an output with %s', (_name, value) => {
    setOutput('report', value);
    expect(parseKeyValueFile(fileOf('GITHUB_OUTPUT'))).toEqual({ report: value });
  });

  test.each(awkwardValues)('a state value with %s', (_name, value) => {
    saveState('deployment-id', value);
    expect(parseKeyValueFile(fileOf('GITHUB_STATE'))).toEqual({ 'deployment-id': value });
  });

  test('outputs of every kind written in one step all read back, the last of a name winning', () => {
    for (const [i, [, value]] of awkwardValues.entries()) setOutput(`out-${i}`, value);
    setOutput('attempts', 5);
    setOutput('healthy', false);
    setOutput('latency-p95-ms', 12.5);
    setOutput('attempts', 6);
    expect(parseKeyValueFile(fileOf('GITHUB_OUTPUT'))).toEqual({
      ...Object.fromEntries(awkwardValues.map(([, value], i) => [`out-${i}`, value])),
      attempts: '6',
      healthy: 'false',
      'latency-p95-ms': '12.5',
    });
  });

  test('outputs and state go to their own files', () => {
    setOutput('healthy', 'true');
    saveState('started', '1700000000');
    expect(parseKeyValueFile(fileOf('GITHUB_OUTPUT'))).toEqual({ healthy: 'true' });
    expect(parseKeyValueFile(fileOf('GITHUB_STATE'))).toEqual({ started: '1700000000' });
  });

  test('without GITHUB_OUTPUT and GITHUB_STATE, falls back to set-output and save-state commands', () => {
    Reflect.deleteProperty(process.env, 'GITHUB_OUTPUT');
    Reflect.deleteProperty(process.env, 'GITHUB_STATE');
    const value = 'two\nlines: 100%, done';
    const stdout = stdoutOf(() => {
      setOutput('report, final', value);
      saveState('id', 'x:y');
    });
    expect(parseCommands(stdout)).toEqual([
      { command: 'set-output', properties: { name: 'report, final' }, message: value },
      { command: 'save-state', properties: { name: 'id' }, message: 'x:y' },
    ]);
  });
});

describe('appendSummary', () => {
  test.each([
    ['Markdown without a final newline gets one', ['### ✅ passed'], '### ✅ passed\n'],
    ['Markdown with a final newline is kept as is', ['| a | b |\n|---|---|\n'], '| a | b |\n|---|---|\n'],
    ['several appends accumulate in order', ['# Title', 'line = 1 << 2\n', ''], '# Title\nline = 1 << 2\n\n'],
  ])('%s', (_name, parts, summary) => {
    for (const part of parts) appendSummary(part);
    expect(fileOf('GITHUB_STEP_SUMMARY')).toBe(summary);
  });

  test('writes nothing, anywhere, when the runner gives no summary file', () => {
    const path = process.env.GITHUB_STEP_SUMMARY!;
    Reflect.deleteProperty(process.env, 'GITHUB_STEP_SUMMARY');
    const stdout = stdoutOf(() => {
      appendSummary('# lost');
    });
    expect(stdout).toBe('');
    expect(existsSync(path)).toBe(false);
  });
});

describe('setSecret round-trips through parseCommands', () => {
  test.each([
    ['a one-line secret', 's3cr3t', ['s3cr3t']],
    [
      'a multi-line secret, one mask per line',
      '-----BEGIN KEY-----\nMIIE\n-----END KEY-----',
      ['-----BEGIN KEY-----', 'MIIE', '-----END KEY-----'],
    ],
    ['CRLF line ends', 'one\r\ntwo\r\n', ['one', 'two']],
    ['blank lines skipped', '\nfirst\n   \n\nsecond\n', ['first', 'second']],
    ['an empty secret, no mask at all', '', []],
    ['a secret with %, : and ,', 'p%40ss:w,rd%0A', ['p%40ss:w,rd%0A']],
    ['a secret with surrounding spaces kept', '  padded  ', ['  padded  ']],
    ['a secret with ::', 'a::b', ['a::b']],
  ])('%s', (_name, secret, masks) => {
    const commands = parseCommands(
      stdoutOf(() => {
        setSecret(secret);
      }),
    );
    expect(commands).toEqual(masks.map((message) => ({ command: 'add-mask', properties: {}, message })));
  });
});

describe('annotations round-trip through parseCommands', () => {
  test.each([
    ['a plain message', 'Health check failed', {}, {}],
    ['a title', 'Health check failed', { title: 'Unhealthy' }, { title: 'Unhealthy' }],
    ['a title with : and ,', 'failed', { title: 'Health: a, b' }, { title: 'Health: a, b' }],
    ['a title with % and a newline', 'failed', { title: '100%\nof pods' }, { title: '100%\nof pods' }],
    ['a message with %, newlines and CR', 'p95 100% over\nbudget\r\nline 3', {}, {}],
    [
      'a message with :: and ,',
      'https://a.example.com: failed, see :: below',
      { title: 'x' },
      { title: 'x' },
    ],
    ['a message with escape-like text', 'literal %0A and %25 and %3A', { title: '%2C,' }, { title: '%2C,' }],
    ['a file and a line', 'bad input', { file: 'deploy.yml', line: 12 }, { file: 'deploy.yml', line: '12' }],
    ['an empty title left out', 'no title', { title: '' }, {}],
    ['an empty message', '', { title: 'Only a title' }, { title: 'Only a title' }],
  ])('error with %s', (_name, message, annotation, properties) => {
    const commands = parseCommands(
      stdoutOf(() => {
        error(message, annotation);
      }),
    );
    expect(commands).toEqual([{ command: 'error', properties, message }]);
  });

  test('warning carries its title and message like error', () => {
    const commands = parseCommands(
      stdoutOf(() => {
        warning('slow: p95 200 ms,\nbudget 150 ms', { title: 'Latency: high' });
      }),
    );
    expect(commands).toEqual([
      {
        command: 'warning',
        properties: { title: 'Latency: high' },
        message: 'slow: p95 200 ms,\nbudget 150 ms',
      },
    ]);
  });

  test('writes each annotation as a single line', () => {
    const stdout = stdoutOf(() => {
      error('one\ntwo\r\nthree', { title: 'a\nb' });
    });
    expect(stdout.split('\n')).toEqual([
      expect.stringMatching(/^::error title=a%0Ab::one%0Atwo%0D%0Athree$/),
      '',
    ]);
  });

  test('setFailed writes an error and sets exit code 1', () => {
    const commands = parseCommands(
      stdoutOf(() => {
        setFailed("Input 'url' is invalid: 'x' is not a URL.\nFix it.");
      }),
    );
    expect(commands).toEqual([
      { command: 'error', properties: {}, message: "Input 'url' is invalid: 'x' is not a URL.\nFix it." },
    ]);
    expect(process.exitCode).toBe(1);
  });
});
