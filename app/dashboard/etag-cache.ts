/**
 * The dashboard's GitHub reads, cached per installation with ETags. Every page is still read
 * from GitHub, but a read GitHub answered before is sent as a conditional request
 * (`If-None-Match: <its ETag>`); when nothing changed GitHub answers `304 Not Modified` with no
 * body, and the cached answer is returned. "Making a conditional request does not count against
 * your primary rate limit if a 304 response is returned and the request was made while correctly
 * authorized with an Authorization header" (docs.github.com, REST API best practices, "Use
 * conditional requests if appropriate":
 * https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).
 *
 * An Octokit request hook (`attach`), for the installation Octokits the dashboard reads with; the
 * key is the installation, the `Accept` header and the whole URL (query included: pages and
 * filters are answers of their own). Octokit turns a 304 into a `RequestError` with status 304
 * (`@octokit/request`), which the hook turns back into the cached answer. Bounded in memory:
 * least recently used entries go first once the cached bodies pass `maxBytes`.
 */
import type { Octokit } from '@octokit/core';

/** What a cached read returns: Octokit's response, as it came the last time GitHub sent a body. */
interface CachedResponse {
  readonly status: number;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | number | undefined>>;
  readonly data: unknown;
}

interface Entry {
  readonly etag: string;
  readonly response: CachedResponse;
  readonly bytes: number;
}

export interface EtagCacheStats {
  /** Reads answered 304 and served from the cache. */
  readonly notModified: number;
  /** Reads GitHub answered with a body (first reads and changes). */
  readonly full: number;
  readonly entries: number;
  readonly bytes: number;
}

/**
 * 16 MiB of JSON: the reads of 1,000 environments (50 repositories' pages of deployments and
 * each environment's newest status) fit, and the parsed objects stay well inside the App's
 * 128 MiB heap (`npm start`'s --max-old-space-size).
 */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

const statusOf = (error: unknown): unknown => (error as { status?: unknown } | null)?.status;

export class EtagCache {
  readonly #maxBytes: number;
  /** In least-recently-used order: a Map iterates in insertion order, and a hit re-inserts. */
  readonly #entries = new Map<string, Entry>();
  readonly #attached = new WeakSet<object>();
  #bytes = 0;
  #notModified = 0;
  #full = 0;

  constructor(maxBytes = DEFAULT_MAX_BYTES) {
    if (!Number.isFinite(maxBytes) || maxBytes <= 0) throw new Error('the ETag cache needs a positive size');
    this.#maxBytes = maxBytes;
  }

  get stats(): EtagCacheStats {
    return {
      notModified: this.#notModified,
      full: this.#full,
      entries: this.#entries.size,
      bytes: this.#bytes,
    };
  }

  /** Makes `octokit`'s GETs conditional, cached under `installationId`. Once per instance. */
  attach(octokit: Pick<Octokit, 'hook' | 'request'>, installationId: number): void {
    if (this.#attached.has(octokit)) return;
    this.#attached.add(octokit);
    octokit.hook.wrap('request', async (request, options) => {
      if (options.method.toUpperCase() !== 'GET') return request(options);
      const parsed = octokit.request.endpoint.parse(options);
      const accept = parsed.headers.accept;
      const key = `${installationId} ${accept} ${parsed.url}`;
      const cached = this.#get(key);
      if (cached !== undefined) options.headers = { ...options.headers, 'if-none-match': cached.etag };
      try {
        const response = await request(options);
        this.#full++;
        const etag = response.headers.etag;
        if (typeof etag === 'string' && etag !== '')
          this.#put(key, etag, {
            status: response.status,
            url: response.url,
            headers: response.headers,
            data: response.data,
          });
        else this.#delete(key);
        return response;
      } catch (error) {
        if (cached === undefined || statusOf(error) !== 304) throw error;
        this.#notModified++;
        return cached.response as Awaited<ReturnType<typeof request>>;
      }
    });
  }

  #get(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  #put(key: string, etag: string, response: CachedResponse): void {
    this.#delete(key);
    const body = response.data === undefined ? '' : JSON.stringify(response.data);
    const bytes = Buffer.byteLength(key) + Buffer.byteLength(etag) + Buffer.byteLength(body);
    // An answer larger than the whole cache is not kept (it would evict everything for nothing).
    if (bytes > this.#maxBytes) return;
    this.#entries.set(key, { etag, response, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  #delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }
}
