/**
 * The App's HTTP server in front of Probot: `GET /ping`, the webhook path, and (in setup mode)
 * the setup page. It replaces Probot's server, which buffered and decoded any body before
 * checking its signature, and handled SIGINT only, without waiting for handlers.
 *
 * A delivery is answered when its handlers finish (200, or 500 when one failed) or after
 * `ANSWER_WITHIN_MS` (202), so GitHub's 10 s timeout never fails a delivery whose handler is
 * waiting on the rate limiter (https://docs.github.com/webhooks/using-webhooks/best-practices-for-using-webhooks:
 * "Your server should respond with a 2XX response within 10 seconds").
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readSignedBody } from './signed-body.ts';

const ANSWER_WITHIN_MS = 6_000;

export interface WebhookEvent {
  readonly id: string;
  readonly name: string;
  readonly payload: unknown;
}

export interface WebhookServerOptions {
  readonly port: number;
  readonly host: string;
  readonly webhookPath: string;
  readonly maxBodyBytes: number;
  /** Verifies deliveries; undefined in setup mode, where no webhook is accepted. */
  readonly webhookSecret: string | undefined;
  /** Runs the handlers of one verified delivery. */
  readonly receive: (event: WebhookEvent) => Promise<void>;
  /** Other routes (the setup page): answers true when it handled the request. */
  readonly extraRoutes?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  readonly log: {
    info(message: string): void;
    warn(message: string): void;
    error(details: object, message: string): void;
  };
}

export interface WebhookServer {
  readonly url: string;
  /**
   * Stops accepting, waits up to `graceMs` for the handlers in flight, then closes every
   * connection. Resolves with the delivery ids of handlers still running then.
   */
  drain(graceMs: number): Promise<string[]>;
}

function json(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(`${JSON.stringify(body)}\n`);
}

/** Refuses a body without keeping it: answer, then read and drop what the client still sends. */
function refuseBody(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  json(res, status, { error: message }, { connection: 'close' });
  req.removeAllListeners('data');
  req.resume();
  // A client that keeps sending after the answer is cut off.
  setTimeout(() => req.socket.destroy(), 2_000).unref();
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const inFlight = new Map<string, Promise<void>>();
  const state = { draining: false };
  // A function, not a property read: the flag changes while a body is being read.
  const draining = (): boolean => state.draining;

  const onWebhook = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (draining()) {
      refuseBody(req, res, 503, 'The App is shutting down; redeliver this webhook in a minute.');
      return;
    }
    const secret = options.webhookSecret;
    if (secret === undefined) {
      refuseBody(req, res, 503, 'The App is in setup mode: register it at /probot first.');
      return;
    }
    const contentType = req.headers['content-type'] ?? '';
    if (!/^\s*application\/json\s*(;|$)/i.test(contentType)) {
      refuseBody(req, res, 415, 'The webhook content type must be application/json.');
      return;
    }
    const name = req.headers['x-github-event'];
    const id = req.headers['x-github-delivery'];
    if (typeof name !== 'string' || typeof id !== 'string' || name === '' || id === '') {
      refuseBody(req, res, 400, 'Required headers missing: x-github-event and x-github-delivery.');
      return;
    }
    const verdict = await readSignedBody(req, secret, options.maxBodyBytes);
    if (!verdict.ok) {
      options.log.warn(`webhook ${id} (${name}) refused with ${verdict.status}: ${verdict.message}`);
      refuseBody(req, res, verdict.status, verdict.message);
      return;
    }
    if (draining()) {
      json(res, 503, { error: 'The App is shutting down; redeliver this webhook in a minute.' });
      return;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(verdict.body.toString('utf8'));
    } catch {
      json(res, 400, { error: 'The payload is not JSON.' });
      return;
    }
    const handled = options.receive({ id, name, payload });
    // Two deliveries may share an id (a redelivery): keep each until it settles.
    const key = inFlight.has(id) ? `${id}#${String(Math.random())}` : id;
    const tracked = handled.then(
      () => undefined,
      () => undefined,
    );
    inFlight.set(key, tracked);
    void tracked.finally(() => inFlight.delete(key));

    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => {
        resolve('late');
      }, ANSWER_WITHIN_MS);
    });
    const outcome = await Promise.race([
      handled.then(
        () => 'ok' as const,
        (error: unknown) => error,
      ),
      deadline,
    ]);
    clearTimeout(timer);
    if (outcome === 'ok') json(res, 200, { ok: true });
    else if (outcome === 'late') {
      json(res, 202, { ok: true, message: 'still processing' });
      handled.catch((error: unknown) => {
        options.log.error({ err: error }, `webhook ${id} (${name}) failed after it was answered`);
      });
    } else {
      options.log.error({ err: outcome }, `webhook ${id} (${name}) failed`);
      json(res, 500, { error: `A handler failed for delivery ${id}; see the App's log.` });
    }
  };

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
    const route = async (): Promise<void> => {
      if (path === '/ping' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('PONG');
        return;
      }
      if (path === options.webhookPath.replace(/\/+$/, '')) {
        if (req.method === 'POST') await onWebhook(req, res);
        else json(res, 405, { error: `Only POST is accepted on ${options.webhookPath}.` }, { allow: 'POST' });
        return;
      }
      if (options.extraRoutes !== undefined && (await options.extraRoutes(req, res))) return;
      json(res, 404, { error: `Not found: ${req.method ?? 'GET'} ${path}` });
    };
    route().catch((error: unknown) => {
      options.log.error({ err: error }, `${req.method ?? 'GET'} ${path} failed`);
      if (!res.headersSent) json(res, 500, { error: 'Internal error; see the App log.' });
      else res.end();
    });
  });
  // Slow or stalled uploads are not kept open forever.
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  options.log.info(`Listening on ${url}`);

  return {
    url,
    async drain(graceMs) {
      state.draining = true;
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([Promise.all(inFlight.values()), grace]);
      clearTimeout(timer);
      const unfinished = [...inFlight.keys()];
      server.closeAllConnections();
      await closed;
      return unfinished;
    },
  };
}
