import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_DIGEST, installFakeDocker, type FakeDocker } from '../support/fake-docker.ts';
import { runAction, type ActionRun, type RunActionOptions } from '../support/runner.ts';

const action = 'actions/build';
const sha = 'ffac537e6cbbf934b08745a378932722df287a53';
const scratch = mkdtempSync(join(tmpdir(), 'rollgate-build-test-'));
let docker: FakeDocker;

beforeAll(() => {
  docker = installFakeDocker();
});
afterAll(() => {
  docker.remove();
  rmSync(scratch, { recursive: true, force: true });
});

/** A checked-out repository: a fresh workspace with the given files. */
function workspace(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(scratch, 'workspace-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** Runs the bundled build action with the fake docker first on PATH and its own RUNNER_TEMP. */
function runBuildAction(options: RunActionOptions & { path?: string }): Promise<ActionRun> {
  const runnerTemp = mkdtempSync(join(scratch, 'temp-'));
  const { path, ...rest } = options;
  return runAction(action, {
    ...rest,
    env: {
      PATH: path ?? `${docker.binDir}:${process.env.PATH ?? ''}`,
      RUNNER_TEMP: runnerTemp,
      GITHUB_SHA: sha,
      ...options.env,
    },
  });
}

function record(run: ActionRun): Record<string, unknown> {
  return JSON.parse(readFileSync(run.outputs.record!, 'utf8')) as Record<string, unknown>;
}

describe('build action: the version rule', () => {
  test.each([
    [
      'the version input wins over everything',
      { version: '2.0.0-rc.1' },
      { GITHUB_REF: 'refs/tags/v1.4.0' },
      { version: '1.9.0' },
      '2.0.0-rc.1',
      'input',
    ],
    [
      'a v* tag gives the version without its v',
      {},
      { GITHUB_REF: 'refs/tags/v1.4.0' },
      { version: '1.9.0' },
      '1.4.0',
      'tag',
    ],
    [
      'a tag that is not v<digit> does not',
      {},
      { GITHUB_REF: 'refs/tags/nightly' },
      { version: '1.9.0' },
      '1.9.0-ffac537',
      'package.json',
    ],
    [
      'on a branch, package.json version and short sha',
      {},
      { GITHUB_REF: 'refs/heads/main' },
      { version: '1.9.0' },
      '1.9.0-ffac537',
      'package.json',
    ],
    [
      'without package.json, 0.0.0 and short sha',
      {},
      { GITHUB_REF: 'refs/heads/main' },
      undefined,
      '0.0.0-ffac537',
      'default',
    ],
  ])('%s', async (_name, inputs, env, pkg, version, source) => {
    const dir = workspace(pkg === undefined ? {} : { 'package.json': JSON.stringify(pkg) });
    const run = await runBuildAction({ inputs: { command: 'true', ...inputs }, env, workspace: dir });
    expect(run.errors).toEqual([]);
    expect(run.outputs.version).toBe(version);
    expect(record(run)).toMatchObject({
      status: 'success',
      version,
      versionSource: source,
      sha,
      ref: env.GITHUB_REF,
    });
    expect(run.summary).toContain(`Build ${version}`);
  });
});

describe('build action: commands', () => {
  test('runs each command in the working directory, in order, timed, into the build record', async () => {
    const dir = workspace({ 'service/package.json': '{"version":"0.3.0"}' });
    const run = await runBuildAction({
      inputs: {
        command: 'echo compiled > out.txt\ncat out.txt | tr a-z A-Z',
        'working-directory': 'service',
      },
      workspace: dir,
    });
    expect(run.exitCode).toBe(0);
    expect(run.log).toContain('COMPILED');
    expect(readFileSync(join(dir, 'service', 'out.txt'), 'utf8')).toBe('compiled\n');
    expect(run.commands.filter((c) => c.command === 'group').map((c) => c.message)).toEqual([
      '$ echo compiled > out.txt',
      '$ cat out.txt | tr a-z A-Z',
    ]);
    const built = record(run);
    expect(built).toMatchObject({
      version: '0.3.0-ffac537',
      workingDirectory: join(dir, 'service'),
      commands: [
        { command: 'echo compiled > out.txt', exitCode: 0 },
        { command: 'cat out.txt | tr a-z A-Z', exitCode: 0 },
      ],
      tags: [],
    });
    expect(built.image).toBeUndefined();
    expect(Number(run.outputs['duration-ms'])).toBeGreaterThanOrEqual(0);
    expect(run.outputs.image).toBe('');
    expect(run.summary).toMatch(/\| `echo compiled > out.txt` \| ✅ \| \d+ ms \|/);
  });

  test('stops at a failing command and shows its exit code and the tail of its output', async () => {
    const dir = workspace();
    const run = await runBuildAction({
      inputs: {
        command:
          'for i in $(seq 1 30); do echo "test $i passed"; done; echo "expected 2 to be 3" >&2; exit 3\ntouch second-command-ran',
      },
      workspace: dir,
    });
    expect(run.exitCode).toBe(1);
    const error = run.errors.at(-1) ?? '';
    expect(error).toMatch(
      /^Command 'for i in .*' failed with exit code 3 after \d+ ms\. Last 20 lines of its output:/,
    );
    expect(error).toContain('test 30 passed');
    expect(error).toContain('expected 2 to be 3');
    expect(error).not.toContain('test 10 passed');
    expect(error).toContain('Run it in');
    expect(existsSync(join(dir, 'second-command-ran'))).toBe(false);
    expect(run.outputs.version).toBe('0.0.0-ffac537');
    expect(record(run)).toMatchObject({ status: 'failure', commands: [{ exitCode: 3 }] });
    expect(run.summary).toContain('❌ exit 3');
  });
});

describe('build action: container image', () => {
  test('calls docker buildx build with exactly the tags, OCI labels, build args and push, and reads the digest', async () => {
    const dir = workspace({ 'package.json': '{"version":"1.9.0"}', 'docker/Dockerfile': 'FROM scratch\n' });
    const fake = installFakeDocker();
    try {
      const run = await runBuildAction({
        inputs: {
          command: 'true',
          image: 'ghcr.io/octo-org/hello-service',
          context: 'docker',
          push: 'true',
          tags: 'latest\nregistry.example.com/hello:edge',
          'build-args': 'NODE_ENV=production\nGREETING=a=b',
        },
        env: { GITHUB_REF: 'refs/tags/v1.4.0' },
        workspace: dir,
        path: `${fake.binDir}:${process.env.PATH ?? ''}`,
      });
      expect(run.errors).toEqual([]);
      const invocations = fake.invocations();
      expect(invocations).toHaveLength(2);
      expect(invocations[0]).toEqual(['buildx', 'version']);
      const args = invocations[1]!;
      const metadataFile = args[args.indexOf('--metadata-file') + 1];
      expect(args).toEqual([
        'buildx',
        'build',
        '--file',
        join(dir, 'docker', 'Dockerfile'),
        '--tag',
        'ghcr.io/octo-org/hello-service:1.4.0',
        '--tag',
        'ghcr.io/octo-org/hello-service:sha-ffac537',
        '--tag',
        'ghcr.io/octo-org/hello-service:latest',
        '--tag',
        'registry.example.com/hello:edge',
        '--label',
        'org.opencontainers.image.source=https://github.com/octo-org/hello-service',
        '--label',
        `org.opencontainers.image.revision=${sha}`,
        '--label',
        'org.opencontainers.image.version=1.4.0',
        '--build-arg',
        'NODE_ENV=production',
        '--build-arg',
        'GREETING=a=b',
        '--metadata-file',
        metadataFile,
        '--push',
        join(dir, 'docker'),
      ]);
      expect(run.outputs).toMatchObject({
        version: '1.4.0',
        image: 'ghcr.io/octo-org/hello-service:1.4.0',
        digest: FAKE_DIGEST,
      });
      expect(record(run)).toMatchObject({
        status: 'success',
        pushed: true,
        digest: FAKE_DIGEST,
        tags: expect.arrayContaining(['ghcr.io/octo-org/hello-service:sha-ffac537']) as unknown,
      });
      expect(run.summary).toContain(`Digest \`${FAKE_DIGEST}\``);
    } finally {
      fake.remove();
    }
  });

  test('loads instead of pushing when push is false', async () => {
    const dir = workspace({ Dockerfile: 'FROM scratch\n' });
    const fake = installFakeDocker();
    try {
      const run = await runBuildAction({
        inputs: { image: 'ghcr.io/octo-org/hello-service' },
        workspace: dir,
        path: `${fake.binDir}:${process.env.PATH ?? ''}`,
      });
      expect(run.exitCode).toBe(0);
      expect(fake.invocations()[1]).toContain('--load');
      expect(fake.invocations()[1]).not.toContain('--push');
      expect(record(run)).toMatchObject({ pushed: false, commands: [] });
    } finally {
      fake.remove();
    }
  });

  test('fails before running any command when docker is not installed', async () => {
    const dir = workspace({ Dockerfile: 'FROM scratch\n' });
    const run = await runBuildAction({
      inputs: { command: 'touch command-ran', image: 'ghcr.io/octo-org/hello-service' },
      workspace: dir,
      path: '/usr/bin:/bin',
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      "docker was not found on PATH. 'image' is set, so the image is built with 'docker buildx build'. Run the job on a runner with Docker (GitHub's ubuntu-latest has it) or install it in an earlier step; leave 'image' empty to run only the commands.",
    ]);
    expect(existsSync(join(dir, 'command-ran'))).toBe(false);
  });

  test('a docker without buildx fails before any command runs, saying to add docker/setup-buildx-action', async () => {
    const dir = workspace({ Dockerfile: 'FROM scratch\n' });
    const bare = installFakeDocker({ noBuildx: true });
    try {
      const run = await runBuildAction({
        inputs: { command: 'touch command-ran', image: 'ghcr.io/octo-org/hello-service' },
        workspace: dir,
        path: `${bare.binDir}:${process.env.PATH ?? ''}`,
      });
      expect(run.exitCode).toBe(1);
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]).toMatch(
        /^buildx is missing: 'docker buildx version' failed \(docker: 'buildx' is not a docker command\.\)\./,
      );
      expect(run.errors[0]).toContain('Add docker/setup-buildx-action before this step');
      expect(existsSync(join(dir, 'command-ran'))).toBe(false);
      expect(bare.invocations()).toEqual([['buildx', 'version']]);
    } finally {
      bare.remove();
    }
  });

  test('reports a failed image build with the exit code and buildx error', async () => {
    const dir = workspace({ Dockerfile: 'FROM scratch\n' });
    const failing = installFakeDocker({ exitCode: 1 });
    try {
      const run = await runBuildAction({
        inputs: { image: 'ghcr.io/octo-org/hello-service' },
        workspace: dir,
        path: `${failing.binDir}:${process.env.PATH ?? ''}`,
      });
      expect(run.exitCode).toBe(1);
      expect(run.errors.at(-1)).toMatch(
        /^docker buildx build failed with exit code 1 after \d+ ms\. .*ERROR: failed to solve/s,
      );
      expect(run.outputs.digest).toBe('');
      expect(record(run)).toMatchObject({ status: 'failure', docker: { exitCode: 1 } });
    } finally {
      failing.remove();
    }
  });

  test('fails when buildx reports no digest', async () => {
    const dir = workspace({ Dockerfile: 'FROM scratch\n' });
    const old = installFakeDocker({ noMetadata: true });
    try {
      const run = await runBuildAction({
        inputs: { image: 'ghcr.io/octo-org/hello-service' },
        workspace: dir,
        path: `${old.binDir}:${process.env.PATH ?? ''}`,
      });
      expect(run.exitCode).toBe(1);
      expect(run.errors.at(-1)).toContain('reported no image digest');
    } finally {
      old.remove();
    }
  });
});

