import { readFileSync } from 'node:fs';
import { CommandError, MissingToolError, RollgateError } from '../errors.ts';
import { formatDuration } from '../inputs/duration.ts';
import { BUILDX_VERSION, buildxArguments, buildxMissing, digestFromMetadata } from './docker.ts';
import type { BuildPlan } from './plan.ts';
import type { VersionSource } from './version.ts';

/** How the build runs a program: output goes to the log, the tail comes back for error messages. */
export interface CommandRunner {
  run(
    program: string,
    args: readonly string[],
    cwd: string,
    title: string,
  ): Promise<{ exitCode: number; outputTail: readonly string[] }>;
}

export interface BuildPorts {
  readonly runner: CommandRunner;
  /** The absolute path of an executable on PATH, or undefined. */
  readonly findExecutable: (name: string) => string | undefined;
  readonly now: () => number;
}

export interface CommandRecord {
  readonly command: string;
  readonly exitCode: number;
  readonly durationMs: number;
}

/** The JSON build record: what was built, from what, how, and how long it took. */
export interface BuildRecord {
  readonly status: 'success' | 'failure';
  readonly version: string;
  readonly versionSource: VersionSource;
  readonly sha: string;
  readonly ref: string;
  readonly repository: string;
  readonly runUrl: string | undefined;
  readonly workingDirectory: string;
  readonly commands: readonly CommandRecord[];
  readonly image: string | undefined;
  readonly tags: readonly string[];
  readonly pushed: boolean;
  readonly digest: string | undefined;
  readonly docker:
    | { readonly arguments: readonly string[]; readonly exitCode: number; readonly durationMs: number }
    | undefined;
  readonly durationMs: number;
  readonly error: string | undefined;
}

export interface BuildOutcome {
  readonly record: BuildRecord;
  /** Set when the build failed; the record still says how far it got. */
  readonly failure: RollgateError | undefined;
}

const BASH = ['--noprofile', '--norc', '-eo', 'pipefail', '-c'];

/**
 * Runs the commands in order (each as the runner runs a `run:` step: bash -eo pipefail), stops
 * at the first failure, then builds the image with `docker buildx build` when one is planned.
 * Docker and its buildx plugin are looked up first, so a missing one fails the step before any
 * command runs.
 */
export async function runBuild(plan: BuildPlan, ports: BuildPorts): Promise<BuildOutcome> {
  const started = ports.now();
  const docker = plan.image === undefined ? undefined : ports.findExecutable('docker');
  if (plan.image !== undefined && docker === undefined) {
    throw new MissingToolError(
      'docker was not found on PATH.',
      `'image' is set, so the image is built with 'docker buildx build'.`,
      `Run the job on a runner with Docker (GitHub's ubuntu-latest has it) or install it in an earlier step; leave 'image' empty to run only the commands.`,
    );
  }
  if (docker !== undefined) {
    const buildx = await ports.runner.run(
      docker,
      BUILDX_VERSION,
      plan.workingDirectory,
      'docker buildx version',
    );
    if (buildx.exitCode !== 0) throw buildxMissing(buildx.outputTail);
  }
  const bash = plan.commands.length === 0 ? undefined : (ports.findExecutable('bash') ?? 'bash');
  const commands: CommandRecord[] = [];
  const finish = (
    failure: RollgateError | undefined,
    dockerRecord?: BuildRecord['docker'],
    digest?: string,
  ): BuildOutcome => ({
    failure,
    record: {
      status: failure === undefined ? 'success' : 'failure',
      version: plan.version.version,
      versionSource: plan.version.source,
      sha: plan.facts.sha,
      ref: plan.facts.ref,
      repository: plan.facts.repository,
      runUrl: plan.facts.runUrl,
      workingDirectory: plan.workingDirectory,
      commands,
      image: plan.image?.tags[0],
      tags: plan.image?.tags ?? [],
      pushed: failure === undefined && plan.image?.push === true,
      digest,
      docker: dockerRecord,
      durationMs: Math.round(ports.now() - started),
      error: failure?.render(),
    },
  });

  for (const command of plan.commands) {
    const commandStarted = ports.now();
    const result = await ports.runner.run(
      bash ?? 'bash',
      [...BASH, command],
      plan.workingDirectory,
      `$ ${command}`,
    );
    const durationMs = Math.round(ports.now() - commandStarted);
    commands.push({ command, exitCode: result.exitCode, durationMs });
    if (result.exitCode !== 0)
      return finish(
        commandFailure(
          `Command '${command}'`,
          result.exitCode,
          durationMs,
          result.outputTail,
          `Run it in ${plan.workingDirectory} to reproduce; its whole output is in the log group '$ ${command}'.`,
        ),
      );
  }
  if (plan.image === undefined || docker === undefined) return finish(undefined);

  const args = buildxArguments(plan.image);
  const dockerStarted = ports.now();
  const result = await ports.runner.run(
    docker,
    args,
    plan.workingDirectory,
    `docker buildx build ${plan.image.tags.join(' ')}`,
  );
  const dockerRecord = {
    arguments: args,
    exitCode: result.exitCode,
    durationMs: Math.round(ports.now() - dockerStarted),
  };
  if (result.exitCode !== 0) {
    return finish(
      commandFailure(
        'docker buildx build',
        result.exitCode,
        dockerRecord.durationMs,
        result.outputTail,
        `Check the Dockerfile and the registry login (docker/login-action) for a push; the whole output is in the log group 'docker buildx build'.`,
      ),
      dockerRecord,
    );
  }
  const digest = readDigest(plan.image.metadataFile);
  if (digest === undefined) {
    return finish(
      new RollgateError(
        `docker buildx build succeeded but reported no image digest.`,
        `Its metadata file ${plan.image.metadataFile} has no 'containerimage.digest'.`,
        `Use Docker Buildx 0.8 or later (docker/setup-buildx-action installs a current one).`,
      ),
      dockerRecord,
    );
  }
  return finish(undefined, dockerRecord, digest);
}

function commandFailure(
  what: string,
  exitCode: number,
  durationMs: number,
  tail: readonly string[],
  fix: string,
): CommandError {
  const output =
    tail.length === 0
      ? 'It printed nothing.'
      : `Last ${tail.length} line${tail.length === 1 ? '' : 's'} of its output:\n${tail.join('\n')}\n`;
  return new CommandError(
    `${what} failed with exit code ${exitCode} after ${formatDuration(durationMs)}.`,
    output,
    fix,
  );
}

function readDigest(file: string): string | undefined {
  try {
    return digestFromMetadata(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
