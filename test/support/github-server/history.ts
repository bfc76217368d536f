/**
 * Git history over the in-memory commit graph: merge bases, `base...head` comparisons (what
 * `git log base..head` lists) and file diffs between two trees, with blob SHAs computed as git does.
 */
import { createHash } from 'node:crypto';
import type { CommitRecord, RepositoryRecord } from './state.ts';

/** The SHA git gives a file's content (`git hash-object`). */
export function blobSha(content: string): string {
  const bytes = Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** A stable SHA for a commit's tree. */
export function treeSha(tree: ReadonlyMap<string, string>): string {
  const entries = [...tree.entries()].sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha1')
    .update(entries.map(([path, content]) => `${path}\0${blobSha(content)}`).join('\n'))
    .digest('hex');
}

export interface Comparison {
  readonly mergeBase: string;
  /** Commits reachable from head but not from base, oldest first. */
  readonly ahead: readonly CommitRecord[];
  readonly behindBy: number;
  readonly status: 'identical' | 'ahead' | 'behind' | 'diverged';
}

/** Compares two commits as `GET /compare/{base}...{head}` does. */
export function compareCommits(repository: RepositoryRecord, base: string, head: string): Comparison {
  const fromBase = reachable(repository, base);
  const fromHead = reachable(repository, head);
  const ahead = [...fromHead.keys()].filter((sha) => !fromBase.has(sha));
  const behind = [...fromBase.keys()].filter((sha) => !fromHead.has(sha));
  // The nearest common ancestor: the shared commit fewest steps from head.
  const mergeBase =
    [...fromHead.entries()].filter(([sha]) => fromBase.has(sha)).sort((a, b) => a[1] - b[1])[0]?.[0] ?? base;
  const status =
    ahead.length === 0 && behind.length === 0
      ? 'identical'
      : behind.length === 0
        ? 'ahead'
        : ahead.length === 0
          ? 'behind'
          : 'diverged';
  const commits = ahead
    .map((sha) => repository.commits.get(sha))
    .filter((commit): commit is CommitRecord => commit !== undefined)
    .sort(
      (a, b) =>
        a.author.date.getTime() - b.author.date.getTime() || fromHead.get(b.sha)! - fromHead.get(a.sha)!,
    );
  return { mergeBase, ahead: commits, behindBy: behind.length, status };
}

/** Every commit reachable from `sha` with its distance in parent steps. */
function reachable(repository: RepositoryRecord, sha: string): Map<string, number> {
  const distances = new Map<string, number>();
  const queue: [string, number][] = [[sha, 0]];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const [current, distance] = next;
    if (distances.has(current)) continue;
    distances.set(current, distance);
    for (const parent of repository.commits.get(current)?.parents ?? []) queue.push([parent, distance + 1]);
  }
  return distances;
}

export interface FileChange {
  readonly filename: string;
  readonly status: 'added' | 'removed' | 'modified';
  readonly additions: number;
  readonly deletions: number;
  /** The blob after the change (before it, for a removed file). */
  readonly sha: string;
}

/** The files that differ between two trees, by path. */
export function diffTrees(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
): FileChange[] {
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  return paths.flatMap((filename): FileChange[] => {
    const old = before.get(filename);
    const now = after.get(filename);
    if (old === now) return [];
    if (old === undefined) {
      return [
        { filename, status: 'added', additions: lines(now).length, deletions: 0, sha: blobSha(now ?? '') },
      ];
    }
    if (now === undefined) {
      return [{ filename, status: 'removed', additions: 0, deletions: lines(old).length, sha: blobSha(old) }];
    }
    return [{ filename, status: 'modified', ...lineChanges(old, now), sha: blobSha(now) }];
  });
}

function lines(text: string | undefined): string[] {
  return text === undefined || text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/** Added and removed lines, counted as multisets (enough for counts; no patch is produced). */
function lineChanges(before: string, after: string): { additions: number; deletions: number } {
  const remaining = new Map<string, number>();
  for (const line of lines(before)) remaining.set(line, (remaining.get(line) ?? 0) + 1);
  let additions = 0;
  for (const line of lines(after)) {
    const count = remaining.get(line) ?? 0;
    if (count > 0) remaining.set(line, count - 1);
    else additions++;
  }
  const deletions = [...remaining.values()].reduce((sum, count) => sum + count, 0);
  return { additions, deletions };
}

/** The result of merging `theirs` into `ours` from their merge base: the files to change, or the conflicts. */
export type MergeResult =
  | { readonly ok: true; readonly changes: Readonly<Record<string, string | null>> }
  | { readonly ok: false; readonly conflicts: readonly string[] };

/** A three-way merge by whole files: a file both sides changed differently is a conflict. */
export function mergeTrees(
  base: ReadonlyMap<string, string>,
  ours: ReadonlyMap<string, string>,
  theirs: ReadonlyMap<string, string>,
): MergeResult {
  const changes: Record<string, string | null> = {};
  const conflicts: string[] = [];
  const oursChanged = new Set(diffTrees(base, ours).map((change) => change.filename));
  for (const { filename } of diffTrees(base, theirs)) {
    const incoming = theirs.get(filename) ?? null;
    if (oursChanged.has(filename) && (ours.get(filename) ?? null) !== incoming) conflicts.push(filename);
    else changes[filename] = incoming;
  }
  return conflicts.length > 0 ? { ok: false, conflicts } : { ok: true, changes };
}
