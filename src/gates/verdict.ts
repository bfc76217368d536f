/** The gates' answer: one outcome per gate the environment configures, and the verdict over them. */

/** In the order the checklist shows them: what blocks outright first, then what time and people decide. */
export const GATE_NAMES = ['lock', 'freeze', 'window', 'branch', 'checks', 'promotion', 'approvals'] as const;

export type GateName = (typeof GATE_NAMES)[number];

export interface GateOutcome {
  readonly gate: GateName;
  readonly state: 'passed' | 'failed' | 'waiting';
  /**
   * One line of Markdown in which every user-written value (logins, reasons, check and branch
   * names, window labels) already went through src/github/markdown.ts, so it can be shown as is.
   */
  readonly summary: string;
  /** What would change the outcome, in the same Markdown. */
  readonly change?: string;
  /** When a time gate (window, freeze) opens. */
  readonly opensAt?: Date;
  /** The IANA zone `opensAt` is best read in: the window's (or freeze's) own. */
  readonly timeZone?: string;
}

export interface Verdict {
  readonly state: 'pass' | 'fail' | 'wait';
  readonly gates: GateOutcome[];
  /**
   * The earliest instant, now or later, at which windows and freezes both allow a start: `now`
   * itself when they already do (or none is configured); undefined only when none comes within
   * the 366 days looked ahead.
   */
  readonly nextOpening: Date | undefined;
  /** Only window/freeze wait, and they open at `nextOpening`: the request can be carried out by itself then. */
  readonly timeOnly: boolean;
}

/** Any failed gate fails the verdict; else any waiting gate makes it wait; else it passes. */
export function verdictOf(gates: GateOutcome[], nextOpening: Date | undefined): Verdict {
  const state = gates.some((g) => g.state === 'failed')
    ? 'fail'
    : gates.some((g) => g.state === 'waiting')
      ? 'wait'
      : 'pass';
  const waiting = gates.filter((g) => g.state === 'waiting');
  const timeOnly =
    state === 'wait' &&
    nextOpening !== undefined &&
    waiting.every((g) => g.gate === 'window' || g.gate === 'freeze');
  return { state, gates, nextOpening, timeOnly };
}
