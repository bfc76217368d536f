/**
 * `requires.branches` entries: branch names and globs, matched as GitHub matches deployment
 * branch policies ("Wildcard characters will not match `/`", REST API, "Create a deployment
 * branch policy", which points to Ruby's File.fnmatch). So `*` is any run of
 * characters but `/`, `?` one character but `/`, and `**` any run including `/` (`release/**`
 * matches `release/2026/q1`). Everything else is literal and case-sensitive, as git's ref names
 * are; `[` cannot occur in a branch name (git check-ref-format), so no character classes are needed.
 *
 * Matched by dynamic programming over pattern and name, never by a regular expression built
 * from user text: a pattern such as `*a*a*a*a*b` costs length × length, not exponential time.
 */

type Token = 'one' | 'star' | 'globstar' | { readonly literal: string };

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  const chars = Array.from(pattern);
  for (let index = 0; index < chars.length; index++) {
    const char = chars[index] ?? '';
    if (char === '*' && chars[index + 1] === '*') {
      tokens.push('globstar');
      while (chars[index + 1] === '*') index++;
    } else if (char === '*') tokens.push('star');
    else if (char === '?') tokens.push('one');
    else tokens.push({ literal: char });
  }
  return tokens;
}

/** Whether `branch` matches the name or glob `pattern`. */
export function branchMatches(pattern: string, branch: string): boolean {
  const tokens = tokenize(pattern);
  const chars = Array.from(branch);
  // after[j]: whether tokens[i..] match chars[j..], for the current i, built from the last token back.
  let after: boolean[] = chars.map(() => false).concat(true);
  for (let i = tokens.length - 1; i >= 0; i--) {
    const token = tokens[i] ?? 'one';
    const here: boolean[] = new Array<boolean>(chars.length + 1).fill(false);
    for (let j = chars.length; j >= 0; j--) {
      const char = chars[j];
      if (token === 'star' || token === 'globstar') {
        // Match nothing, or take one character and stay on the same token.
        const canTake = char !== undefined && (token === 'globstar' || char !== '/');
        here[j] = (after[j] ?? false) || (canTake && (here[j + 1] ?? false));
      } else if (token === 'one') {
        here[j] = char !== undefined && char !== '/' && (after[j + 1] ?? false);
      } else {
        here[j] = char === token.literal && (after[j + 1] ?? false);
      }
    }
    after = here;
  }
  return after[0] ?? false;
}
