/**
 * Runs a bundled action the way the GitHub Actions runner does: reads its action.yml (input
 * defaults, runs.main, runs.post), starts `node <main>` as a child process with INPUT_* and
 * GITHUB_* variables, an event file, and GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY
 * files; then runs `post` with the saved state as STATE_* variables.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

export const repositoryRoot = resolve(dirname(new URL(import.meta.url).pathname), '../..');

export interface RunActionOptions {
  /** Inputs as a workflow's `with:` gives them; defaults come from action.yml. */
  readonly inputs?: Readonly<Record<string, string>>;
  /** Extra environment (PATH additions, GITHUB_* overrides). */
  readonly env?: Readonly<Record<string, string>>;
  /** The triggering event: name and payload written to GITHUB_EVENT_PATH. */
  readonly event?: { readonly name: string; readonly payload: unknown };
  /** Working directory (GITHUB_WORKSPACE); a fresh empty directory by default. */
  readonly workspace?: string;
  /** Kill the step after this long (the runner's timeout-minutes). */
  readonly timeoutMs?: number;
}

/** A workflow command found in the log, such as `::error title=x::message`. */
export interface WorkflowCommand {
  readonly command: string;
  readonly properties: Readonly<Record<string, string>>;
  readonly message: string;
}

export interface StepResult {
  readonly exitCode: number;
  readonly outputs: Readonly<Record<string, string>>;
  readonly state: Readonly<Record<string, string>>;
  readonly summary: string;
  /** stdout as the process wrote it (before the runner masks secrets). */
  readonly stdout: string;
  readonly stderr: string;
  /** Log lines as the runner shows them: workflow commands removed, masked values replaced by ***. */
  readonly log: readonly string[];
  readonly commands: readonly WorkflowCommand[];
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  readonly masks: readonly string[];
}

export interface ActionRun extends StepResult {
  readonly post: StepResult | undefined;
  readonly durationMs: number;
}

interface ActionManifest {
  inputs?: Record<string, { default?: string | number | boolean; required?: boolean }>;
  runs: { using: string; main: string; post?: string };
}

