import { InputError, MissingToolError } from '../errors.ts';
import { shortSha } from './version.ts';

/** Everything `docker buildx build` is asked to do. */
export interface ImageBuild {
  /** Repository without tag, e.g. `ghcr.io/acme/api`. */
  readonly image: string;
  readonly tags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly context: string;
  readonly dockerfile: string;
  readonly push: boolean;
  readonly metadataFile: string;
}

// Docker's reference grammar (distribution/reference): lower-case path components, optional registry host with port.
const REPOSITORY =
  /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/** Validates an `image` input: a repository reference without tag or digest. */
export function parseImageRepository(raw: string): string {
  const image = raw.trim();
  if (/[:@][^/]*$/.test(image.replace(/^[^/]+:\d+\//, ''))) {
    throw new InputError(
      'image',
      `'${raw}' carries a tag or digest`,
      `Give the repository only, for example 'ghcr.io/acme/api'; Rollgate tags it with the version and the commit sha (add more with 'tags').`,
    );
  }
  if (!REPOSITORY.test(image)) {
    throw new InputError(
      'image',
      `'${raw}' is not an image repository`,
      `Use lower-case letters, digits and separators, optionally after a registry host, for example 'ghcr.io/acme/api' or 'registry.example.com:5000/team/api'.`,
    );
  }
  return image;
}

/**
 * The image's tags: the version and `sha-<short sha>` (as docker/metadata-action's `type=sha`),
 * then each extra tag — a bare tag is applied to the image, a full reference is used as written.
 */
export function imageTags(image: string, version: string, sha: string, extra: readonly string[]): string[] {
  const versionTag = tagSafe(version);
  if (!TAG.test(versionTag)) {
    throw new InputError(
      'version',
      `'${version}' cannot be an image tag`,
      `Use letters, digits, '.', '_' and '-' only (at most 128 characters), for example '1.4.0' or '1.4.0-rc.1'.`,
    );
  }
  const tags = [`${image}:${versionTag}`, `${image}:sha-${shortSha(sha)}`];
  for (const tag of extra) {
    if (tag.includes('/') || tag.includes(':')) tags.push(tag);
    else if (TAG.test(tag)) tags.push(`${image}:${tag}`);
    else
      throw new InputError(
        'tags',
        `'${tag}' is not a valid image tag`,
        `Use letters, digits, '.', '_' and '-' (for example 'latest' or 'stable'), or a full reference such as 'ghcr.io/acme/api:edge'.`,
      );
  }
  return [...new Set(tags)];
}

/** SemVer build metadata (`1.0.0+build.5`) is not allowed in a tag; Docker's convention is `-`. */
function tagSafe(version: string): string {
  return version.replaceAll('+', '-');
}

/** OCI annotations that link an image to its source (https://github.com/opencontainers/image-spec/blob/main/annotations.md). */
export function ociLabels(repositoryUrl: string, sha: string, version: string): Record<string, string> {
  return {
    'org.opencontainers.image.source': repositoryUrl,
    'org.opencontainers.image.revision': sha,
    'org.opencontainers.image.version': version,
  };
}

/** The exact arguments of `docker` for the build: `buildx build … <context>`. */
export function buildxArguments(build: ImageBuild): string[] {
  return [
    'buildx',
    'build',
    '--file',
    build.dockerfile,
    ...build.tags.flatMap((tag) => ['--tag', tag]),
    ...Object.entries(build.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
    ...Object.entries(build.buildArgs).flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]),
    '--metadata-file',
    build.metadataFile,
    build.push ? '--push' : '--load',
    build.context,
  ];
}

/**
 * Reads the image digest from buildx's `--metadata-file` (`containerimage.digest`, the digest
 * of the manifest pushed, or of the image loaded).
 */
export function digestFromMetadata(text: string): string | undefined {
  let metadata: unknown;
  try {
    metadata = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (metadata === null || typeof metadata !== 'object') return undefined;
  const digest = (metadata as Record<string, unknown>)['containerimage.digest'];
  return typeof digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(digest) ? digest : undefined;
}

/** Parses `build-args` lines `KEY=value`. */
export function parseBuildArgs(lines: readonly string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (const line of lines) {
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new InputError(
        'build-args',
        `a line is not 'KEY=value'${key === '' ? '' : ` (key '${key}')`}`,
        `Write one build argument per line as 'KEY=value', for example 'NODE_ENV=production'.`,
      );
    }
    args[key] = line.slice(eq + 1);
  }
  return args;
}

/** `docker buildx version`: answers 0 with the plugin's version when buildx is installed. */
export const BUILDX_VERSION: readonly string[] = ['buildx', 'version'];

/**
 * The failure of `docker buildx version`. Without the plugin the docker CLI answers
 * "docker: 'buildx' is not a docker command." (docker/buildx#1603; newer CLIs say
 * "unknown command: docker buildx"): the image cannot be built, whatever the commands do.
 */
export function buildxMissing(outputTail: readonly string[]): MissingToolError {
  const said = outputTail.join('\n').trim();
  return new MissingToolError(
    `buildx is missing: 'docker buildx version' failed${said === '' ? '' : ` (${said.split('\n')[0] ?? ''})`}.`,
    `'image' is set, so the image is built with 'docker buildx build', and this docker has no buildx plugin.`,
    `Add docker/setup-buildx-action before this step (uses: docker/setup-buildx-action@v3), or install the docker-buildx-plugin package on a self-hosted runner.`,
  );
}
