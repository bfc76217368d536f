/**
 * The candidate a mistyped word most likely meant: the same word up to case and `_`/`-`
 * (`auto-deploy`, `selfApproval`), else the nearest by edit distance when it is near enough
 * to be a typo (`aproved` → `approvals`, `stagin` → `staging`), else nothing.
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const folded = fold(word);
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    if (fold(candidate) === folded) return candidate;
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  if (best === undefined) return undefined;
  const allowed = Math.ceil(Math.max(word.length, best.candidate.length) / 2);
  return best.distance <= allowed && best.distance < word.length ? best.candidate : undefined;
}

function fold(word: string): string {
  return word.toLowerCase().replace(/[_-]/g, '');
}

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and transpositions
 * of neighbours each cost 1, so `aprovals` and `apporvals` are both one step from `approvals`.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i];
    if (row === undefined) continue;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        distance = Math.min(distance, at(i - 2, j - 2) + 1);
      row[j] = distance;
    }
  }
  return at(a.length, b.length);
}
