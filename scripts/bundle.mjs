// Builds one @vercel/ncc bundle per action: actions/<name>/main.ts -> dist/<name>/index.js,
// with the licenses of what it bundles in dist/<name>/licenses.txt.
import ncc from '@vercel/ncc';
import { minify } from 'terser';
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
      minify: false,
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
  const minified = await minifyModule(code);
  writeFileSync(join(out, 'index.js'), minified);
  for (const [file, asset] of Object.entries(assets)) {
    mkdirSync(join(out, file, '..'), { recursive: true });
    // ncc leaves the ESM chunks it splits off (lazily imported modules) unminified.
    writeFileSync(
      join(out, file),
      file.endsWith('.js') ? await minifyModule(String(asset.source)) : asset.source,
    );
  }
  if (!('licenses.txt' in assets)) {
    writeFileSync(
      join(out, 'licenses.txt'),
      'This bundle contains no third-party code: only Rollgate and Node.js built-ins.\n',
    );
  }
  console.log(
    `dist/${name}/index.js  ${(minified.length / 1024).toFixed(0)} KiB  ${Math.round(performance.now() - started)} ms`,
  );
}

/** Whitespace and local names only: enough for size, cheap to build, and deterministic. */
async function minifyModule(source) {
  const result = await minify(source, {
    module: true,
    compress: false,
    mangle: true,
    format: { comments: false },
  });
  return result.code;
}
