/**
 * Simulated cluster time. It runs `timeScale` times faster than real time, so a rollout that takes
 * a minute on a cluster takes a few seconds here, and every timestamp the server writes
 * (creationTimestamp, condition times) is on this clock. Timers are kept in simulated time and
 * backed by one real, unref'd timeout for the earliest of them.
 */

/** `progress` timers move the cluster towards a steady state; `background` ones never end (restarts, deadline checks). */
export type TimerKind = 'progress' | 'background';

interface Timer {
  readonly due: number;
  readonly kind: TimerKind;
  readonly run: () => void;
  readonly order: number;
}

export class SimulatedClock {
  readonly timeScale: number;
  readonly #realStart = performance.now();
  readonly #simulatedStart: number;
  #advanced = 0;
  #timers: Timer[] = [];
  #order = 0;
  #handle: NodeJS.Timeout | undefined;
  #stopped = false;
  #running = false;
  readonly #settleListeners = new Set<() => void>();

  constructor(options: { readonly timeScale: number; readonly start?: Date }) {
    if (!(options.timeScale > 0)) throw new Error(`timeScale must be positive, got ${options.timeScale}`);
    this.timeScale = options.timeScale;
    this.#simulatedStart = options.start?.getTime() ?? Date.now();
  }

  /** Simulated milliseconds since the epoch. */
  now(): number {
    return this.#simulatedStart + (performance.now() - this.#realStart) * this.timeScale + this.#advanced;
  }

  /** The Kubernetes wire format of a time (RFC 3339, whole seconds). */
  timestamp(ms: number = this.now()): string {
    return `${new Date(ms).toISOString().slice(0, 19)}Z`;
  }

  /** Runs `run` after `seconds` of simulated time; returns a function that cancels it. */
  after(seconds: number, kind: TimerKind, run: () => void): () => void {
    if (this.#stopped) return () => undefined;
    const timer: Timer = { due: this.now() + seconds * 1000, kind, run, order: this.#order++ };
    this.#timers.push(timer);
    this.#arm();
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
      this.#arm();
      // Deferred: a cancellation inside a timer or a request is not a settled state yet.
      queueMicrotask(() => {
        this.#notifySettled();
      });
    };
  }

  /** Jumps simulated time forward and runs every timer that fell due. */
  advance(seconds: number): void {
    this.#advanced += seconds * 1000;
    this.#fire();
  }

  pending(kind: TimerKind): number {
    return this.#timers.filter((t) => t.kind === kind).length;
  }

  /** Calls `listener` after every batch of timers ran, and after cancellations once the current task ends. */
  onSettle(listener: () => void): () => void {
    this.#settleListeners.add(listener);
    return () => this.#settleListeners.delete(listener);
  }

  stop(): void {
    this.#stopped = true;
    this.#timers = [];
    if (this.#handle) clearTimeout(this.#handle);
    this.#handle = undefined;
  }

  #arm(): void {
    if (this.#handle) clearTimeout(this.#handle);
    this.#handle = undefined;
    if (this.#stopped || this.#running || this.#timers.length === 0) return;
    const due = Math.min(...this.#timers.map((t) => t.due));
    const realDelay = Math.max(0, (due - this.now()) / this.timeScale);
    this.#handle = setTimeout(() => {
      this.#fire();
    }, Math.ceil(realDelay));
    this.#handle.unref();
  }

  #fire(): void {
    if (this.#running) return;
    this.#running = true;
    try {
      for (;;) {
        const now = this.now();
        const next = this.#timers
          .filter((t) => t.due <= now)
          .sort((a, b) => a.due - b.due || a.order - b.order)[0];
        if (!next || this.#stopped) break;
        this.#timers = this.#timers.filter((t) => t !== next);
        next.run();
      }
    } finally {
      this.#running = false;
    }
    this.#arm();
    this.#notifySettled();
  }

  #notifySettled(): void {
    for (const listener of [...this.#settleListeners]) listener();
  }
}
