/**
 * The dashboard's GitHub reads, cached per installation with ETags. A read GitHub answered before
 * is sent again as a conditional request (`If-None-Match: <its ETag>`); when nothing changed
 * GitHub answers `304 Not Modified` with no body, and the cached answer is returned. "Making a conditional request does not count against
 * your primary rate limit if a 304 response is returned and the request was made while correctly
 * authorized with an Authorization header" (docs.github.com, REST API best practices, "Use
 * conditional requests if appropriate":
 * https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).
 *
 * GitHub also says how long an answer may be reused without asking: `Cache-Control: private,
 * max-age=60, s-maxage=60` on authorized reads (seen on api.github.com's answers and their 304s).
 * A cached answer younger than that is returned without a request — except that every change the
 * App hears of (a `deployment`, `deployment_status` or `check_run` webhook, a lock taken or
 * released: the dashboard's events, from every replica) makes that repository's answers stale at
 * once (`invalidate`), and so does any write made through an attached Octokit. What changes
 * without the App hearing of it (an environment added in the settings) shows within a minute.
 *
 * An Octokit request hook (`attach`), for the installation Octokits the dashboard reads with; the
 * key is the installation, the `Accept` header and the whole URL (query included: pages and
 * filters are answers of their own). Octokit turns a 304 into a `RequestError` with status 304
 * (`@octokit/request`), which the hook turns back into the cached answer. Bounded in memory:
 * least recently used entries go first once the cached bodies pass `maxBytes`. A cached answer is
 * the same object for every caller: readers treat it as read-only (copy before sorting in place).
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
  /** `owner/repo` (lower case) of a `/repos/{owner}/{repo}/…` read. */
  readonly repository: string | undefined;
  /** Until when it is returned without asking GitHub (ms since the epoch). */
  freshUntil: number;
}

export interface EtagCacheOptions {
  /** 16 MiB (`DEFAULT_MAX_BYTES`) by default. */
  readonly maxBytes?: number;
  /** The longest an answer is reused without asking, whatever GitHub allows; 60 s by default. */
  readonly maxFreshMs?: number;
  readonly now?: () => number;
}

export interface EtagCacheStats {
  /** Reads answered from the cache without a request (fresh). */
  readonly fresh: number;
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

/** How long `Cache-Control` lets a private cache reuse an answer, in ms (0: ask every time). */
export function maxAgeMs(cacheControl: unknown): number {
  if (typeof cacheControl !== 'string') return 0;
  const directives = cacheControl
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (directives.some((d) => d === 'no-cache' || d === 'no-store')) return 0;
  const age = directives.map((d) => /^max-age=(\d+)$/.exec(d)?.[1]).find((v) => v !== undefined);
  return age === undefined ? 0 : Number(age) * 1000;
}

/** `owner/repo` of a `/repos/{owner}/{repo}/…` URL, lower case (GitHub's names ignore case). */
export function repositoryOf(url: string): string | undefined {
  const path = URL.canParse(url) ? new URL(url).pathname : url;
  const match = /(?:^|\/)repos\/([^/?#]+)\/([^/?#]+)/.exec(path);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return `${decodeURIComponent(match[1])}/${decodeURIComponent(match[2])}`.toLowerCase();
}

/** The request options Octokit's hook sees: its route template, parameters and headers. */
interface RequestOptions {
  readonly url: string;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly [parameter: string]: unknown;
}

/**
 * What identifies a read: the base URL, the route and its parameters (the URL they expand to),
 * the media type. Built from Octokit's options rather than by expanding the URL (Octokit's
 * `endpoint.parse`), which costs more than the whole cached read; the same call always merges its
 * options in the same order.
 */
function requestKey(options: RequestOptions): string {
  const { headers, request: _request, ...rest } = options;
  return `${String(headers.accept)} ${JSON.stringify(rest)}`;
}

/** The repository a request is about, from its route's `{owner}`/`{repo}` or a literal `/repos/o/r` path. */
function repositoryOfRequest(options: RequestOptions): string | undefined {
  if (options.url.startsWith('/repos/{owner}/{repo}')) {
    const { owner, repo } = options;
    return typeof owner === 'string' && typeof repo === 'string'
      ? `${owner}/${repo}`.toLowerCase()
      : undefined;
  }
  return repositoryOf(options.url);
}

const headersOf = (error: unknown): Record<string, unknown> =>
  (error as { response?: { headers?: Record<string, unknown> } } | null)?.response?.headers ?? {};

export class EtagCache {
  readonly #maxBytes: number;
  readonly #maxFreshMs: number;
  readonly #now: () => number;
  /** In least-recently-used order: a Map iterates in insertion order, and a hit re-inserts. */
  readonly #entries = new Map<string, Entry>();
  readonly #attached = new WeakSet<object>();
  #bytes = 0;
  #fresh = 0;
  #notModified = 0;
  #full = 0;

  constructor(options: EtagCacheOptions = {}) {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isFinite(maxBytes) || maxBytes <= 0) throw new Error('the ETag cache needs a positive size');
    this.#maxBytes = maxBytes;
    this.#maxFreshMs = options.maxFreshMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Makes every answer about `repository` (`owner/repo`) stale: the next read asks GitHub (conditionally). */
  invalidate(repository: string): void {
    const wanted = repository.toLowerCase();
    for (const entry of this.#entries.values()) if (entry.repository === wanted) entry.freshUntil = 0;
  }

  get stats(): EtagCacheStats {
    return {
      fresh: this.#fresh,
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
      const repository = repositoryOfRequest(options);
      if (options.method.toUpperCase() !== 'GET') {
        // What this Octokit writes, its next reads of the repository must see: stale before the
        // write and again after it (a read meanwhile may have cached what was there before).
        if (repository === undefined) return request(options);
        this.invalidate(repository);
        try {
          return await request(options);
        } finally {
          this.invalidate(repository);
        }
      }
      type Response = Awaited<ReturnType<typeof request>>;
      const key = `${installationId} ${requestKey(options)}`;
      const cached = this.#get(key);
      if (cached !== undefined && cached.freshUntil > this.#now()) {
        this.#fresh++;
        return cached.response as Response;
      }
      if (cached !== undefined) options.headers = { ...options.headers, 'if-none-match': cached.etag };
      try {
        const response = await request(options);
        this.#full++;
        const etag = response.headers.etag;
        if (typeof etag === 'string' && etag !== '')
          this.#put(key, etag, repository, maxAgeMs(response.headers['cache-control']), {
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
        cached.freshUntil = this.#freshUntil(maxAgeMs(headersOf(error)['cache-control']));
        return cached.response as Response;
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

  #freshUntil(maxAge: number): number {
    return this.#now() + Math.min(maxAge, this.#maxFreshMs);
  }

  #put(
    key: string,
    etag: string,
    repository: string | undefined,
    maxAge: number,
    response: CachedResponse,
  ): void {
    this.#delete(key);
    const body = response.data === undefined ? '' : JSON.stringify(response.data);
    const bytes = Buffer.byteLength(key) + Buffer.byteLength(etag) + Buffer.byteLength(body);
    // An answer larger than the whole cache is not kept (it would evict everything for nothing).
    if (bytes > this.#maxBytes) return;
    this.#entries.set(key, { etag, response, bytes, repository, freshUntil: this.#freshUntil(maxAge) });
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
