/** A service to health-check: real HTTP or HTTPS on 127.0.0.1, a random port, scripted answers. */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface TargetRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  /** 1-based count of requests to this path so far. */
  readonly count: number;
}

export interface TargetAnswer {
  readonly status?: number;
  readonly body?: string | object;
  readonly headers?: Readonly<Record<string, string>>;
  readonly delayMs?: number;
}

export type TargetHandler = (request: TargetRequest) => TargetAnswer;

export interface HttpTarget {
  readonly url: string;
  readonly requests: TargetRequest[];
  close(): Promise<void>;
}

/** Starts a server that answers every request with `handler`'s answer. */
export async function startHttpTarget(
  handler: TargetHandler,
  tls?: { cert: string; key: string },
): Promise<HttpTarget> {
  const requests: TargetRequest[] = [];
  const counts = new Map<string, number>();
  const listener: http.RequestListener = (req, res) => {
    const path = req.url ?? '/';
    const count = (counts.get(path) ?? 0) + 1;
    counts.set(path, count);
    const request = { method: req.method ?? 'GET', path, headers: req.headers, count };
    requests.push(request);
    const answer = handler(request);
    const body = typeof answer.body === 'object' ? JSON.stringify(answer.body) : (answer.body ?? 'ok');
    const send = (): void => {
      res.writeHead(answer.status ?? 200, {
        'content-type': typeof answer.body === 'object' ? 'application/json' : 'text/plain',
        ...answer.headers,
      });
      res.end(body);
    };
    req.resume();
    if (answer.delayMs) setTimeout(send, answer.delayMs);
    else send();
  };
  const server = tls
    ? https.createServer({ cert: tls.cert, key: tls.key }, listener)
    : http.createServer(listener);
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((closed) => {
        server.closeAllConnections();
        server.close(() => {
          closed();
        });
      }),
  };
}

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  await new Promise((closed) => server.close(closed));
  return port;
}
