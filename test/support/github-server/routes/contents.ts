/**
 * Repository contents (https://docs.github.com/rest/repos/contents#get-repository-content): a file
 * as base64 JSON, or its raw text when asked for `application/vnd.github.raw` (Probot's
 * `context.config` asks for it), or a directory listing.
 */
import { buildContentFile, buildDirectoryEntry } from '../fixtures.ts';
import { ApiError, queryString, requireRepository, stringParam, type RouteTable } from './handler.ts';

const maxInlineBytes = 1024 * 1024;

export const contentRoutes: RouteTable = {
  'repos/get-content': (request, context) => {
    const repository = requireRepository(request, context);
    const ref = queryString(request, 'ref') ?? repository.defaultBranch;
    const sha = context.state.resolveRef(repository, ref);
    const commit = sha === undefined ? undefined : repository.commits.get(sha);
    if (!commit) throw new ApiError(404, `No commit found for the ref ${ref}`);
    const path = stringParam(request, 'path').replace(/^\/+|\/+$/g, '');
    const content = commit.tree.get(path);
    if (content !== undefined) {
      if (/application\/vnd\.github(\.v3)?\.raw/.test(request.headers.accept ?? '')) {
        return {
          status: 200,
          raw: { contentType: 'application/vnd.github.raw; charset=utf-8', text: content },
        };
      }
      const file = buildContentFile(context.links, repository, path, content, ref);
      // Files of 1–100 MB come back without their content ("content" empty, "encoding": "none"):
      // only the raw media type returns them (palantir/go-githubapp#227; GitHub changelog 2022-05-03).
      if (file.size > maxInlineBytes)
        return { status: 200, body: { ...file, content: '', encoding: 'none' } };
      return { status: 200, body: file };
    }
    const prefix = path === '' ? '' : `${path}/`;
    const children = new Map<string, string | undefined>();
    for (const [file, text] of commit.tree) {
      if (!file.startsWith(prefix)) continue;
      const [name = '', ...rest] = file.slice(prefix.length).split('/');
      children.set(`${prefix}${name}`, rest.length === 0 ? text : undefined);
    }
    if (children.size === 0) throw new ApiError(404, 'Not Found');
    const entries = [...children.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([entry, text]) =>
        buildDirectoryEntry(context.links, repository, { path: entry, content: text }, ref),
      );
    return { status: 200, body: entries };
  },
};
