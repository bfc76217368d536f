/**
 * Runs a starter workflow's steps the way a runner hands them over, without a runner: `run:`
 * scripts under `sh -e` with their `env:` evaluated and a GITHUB_OUTPUT file, and the `with:` of
 * a `uses:` step evaluated against the context and the earlier steps' outputs. Sample contexts
 * for the events the templates run on, for a repository whose owner and name hold capitals.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repositoryRoot } from './runner.ts';

export interface Step {
  readonly id?: string;
  readonly if?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly with?: Readonly<Record<string, unknown>>;
}
export interface Job {
  readonly if?: string;
  readonly needs?: string | readonly string[];
  readonly environment?: string | { readonly name: string };
  readonly permissions?: Readonly<Record<string, string>>;
  readonly steps: readonly Step[];
}
export interface Workflow {
  readonly on: unknown;
  readonly permissions?: Readonly<Record<string, string>>;
  readonly jobs: Readonly<Record<string, Job>>;
}
/** A starter workflow of workflows-templates/, as plain data. */
export const workflowOf = (file: string): Workflow =>
  parse(readFileSync(join(repositoryRoot, 'workflows-templates', file), 'utf8')) as Workflow;

/**
 * A context value by its dotted path (`github.event.pull_request.head.sha`): all the templates'
 * `env:` and `with:` values are such paths, so the test evaluates them without an expression engine
 * and refuses anything else, rather than guessing what GitHub would make of it.
 */
export function evaluate(text: string, context: Readonly<Record<string, unknown>>, where: string): string {
  return text.replace(/\$\{\{(.*?)\}\}/g, (_whole, expression: string) => {
    const path = expression.trim();
    if (!/^[\w-]+(\.[\w-]+)*$/.test(path)) throw new Error(`${where}: '${path}' is more than a context path`);
    let value: unknown = context;
    for (const part of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
      throw new Error(`${where}: ${path} is not a value in the test's context`);
    return String(value);
  });
}

/** Runs a `run:` step's script with `sh -e`, as a runner would, and returns what it wrote to GITHUB_OUTPUT. */
export function runStep(
  step: Step,
  context: Readonly<Record<string, unknown>>,
  where: string,
): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'rollgate-template-'));
  try {
    const output = join(dir, 'output');
    const env = Object.fromEntries(
      Object.entries(step.env ?? {}).map(([name, value]) => [
        name,
        evaluate(value, context, `${where} env.${name}`),
      ]),
    );
    const result = spawnSync('sh', ['-e', '-c', step.run ?? ''], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env, GITHUB_OUTPUT: output },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`${where} failed (${result.status}): ${result.stderr}`);
    const written = readFileSync(output, 'utf8');
    return Object.fromEntries(
      written
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs a job's `run:` steps in order and evaluates the `with:` of its step that uses `uses`, as
 * the runner would hand them to the action.
 */
export function inputsOf(
  job: Job,
  usesPrefix: string,
  context: Record<string, unknown>,
  where: string,
): { inputs: Record<string, string>; outputs: Record<string, Record<string, string>> } {
  const outputs: Record<string, Record<string, string>> = {};
  const scope = { ...context, steps: {} as Record<string, { outputs: Record<string, string> }> };
  for (const step of job.steps) {
    if (step.run !== undefined) {
      const written = runStep(step, scope, `${where} step ${step.id ?? '?'}`);
      if (step.id !== undefined) {
        outputs[step.id] = written;
        scope.steps[step.id] = { outputs: written };
      }
    }
    if (step.uses?.startsWith(usesPrefix)) {
      const inputs = Object.fromEntries(
        Object.entries(step.with ?? {}).map(([name, value]) => [
          name,
          evaluate(String(value), scope, `${where} with.${name}`),
        ]),
      );
      return { inputs, outputs };
    }
  }
  throw new Error(`${where} has no step using ${usesPrefix}`);
}

export const HEAD_SHA = 'c0ffee1234567890abcdef1234567890abcdef12';
export const MERGE_SHA = '4e4e4e4e1234567890abcdef1234567890abcdef';
/** A repository whose owner and name hold capitals, as GitHub's contexts spell them. */
export const REPOSITORY = { owner: 'Acme-Corp', name: 'Shop-API' } as const;
export const github = (
  event: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  github: {
    repository: `${REPOSITORY.owner}/${REPOSITORY.name}`,
    actor: 'octocat',
    event: { repository: { name: REPOSITORY.name }, ...event },
    ...extra,
  },
  secrets: { KUBECONFIG: 'apiVersion: v1', GITHUB_TOKEN: 'ghs_x' },
  vars: { HEALTH_URL: 'https://shop.example.com/healthz', ENVIRONMENT_URL: 'https://shop.example.com' },
});
export const pullRequest = (headRepository: string, actor = 'octocat'): Record<string, unknown> => ({
  ...github(
    {
      pull_request: { number: 7, head: { sha: HEAD_SHA, repo: { full_name: headRepository } } },
    },
    { actor, sha: MERGE_SHA },
  ),
});
export const deploymentEvent = (task: string, environment: string): Record<string, unknown> =>
  github({ deployment: { id: 42, task, environment, sha: HEAD_SHA, ref: 'feature' } });
