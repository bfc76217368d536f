import type http from 'node:http';
import type https from 'node:https';

/** The outcome of one probe: an HTTP response (any status), or a named transport failure. */
export type ProbeOutcome =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly body: string;
      readonly latencyMs: number;
      readonly url: string;
    }
  | { readonly kind: 'error'; readonly error: string; readonly latencyMs: number };

export interface ProbeRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly maxRedirects: number;
}

/** The port the health check probes through; production uses {@link createHttpProber}. */
export interface HealthProber {
  probe(request: ProbeRequest): Promise<ProbeOutcome>;
  close(): void;
}

/** Bodies beyond this are not needed to judge health and are cut off. */
const MAX_BODY_BYTES = 1024 * 1024;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

type Clients = { 'http:': typeof http; 'https:': typeof https };
type Agents = { 'http:': http.Agent; 'https:': https.Agent };

/**
 * An HTTP(S) prober on Node's own client with keep-alive connections, following redirects.
 * `node:http` is loaded here, not at start-up: it costs more than the rest of an action's start.
 */
export async function createHttpProber(
  now: () => number = performance.now.bind(performance),
): Promise<HealthProber> {
  const [{ default: httpClient }, { default: httpsClient }] = await Promise.all([
    import('node:http'),
    import('node:https'),
  ]);
  const clients: Clients = { 'http:': httpClient, 'https:': httpsClient };
  const agents: Agents = {
    'http:': new httpClient.Agent({ keepAlive: true }),
    'https:': new httpsClient.Agent({ keepAlive: true }),
  };
  return {
    async probe(request) {
      const started = now();
      let url = request.url;
      let method = request.method;
      for (let redirects = 0; ; redirects++) {
        const remaining = request.timeoutMs - (now() - started);
        const result = await exchange(clients, agents, url, method, request.headers, remaining);
        if ('error' in result) return { kind: 'error', error: result.error, latencyMs: now() - started };
        const location = result.location;
        if (!REDIRECTS.has(result.status) || location === undefined || request.maxRedirects === 0) {
          return {
            kind: 'response',
            status: result.status,
            body: result.body,
            latencyMs: now() - started,
            url: url.href,
          };
        }
        if (redirects >= request.maxRedirects) {
          return {
            kind: 'error',
            error: `too many redirects (more than ${request.maxRedirects}; last to ${location})`,
            latencyMs: now() - started,
          };
        }
        url = new URL(location, url);
        if (result.status === 303 || ((result.status === 301 || result.status === 302) && method === 'POST'))
          method = 'GET';
      }
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

type Exchange = { status: number; body: string; location: string | undefined } | { error: string };

function exchange(
  clients: Clients,
  agents: Agents,
  url: URL,
  method: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<Exchange> {
  return new Promise((resolve) => {
    if (timeoutMs <= 0) {
      resolve({ error: 'timed out before a response' });
      return;
    }
    const secure = url.protocol === 'https:';
    const request = secure ? clients['https:'].request : clients['http:'].request;
    const req = request(
      url,
      {
        method,
        headers: { 'user-agent': 'rollgate-health-check', ...headers },
        agent: secure ? agents['https:'] : agents['http:'],
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_BODY_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          clearTimeout(timer);
          const location = res.headers.location;
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8'),
            location,
          });
        });
        res.on('error', (error) => {
          clearTimeout(timer);
          resolve({ error: describeTransportError(error) });
        });
      },
    );
    // `timeout` on the request is an idle timeout; the overall budget is enforced here.
    const timer = setTimeout(
      () => req.destroy(Object.assign(new Error('timeout'), { code: 'ROLLGATE_TIMEOUT' })),
      timeoutMs,
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ROLLGATE_TIMEOUT' })));
    req.on('error', (error) => {
      clearTimeout(timer);
      resolve({ error: describeTransportError(error, timeoutMs) });
    });
    req.end();
  });
}

const TLS_REASONS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'a self-signed certificate is in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate chain cannot be verified (missing intermediate?)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer certificate is not trusted here',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate does not name this host',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server did not speak TLS (is it plain http?)',
};

/** Names a transport failure the way an operator thinks of it: refused, DNS, TLS, timeout, reset. */
export function describeTransportError(error: Error & { code?: string }, timeoutMs?: number): string {
  const code = error.code ?? '';
  if (code === 'ROLLGATE_TIMEOUT')
    return `timed out after ${timeoutMs === undefined ? '?' : Math.round(timeoutMs)} ms`;
  if (code in TLS_REASONS) return `TLS error: ${TLS_REASONS[code] ?? code} (${code})`;
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /certificate|ssl|tls/i.test(error.message))
    return `TLS error: ${error.message}${code ? ` (${code})` : ''}`;
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused (${code}): nothing listens on that port`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `DNS lookup failed (${code}): the host name does not resolve`;
    case 'ECONNRESET':
      return `connection reset by the server (${code})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host unreachable (${code})`;
    case 'ETIMEDOUT':
      return `connection timed out (${code})`;
    default:
      return code ? `connection error: ${error.message} (${code})` : `connection error: ${error.message}`;
  }
}
