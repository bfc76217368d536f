import { InputError } from '../errors.ts';

/** An image reference split the way Docker reads it. */
export interface ImageReference {
  /** Canonical repository: `docker.io/library/nginx` for `nginx`. */
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

// distribution/reference's grammar (reference/regexp.go): path components of lower-case
// alphanumerics joined by '.', '_', '__' or dashes; a domain before the first '/' when it has a
// '.' or ':' or is 'localhost' (normalize.go splitDockerDomain).
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Parses `[domain/]path[:tag][@digest]` and canonicalises Docker Hub names (`nginx`,
 * `docker.io/nginx`, `index.docker.io/library/nginx` → `docker.io/library/nginx`) so that
 * references to one repository compare equal whatever form they were written in.
 */
export function parseImageReference(input: string, raw: string): ImageReference {
  const text = raw.trim();
  const bad = (): never => {
    throw new InputError(
      input,
      `'${raw}' is not an image reference`,
      `Write it as repository:tag or repository@sha256:…, in lower case, for example 'ghcr.io/acme/api:1.4.0'.`,
    );
  };
  const at = text.indexOf('@');
  const digest = at >= 0 ? text.slice(at + 1) : undefined;
  const named = at >= 0 ? text.slice(0, at) : text;
  const lastSlash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const tag = colon > lastSlash ? named.slice(colon + 1) : undefined;
  const name = colon > lastSlash ? named.slice(0, colon) : named;
  if ((digest !== undefined && !DIGEST.test(digest)) || (tag !== undefined && !TAG.test(tag))) return bad();

  const parts = name.split('/');
  const first = parts[0] ?? '';
  const hasDomain =
    parts.length > 1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  const domain = hasDomain ? first : 'docker.io';
  const path = hasDomain ? parts.slice(1) : parts;
  if (!DOMAIN.test(domain) || path.length === 0 || !path.every((component) => COMPONENT.test(component)))
    return bad();
  const canonicalDomain = domain === 'index.docker.io' ? 'docker.io' : domain;
  const canonicalPath = canonicalDomain === 'docker.io' && path.length === 1 ? ['library', ...path] : path;
  return { repository: `${canonicalDomain}/${canonicalPath.join('/')}`, tag, digest };
}

/** Whether `image` (any reference form) is of the canonical `repository`; unparsable images are not. */
export function isImageOf(image: string, repository: string): boolean {
  try {
    return parseImageReference('image', image).repository === repository;
  } catch {
    return false;
  }
}
