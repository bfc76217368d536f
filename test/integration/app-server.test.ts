/**
 * The App's HTTP edge under hostile and unusual input, as `npm start` runs it: oversized bodies,
 * forged signatures, missing secrets, the setup page and a SIGTERM while a handler is working.
 */
import { eventually } from '../support/app-view.ts';
import { afterEach, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  startAppStand,
  startArguments,
  REPOSITORY,
  WEBHOOK_SECRET,
  type AppStand,
} from '../support/app-stand.ts';
import { closedPort } from '../support/http-target.ts';
import { repositoryRoot } from '../support/runner.ts';

let stand: AppStand | undefined;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  if (stand === undefined) return;
  const current = stand;
  stand = undefined;
  current.github.assertNoViolations();
  await current.close();
});

async function start(options: Parameters<typeof startAppStand>[0] = {}): Promise<AppStand> {
  stand = await startAppStand(options);
  return stand;
}

function reactions(s: AppStand, commentId: number): string[] {
  return s.github.state
    .seeded(REPOSITORY)
    .reactions.filter((r) => r.commentId === commentId)
    .map((r) => r.content);
}

/** A POST of `body` to the webhook path as a client would send it; resolves with the status. */
async function post(s: AppStand, body: Buffer, signature: string | undefined): Promise<number> {
  const response = await fetch(`${s.url}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'issue_comment',
      'x-github-delivery': `hostile-${Math.random()}`,
      ...(signature === undefined ? {} : { 'x-hub-signature-256': signature }),
    },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

/** A body that streams past the cap without declaring its length (chunked). */
function streamChunked(s: AppStand, totalBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${s.url}/api/github/webhooks`);
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issue_comment',
        'x-github-delivery': 'chunked-flood',
        'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      },
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    const pump = (): void => {
      while (!answered && sent < totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** Runs `npm start` with `env` until it exits or answers /ping; the exit code and its output. */
async function startOnce(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string; stop: () => Promise<void> }> {
  const port = await closedPort();
  const child = spawn(process.execPath, startArguments(), {
    cwd: repositoryRoot,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  const started = Date.now();
  while (child.exitCode === null && Date.now() - started < 20_000) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/ping`);
      if ((await response.text()) === 'PONG') return { code: null, output, stop };
    } catch {
      // not listening (yet)
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const code = await Promise.race([
    exited,
    new Promise<null>((resolve) =>
      setTimeout(() => {
        resolve(null);
      }, 1000),
    ),
  ]);
  return { code, output, stop };
}

async function refusesConnections(url: string): Promise<boolean> {
  for (let i = 0; i < 250; i++) {
    try {
      await fetch(`${url}/ping`);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

const privateKey = (): string =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;

/**
 * A proxy in front of the GitHub test server that can hold the answer to chosen requests, as a
 * slow GitHub would, until the test releases it.
 */
async function holdingProxy(target: string): Promise<{
  host: string;
  hold(method: string, path: RegExp): { seen: Promise<void>; release(): void };
  close(): Promise<void>;
}> {
  const holds: { method: string; path: RegExp; seen: () => void; released: Promise<void> }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const index = holds.findIndex((h) => h.method === req.method && h.path.test(req.url ?? ''));
      const held = index === -1 ? undefined : holds.splice(index, 1)[0];
      held?.seen();
      const forward = (): void => {
        const upstream = http.request(
          `${target}${req.url ?? '/'}`,
          { method: req.method, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.end(Buffer.concat(chunks));
      };
      if (held) void held.released.then(forward);
      else forward();
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold(method, path) {
      let seen!: () => void;
      let release!: () => void;
      const seenPromise = new Promise<void>((resolve) => (seen = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.push({ method, path, seen, released });
      return { seen: seenPromise, release };
    },
    close: () =>
      new Promise((closed) => {
        server.closeAllConnections();
        server.close(() => {
          closed();
        });
      }),
  };
}

describe('the App refuses hostile deliveries and stays up', () => {
  test('a 40 MB unsigned POST gets 413 and the next signed /deploy is served', async () => {
    const s = await start();
    expect(await post(s, Buffer.alloc(40 * 1024 * 1024, 0x20), undefined)).toBe(413);
    const { status, commentId } = await s.comment('/deploy staging');
    expect(status).toBe(200);
    await eventually(() => reactions(s, commentId).includes('rocket'), 'the /deploy after the flood');
    expect(s.github.callsTo('repos/create-deployment')).toHaveLength(1);
  });

  test('six concurrent 10 MB POSTs with forged signatures get 401 without running a handler; memory stays small', async () => {
    const s = await start();
    const forged = `sha256=${'0'.repeat(64)}`;
    const statuses = await Promise.all(
      Array.from({ length: 6 }, () => post(s, Buffer.alloc(10 * 1024 * 1024, 0x20), forged)),
    );
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
    expect(s.github.calls).toHaveLength(0);
    expect(peakRssMiB(s.pid!)).toBeLessThan(200);
    const { status, commentId } = await s.comment('/deploy staging');
    expect(status).toBe(200);
    await eventually(() => reactions(s, commentId).includes('rocket'), 'the /deploy after the flood');
  });

  test('a body that streams past 25 MB without a content-length is cut off with 413', async () => {
    const s = await start();
    expect(await streamChunked(s, 40 * 1024 * 1024)).toBe(413);
    expect(await (await fetch(`${s.url}/ping`)).text()).toBe('PONG');
    expect(s.github.calls).toHaveLength(0);
  });

  test('the signature is checked on the bytes GitHub sent, not on the JSON re-serialised', async () => {
    const s = await start();
    const seeded = s.github.state.addComment(REPOSITORY, s.pullNumber, { user: 'octocat', body: '/status' });
    const payload = s.commentPayload(seeded.id, '/status', 'octocat');
    // Pretty-printed bytes differ from JSON.stringify of what they parse to: an HMAC over a
    // re-serialised body would never match what GitHub signed.
    const raw = Buffer.from(JSON.stringify(payload, null, 2));
    expect(raw.equals(Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8')))))).toBe(false);
    const sign = (bytes: Buffer) =>
      `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(bytes).digest('hex')}`;
    // Signed over the re-serialised JSON instead of the bytes sent: refused, nothing run.
    expect(await post(s, raw, sign(Buffer.from(JSON.stringify(payload))))).toBe(401);
    expect(s.github.calls).toHaveLength(0);
    // Signed over the bytes sent: taken, and the command answered.
    expect(await post(s, raw, sign(raw))).toBe(200);
    await eventually(() => reactions(s, seeded.id).includes('rocket'), 'the /status sent as raw bytes');
  });

  test('a small body with a wrong signature gets 401 and runs no handler', async () => {
    const s = await start();
    const payload = s.commentPayload(1, '/deploy staging', 'octocat');
    expect(await s.send('issue_comment', payload, { secret: 'not-the-secret' })).toBe(401);
    expect(await post(s, Buffer.from(JSON.stringify(payload)), undefined)).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(s.github.calls).toHaveLength(0);
  });
});

describe('the App refuses to start insecurely', () => {
  const base = (): Record<string, string> => ({
    APP_ID: '4242',
    PRIVATE_KEY: privateKey(),
    WEBHOOK_SECRET,
    GHE_HOST: '127.0.0.1:9',
    GHE_PROTOCOL: 'http',
  });

  test('without WEBHOOK_SECRET it exits non-zero and says why', async () => {
    const { WEBHOOK_SECRET: _secret, ...env } = base();
    const run = await startOnce(env);
    expect(run.code).toBe(1);
    expect(run.output).toContain('Rollgate cannot start: WEBHOOK_SECRET is not set.');
    expect(run.output).toContain("public default secret 'development'");
  });

  test('without WEBHOOK_SECRET but NODE_ENV=development it starts and warns', async () => {
    const { WEBHOOK_SECRET: _secret, ...env } = base();
    const run = await startOnce({ ...env, NODE_ENV: 'development', LOG_FORMAT: 'json' });
    cleanups.push(run.stop);
    expect(run.code).toBeNull();
    expect(run.output).toContain("webhooks are verified with the public secret 'development'");
  });

  test('with a private key that is not a PEM key it exits non-zero and says so', async () => {
    const run = await startOnce({ ...base(), PRIVATE_KEY: 'not a key' });
    expect(run.code).toBe(1);
    expect(run.output).toContain('The private key from PRIVATE_KEY is not a valid PEM private key.');
  });

  test('with a REDIS_URL that is not redis:// it exits non-zero, the password masked', async () => {
    const run = await startOnce({ ...base(), REDIS_URL: 'http://user:hunter2@cache:6379' });
    expect(run.code).toBe(1);
    expect(run.output).toContain("REDIS_URL 'http://***@cache:6379' is not a redis:// URL.");
    expect(run.output).not.toContain('hunter2');
  });

  test('without a private key it exits non-zero and says so', async () => {
    const { PRIVATE_KEY: _key, ...env } = base();
    const run = await startOnce(env);
    expect(run.code).toBe(1);
    expect(run.output).toContain('The App has no private key.');
  });

  test("without APP_ID the setup page offers app/app.yml's manifest, with the webhook path", async () => {
    const run = await startOnce({});
    cleanups.push(run.stop);
    expect(run.code).toBeNull();
    const port = /Listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(run.output)?.[1];
    const page = await (await fetch(`http://127.0.0.1:${port}/probot`)).text();
    expect(page).toContain('action="https://github.com/settings/apps/new"');
    const value = /name="manifest" id="manifest" value="([^"]*)"/.exec(page)?.[1] ?? '';
    const manifest = JSON.parse(
      value
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&'),
    ) as Record<string, unknown>;
    const file = parse(readFileSync(join(repositoryRoot, 'app/app.yml'), 'utf8')) as Record<string, unknown>;
    expect(manifest.public).toBe(false);
    expect(manifest.default_permissions).toEqual(file.default_permissions);
    expect(manifest.default_events).toEqual(file.default_events);
    expect(manifest.name).toBe('Rollgate');
    expect(manifest.hook_attributes).toEqual({
      url: `http://127.0.0.1:${port}/api/github/webhooks`,
      active: true,
    });
    expect(manifest.redirect_url).toBe(`http://127.0.0.1:${port}/probot/setup`);
  });
});

describe('SIGTERM', () => {
  test('lets a handler waiting on GitHub finish, refuses new connections, then exits 0', async () => {
    const proxies: Awaited<ReturnType<typeof holdingProxy>>[] = [];
    const s = await start({
      githubHost: async (github) => {
        const proxy = await holdingProxy(github.url);
        proxies.push(proxy);
        return proxy.host;
      },
    });
    const proxy = proxies[0]!;
    cleanups.push(() => proxy.close());
    const held = proxy.hold('POST', /\/repos\/octo-org\/hello-service\/deployments$/);
    const delivered = s.comment('/deploy staging');
    await held.seen;
    const exit = s.stop('SIGTERM');
    // No new connections once draining.
    expect(await refusesConnections(s.url)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(s.github.callsTo('repos/create-deployment')).toHaveLength(0);
    held.release();
    expect((await delivered).status).toBe(200);
    expect(await exit).toBe(0);
    const commentId = (await delivered).commentId;
    expect(reactions(s, commentId)).toEqual(['eyes', 'rocket']);
    expect(s.github.callsTo('repos/create-deployment')).toHaveLength(1);
    expect(s.log()).toContain('Every handler finished: exiting.');
  });
});
