import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, parseConfigText } from '../../src/config/parse.ts';
import { repositoryRoot } from '../support/runner.ts';
import { actionOf, checkWorkflow } from '../support/workflow-lint.ts';

/** A fenced ```yaml block of a Markdown file: its text and the line its first content line has. */
interface Snippet {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

const documents = [
  'README.md',
  ...readdirSync(join(repositoryRoot, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .sort()
    .map((file) => `docs/${file}`),
];

/** Every ```yaml / ```yml block, with the fence's indentation (a block inside a list item) removed. */
function yamlSnippets(file: string): Snippet[] {
  const lines = readFileSync(join(repositoryRoot, file), 'utf8').split('\n');
  const snippets: Snippet[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^(\s*)```\s*ya?ml\s*$/i.exec(lines[index]!);
    if (open === null) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let end = index + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) body.push(lines[end++]!.slice(indent));
    snippets.push({ file, line: index + 2, text: body.join('\n') });
    index = end;
  }
  return snippets;
}

type Kind = 'workflow' | 'steps' | 'config' | 'other';
const CONFIG_KEYS = new Set(['environments', 'commands', '_extends']);

/**
 * What a snippet is: a workflow (it has `jobs:`, so it must have `on:` too), a list of steps, or a
 * `.github/rollgate.yml` (only the configuration's top-level keys). Anything else is reported, so a
 * new snippet cannot slip past every check.
 */
function kindOf(text: string): Kind {
  let value: unknown;
  try {
    value = parse(text);
  } catch {
    return 'other';
  }
  if (Array.isArray(value)) {
    const steps = value.every(
      (item) => item !== null && typeof item === 'object' && ('uses' in item || 'run' in item),
    );
    return steps && value.length > 0 ? 'steps' : 'other';
  }
  if (value === null || typeof value !== 'object') return 'other';
  const keys = Object.keys(value);
  if (keys.includes('jobs') || keys.includes('on')) return 'workflow';
  return keys.length > 0 && keys.every((key) => CONFIG_KEYS.has(key)) ? 'config' : 'other';
}

/** Blank lines before the snippet, so every checker's line numbers are the Markdown file's. */
const padded = (snippet: Snippet, before = 0): string =>
  '\n'.repeat(Math.max(snippet.line - 1 - before, 0)) + snippet.text;

/**
 * A step list checked as the steps of a job in a minimal workflow. The wrapper's five lines come
 * first and the snippet starts on its own line of the Markdown file; only columns move (by the
 * six spaces of indentation), and are given back.
 */
const STEPS_HEADER = 'on: workflow_dispatch\njobs:\n  snippet:\n    runs-on: ubuntu-latest\n    steps:\n';
async function checkSteps(snippet: Snippet): Promise<string[]> {
  const header = STEPS_HEADER.split('\n').length - 1;
  const indented = snippet.text
    .split('\n')
    .map((line) => (line === '' ? line : `      ${line}`))
    .join('\n');
  const text = STEPS_HEADER + padded({ ...snippet, text: indented }, header);
  const problems = await checkWorkflow({ file: snippet.file, text });
  return problems.map((line) =>
    line.replace(/^([^:]+):(\d+):(\d+):/, (_whole, file: string, row: string, column: string) =>
      Number(row) > header
        ? `${file}:${row}:${Math.max(Number(column) - 6, 1)}:`
        : `${file}:${row}:${column}:`,
    ),
  );
}

function checkConfig(snippet: Snippet): string[] {
  try {
    parseConfigText(padded(snippet), snippet.file);
    return [];
  } catch (error) {
    if (error instanceof ConfigError)
      return error.problems.map((problem) => `${problem.message} (${problem.advice})`);
    throw error;
  }
}

async function problemsOf(snippet: Snippet): Promise<string[]> {
  switch (kindOf(snippet.text)) {
    case 'workflow':
      return checkWorkflow({ file: snippet.file, text: padded(snippet) });
    case 'steps':
      return checkSteps(snippet);
    case 'config':
      return checkConfig(snippet);
    case 'other':
      return [
        `${snippet.file}:${snippet.line}: a yaml snippet that is neither a workflow (on: and jobs:), a list of steps, nor a .github/rollgate.yml: make it one of them, or fence it as another language`,
      ];
  }
}

const snippets = documents.flatMap(yamlSnippets);

describe('YAML in the README and docs/', () => {
  test('the README shows a configuration and workflows to copy', () => {
    const kinds = snippets
      .filter((snippet) => snippet.file === 'README.md')
      .map((snippet) => kindOf(snippet.text));
    expect(kinds).toContain('config');
    expect(kinds).toContain('workflow');
  });

  test.each(snippets.map((snippet) => [`${snippet.file}:${snippet.line}`, snippet] as const))(
    '%s is valid as GitHub, actionlint and Rollgate read it',
    async (_where, snippet) => {
      expect(await problemsOf(snippet)).toEqual([]);
    },
  );
});

describe('one spelling of this repository’s actions', () => {
  /**
   * Every `<owner>/rollgate[/actions/<name>]@<ref>` in the README, docs/ and the templates, prose
   * included, is `OWNER/rollgate…@v1` and names an action.yml of this repository.
   */
  test('the README, docs/ and the starter workflows write OWNER/rollgate[/actions/<name>]@v1 for actions that exist', () => {
    const files = [
      ...documents,
      ...readdirSync(join(repositoryRoot, 'workflows-templates'))
        .filter((file) => file.endsWith('.yml'))
        .map((file) => `workflows-templates/${file}`),
    ];
    const mentions = files.flatMap((file) =>
      readFileSync(join(repositoryRoot, file), 'utf8')
        .split('\n')
        .flatMap((line, index) =>
          [...line.matchAll(/[\w.-]+\/rollgate(?:\/actions\/[\w-]+)?@[\w.-]+/g)].map(([uses]) => ({
            where: `${file}:${index + 1}`,
            uses,
          })),
        ),
    );
    expect(mentions.length).toBeGreaterThan(10);
    const wrong = mentions.flatMap(({ where, uses }) => {
      const action = actionOf(uses);
      return typeof action === 'string' ? [`${where}: ${action}`] : [];
    });
    expect(wrong).toEqual([]);
  });
});

describe('the snippet checks fail, naming the Markdown file and line', () => {
  const at = (text: string, line = 40): Snippet => ({ file: 'GUIDE.md', line, text });

  test('a workflow reading needs.build without needs:', async () => {
    const snippet = at(
      [
        'on: push',
        'jobs:',
        '  deploy:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - uses: OWNER/rollgate@v1',
        '        with:',
        '          image: ghcr.io/acme/api:${{ needs.build.outputs.version }}',
      ].join('\n'),
    );
    expect(await problemsOf(snippet)).toEqual([
      expect.stringMatching(/^GUIDE\.md:47:\d+: \[actionlint expression\] property "build" is not defined/),
    ]);
  });

  test('a list of steps giving an input the action does not declare', async () => {
    const snippet = at(
      '- uses: OWNER/rollgate/actions/health-check@v1\n  with:\n    urls: https://example.com/healthz',
    );
    expect(await problemsOf(snippet)).toEqual([
      expect.stringMatching(
        /^GUIDE\.md:42:5: \[rollgate actions\] OWNER\/rollgate\/actions\/health-check@v1 has no input 'urls'/,
      ),
    ]);
  });

  test('a .github/rollgate.yml with a misspelt key, by the configuration parser', async () => {
    const problems = await problemsOf(at('environments:\n  production:\n    requires:\n      aprovals: 2'));
    expect(problems).toEqual([expect.stringMatching(/^GUIDE\.md:43:7: /)]);
    expect(problems[0]).toContain('aprovals');
  });

  test('a snippet that is none of these', async () => {
    expect(await problemsOf(at('name: Rollgate\nruns:\n  using: node24'))).toEqual([
      expect.stringMatching(/^GUIDE\.md:40: a yaml snippet that is neither/),
    ]);
  });
});
