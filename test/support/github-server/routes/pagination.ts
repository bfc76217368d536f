/**
 * GitHub's page-based pagination: `per_page` (default 30, at most 100) and `page`, with a `Link`
 * header naming the first, previous, next and last pages, which Octokit's `paginate` follows.
 */
import type { ApiRequest } from './handler.ts';

export interface Page<T> {
  readonly items: T[];
  readonly headers: Record<string, string>;
}

/** The page of `items` the request asks for, and its `Link` header. */
export function paginate<T>(items: readonly T[], request: ApiRequest): Page<T> {
  const perPage = Math.min(numberQuery(request, 'per_page') ?? 30, 100);
  const page = Math.max(numberQuery(request, 'page') ?? 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (target: number, rel: string): string => {
    const url = new URL(request.url);
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('page', String(target));
    return `<${url.href}>; rel="${rel}"`;
  };
  const links = [
    ...(page > 1 ? [link(page - 1, 'prev'), link(1, 'first')] : []),
    ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
  ];
  return {
    items: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}

function numberQuery(request: ApiRequest, name: string): number | undefined {
  const value = request.query[name];
  return typeof value === 'number' ? value : undefined;
}
