const SECRET_QUERY =
  /^(?:.*token.*|.*secret.*|.*password.*|.*passwd.*|.*key|sig|signature|auth|authorization|code|x-amz-.*)$/i;

/**
 * A URL as it may be printed: credentials (`user:password@`) and the values of query
 * parameters that carry secrets (`token`, `api_key`, `sig`, …) become `***`. Works on text
 * that is not a valid URL too, since error messages quote what the user wrote.
 */
export function redactUrl(text: string): string {
  const withoutUserinfo = text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]*@/i, '$1***@');
  return withoutUserinfo.replace(/([?&])([^=&#]+)=([^&#]*)/g, (whole, separator: string, name: string) =>
    SECRET_QUERY.test(decodeURIComponentSafe(name)) ? `${separator}${name}=***` : whole,
  );
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The secrets a URL carries, in every form it may be printed (as written and percent-decoded):
 * the password of `user:password@` and the values of query parameters that carry secrets, by
 * the same rule as `redactUrl` — so what the log would show can be masked before it is shown.
 */
export function urlSecrets(text: string): string[] {
  const secrets: string[] = [];
  const password = /^[a-z][a-z0-9+.-]*:\/\/[^/@?#:]*:([^/@?#]+)@/i.exec(text)?.[1];
  if (password !== undefined) secrets.push(password, decodeURIComponentSafe(password));
  for (const [, name = '', value = ''] of text.matchAll(/[?&]([^=&#]+)=([^&#]*)/g)) {
    if (value !== '' && SECRET_QUERY.test(decodeURIComponentSafe(name)))
      secrets.push(value, decodeURIComponentSafe(value));
  }
  return [...new Set(secrets)];
}
