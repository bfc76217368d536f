/**
 * Runs a workflow file the way GitHub Actions would for one event, as far as Rollgate's starter
 * workflows need: the file is checked by GitHub's own workflow parser (@actions/workflow-parser),
 * each job's `if:` is evaluated with GitHub's expression engine (@actions/expressions) against a
 * `github` context built from the event, and the steps of every job that runs are carried out in
 * order — a `uses:` of this repository's actions through the runner harness (`runner.ts`, the
 * bundled `dist/`), a `run:` step with the shell GitHub uses — with `steps.<id>.outputs` feeding
 * later steps. Anything else a workflow could say (needs, matrix, containers, other actions) is
 * refused with a message naming it, so a template that outgrows this runner fails loudly.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import { truthy } from '@actions/expressions/result';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parse } from 'yaml';
import { parseKeyValueFile, repositoryRoot, runAction, type ActionRun } from './runner.ts';

export interface WorkflowContext {
  /** The triggering event: its name (`deployment`) and the webhook payload GitHub sends. */
  readonly event: { readonly name: string; readonly payload: Readonly<Record<string, unknown>> };
  /** `owner/name` of the repository the workflow runs in. */
  readonly repository: string;
  /** `GITHUB_SHA` and `GITHUB_REF` as GitHub sets them for the event. */
  readonly sha: string;
  readonly ref: string;
  readonly actor: string;
  /** The job's `GITHUB_TOKEN` (`github.token`, `secrets.GITHUB_TOKEN`). */
  readonly token: string;
  /** `GITHUB_API_URL`: where the actions reach GitHub. */
  readonly apiUrl: string;
  readonly secrets?: Readonly<Record<string, string>>;
  readonly vars?: Readonly<Record<string, string>>;
  readonly runId?: number;
  /** A step's time limit when it sets no `timeout-minutes` (default 120 s). */
  readonly stepTimeoutMs?: number;
}

export type StepOutcome = 'success' | 'failure' | 'skipped';

export interface StepRun {
  readonly id: string | undefined;
  /** `uses:` as written, or `run`. */
  readonly uses: string;
  /** The local action directory a `uses:` ran (`.` or `actions/<name>`). */
  readonly action: string | undefined;
  /** The inputs the action was given (`with:` evaluated, defaults evaluated). */
  readonly inputs: Readonly<Record<string, string>>;
  readonly outcome: StepOutcome;
  readonly outputs: Readonly<Record<string, string>>;
  /** The action's run, for `uses:` steps. */
  readonly run: ActionRun | undefined;
  /** What a `run:` step printed (stdout and stderr). */
  readonly output: string;
}

export interface JobRun {
  readonly id: string;
  /** Whether its `if:` held: a job that does not run is skipped, as GitHub shows it. */
  readonly ran: boolean;
  /** The job's `environment:` name, evaluated. */
  readonly environment: string | undefined;
  readonly steps: readonly StepRun[];
  readonly conclusion: 'success' | 'failure' | 'skipped';
}

export interface WorkflowRun {
  readonly jobs: readonly JobRun[];
  readonly durationMs: number;
}

/** Keys of a job and of a step this runner carries out or may ignore (they change nothing here). */
const JOB_KEYS = new Set([
  'name',
  'if',
  'runs-on',
  'environment',
  'permissions',
  'steps',
  'env',
  'timeout-minutes',
  'concurrency',
  'outputs',
]);
const STEP_KEYS = new Set([
  'id',
  'name',
  'if',
  'uses',
  'run',
  'with',
  'env',
  'shell',
  'timeout-minutes',
  'continue-on-error',
  'working-directory',
]);
const CONTEXTS = [
  'github',
  'env',
  'vars',
  'secrets',
  'steps',
  'job',
  'runner',
  'inputs',
  'matrix',
  'strategy',
  'needs',
];
/** `<owner>/rollgate[/actions/<name>]@<ref>`: this repository's actions, whatever the placeholder owner. */
const THIS_REPOSITORY = /^[A-Za-z0-9][\w.-]*\/rollgate(?:\/(actions\/[\w.-]+))?@[\w./-]+$/;

