import { describe, expect, test } from '@jest/globals';
import type { GitRefsApi } from '../../src/github/environment-refs.ts';
import {
  deferredRef,
  deferRequest,
  isDue,
  listDeferred,
  takeDeferred,
  type DeferredRecord,
} from '../../src/github/deferred-refs.ts';

const repo = { owner: 'octo-org', repo: 'web' };

function githubError(status: number, message: string): Error {
  return Object.assign(new Error(message), { status, response: { data: { message } } });
}

/** Refs and commits in memory, with GitHub's semantics for the calls deferred refs make. */
function fakeGit() {
  const refs = new Map<string, string>();
  const commits = new Map<string, { message: string; parents: string[]; tree: string }>();
  let next = 0;
  /** Answers as a request does: later, a throw as a rejection. */
  const later = <T>(answer: () => T): Promise<T> => Promise.resolve().then(answer);
  const api = {
    createCommit: (p: { message: string; parents: string[]; tree: string }) =>
      later(() => {
        const sha = `c${++next}`;
        commits.set(sha, { message: p.message, parents: p.parents, tree: p.tree });
        return { data: { sha } };
      }),
    createRef: (p: { ref: string; sha: string }) =>
      later(() => {
        if (refs.has(p.ref)) throw githubError(422, 'Reference already exists');
        refs.set(p.ref, p.sha);
        return { data: {} };
      }),
    updateRef: (p: { ref: string; sha: string; force: boolean }) =>
      later(() => {
        const ref = `refs/${p.ref}`;
        const current = refs.get(ref);
        if (current === undefined) throw githubError(422, 'Reference does not exist');
        if (!p.force && !(commits.get(p.sha)?.parents.includes(current) ?? false))
          throw githubError(422, 'Update is not a fast forward');
        refs.set(ref, p.sha);
        return { data: {} };
      }),
    listMatchingRefs: (p: { ref: string }) =>
      later(() => ({
        data: [...refs]
          .filter(([ref]) => ref.startsWith(`refs/${p.ref}`))
          .map(([ref, sha]) => ({ ref, object: { sha } })),
      })),
    getCommit: (p: { commit_sha: string }) =>
      later(() => {
        const commit = commits.get(p.commit_sha);
        if (commit === undefined) throw githubError(404, 'Not Found');
        return { data: { sha: p.commit_sha, message: commit.message, tree: { sha: commit.tree } } };
      }),
  };
  return { api: api as unknown as GitRefsApi, refs, commits };
}

const base = { environment: 'Production', sha: 'a'.repeat(40), opensAt: '2027-03-01T08:00:00.000Z' };

describe('deferred request refs', () => {
  test.each<[string, DeferredRecord, string]>([
    ['a /deploy by its comment', { ...base, pull: 7, comment: 123456 }, 'refs/rollgate/deferred/123456'],
    [
      'a release by its id and environment',
      { ...base, kind: 'release', release: 42, tag: 'v2.0.0', publishedAt: '2027-03-01T07:00:00Z' },
      'refs/rollgate/deferred/release-42-production',
    ],
    [
      'a protection rule by its run and environment',
      { ...base, kind: 'protection', runId: 9 },
      'refs/rollgate/deferred/protection-9-production',
    ],
  ])('names %s, and reads the record back as written', async (_, record, ref) => {
    expect(deferredRef(record)).toBe(ref);
    const git = fakeGit();
    await deferRequest(git.api, repo, record, 'tree1');
    const [found] = await listDeferred(git.api, repo);
    expect(found).toEqual({ ref, commit: git.refs.get(ref), record });
  });

  test('a record written before kinds existed is a /deploy', async () => {
    const git = fakeGit();
    git.commits.set('old', {
      message: `rollgate deferred production\n\n${JSON.stringify({ ...base, pull: 7, comment: 5 })}`,
      parents: [],
      tree: 't',
    });
    git.refs.set('refs/rollgate/deferred/5', 'old');
    git.commits.set('odd', {
      message: `x\n\n${JSON.stringify({ ...base, kind: 'other' })}`,
      parents: [],
      tree: 't',
    });
    git.refs.set('refs/rollgate/deferred/odd', 'odd');
    expect((await listDeferred(git.api, repo)).map((d) => d.record)).toEqual([
      { ...base, pull: 7, comment: 5 },
    ]);
  });

  test('deferring twice keeps the first; of two takes of one request only one lands', async () => {
    const git = fakeGit();
    const record: DeferredRecord = {
      ...base,
      kind: 'release',
      release: 42,
      tag: 'v2.0.0',
      publishedAt: '2027-03-01T07:00:00Z',
    };
    await deferRequest(git.api, repo, record, 'tree1');
    await deferRequest(git.api, repo, { ...record, opensAt: '2027-03-02T00:00:00.000Z' }, 'tree1');
    const [deferred] = await listDeferred(git.api, repo);
    expect(deferred?.record.opensAt).toBe(base.opensAt);
    const now = Date.parse(base.opensAt) + 1_000;
    expect(isDue(deferred!.record, now)).toBe(true);
    const takes = await Promise.all([
      takeDeferred(git.api, repo, deferred!, now),
      takeDeferred(git.api, repo, deferred!, now),
    ]);
    expect(takes.filter(Boolean)).toHaveLength(1);
    const [taken] = await listDeferred(git.api, repo);
    expect(isDue(taken!.record, now)).toBe(false);
  });
});
