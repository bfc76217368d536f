/**
 * Sealed cookies: a JSON value encrypted and authenticated with AES-256-GCM under the session key,
 * its cookie name as associated data (a sign-in cookie cannot pass for a session), and an expiry
 * inside the ciphertext. A cookie that was changed, cut, made for another name or has expired
 * opens as undefined. The user's GitHub token lives only in here: never in a URL, a page or a log.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Encrypts `value` for the cookie `name`, good until `expiresAt` (ms since the epoch). */
export function seal(key: Buffer, name: string, value: unknown, expiresAt: number): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(name));
  const plain = Buffer.from(JSON.stringify({ v: value, e: expiresAt }));
  const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return sealed.toString('base64url');
}

/** The value sealed for `name`, or undefined when the text is not such a cookie or has expired. */
export function open(key: Buffer, name: string, text: string, now: number): unknown {
  const sealed = Buffer.from(text, 'base64url');
  if (sealed.length < IV_BYTES + TAG_BYTES + 1) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(name));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
    const parsed = JSON.parse(plain.toString('utf8')) as { v?: unknown; e?: unknown };
    return typeof parsed.e === 'number' && parsed.e > now ? parsed.v : undefined;
  } catch {
    return undefined;
  }
}

/** The cookies of a `Cookie` header, by name (the first of a repeated name wins, as browsers send the most specific first). */
export function readCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    if (name !== '' && !cookies.has(name)) cookies.set(name, part.slice(at + 1).trim());
  }
  return cookies;
}

export interface CookieOptions {
  readonly path: string;
  /** Seconds; 0 deletes the cookie. */
  readonly maxAge: number;
  readonly secure: boolean;
}

/**
 * A `Set-Cookie` value: HttpOnly (no script reads it) and SameSite=Lax — sent on the top-level GET
 * that brings the user back from GitHub's authorize page, never on a cross-site POST or fetch.
 */
export function cookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${options.maxAge}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}