/** Runs `actionDir` (relative to the repository root, e.g. `actions/health-check`). */
export async function runAction(actionDir: string, options: RunActionOptions = {}): Promise<ActionRun> {
  const dir = resolve(repositoryRoot, actionDir);
  const manifest = parse(readFileSync(join(dir, 'action.yml'), 'utf8')) as ActionManifest;
  if (manifest.runs.using !== 'node24')
    throw new Error(`${actionDir}: runs.using is ${manifest.runs.using}, expected node24`);
  for (const name of Object.keys(options.inputs ?? {})) {
    if (!(name in (manifest.inputs ?? {})))
      throw new Error(`${actionDir}: unexpected input '${name}' (not in action.yml)`);
  }

  const temp = mkdtempSync(join(tmpdir(), 'rollgate-runner-'));
  try {
    const runnerTemp = join(temp, 'runner-temp');
    const workspace = options.workspace ?? join(temp, 'workspace');
    mkdirSync(runnerTemp);
    if (!existsSync(workspace)) mkdirSync(workspace, { recursive: true });
    const eventPath = join(temp, 'event.json');
    writeFileSync(eventPath, JSON.stringify(options.event?.payload ?? {}));

    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? temp,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_ACTION: '__run',
      GITHUB_ACTOR: 'octocat',
      GITHUB_REPOSITORY: 'octo-org/hello-service',
      GITHUB_REPOSITORY_OWNER: 'octo-org',
      GITHUB_EVENT_NAME: options.event?.name ?? 'push',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_SHA: 'ffac537e6cbbf934b08745a378932722df287a53',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REF_NAME: 'main',
      GITHUB_REF_TYPE: 'branch',
      GITHUB_RUN_ID: '1658821493',
      GITHUB_RUN_NUMBER: '7',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_WORKFLOW: 'deploy',
      GITHUB_JOB: 'deploy',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: 'https://api.github.com',
      GITHUB_WORKSPACE: workspace,
      GITHUB_ACTION_PATH: dir,
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      RUNNER_TEMP: runnerTemp,
      RUNNER_NAME: 'rollgate-test-runner',
      ...options.env,
    };
    for (const [name, spec] of Object.entries(manifest.inputs ?? {})) {
      const given = options.inputs?.[name];
      const value = given ?? (spec.default === undefined ? '' : String(spec.default));
      env[`INPUT_${name.replaceAll(' ', '_').toUpperCase()}`] = value;
    }

    const started = performance.now();
    const main = await runStep(
      resolve(dir, manifest.runs.main),
      env,
      workspace,
      join(temp, 'main'),
      options.timeoutMs,
    );
    let post: StepResult | undefined;
    if (manifest.runs.post !== undefined) {
      const stateEnv = Object.fromEntries(Object.entries(main.state).map(([k, v]) => [`STATE_${k}`, v]));
      post = await runStep(
        resolve(dir, manifest.runs.post),
        { ...env, ...stateEnv },
        workspace,
        join(temp, 'post'),
        options.timeoutMs,
      );
    }
    return { ...main, post, durationMs: performance.now() - started };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

async function runStep(
  script: string,
  baseEnv: Record<string, string>,
  cwd: string,
  fileDir: string,
  timeoutMs = 120_000,
): Promise<StepResult> {
  mkdirSync(fileDir);
  const files = {
    GITHUB_OUTPUT: join(fileDir, 'output'),
    GITHUB_STATE: join(fileDir, 'state'),
    GITHUB_STEP_SUMMARY: join(fileDir, 'summary'),
    GITHUB_ENV: join(fileDir, 'env'),
    GITHUB_PATH: join(fileDir, 'path'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const child = spawn(process.execPath, [script], {
    cwd,
    env: { ...baseEnv, ...files },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exitCode = await new Promise<number>((done) =>
    child.on('close', (code, signal) => {
      done(code ?? (signal ? 128 : 1));
    }),
  );
  clearTimeout(timer);

  const commands = parseCommands(stdout);
  const masks = commands.filter((c) => c.command === 'add-mask').map((c) => c.message);
  return {
    exitCode,
    outputs: parseKeyValueFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    state: parseKeyValueFile(readFileSync(files.GITHUB_STATE, 'utf8')),
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    stdout,
    stderr,
    log: stdout
      .split(/\r?\n/)
      .filter((line) => !line.startsWith('::') && line !== '')
      .map((line) => masks.reduce((masked, secret) => masked.replaceAll(secret, '***'), line)),
    commands,
    errors: commands.filter((c) => c.command === 'error').map((c) => c.message),
    warnings: commands.filter((c) => c.command === 'warning').map((c) => c.message),
    masks,
  };
}

/** Parses `::command key=value,key=value::message` lines, undoing the toolkit's escaping. */
export function parseCommands(stdout: string): WorkflowCommand[] {
  const commands: WorkflowCommand[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!match) continue;
    const properties: Record<string, string> = {};
    for (const pair of (match[2] ?? '').split(',').filter((p) => p !== '')) {
      const eq = pair.indexOf('=');
      properties[pair.slice(0, eq)] = unescape(pair.slice(eq + 1));
    }
    commands.push({ command: match[1] ?? '', properties, message: unescape(match[3] ?? '') });
  }
  return commands;
}

function unescape(text: string): string {
  return text
    .replaceAll('%0D', '\r')
    .replaceAll('%0A', '\n')
    .replaceAll('%3A', ':')
    .replaceAll('%2C', ',')
    .replaceAll('%25', '%');
}

/** Parses the runner's key-value files: `name<<DELIM\nvalue\nDELIM` blocks and `name=value` lines. */
export function parseKeyValueFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter] = heredoc;
      const end = lines.indexOf(delimiter ?? '', i + 1);
      if (end < 0) throw new Error(`unterminated value of '${name}' in a runner file`);
      values[name] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return values;
}
