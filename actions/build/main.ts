import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '../../src/build/executable.ts';
import { planBuild, type RunFacts } from '../../src/build/plan.ts';
import { runBuild } from '../../src/build/run.ts';
import { renderBuildSummary } from '../../src/build/summary.ts';
import { RollgateError } from '../../src/errors.ts';
import * as core from '../runner-io.ts';
import { createExecRunner } from './exec-runner.ts';

void core.runAction(async () => {
  const raw = core.readInputs([
    'command',
    'working-directory',
    'version',
    'image',
    'context',
    'dockerfile',
    'push',
    'tags',
    'build-args',
  ]);
  const env = process.env;
  const facts: RunFacts = {
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    ref: env.GITHUB_REF ?? '',
    sha: env.GITHUB_SHA ?? '',
    repository: env.GITHUB_REPOSITORY ?? '',
    serverUrl: env.GITHUB_SERVER_URL ?? 'https://github.com',
    runUrl: core.workflowRunUrl(env),
    tempDir: env.RUNNER_TEMP ?? tmpdir(),
  };
  const plan = planBuild(raw, facts, readPackageVersion);
  core.setOutput('version', plan.version.version);
  core.info(`Version ${plan.version.version} (from ${plan.version.source}).`);

  const { record, failure } = await runBuild(plan, {
    runner: await createExecRunner(),
    findExecutable: (name) => findExecutable(name, env.PATH ?? ''),
    now: () => performance.now(),
  });
  const recordPath = join(facts.tempDir, 'rollgate-build-record.json');
  writeFileSync(recordPath, `${JSON.stringify(record, null, 2)}\n`);
  core.setOutput('image', plan.image === undefined ? '' : (record.image ?? ''));
  core.setOutput('digest', record.digest ?? '');
  core.setOutput('duration-ms', record.durationMs);
  core.setOutput('record', recordPath);
  core.appendSummary(renderBuildSummary(record));
  if (failure !== undefined) throw failure;
  core.info(`Built ${plan.version.version}${record.digest === undefined ? '' : ` (${record.digest})`}.`);
});

function readPackageVersion(dir: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, 'package.json'), 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RollgateError(
      `${join(dir, 'package.json')} is not valid JSON: ${(error as Error).message}.`,
      'Its version is the base of the build version.',
      `Fix the file, or set the 'version' input.`,
    );
  }
  const version =
    parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>).version : undefined;
  return typeof version === 'string' && version !== '' ? version : undefined;
}
