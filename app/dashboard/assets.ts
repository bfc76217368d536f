/**
 * The dashboard's static files: uPlot's script and styles (MIT; node_modules/uplot/dist), served
 * from `/dashboard/assets/uplot-<version>/…`. The version in the path changes with the package, so
 * a browser may keep each file a year without asking again (`immutable`: RFC 8246); `private`, as
 * they are served to signed-in users only.
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const packageFile = require.resolve('uplot/package.json');
const { version } = JSON.parse(readFileSync(packageFile, 'utf8')) as { version: string };
const dist = join(dirname(packageFile), 'dist');
const base = `/dashboard/assets/uplot-${version}`;

export const ASSETS = {
  script: `${base}/uPlot.iife.min.js`,
  css: `${base}/uPlot.min.css`,
} as const;

const FILES: ReadonlyMap<string, { file: string; type: string }> = new Map([
  [ASSETS.script, { file: 'uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' }],
  [ASSETS.css, { file: 'uPlot.min.css', type: 'text/css; charset=utf-8' }],
]);

const loaded = new Map<string, Buffer>();

/** Answers `path` when it is one of the assets; false otherwise (the caller answers 404). */
export function serveAsset(path: string, res: ServerResponse): boolean {
  const asset = FILES.get(path);
  if (asset === undefined) return false;
  let body = loaded.get(path);
  if (body === undefined) {
    body = readFileSync(join(dist, asset.file));
    loaded.set(path, body);
  }
  res
    .writeHead(200, {
      'content-type': asset.type,
      'content-length': String(body.length),
      'cache-control': 'private, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    })
    .end(body);
  return true;
}
