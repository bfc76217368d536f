/**
 * A stand-in `docker` executable for machines without a Docker engine: put its directory first
 * on PATH. It records each invocation's arguments, and for `buildx build` writes the
 * `--metadata-file` the way buildx does (`containerimage.digest`, `image.name`).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeDocker {
  /** Directory holding the `docker` executable; prepend it to PATH. */
  readonly binDir: string;
  /** Arguments of every invocation so far, in order. */
  invocations(): string[][];
  remove(): void;
}

export interface FakeDockerBehaviour {
  /** Exit code of `buildx build` (default 0); on failure it prints an error like buildx's. */
  readonly exitCode?: number;
  /** Digest written to the metadata file. */
  readonly digest?: string;
  /** Leave the metadata file unwritten, as an old buildx would. */
  readonly noMetadata?: boolean;
  /** A docker CLI without the buildx plugin: every `buildx` command fails as the real CLI does. */
  readonly noBuildx?: boolean;
}

export const FAKE_DIGEST = 'sha256:4d3c6f1a0b7e2d9c8f5a6b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e';

export function installFakeDocker(behaviour: FakeDockerBehaviour = {}): FakeDocker {
  const binDir = mkdtempSync(join(tmpdir(), 'rollgate-fake-docker-'));
  const log = join(binDir, 'invocations.jsonl');
  const script = `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + '\\n');
if (args[0] === 'buildx' && ${behaviour.noBuildx === true}) {
  // What docker 23 prints without the plugin (docker/buildx#1603).
  console.error("docker: 'buildx' is not a docker command.");
  console.error("See 'docker --help'");
  process.exit(1);
}
if (args[0] === 'buildx' && args[1] === 'version') {
  console.log('github.com/docker/buildx v0.19.3 48d6a39');
  process.exit(0);
}
if (args[0] !== 'buildx' || args[1] !== 'build') process.exit(0);
const tags = args.flatMap((a, i) => (args[i - 1] === '--tag' ? [a] : []));
console.log('#1 [internal] load build definition from Dockerfile');
console.log('#2 naming to ' + tags.join(', '));
if (${behaviour.exitCode ?? 0} !== 0) {
  console.error('ERROR: failed to solve: process "/bin/sh -c npm run build" did not complete successfully: exit code: 1');
  process.exit(${behaviour.exitCode ?? 0});
}
const metadata = args[args.indexOf('--metadata-file') + 1];
if (${behaviour.noMetadata === true} === false) {
  fs.writeFileSync(metadata, JSON.stringify({ 'containerimage.digest': ${JSON.stringify(behaviour.digest ?? FAKE_DIGEST)}, 'image.name': tags.join(',') }));
}
`;
  writeFileSync(join(binDir, 'docker'), script);
  // The stand-in is CommonJS; give it a package.json so a parent "type": "module" does not apply.
  writeFileSync(join(binDir, 'package.json'), '{"type":"commonjs"}');
  chmodSync(join(binDir, 'docker'), 0o755);
  return {
    binDir,
    invocations: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as string[])
        : [],
    remove: () => {
      rmSync(binDir, { recursive: true, force: true });
    },
  };
}
