/**
 * Seeded pull-request comments for fuzzing the command parser and the App: valid commands carrying
 * hostile values, near-misses, unicode, control characters, Markdown and HTML injection, and (when
 * asked) huge bodies. The same seed gives the same comments, so a failure can be replayed.
 */
import { HOSTILE_PIECES, hostileText } from './gfm.ts';

export interface CommentMix {
  /** Allow bodies far over GitHub's 65,536 characters (the parser must cope; GitHub would refuse them). */
  readonly huge: boolean;
  /** Allow a real `/deploy` only with the values GitHub can deploy (no hostile ref or version). */
  readonly deployableRefsOnly: boolean;
}

const ENVIRONMENTS = ['staging', 'production', 'Staging', 'qa', 'prod.eu-1'];
const NEAR_MISSES = [
  '/deplyo',
  '/Deploy',
  '/DEPLOY',
  '/rolback',
  '/lokc',
  '/hlep',
  '/stauts',
  '/ deploy',
  '//deploy',
];
const WRAPPERS: readonly ((line: string) => string)[] = [
  (line) => line,
  (line) => line,
  (line) => line,
  (line) => `> ${line}`,
  (line) => `\`\`\`\n${line}\n\`\`\``,
  (line) => `  ${line}  \n\nthanks!`,
  (line) => `\n\n${line}\r\n<!-- -->`,
];

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** A value that usually is hostile, sometimes quoted so it survives as one word with spaces. */
function hostileValue(random: () => number): string {
  const text = hostileText(random, 6);
  const roll = random();
  if (roll < 0.3) return `"${text.replace(/"/g, '')}"`;
  if (roll < 0.4) return `'${text.replace(/'/g, '')}'`;
  return text.replace(/\s+/g, '');
}

function environment(random: () => number): string {
  return random() < 0.8 ? pick(random, ENVIRONMENTS) : hostileValue(random);
}

/** One seeded comment. */
export function hostileComment(random: () => number, mix: CommentMix): string {
  const roll = random();
  let line: string;
  if (roll < 0.3) {
    const dryRun = !mix.deployableRefsOnly || random() < 0.5;
    const ref = dryRun ? ` ${hostileValue(random)}` : random() < 0.5 ? ' main' : '';
    const params = Array.from(
      { length: Math.floor(random() * 3) },
      (_, index) => `${random() < 0.9 ? `p${index}` : hostileValue(random)}=${hostileValue(random)}`,
    ).join(' ');
    const version = !mix.deployableRefsOnly && random() < 0.3 ? ` version=${hostileValue(random)}` : '';
    line = `/deploy ${environment(random)}${ref}${dryRun ? ' --dry-run' : ''} ${params}${version}`;
  } else if (roll < 0.4) line = `/lock ${environment(random)} ${hostileText(random)}`;
  else if (roll < 0.45) line = `/unlock ${environment(random)}`;
  else if (roll < 0.52) line = `/rollback ${environment(random)} ${hostileValue(random)}`;
  else if (roll < 0.58) line = `/status ${random() < 0.5 ? environment(random) : ''}`;
  else if (roll < 0.62) line = `/approve ${environment(random)}`;
  else if (roll < 0.66) line = `/reject ${environment(random)} ${hostileText(random)}`;
  else if (roll < 0.7) line = `/help${random() < 0.3 ? ` ${hostileValue(random)}` : ''}`;
  else if (roll < 0.8) line = `${pick(random, NEAR_MISSES)} ${environment(random)} ${hostileText(random, 4)}`;
  else if (roll < 0.9) line = `/${hostileText(random, 4)}`;
  else line = hostileText(random);
  let body = pick(random, WRAPPERS)(line);
  if (random() < 0.05) body += `\n${pick(random, HOSTILE_PIECES).repeat(500)}`;
  if (mix.huge && random() < 0.0002) body = `${line} ${'x'.repeat(1_000_000)}`;
  if (mix.huge && random() < 0.0002) body = `${line} ${'"'.repeat(100_000)}`;
  if (mix.huge && random() < 0.0002) body = `${line} ${'`'.repeat(50_000)}${'``'.repeat(25_000)}`;
  return body;
}
