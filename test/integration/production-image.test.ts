/**
 * The App's container image, as far as this machine can tell without a Docker engine: the
 * Dockerfile's shape (Node 24 stages, production dependencies only, a non-root user, HOST=0.0.0.0,
 * the start command of package.json), and the image's file tree — the production dependency tree
 * of the lockfile (what `npm ci --omit=dev` installs) plus what the Dockerfile copies — actually
 * starting, answering /ping, passing the HEALTHCHECK command and stopping on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { closedPort } from '../support/http-target.ts';
import { repositoryRoot } from '../support/runner.ts';

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  /** Index of the stage (FROM) the instruction belongs to. */
  readonly stage: number;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (current === '' && /^\s*#/.test(line)) continue;
    if (/^\s*#/.test(line)) continue;
    const continued = /\\\s*$/.test(line);
    current += `${continued ? line.replace(/\\\s*$/, '') : line} `;
    if (!continued) {
      if (current.trim() !== '') logical.push(current.trim());
      current = '';
    }
  }
  let stage = -1;
  return logical.map((entry) => {
    const [keyword = '', ...rest] = entry.split(/\s+/);
    if (keyword.toUpperCase() === 'FROM') stage += 1;
    return { keyword: keyword.toUpperCase(), args: rest.join(' '), stage };
  });
}

const dockerfile = parseDockerfile(readFileSync(join(repositoryRoot, 'Dockerfile'), 'utf8'));
const froms = dockerfile.filter((i) => i.keyword === 'FROM');
const lastStage = froms.length - 1;
const final = dockerfile.filter((i) => i.stage === lastStage);
const pkg = JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};

/** `KEY=value KEY2="v 2"` pairs of the final stage's ENV instructions. */
function finalEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of final.filter((i) => i.keyword === 'ENV'))
    for (const match of instruction.args.matchAll(/([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)/g))
      env[match[1]!] = match[2]!.replace(/^"|"$/g, '');
  return env;
}

function execForm(keyword: string): string[] {
  const instruction = final.find((i) => i.keyword === keyword);
  expect(instruction).toBeDefined();
  const args = keyword === 'HEALTHCHECK' ? instruction!.args.replace(/^.*?\bCMD\s+/, '') : instruction!.args;
  const parsed: unknown = JSON.parse(args);
  expect(Array.isArray(parsed)).toBe(true);
  return parsed as string[];
}

/** Sources of the final stage's COPY instructions that come from the build context. */
function copiedFromContext(): string[] {
  return final
    .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
}

describe('the Dockerfile', () => {
  test('builds in stages from Node.js 24 images, each stage named', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from.args).toMatch(/^node:24[-.\w]*\s+AS\s+[a-z][\w-]*$/i);
  });

  test('installs production dependencies only, from the lockfile', () => {
    const installs = dockerfile.filter((i) => i.keyword === 'RUN' && /\bnpm\s+(ci|install|i)\b/.test(i.args));
    expect(installs).toHaveLength(1);
    expect(installs[0]!.args).toMatch(/\bnpm ci\b/);
    expect(installs[0]!.args).toContain('--omit=dev');
    // The final stage takes node_modules from that stage and installs nothing itself.
    expect(installs[0]!.stage).toBeLessThan(lastStage);
    expect(final.some((i) => i.keyword === 'COPY' && /--from=\S+\s+\S*node_modules/.test(i.args))).toBe(true);
  });

  test('runs as a non-root user, listening on every interface, in production mode', () => {
    const users = final.filter((i) => i.keyword === 'USER').map((i) => i.args.split(':')[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users.at(-1));
    // USER comes before CMD: the App's process is the unprivileged one.
    expect(final.findIndex((i) => i.keyword === 'USER')).toBeLessThan(
      final.findIndex((i) => i.keyword === 'CMD'),
    );
    expect(finalEnv()).toMatchObject({ HOST: '0.0.0.0', NODE_ENV: 'production', PORT: '3000' });
    expect(final.find((i) => i.keyword === 'EXPOSE')?.args).toBe(finalEnv().PORT);
  });

  test('runs exactly what npm start runs, without npm in between (SIGTERM reaches the App)', () => {
    expect(execForm('CMD')).toEqual(pkg.scripts.start!.split(/\s+/));
  });

  test('has a HEALTHCHECK on /ping for docker run; the build context lets in only what it copies', () => {
    expect(execForm('HEALTHCHECK').join(' ')).toContain('/ping');
    const ignore = readFileSync(join(repositoryRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'));
    expect(ignore[0]).toBe('**');
    const allowed = ignore
      .filter((line) => line.startsWith('!'))
      .map((line) => line.slice(1).replace(/\/\*\*$/, ''));
    const copied = [
      ...copiedFromContext(),
      ...dockerfile
        .filter((i) => i.keyword === 'COPY' && i.stage < lastStage)
        .flatMap((i) => i.args.split(/\s+/).slice(0, -1)),
    ];
    expect([...new Set(copied)].sort()).toEqual([...allowed].sort());
  });
});

/** Every module the App loads from app/main.ts on: relative files and bare package names. */
function appModules(): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    if (!file.endsWith('.ts') && !file.endsWith('.mjs')) return;
    const source = readFileSync(file, 'utf8');
    // Type-only imports are erased by type stripping: they load nothing at run time.
    const specifiers = [
      ...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm),
      ...source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
    ].map((m) => m[1]!);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) {
        const parts = specifier.split('/');
        packages.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
      }
    }
  };
  visit(join(repositoryRoot, 'app/main.ts'));
  visit(join(repositoryRoot, 'app/require-node.mjs'));
  return { files, packages };
}