/** Runs the workflow at `path` (relative to the repository root) for `context.event`. */
export async function runWorkflow(path: string, context: WorkflowContext): Promise<WorkflowRun> {
  const started = performance.now();
  const text = readFileSync(resolve(repositoryRoot, path), 'utf8');
  const parsed = parseWorkflow({ name: path, content: text }, new NoOperationTraceWriter());
  const problems = parsed.context.errors.getErrors();
  if (problems.length > 0)
    throw new Error(`${path} is not a valid workflow: ${problems.map((p) => p.message).join('; ')}`);
  const workflow = parse(text) as Record<string, unknown>;
  if (!triggers(workflow.on).includes(context.event.name))
    throw new Error(`${path} does not run on '${context.event.name}' (on: ${JSON.stringify(workflow.on)})`);

  const all = Object.entries(mapping(workflow.jobs, `${path}: jobs`));
  // Refused before anything runs: a half-run workflow would leave the cluster changed.
  for (const [id, job] of all)
    for (const key of Object.keys(mapping(job, `${path}: jobs.${id}`)))
      if (!JOB_KEYS.has(key))
        throw new Error(`${path}: jobs.${id}: '${key}' is not supported by the test workflow runner`);
  const jobs: JobRun[] = [];
  for (const [id, job] of all) {
    jobs.push(await runJob(path, id, mapping(job, `${path}: jobs.${id}`), workflow, context));
  }
  return { jobs, durationMs: performance.now() - started };
}

function triggers(on: unknown): string[] {
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.map(String);
  return on !== null && typeof on === 'object' ? Object.keys(on) : [];
}

