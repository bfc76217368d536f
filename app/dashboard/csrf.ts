/**
 * Cross-site request forgery protection for the dashboard's actions, two independent checks that a
 * POST must both pass (OWASP's CSRF Prevention Cheat Sheet: a synchronizer token, plus verifying
 * the source with Fetch Metadata or the Origin header,
 * https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html):
 * - a synchronizer token: a random secret made at sign-in and kept only inside the sealed session
 *   cookie, which a page puts into its forms masked with fresh random bytes each time (so the
 *   bytes on the page never repeat, as Django and Rails mask theirs against compression oracles);
 *   another site can neither read the page nor open the cookie;
 * - the request's source: `Sec-Fetch-Site: same-origin` (https://www.w3.org/TR/fetch-metadata/),
 *   or, from a browser that sends no Fetch Metadata, an `Origin` equal to the dashboard's own.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

const SECRET_BYTES = 32;

/** A new session's CSRF secret (base64url). */
export function newCsrfSecret(random: (size: number) => Buffer = randomBytes): string {
  return random(SECRET_BYTES).toString('base64url');
}

/** A form's token for `secret`: a random mask and the secret XOR the mask, base64url. */
export function csrfToken(secret: string, random: (size: number) => Buffer = randomBytes): string {
  const plain = Buffer.from(secret, 'base64url');
  const mask = random(plain.length);
  const masked = Buffer.alloc(plain.length);
  for (let i = 0; i < plain.length; i++) masked[i] = (plain[i] ?? 0) ^ (mask[i] ?? 0);
  return Buffer.concat([mask, masked]).toString('base64url');
}

/** Whether `token` (a form field, untrusted) was made by `csrfToken` for `secret`. */
export function csrfTokenMatches(secret: string, token: string | undefined): boolean {
  if (token === undefined || !/^[A-Za-z0-9_-]+$/.test(token)) return false;
  const plain = Buffer.from(secret, 'base64url');
  const sent = Buffer.from(token, 'base64url');
  if (plain.length !== SECRET_BYTES || sent.length !== 2 * plain.length) return false;
  const unmasked = Buffer.alloc(plain.length);
  for (let i = 0; i < plain.length; i++) unmasked[i] = (sent[i] ?? 0) ^ (sent[i + plain.length] ?? 0);
  return timingSafeEqual(unmasked, plain);
}

/** The headers that tell where a request came from. */
export interface SourceHeaders {
  readonly origin?: string | undefined;
  readonly 'sec-fetch-site'?: string | undefined;
}

/**
 * Why a POST does not come from the dashboard's own pages, or undefined when it does. A browser
 * sends `Sec-Fetch-Site` with every request to a secure or loopback origin; anything but
 * `same-origin` (a sibling subdomain is `same-site`, a link from elsewhere `cross-site`) is
 * refused. An `Origin` that is present must be the dashboard's own; `Origin: null` (a sandboxed
 * frame, a page under `Referrer-Policy: no-referrer`, https://fetch.spec.whatwg.org/#serializing-a-request-origin)
 * proves nothing. With neither header there is no evidence at all, and the POST is refused.
 */
export function sourceProblem(headers: SourceHeaders, origin: string): string | undefined {
  const site = headers['sec-fetch-site'];
  const sentOrigin = headers.origin;
  if (site !== undefined && site !== 'same-origin')
    return `the browser says the request came from another site (Sec-Fetch-Site: ${site})`;
  if (sentOrigin !== undefined && sentOrigin !== 'null' && sentOrigin !== origin)
    return `the request came from ${sentOrigin}, not from ${origin}`;
  if (site === undefined && sentOrigin !== origin)
    return 'the request does not say where it came from (no Sec-Fetch-Site, no Origin of this dashboard)';
  return undefined;
}
