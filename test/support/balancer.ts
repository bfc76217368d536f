/**
 * One port in front of several App replicas, as a Kubernetes Service is in front of a
 * Deployment's pods: each HTTP request (a webhook delivery) goes whole to one replica, round robin
 * unless the test routes a delivery to a chosen one, and the replica's answer comes back as it is.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Forwarded {
  /** The `X-GitHub-Delivery` header, if the request had one. */
  readonly delivery: string | undefined;
  /** Which replica (its index in `targets`) the request went to. */
  readonly replica: number;
  /** The replica's status (502 when it could not be reached); undefined until it answers. */
  status: number | undefined;
}

export interface Balancer {
  readonly url: string;
  /** Every request forwarded so far, in the order they arrived. */
  readonly forwarded: readonly Forwarded[];
  /** Sends the next requests of `delivery` to these replicas, one each, in order (then round robin). */
  route(delivery: string, replicas: readonly number[]): void;
  /** Takes a replica out of the round robin, as a Service drops a pod that is gone from its endpoints. */
  remove(replica: number): void;
  /** Puts a replica back into the round robin (it runs again). */
  restore(replica: number): void;
  close(): Promise<void>;
}

/** Starts a balancer on a free port of 127.0.0.1 forwarding to `targets` (base URLs). */
export async function startBalancer(targets: readonly string[]): Promise<Balancer> {
  if (targets.length === 0) throw new Error('a balancer needs at least one target');
  const forwarded: Forwarded[] = [];
  const routes = new Map<string, number[]>();
  const removed = new Set<number>();
  let next = 0;
  const pick = (delivery: string | undefined): number => {
    const planned = delivery === undefined ? undefined : routes.get(delivery)?.shift();
    if (planned !== undefined) return planned;
    for (;;) {
      const index = next % targets.length;
      next++;
      if (!removed.has(index)) return index;
    }
  };
  const check = (replica: number): void => {
    if (!Number.isInteger(replica) || replica < 0 || replica >= targets.length)
      throw new Error(`no replica ${replica}: the balancer has ${targets.length}`);
  };

  const server = http.createServer((req, res) => {
    const header = req.headers['x-github-delivery'];
    const delivery = typeof header === 'string' ? header : undefined;
    const replica = pick(delivery);
    const entry: Forwarded = { delivery, replica, status: undefined };
    forwarded.push(entry);
    const target = new URL(req.url ?? '/', targets[replica]);
    const upstream = http.request(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        entry.status = answer.statusCode ?? 502;
      },
    );
    // A replica that is gone (killed, not listening) is answered as a proxy does: 502.
    upstream.once('error', () => {
      entry.status = 502;
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('Bad Gateway: the replica did not answer');
    });
    req.pipe(upstream);
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    route(delivery, replicas) {
      replicas.forEach(check);
      routes.set(delivery, [...(routes.get(delivery) ?? []), ...replicas]);
    },
    remove(replica) {
      check(replica);
      removed.add(replica);
      if (removed.size === targets.length) throw new Error('the balancer has no replica left');
    },
    restore(replica) {
      check(replica);
      removed.delete(replica);
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