describe('what the image holds', () => {
  test('every package the App imports at run time is a production dependency', () => {
    const { packages } = appModules();
    expect(packages.size).toBeGreaterThan(3);
    const missing = [...packages].filter((name) => !(name in pkg.dependencies));
    expect(missing).toEqual([]);
  });

  test('every file the App loads is under a directory the Dockerfile copies', () => {
    const copied = copiedFromContext();
    const outside = [...appModules().files]
      .map((file) => relative(repositoryRoot, file))
      .filter((file) => !copied.some((source) => file === source || file.startsWith(`${source}/`)));
    expect(outside).toEqual([]);
  });
});

describe("the image's file tree, started as the image starts it", () => {
  let root: string;
  let child: ChildProcess | undefined;
  let output = '';
  let port: number;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'rollgate-image-'));
    // `npm ci --omit=dev` installs the lockfile's tree without the entries marked dev.
    const lock = JSON.parse(readFileSync(join(repositoryRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const modules = realpathSync(join(repositoryRoot, 'node_modules'));
    mkdirSync(join(root, 'node_modules'));
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '' || entry.dev === true || path.split('node_modules/').length > 2) continue;
      const target = join(root, path);
      mkdirSync(dirname(target), { recursive: true });
      // Hard links: a copy of the files (not a symlink Node would resolve back into the full tree).
      execFileSync('cp', ['-al', join(modules, path.slice('node_modules/'.length)), target]);
    }
    for (const source of copiedFromContext())
      cpSync(join(repositoryRoot, source), join(root, source), { recursive: true });
    port = await closedPort();
  });

  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  test('holds no development dependency', () => {
    for (const name of [
      'jest',
      'typescript',
      '@vercel/ncc',
      'eslint',
      'kubernetes-models',
      '@octokit/openapi',
    ])
      expect(() => realpathSync(join(root, 'node_modules', name))).toThrow();
    expect(realpathSync(join(root, 'node_modules/probot'))).toContain(root);
  });

  test('starts, answers /ping on 0.0.0.0, passes its HEALTHCHECK and exits 0 on SIGTERM', async () => {
    const [command, ...args] = execForm('CMD');
    expect(command).toBe('node');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const env = {
      PATH: process.env.PATH ?? '',
      ...finalEnv(),
      PORT: String(port),
      APP_ID: '12345',
      PRIVATE_KEY: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      WEBHOOK_SECRET: 'image-test-secret',
      // Nothing at start-up talks to GitHub; should anything try, it meets a closed port.
      GHE_HOST: `127.0.0.1:${await closedPort()}`,
      GHE_PROTOCOL: 'http',
    };
    child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => child?.once('exit', done));

    const started = Date.now();
    let pong = '';
    while (pong !== 'PONG') {
      if (child.exitCode !== null) throw new Error(`the App exited with ${child.exitCode}:\n${output}`);
      if (Date.now() - started > 20_000) throw new Error(`no answer on /ping within 20 s:\n${output}`);
      pong = await fetch(`http://127.0.0.1:${port}/ping`).then(
        (response) => response.text(),
        () => '',
      );
      if (pong !== 'PONG') await new Promise((wait) => setTimeout(wait, 100));
    }

    const [, ...check] = execForm('HEALTHCHECK');
    const healthy = spawn(process.execPath, check, { cwd: root, env, stdio: 'ignore' });
    expect(await new Promise((done) => healthy.once('exit', done))).toBe(0);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('Every handler finished: exiting.');
    expect(output).not.toContain(env.PRIVATE_KEY.split('\n')[1]!);
  });
});
