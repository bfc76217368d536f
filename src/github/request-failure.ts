/**
 * An Octokit `RequestError` reduced to what callers decide on: the HTTP status, GitHub's own
 * `message` from the body (Octokit's error message adds the URL and documentation link), and the
 * response headers (`x-accepted-github-permissions`, `retry-after`).
 */
export interface RequestFailure {
  readonly status: number;
  readonly message: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** The failure a rejected Octokit request carries; undefined for anything else thrown. */
export function requestFailure(error: unknown): RequestFailure | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  const status = Number(error.status);
  const response = 'response' in error ? error.response : undefined;
  const body = field(response, 'data');
  const said = field(body, 'message');
  const headers = field(response, 'headers');
  return {
    status,
    message: typeof said === 'string' ? said : error instanceof Error ? error.message : '',
    headers:
      typeof headers === 'object' && headers !== null ? (headers as Record<string, string | undefined>) : {},
  };
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && name in value
    ? (value as Record<string, unknown>)[name]
    : undefined;
}
