/**
 * The Actions runner's file and workflow-command protocol, written out directly: inputs from
 * `INPUT_*`, outputs and state appended to `GITHUB_OUTPUT` / `GITHUB_STATE` as heredoc blocks,
 * the job summary appended to `GITHUB_STEP_SUMMARY`, and `::add-mask::` / `::error::` commands
 * on stdout (https://docs.github.com/actions/reference/workflow-commands-for-github-actions).
 *
 * Why not `@actions/core`: version 3 loads an HTTP client (for OIDC tokens) at import time,
 * which tripled an action's cold start over bare node; every action run pays cold start.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { EOL } from 'node:os';
import { describeError } from '../src/errors.ts';

/** An input as the runner passes it: `INPUT_<NAME>` (spaces to `_`, upper case), trimmed; '' when unset. */
export function getInput(name: string): string {
  return (process.env[`INPUT_${name.replaceAll(' ', '_').toUpperCase()}`] ?? '').trim();
}

/** Reads the named inputs (strings; empty when unset). */
export function readInputs<const K extends string>(names: readonly K[]): Record<K, string> {
  const inputs = {} as Record<K, string>;
  for (const name of names) inputs[name] = getInput(name);
  return inputs;
}

const outputsSet = new Set<string>();

export function setOutput(name: string, value: string | number | boolean): void {
  outputsSet.add(name);
  appendKeyValue('GITHUB_OUTPUT', name, String(value));
}

/** Saves a value for this action's `post` step, which reads it as `STATE_<name>`. */
export function saveState(name: string, value: string): void {
  appendKeyValue('GITHUB_STATE', name, value);
}

export function getState(name: string): string {
  return process.env[`STATE_${name}`] ?? '';
}

/** Registers a secret with the runner so it prints `***` in its place; every line of it separately. */
export function setSecret(value: string): void {
  for (const line of value.split(/\r?\n/)) {
    if (line.trim() !== '') issue('add-mask', {}, line);
  }
}

export function info(message: string): void {
  process.stdout.write(message + EOL);
}

export type Annotation = {
  readonly title?: string;
  readonly file?: string;
  readonly line?: number;
};

export function error(message: string, annotation: Annotation = {}): void {
  issue('error', annotation, message);
}

export function warning(message: string, annotation: Annotation = {}): void {
  issue('warning', annotation, message);
}

export function startGroup(name: string): void {
  issue('group', {}, name);
}

export function endGroup(): void {
  issue('endgroup', {}, '');
}

/** Appends Markdown to the job summary (shown on the run's page). */
export function appendSummary(markdown: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (file) appendFileSync(file, markdown.endsWith('\n') ? markdown : markdown + EOL);
}

/** Marks the step failed: an `::error::` annotation and exit code 1. */
export function setFailed(message: string): void {
  process.exitCode = 1;
  error(message);
}

/**
 * Runs an action's body and renders a failure once, at the edge: what happened, why, and the
 * fix. Outputs the body set before failing stay set; `failureOutputs` are the outputs the
 * action documents as always set (a deploy's `status`, a health check's `healthy`), given
 * their failure value when the body failed before setting them — an input error included.
 */
export async function runAction(
  body: () => Promise<void>,
  failureOutputs: Readonly<Record<string, string>> = {},
): Promise<void> {
  try {
    await body();
  } catch (thrown) {
    for (const [name, value] of Object.entries(failureOutputs))
      if (!outputsSet.has(name)) setOutput(name, value);
    setFailed(describeError(thrown));
  }
}

function appendKeyValue(fileVariable: 'GITHUB_OUTPUT' | 'GITHUB_STATE', name: string, value: string): void {
  const file = process.env[fileVariable];
  if (!file) {
    issue(fileVariable === 'GITHUB_OUTPUT' ? 'set-output' : 'save-state', { name }, value);
    return;
  }
  // The runner's own delimiter scheme; a value that happens to contain it gets a fresh one.
  let delimiter: string;
  do delimiter = `ghadelimiter_${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
  while (value.includes(delimiter) || name.includes(delimiter));
  appendFileSync(file, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`);
}

function issue(
  command: string,
  properties: Readonly<Record<string, string | number | undefined>>,
  message: string,
): void {
  const props = Object.entries(properties)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  process.stdout.write(`::${command}${props ? ` ${props}` : ''}::${escapeData(message)}${EOL}`);
}

function escapeData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

/** The payload of the event that started the workflow (the file at GITHUB_EVENT_PATH), untyped. */
export function readEventPayload(env: NodeJS.ProcessEnv = process.env): unknown {
  if (!env.GITHUB_EVENT_PATH) return undefined;
  const payload: unknown = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8'));
  return payload;
}

/** The link to this workflow run, for logs of deployments and build records. */
export function workflowRunUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!env.GITHUB_RUN_ID || !env.GITHUB_REPOSITORY) return undefined;
  return `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
}
