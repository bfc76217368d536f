/**
 * The setup page (`npm start` without APP_ID): registers Rollgate on GitHub from `app/app.yml`
 * through GitHub's manifest flow (https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest)
 * and writes the new App's credentials to `.env`.
 *
 * Probot 14's own setup (`lib/manifest-creation.js`) reads `app.yml` from the working directory
 * only, so from the repository root it registered an App with no permissions and no events; its
 * webhook URL was the site root (which 404s) instead of the webhook path.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { parse } from 'yaml';

const MANIFEST_PATH = new URL('../app.yml', import.meta.url);

export interface SetupOptions {
  /** GitHub's REST API base URL, where the manifest code is converted. */
  readonly apiBaseUrl: string;
  /** Where the form is posted: github.com's, or GitHub Enterprise Server's, "new App" page. */
  readonly createAppUrl: string;
  readonly webhookPath: string;
  /** The folder whose `.env` receives the credentials. */
  readonly envDirectory: string;
  readonly log: (message: string) => void;
}

/** `app/app.yml` with what only the running server knows: its webhook and redirect URLs. */
export function setupManifest(baseUrl: string, webhookPath: string): Record<string, unknown> {
  const manifest = parse(readFileSync(MANIFEST_PATH, 'utf8')) as Record<string, unknown>;
  return {
    ...manifest,
    url: typeof manifest.url === 'string' && !manifest.url.includes('OWNER') ? manifest.url : baseUrl,
    hook_attributes: { url: `${baseUrl}${webhookPath}`, active: true },
    redirect_url: `${baseUrl}/probot/setup`,
  };
}

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function baseUrlOf(req: IncomingMessage): string {
  const forwarded = req.headers['x-forwarded-proto'];
  const protocol = (typeof forwarded === 'string' ? forwarded.split(',')[0] : undefined) ?? 'http';
  const host = req.headers['x-forwarded-host'] ?? req.headers.host ?? 'localhost';
  return `${protocol}://${Array.isArray(host) ? host[0] : host}`;
}

/** Merges `values` into `.env` (one KEY=value a line, newlines escaped as Probot writes them). */
function updateEnvFile(directory: string, values: Record<string, string>): void {
  const path = join(directory, '.env');
  const kept = existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '' && !Object.keys(values).includes(line.split('=')[0] ?? ''))
    : [];
  const added = Object.entries(values).map(([key, value]) => `${key}=${value.replace(/\n/g, '\\n')}`);
  writeFileSync(path, `${[...kept, ...added].join('\n')}\n`, { mode: 0o600 });
}

/** Handles the setup routes; answers false for any other request. */
export async function handleSetup(
  req: IncomingMessage,
  res: ServerResponse,
  options: SetupOptions,
): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET') return false;
  if (url.pathname === '/') {
    res.writeHead(302, { location: '/probot' }).end();
    return true;
  }
  if (url.pathname === '/probot') {
    const manifest = JSON.stringify(setupManifest(baseUrlOf(req), options.webhookPath));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Set up Rollgate</title></head>
<body>
<h1>Set up Rollgate</h1>
<p>Register the Rollgate GitHub App with the events and permissions of <code>app/app.yml</code>.</p>
<form action="${escapeHtml(options.createAppUrl)}" method="post">
<input type="hidden" name="manifest" id="manifest" value="${escapeHtml(manifest)}">
<button type="submit">Register the GitHub App</button>
</form>
</body></html>
`);
    return true;
  }
  if (url.pathname === '/probot/setup') {
    const code = url.searchParams.get('code') ?? '';
    if (!/^[\w-]+$/.test(code)) {
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end('The code from GitHub is missing or invalid.\n');
      return true;
    }
    const response = await fetch(`${options.apiBaseUrl}/app-manifests/${code}/conversions`, {
      method: 'POST',
      headers: { accept: 'application/vnd.github+json' },
    });
    if (response.status !== 201) {
      res
        .writeHead(502, { 'content-type': 'text/plain' })
        .end(
          `GitHub answered ${response.status} to the manifest conversion: start the setup again from /probot.\n`,
        );
      return true;
    }
    const app = (await response.json()) as Record<string, unknown>;
    const text = (name: string): string => {
      const value = app[name];
      return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
    };
    updateEnvFile(options.envDirectory, {
      APP_ID: text('id'),
      PRIVATE_KEY: text('pem'),
      WEBHOOK_SECRET: text('webhook_secret'),
      GITHUB_CLIENT_ID: text('client_id'),
      GITHUB_CLIENT_SECRET: text('client_secret'),
    });
    options.log('The App is registered and its credentials are in .env: restart the server.');
    res.writeHead(302, { location: `${text('html_url')}/installations/new` }).end();
    return true;
  }
  return false;
}