describe('build action: bad inputs change nothing and say what to fix', () => {
  test.each([
    [
      'an image with a tag',
      { command: 'touch ran', image: 'ghcr.io/octo-org/hello-service:1.0' },
      /^Input 'image' is invalid: 'ghcr.io\/octo-org\/hello-service:1.0' carries a tag or digest\. Give the repository only/,
    ],
    [
      'an image in upper case',
      { command: 'touch ran', image: 'ghcr.io/Octo/API' },
      /^Input 'image' is invalid: .* is not an image repository/,
    ],
    [
      'push without an image',
      { command: 'touch ran', push: 'true' },
      /^Input 'push' is invalid: it is set but 'image' is empty\. Set 'image'/,
    ],
    [
      'a version that cannot be a tag',
      { command: 'touch ran', image: 'ghcr.io/octo-org/hello-service', version: 'release 1' },
      /^Input 'version' is invalid: 'release 1' cannot be an image tag/,
    ],
    [
      'a missing working directory',
      { command: 'touch ran', 'working-directory': 'nope' },
      /^Input 'working-directory' is invalid: .*nope is not a directory/,
    ],
    [
      'a missing Dockerfile',
      { command: 'touch ran', image: 'ghcr.io/octo-org/hello-service', dockerfile: 'build/Dockerfile' },
      /^Input 'dockerfile' is invalid: .*build\/Dockerfile does not exist/,
    ],
    [
      'a bad build argument',
      { command: 'touch ran', image: 'ghcr.io/octo-org/hello-service', 'build-args': 'not an arg' },
      /^Input 'build-args' is invalid: a line is not 'KEY=value'/,
    ],
    ['nothing to do', {}, /^Input 'command' is invalid: there is nothing to do/],
  ])('%s', async (_name, inputs, message) => {
    const dir = workspace({ Dockerfile: 'FROM scratch\n' });
    const run = await runBuildAction({ inputs, workspace: dir });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(message);
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });
});
