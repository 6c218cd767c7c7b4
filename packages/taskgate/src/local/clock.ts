/** setTimeout's limit; longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending {@link RuntimeClock.at} call; cancel() is idempotent. */
export interface ClockTimer {
  cancel(): void;
}

/**
 * The embedded runtime's one clock, shared by the template's schedules and the one-time schedules
 * of the Scheduler API. At speed N, simulated time runs N times faster from the moment the runtime
 * starts: `rate(1 hour)` fires every 60 s at speed 60, and each tick's message carries the
 * simulated time as its `id` and `scheduledAt`, so ticks stay distinct and match the expression.
 */
export class RuntimeClock {
  private readonly origin: number;

  constructor(
    readonly speed: number,
    /** The real clock, in epoch milliseconds (a test may pass its own). */
    private readonly realNow: () => number = Date.now,
  ) {
    if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`--speed must be a number above 0 (given ${speed})`);
    this.origin = realNow();
  }

  /** The clock as a worker reads it (TASKGATE_SCHEDULE_CLOCK): `origin:speed`. */
  workerClock(): string {
    return `${this.origin}:${this.speed}`;
  }

  /** The simulated time. */
  now(): Date {
    return new Date(this.origin + (this.realNow() - this.origin) * this.speed);
  }

  /** Real milliseconds until the simulated instant `at` (0 when it has passed). */
  delayUntil(at: Date): number {
    return Math.max(0, (at.getTime() - this.now().getTime()) / this.speed);
  }

  /**
   * Real milliseconds for a real-time wait until `at`, run at the clock's speed: tasks and the CLI
   * compute one-time schedules from the real clock, so the wait from now to `at` is divided by the
   * speed (at speed 60, a run one hour ahead fires a minute later).
   */
  scaledWaitUntil(at: Date): number {
    return Math.max(0, at.getTime() - this.realNow()) / this.speed;
  }

  /** Calls `fire` after `delayMs` real milliseconds, however long (setTimeout alone stops at ~24.8 days). */
  after(delayMs: number, fire: () => void): ClockTimer {
    const fireAt = this.realNow() + delayMs;
    let timer: NodeJS.Timeout | undefined;
    const wait = () => {
      const remaining = Math.max(0, fireAt - this.realNow());
      timer = setTimeout(() => (remaining > MAX_TIMER_MS ? wait() : fire()), Math.min(remaining, MAX_TIMER_MS));
    };
    wait();
    return { cancel: () => clearTimeout(timer) };
  }
}