async function runJob(
  path: string,
  id: string,
  job: Record<string, unknown>,
  workflow: Record<string, unknown>,
  context: WorkflowContext,
): Promise<JobRun> {
  const where = `${path}: jobs.${id}`;
  const contexts = baseContexts(context, id);
  const jobStatus = statusFunctions(() => false);
  // GitHub wraps an `if:` without a status function in `success() && (…)`; a job without needs succeeds.
  if (!truthy(evaluate(condition(job.if), contexts, jobStatus, `${where}.if`)))
    return { id, ran: false, environment: undefined, steps: [], conclusion: 'skipped' };

  const env: Record<string, string> = {
    ...evaluateEnv(workflow.env, contexts, `${path}: env`),
  };
  contexts.env = { ...env };
  Object.assign(env, evaluateEnv(job.env, contexts, `${where}.env`));
  contexts.env = { ...env };
  const environment = jobEnvironment(job.environment, contexts, where);

  const temp = mkdtempSync(join(tmpdir(), 'rollgate-workflow-'));
  const workspace = join(temp, 'workspace');
  mkdirSync(workspace);
  const steps: StepRun[] = [];
  let failed = false;
  try {
    const list = job.steps;
    if (!Array.isArray(list) || list.length === 0) throw new Error(`${where}: no steps`);
    for (const [index, raw] of list.entries()) {
      const step = mapping(raw, `${where}.steps[${index}]`);
      const result = await runStep(`${where}.steps[${index}]`, step, contexts, env, workspace, temp, {
        failed: () => failed,
        context,
        job: id,
      });
      steps.push(result);
      if (result.id !== undefined)
        (contexts.steps as Record<string, unknown>)[result.id] = {
          outputs: result.outputs,
          outcome: result.outcome,
          conclusion:
            result.outcome === 'failure' && step['continue-on-error'] === true ? 'success' : result.outcome,
        };
      if (result.outcome === 'failure' && step['continue-on-error'] !== true) failed = true;
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  return { id, ran: true, environment, steps, conclusion: failed ? 'failure' : 'success' };
}

interface StepScope {
  failed(): boolean;
  readonly context: WorkflowContext;
  readonly job: string;
}

async function runStep(
  where: string,
  step: Record<string, unknown>,
  contexts: Record<string, unknown>,
  jobEnv: Record<string, string>,
  workspace: string,
  temp: string,
  scope: StepScope,
): Promise<StepRun> {
  for (const key of Object.keys(step))
    if (!STEP_KEYS.has(key))
      throw new Error(`${where}: '${key}' is not supported by the test workflow runner`);
  const id = typeof step.id === 'string' ? step.id : undefined;
  const uses = typeof step.uses === 'string' ? step.uses : 'run';
  const skipped: StepRun = {
    id,
    uses,
    action: undefined,
    inputs: {},
    outcome: 'skipped',
    outputs: {},
    run: undefined,
    output: '',
  };
  if (
    !truthy(
      evaluate(
        condition(step.if),
        contexts,
        statusFunctions(() => scope.failed()),
        `${where}.if`,
      ),
    )
  )
    return skipped;
  contexts.env = { ...jobEnv };
  const env = { ...jobEnv, ...evaluateEnv(step.env, contexts, `${where}.env`) };
  contexts.env = { ...env };
  const timeoutMs =
    typeof step['timeout-minutes'] === 'number'
      ? step['timeout-minutes'] * 60_000
      : (scope.context.stepTimeoutMs ?? 120_000);
  const runnerEnv = { ...githubEnv(scope.context, scope.job, workspace), ...env };

  if (typeof step.uses === 'string') {
    if (step.run !== undefined) throw new Error(`${where}: a step has either 'uses' or 'run', not both`);
    const action = localAction(step.uses, where);
    const inputs = actionInputs(action, step.with, contexts, where);
    const run = await runAction(action, {
      inputs,
      env: runnerEnv,
      event: scope.context.event,
      workspace,
      timeoutMs,
    });
    return {
      id,
      uses,
      action,
      inputs,
      outcome: run.exitCode === 0 ? 'success' : 'failure',
      outputs: run.outputs,
      run,
      output: run.stdout + run.stderr,
    };
  }
  if (step.run === undefined || step.run === null) throw new Error(`${where}: a step needs 'uses' or 'run'`);
  if (step.with !== undefined) throw new Error(`${where}: 'with' belongs to a 'uses' step`);
  const script = interpolate(scalar(step.run), contexts, `${where}.run`);
  const shell = typeof step.shell === 'string' ? interpolate(step.shell, contexts, `${where}.shell`) : 'bash';
  const directory =
    typeof step['working-directory'] === 'string'
      ? resolve(workspace, interpolate(step['working-directory'], contexts, `${where}.working-directory`))
      : workspace;
  const result = await runShell(shell, script, { ...runnerEnv }, directory, temp, timeoutMs, where);
  // Later steps see what this one added to GITHUB_ENV and GITHUB_PATH, as on a runner.
  Object.assign(jobEnv, result.env);
  if (result.path.length > 0) jobEnv.PATH = [...result.path, jobEnv.PATH ?? process.env.PATH ?? ''].join(':');
  return {
    id,
    uses,
    action: undefined,
    inputs: {},
    outcome: result.exitCode === 0 ? 'success' : 'failure',
    outputs: result.outputs,
    run: undefined,
    output: result.output,
  };
}

/** This repository's action for a `uses:`: `.` for the root action.yml, else `actions/<name>`. */
function localAction(uses: string, where: string): string {
  const match = THIS_REPOSITORY.exec(uses) ?? /^\.\/?((?:actions\/[\w.-]+)?)\/?$/.exec(uses);
  if (match === null)
    throw new Error(
      `${where}: 'uses: ${uses}' is not one of this repository's actions (<owner>/rollgate[/actions/<name>]@<ref>); the test workflow runner runs only those`,
    );
  const action = match[1] === undefined || match[1] === '' ? '.' : match[1];
  if (!existsSync(join(repositoryRoot, action, 'action.yml')))
    throw new Error(`${where}: 'uses: ${uses}' names ${action}/action.yml, which does not exist`);
  return action;
}

/** `with:` evaluated, and every other input's default evaluated (`${{ github.token }}`), as the runner does. */
function actionInputs(
  action: string,
  given: unknown,
  contexts: Record<string, unknown>,
  where: string,
): Record<string, string> {
  const manifest = parse(readFileSync(join(repositoryRoot, action, 'action.yml'), 'utf8')) as {
    inputs?: Record<string, { default?: unknown }>;
  };
  const declared = manifest.inputs ?? {};
  const withs = given === undefined || given === null ? {} : mapping(given, `${where}.with`);
  for (const name of Object.keys(withs))
    if (!(name in declared))
      throw new Error(`${where}: input '${name}' is not declared by ${action}/action.yml`);
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const raw = name in withs ? withs[name] : spec.default;
    inputs[name] =
      raw === undefined || raw === null ? '' : interpolate(scalar(raw), contexts, `${where}.with.${name}`);
  }
  return inputs;
}

function githubEnv(context: WorkflowContext, job: string, workspace: string): Record<string, string> {
  const [owner = ''] = context.repository.split('/');
  const ref =
    context.ref === '' || context.ref.startsWith('refs/') ? context.ref : `refs/heads/${context.ref}`;
  return {
    GITHUB_API_URL: context.apiUrl,
    GITHUB_REPOSITORY: context.repository,
    GITHUB_REPOSITORY_OWNER: owner,
    GITHUB_EVENT_NAME: context.event.name,
    GITHUB_SHA: context.sha,
    GITHUB_REF: ref,
    GITHUB_REF_NAME: ref.replace(/^refs\/(heads|tags)\//, ''),
    GITHUB_ACTOR: context.actor,
    GITHUB_RUN_ID: String(context.runId ?? 1),
    GITHUB_JOB: job,
    GITHUB_WORKSPACE: workspace,
  };
}

/** The contexts an expression sees before the job's steps run. */
function baseContexts(context: WorkflowContext, job: string): Record<string, unknown> {
  const [owner = '', name = ''] = context.repository.split('/');
  return {
    github: {
      event: context.event.payload,
      event_name: context.event.name,
      repository: context.repository,
      repository_owner: owner,
      repository_name: name,
      sha: context.sha,
      ref: context.ref,
      actor: context.actor,
      token: context.token,
      run_id: String(context.runId ?? 1),
      run_number: '1',
      run_attempt: '1',
      server_url: 'https://github.com',
      api_url: context.apiUrl,
      job,
    },
    env: {},
    vars: { ...context.vars },
    // GitHub puts the job's token among the secrets too.
    secrets: { ...context.secrets, GITHUB_TOKEN: context.token },
    steps: {},
    job: { status: 'success' },
    runner: { os: 'Linux', arch: 'X64', name: 'rollgate-test-runner' },
    inputs: {},
    matrix: {},
    strategy: {},
    needs: {},
  };
}

/** An `if:` as an expression: `${{ }}` is optional there; absent means `success()`. */
function condition(value: unknown): string {
  if (value === undefined || value === null) return 'success()';
  const text = scalar(value).trim();
  const whole = /^\$\{\{([\s\S]*)\}\}$/.exec(text);
  const expression = whole?.[1]?.trim() ?? text;
  return /\b(success|failure|always|cancelled)\s*\(/.test(expression)
    ? expression
    : `success() && (${expression})`;
}

function statusFunctions(failed: () => boolean): FunctionDefinition[] {
  const fn = (name: string, value: () => boolean): FunctionDefinition => ({
    name,
    minArgs: 0,
    maxArgs: 0,
    call: () => new data.BooleanData(value()),
  });
  return [
    fn('success', () => !failed()),
    fn('failure', failed),
    fn('always', () => true),
    fn('cancelled', () => false),
  ];
}

function evaluate(
  expression: string,
  contexts: Record<string, unknown>,
  functions: readonly FunctionDefinition[],
  where: string,
): data.ExpressionData {
  try {
    const tokens = new Lexer(expression).lex().tokens;
    const tree = new Parser(tokens, CONTEXTS, [...functions]).parse();
    const dictionary = JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
    return new Evaluator(
      tree,
      dictionary,
      new Map(functions.map((f) => [f.name.toLowerCase(), f])),
    ).evaluate();
  } catch (error) {
    throw new Error(`${where}: cannot evaluate \${{ ${expression} }}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** A string with its `${{ }}` expressions replaced by their values, as GitHub renders a string field. */
function interpolate(text: string, contexts: Record<string, unknown>, where: string): string {
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expression: string) => {
    const value = evaluate(
      expression.trim(),
      contexts,
      statusFunctions(() => false),
      where,
    );
    if (!value.primitive)
      throw new Error(
        `${where}: \${{ ${expression.trim()} }} is an object; wrap it in toJSON() to use it as text`,
      );
    return value.coerceString();
  });
}

function evaluateEnv(
  value: unknown,
  contexts: Record<string, unknown>,
  where: string,
): Record<string, string> {
  if (value === undefined || value === null) return {};
  return Object.fromEntries(
    Object.entries(mapping(value, where)).map(([name, v]) => [
      name,
      interpolate(scalar(v), contexts, `${where}.${name}`),
    ]),
  );
}

function jobEnvironment(
  value: unknown,
  contexts: Record<string, unknown>,
  where: string,
): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') {
    const name = mapping(value, `${where}.environment`).name;
    return name === undefined ? undefined : interpolate(scalar(name), contexts, `${where}.environment.name`);
  }
  return interpolate(scalar(value), contexts, `${where}.environment`);
}

function mapping(value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`${where} must be a mapping`);
  return value as Record<string, unknown>;
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`expected a scalar, got ${JSON.stringify(value)}`);
}

interface ShellResult {
  readonly exitCode: number;
  readonly outputs: Record<string, string>;
  readonly env: Record<string, string>;
  readonly path: string[];
  readonly output: string;
}

/**
 * A `run:` step: the script in a file, run by GitHub's command for the shell — `bash --noprofile
 * --norc -eo pipefail {0}` by default and for `bash`, `sh -e {0}` for `sh`
 * (docs.github.com, "Workflow syntax", jobs.<job_id>.steps[*].shell) — with the runner's files.
 */
async function runShell(
  shell: string,
  script: string,
  env: Record<string, string>,
  cwd: string,
  temp: string,
  timeoutMs: number,
  where: string,
): Promise<ShellResult> {
  const commands: Record<string, string[]> = {
    bash: ['bash', '--noprofile', '--norc', '-eo', 'pipefail'],
    sh: ['sh', '-e'],
  };
  const command = commands[shell];
  if (command === undefined)
    throw new Error(`${where}: shell '${shell}' is not supported by the test workflow runner`);
  const dir = mkdtempSync(join(temp, 'run-'));
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_PATH: join(dir, 'path'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    GITHUB_STATE: join(dir, 'state'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const file = join(dir, 'script.sh');
  writeFileSync(file, script);
  const [program = 'sh', ...args] = command;
  const child = spawn(program, [...args, file], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? temp,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      RUNNER_TEMP: temp,
      ...env,
      ...files,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exitCode = await new Promise<number>((done) =>
    child.on('close', (code) => {
      done(code ?? 1);
    }),
  );
  clearTimeout(timer);
  return {
    exitCode,
    outputs: parseKeyValueFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    env: parseKeyValueFile(readFileSync(files.GITHUB_ENV, 'utf8')),
    path: readFileSync(files.GITHUB_PATH, 'utf8')
      .split('\n')
      .filter((line) => line !== ''),
    output,
  };
}
