/**
 * Releases (https://docs.github.com/rest/releases/releases). "The latest release is the most recent
 * non-prerelease, non-draft release, sorted by the created_at attribute"; drafts have no tag yet.
 */
import { buildRelease } from '../fixtures.ts';
import type { ReleaseRecord } from '../state.ts';
import { integerParam, notFound, requireRepository, stringParam, type RouteTable } from './handler.ts';
import { paginate } from './pagination.ts';

const newestFirst = (a: ReleaseRecord, b: ReleaseRecord): number =>
  b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id;

export const releaseRoutes: RouteTable = {
  'repos/get-release': (request, context) => {
    const repository = requireRepository(request, context);
    const id = integerParam(request, 'release_id');
    const release = repository.releases.find((r) => r.id === id);
    if (!release) throw notFound();
    return { status: 200, body: buildRelease(context.links, repository, release) };
  },
  'repos/get-release-by-tag': (request, context) => {
    const repository = requireRepository(request, context);
    const tag = stringParam(request, 'tag');
    const release = repository.releases.find((r) => !r.draft && r.tagName === tag);
    if (!release) throw notFound();
    return { status: 200, body: buildRelease(context.links, repository, release) };
  },
  'repos/get-latest-release': (request, context) => {
    const repository = requireRepository(request, context);
    const release = repository.releases.filter((r) => !r.draft && !r.prerelease).sort(newestFirst)[0];
    if (!release) throw notFound();
    return { status: 200, body: buildRelease(context.links, repository, release) };
  },
  'repos/list-releases': (request, context) => {
    const repository = requireRepository(request, context);
    const page = paginate([...repository.releases].sort(newestFirst), request);
    return {
      status: 200,
      body: page.items.map((r) => buildRelease(context.links, repository, r)),
      headers: page.headers,
    };
  },
};
