import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../errors.ts';
import { parseBoolean, splitLines } from '../inputs/scalars.ts';
import { imageTags, ociLabels, parseBuildArgs, parseImageRepository, type ImageBuild } from './docker.ts';
import { resolveVersion, type ResolvedVersion } from './version.ts';

/** The build action's inputs as the runner hands them over. */
export interface RawBuildInputs {
  readonly command: string;
  readonly 'working-directory': string;
  readonly version: string;
  readonly image: string;
  readonly context: string;
  readonly dockerfile: string;
  readonly push: string;
  readonly tags: string;
  readonly 'build-args': string;
}

/** Facts of the run from the runner's environment. */
export interface RunFacts {
  readonly workspace: string;
  readonly ref: string;
  readonly sha: string;
  readonly repository: string;
  readonly serverUrl: string;
  readonly runUrl: string | undefined;
  readonly tempDir: string;
}

/** What the build will do, decided before anything runs. */
export interface BuildPlan {
  readonly commands: readonly string[];
  readonly workingDirectory: string;
  readonly version: ResolvedVersion;
  readonly facts: RunFacts;
  readonly image: ImageBuild | undefined;
}

/** Validates every input and works out the version, tags and labels; nothing runs yet. */
export function planBuild(
  raw: RawBuildInputs,
  facts: RunFacts,
  readPackageVersion: (dir: string) => string | undefined,
): BuildPlan {
  const workingDirectory = existingDirectory(
    'working-directory',
    raw['working-directory'] || '.',
    facts.workspace,
  );
  const commands = splitLines(raw.command);
  const version = resolveVersion({
    input: raw.version,
    ref: facts.ref,
    sha: facts.sha,
    packageVersion: readPackageVersion(workingDirectory),
  });
  if (raw.image === '') {
    for (const input of ['push', 'tags', 'build-args', 'dockerfile', 'context'] as const) {
      if (input === 'push' ? raw.push === 'true' : raw[input] !== '') {
        throw new InputError(
          input,
          `it is set but 'image' is empty`,
          `Set 'image' to the repository to build (for example 'ghcr.io/acme/api'), or remove '${input}'.`,
        );
      }
    }
    if (commands.length === 0) {
      throw new InputError(
        'command',
        'there is nothing to do: no command and no image',
        `Set 'command' (one command per line, for example 'npm ci' and 'npm test'), 'image', or both.`,
      );
    }
    return { commands, workingDirectory, version, facts, image: undefined };
  }

  const image = parseImageRepository(raw.image);
  const context = existingDirectory('context', raw.context || '.', workingDirectory);
  const dockerfile = resolve(context, raw.dockerfile || 'Dockerfile');
  if (!existsSync(dockerfile)) {
    throw new InputError(
      'dockerfile',
      `${dockerfile} does not exist`,
      `Set 'dockerfile' to the Dockerfile's path relative to the context (${context}), or add a Dockerfile there.`,
    );
  }
  return {
    commands,
    workingDirectory,
    version,
    facts,
    image: {
      image,
      tags: imageTags(image, version.version, facts.sha, splitLines(raw.tags)),
      labels: ociLabels(`${facts.serverUrl}/${facts.repository}`, facts.sha, version.version),
      buildArgs: parseBuildArgs(splitLines(raw['build-args'])),
      context,
      dockerfile,
      push: parseBoolean('push', raw.push || 'false'),
      metadataFile: join(facts.tempDir, `rollgate-buildx-metadata-${Date.now().toString(36)}.json`),
    },
  };
}

function existingDirectory(input: string, raw: string, base: string): string {
  const dir = isAbsolute(raw) ? raw : resolve(base, raw);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError(
      input,
      `${dir} is not a directory`,
      `Set '${input}' to a directory of the checked-out repository (relative paths start at ${base}); did the job run actions/checkout?`,
    );
  }
  return dir;
}
