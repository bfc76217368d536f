/**
 * The verdict shown to people: as Markdown for check runs and replies (`checklistMarkdown`), and as
 * short text for a protection rule's status report (`checklistText`), which GitHub caps at 1,024
 * characters and renders as Markdown too (REST API, "Review custom deployment protection rules").
 * Summaries already hold every user value neutralised (src/github/markdown.ts), so both renderings
 * add only fixed words, gate names and times, and never cut inside a summary.
 */
import { code, sliceUnits } from '../github/markdown.ts';
import type { GateOutcome, Verdict } from './verdict.ts';
import { formatWallTime } from './zoned-time.ts';

/** GitHub's limit on a deployment protection rule's status report (PLATFORM-NOTES.md). */
export const STATUS_REPORT_LIMIT = 1024;

const ICONS: Readonly<Record<GateOutcome['state'], string>> = { passed: '✅', failed: '❌', waiting: '⏳' };

/** `opens 2026-12-07T08:00:00.000Z (Mon 2026-12-07 09:00 Europe/Berlin)`, or nothing. */
function opening(gate: GateOutcome): string | undefined {
  if (gate.opensAt === undefined) return undefined;
  const zone = gate.timeZone ?? 'UTC';
  return `opens ${gate.opensAt.toISOString()} (${code(formatWallTime(gate.opensAt.getTime(), zone))})`;
}

/** One Markdown list item per gate: state, name, summary, what would change it, when it opens. */
export function checklistMarkdown(verdict: Verdict): string {
  return verdict.gates
    .map((gate) => {
      const parts = [`- ${ICONS[gate.state]} **${gate.gate}**: ${gate.summary}`];
      if (gate.change !== undefined) parts.push(`needs ${gate.change}`);
      const opens = opening(gate);
      if (opens !== undefined) parts.push(opens);
      return parts.join(' — ');
    })
    .join('\n');
}

/** The lines a gate can be shown as, longest first; the last holds no user value. */
function textVariants(gate: GateOutcome): string[] {
  const head = `${ICONS[gate.state]} ${gate.gate}`;
  const opens = opening(gate);
  const extra = [gate.change === undefined ? undefined : `needs ${gate.change}`, opens].filter(
    (part): part is string => part !== undefined,
  );
  const variants = [`${head}: ${gate.summary}`, `${head}: ${gate.state}`];
  if (extra.length > 0) variants.unshift(`${head}: ${gate.summary}; ${extra.join('; ')}`);
  if (opens !== undefined && extra.length > 1) variants.splice(1, 0, `${head}: ${gate.summary}; ${opens}`);
  return variants;
}

const RANK: Readonly<Record<GateOutcome['state'], number>> = { failed: 0, waiting: 1, passed: 2 };

/** Room kept for the line that counts the gates left out. */
const NOTE_ROOM = 40;

/**
 * The checklist as lines of text within `max` characters: each gate as fully as fits, failed and
 * waiting gates before passed ones when not all fit, and a count of any left out. Never longer
 * than `max`.
 */
export function checklistText(verdict: Verdict, max: number = STATUS_REPORT_LIMIT): string {
  const variants = verdict.gates.map(textVariants);
  const full = variants.map((v) => v[0] ?? '').join('\n');
  if (full.length <= max) return full;
  const order = verdict.gates
    .map((gate, index) => ({ gate, index }))
    .sort((a, b) => RANK[a.gate.state] - RANK[b.gate.state]);
  const chosen = new Map<number, string>();
  let used = 0;
  for (const { index } of order) {
    const room = max - NOTE_ROOM - used - (chosen.size > 0 ? 1 : 0);
    const line = (variants[index] ?? []).find((variant) => variant.length <= room);
    if (line === undefined) continue;
    chosen.set(index, line);
    used += line.length + (chosen.size > 1 ? 1 : 0);
  }
  const lines = [...chosen.entries()].sort(([a], [b]) => a - b).map(([, line]) => line);
  const omitted = verdict.gates.length - chosen.size;
  if (omitted > 0) lines.push(`… ${omitted} more ${omitted === 1 ? 'gate' : 'gates'} not shown`);
  // Only the fixed note can be over a tiny `max`; it holds no user value, so cutting it is safe.
  return sliceUnits(lines.join('\n'), max);
}
