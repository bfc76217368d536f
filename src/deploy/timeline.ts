/** One step of a deploy as the summary shows it: applied → progressing → available → healthy. */
export interface TimelineEntry {
  readonly step:
    | 'applied'
    | 'progressing'
    | 'available'
    | 'healthy'
    | 'failed'
    | 'rolling back'
    | 'rolled back'
    | 'switched'
    | 'promoted'
    | 'canary';
  /** Milliseconds since the deploy started. */
  readonly atMs: number;
  readonly detail: string;
}

/** Records steps against a clock; `mark` returns the entry for logging. */
export class Timeline {
  readonly entries: TimelineEntry[] = [];
  private readonly started: number;
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
    this.started = now();
  }

  mark(step: TimelineEntry['step'], detail: string, atMs = this.elapsed()): TimelineEntry {
    const entry = { step, atMs: Math.round(atMs), detail };
    this.entries.push(entry);
    return entry;
  }

  elapsed(): number {
    return Math.round(this.now() - this.started);
  }
}
