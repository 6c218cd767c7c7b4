/**
 * A spare token is good for at most this long after its slot (and half an interval at most), so
 * spares used late never bunch: a run starts at most this late, which adds at most one run to any
 * window of the rate (runs in a window are the slots of the window stretched by the lateness).
 */
const MAX_LATE_MS = 25;
/** Weight of the newest turnaround in the smoothed one. */
const TURNAROUND_WEIGHT = 0.3;
/** A turnaround counts as at most this many times the longest that still uses a spare: a quiet spell stops spares for a few records, not for good. */
const TURNAROUND_CAP = 4;

/** What became of the spare tokens an environment reserved, for the benchmark. */
export interface SpareCounts {
  /** Spare tokens reserved beside a reservation's records. */
  reserved: number;
  /** Spares a later record ran at. */
  used: number;
  /** Spares whose slot passed (by more than the tolerance) with no record to run: tokens unused. */
  lapsed: number;
}

/**
 * Tokens one execution environment reserved beyond its records, for its next record: with one
 * record per invocation (the Gate's default batch), a write that takes two tokens when more
 * messages wait serves this record and the next, and the average falls below a write per run.
 *
 * A spare is a token like any other, with its slot: a record runs at it only if it asks by the
 * slot plus a small tolerance (it waits for the slot when early, never runs before it); later,
 * the spare lapses unused, so late spares cannot gather into a burst. A lapsed spare is a token
 * the downstream does not get: fewer requests than the rate, never more. So spares are reserved
 * only while the environment's records come back quickly enough to use them: the time from one
 * run's start to the next record asking (smoothed) must fit within an interval and the tolerance.
 */
export class SpareSlots {
  private slots: number[] = [];
  private readonly toleranceMs: number;
  private lastRunAt?: number;
  private turnaroundMs?: number;
  readonly counts: SpareCounts = { reserved: 0, used: 0, lapsed: 0 };

  constructor(readonly intervalMs: number) {
    this.toleranceMs = Math.min(MAX_LATE_MS, intervalMs / 2);
  }

  /**
   * Spare slots for the first of `count` records asking at `now`, each at most `horizonMs` ahead;
   * the spares whose time has passed lapse. The records run at these slots (waiting until them).
   */
  take(count: number, now: number, horizonMs: number): number[] {
    if (this.lastRunAt !== undefined) {
      const sample = Math.min(TURNAROUND_CAP * this.longestTurnaroundMs(), Math.max(0, now - this.lastRunAt));
      this.turnaroundMs = this.turnaroundMs === undefined ? sample : (1 - TURNAROUND_WEIGHT) * this.turnaroundMs + TURNAROUND_WEIGHT * sample;
      // Only the record right after a run tells how soon a spare would find a record (one re-sent to wait reserved none).
      this.lastRunAt = undefined;
    }
    const good = this.slots.filter((slot) => now <= slot + this.toleranceMs);
    this.counts.lapsed += this.slots.length - good.length;
    const taken = good.filter((slot) => slot - now <= horizonMs).slice(0, count);
    this.slots = good.slice(taken.length);
    this.counts.used += taken.length;
    return taken;
  }

  /** Spare tokens worth reserving beside a reservation: one while messages wait and this environment's records come back in time to use it. */
  wanted(backlog: number): number {
    if (backlog <= 0) return 0;
    return this.turnaroundMs === undefined || this.turnaroundMs <= this.longestTurnaroundMs() ? 1 : 0;
  }

  /** A spare is one interval after its record's slot and good for the tolerance after its own. */
  private longestTurnaroundMs(): number {
    return this.intervalMs + this.toleranceMs;
  }

  /** Keeps the slots a reservation gave beyond its records. */
  keep(slots: readonly number[]): void {
    this.counts.reserved += slots.length;
    this.slots = [...this.slots, ...slots].sort((a, b) => a - b);
  }

  /** A record of this environment starts its run at `at`: the next record's turnaround counts from here. */
  ran(at: number): void {
    this.lastRunAt = Math.max(this.lastRunAt ?? 0, at);
  }
}
