// Builds one @vercel/ncc bundle per action: actions/<name>/main.ts -> dist/<name>/index.js,
// with the licenses of what it bundles in dist/<name>/licenses.txt.
import ncc from '@vercel/ncc';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);
const names = readdirSync(join(root, 'actions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(root, 'actions', entry.name, 'main.ts')))
  .map((entry) => entry.name)
  .filter((name) => only.length === 0 || only.includes(name));

for (const name of names) {
  const started = performance.now();
  let bundle;
  try {
    bundle = await ncc(join(root, 'actions', name, 'main.ts'), {
      minify: true,
      sourceMap: false,
      license: 'licenses.txt',
      quiet: true,
      target: 'es2023',
    });
  } catch (error) {
    // ncc's own stack points into its minified compiler; the message holds the TypeScript errors.
    console.error(`actions/${name}: bundle failed\n${String(error.message).slice(0, 4000)}`);
    process.exit(1);
  }
  const { code, assets } = bundle;
  const out = join(root, 'dist', name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'index.js'), code);
  for (const [file, asset] of Object.entries(assets)) {
    mkdirSync(join(out, file, '..'), { recursive: true });
    writeFileSync(join(out, file), asset.source);
  }
  if (!('licenses.txt' in assets)) {
    writeFileSync(
      join(out, 'licenses.txt'),
      'This bundle contains no third-party code: only Rollgate and Node.js built-ins.\n',
    );
  }
  console.log(
    `dist/${name}/index.js  ${(code.length / 1024).toFixed(0)} KiB  ${Math.round(performance.now() - started)} ms`,
  );
}
