/**
 * Wakes this replica's sweep of deferred requests at a given time, besides its regular round:
 * a request deferred to 09:00 goes out at 09:00, not at the next round. Every replica sweeps on
 * its own rounds too, so a request deferred by a replica that has since stopped is not lost.
 */
type Sweep = () => void;

let sweep: Sweep | undefined;
const timers = new Set<NodeJS.Timeout>();
/** setTimeout's longest delay (2^31 − 1 ms, about 24.8 days); later openings wait for a round. */
const MAX_DELAY_MS = 2_147_483_647;

/** Registers the sweep to run when woken (app/deferred/sweep.ts). */
export function onWake(run: Sweep | undefined): void {
  sweep = run;
  if (run === undefined) {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  }
}

export function wakeAt(at: number, now: number = Date.now()): void {
  if (sweep === undefined) return;
  const delay = Math.max(0, at - now) + 1_000;
  if (delay > MAX_DELAY_MS) return;
  const timer = setTimeout(() => {
    timers.delete(timer);
    sweep?.();
  }, delay);
  timer.unref();
  timers.add(timer);
}
