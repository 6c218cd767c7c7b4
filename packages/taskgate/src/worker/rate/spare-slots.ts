/** Weight of the newest turnaround in the smoothed one. */
const TURNAROUND_WEIGHT = 0.3;
/** A turnaround counts as at most this many intervals: a quiet spell stops spares for a few records, not for good. */
const TURNAROUND_CAP = 4;

/** What became of the spare tokens an environment reserved, for the benchmark. */
export interface SpareCounts {
  /** Spare tokens reserved beside a reservation's records. */
  reserved: number;
  /** Spares a later record ran at. */
  used: number;
  /** Spares whose slot passed with no record to run at it: tokens unused. */
  lapsed: number;
}

/**
 * Tokens one execution environment reserved beyond its records, for its next record: with one
 * record per invocation (the Gate's default batch), a write that takes two tokens while more
 * messages wait serves this record and the next, and the average falls below a write per run.
 *
 * A spare is a token like any other, with its slot, one interval after its reservation's last: a
 * record that asks before the slot waits for it and runs at it, never earlier; a record that asks
 * after it finds it lapsed (and reserves anew). A spare is never run late, so spares cannot
 * gather into a burst: the runs stay within the bucket's slots, as every other run does. A lapsed
 * spare is a token the downstream does not get: fewer requests than the rate, never more. So
 * spares are reserved only while the environment's records come back in time to use them: the
 * time from one run's start to the next record asking (smoothed) must fit within an interval.
 */
export class SpareSlots {
  private slots: number[] = [];
  private lastRunAt?: number;
  private turnaroundMs?: number;
  readonly counts: SpareCounts = { reserved: 0, used: 0, lapsed: 0 };

  constructor(readonly intervalMs: number) {}

  /**
   * Spare slots for the first of `count` records asking at `now`, each at most `horizonMs` ahead;
   * the spares whose slot has passed lapse. The records run at these slots (waiting until them).
   */
  take(count: number, now: number, horizonMs: number): number[] {
    if (this.lastRunAt !== undefined) {
      const sample = Math.min(TURNAROUND_CAP * this.intervalMs, Math.max(0, now - this.lastRunAt));
      this.turnaroundMs = this.turnaroundMs === undefined ? sample : (1 - TURNAROUND_WEIGHT) * this.turnaroundMs + TURNAROUND_WEIGHT * sample;
      // Only the record right after a run tells how soon a spare would find a record (one re-sent to wait reserved none).
      this.lastRunAt = undefined;
    }
    const good = this.slots.filter((slot) => now <= slot);
    this.counts.lapsed += this.slots.length - good.length;
    const taken = good.filter((slot) => slot - now <= horizonMs).slice(0, count);
    this.slots = good.slice(taken.length);
    this.counts.used += taken.length;
    return taken;
  }

  /** Spare tokens worth reserving beside a reservation: one while messages wait and this environment's records come back in time to use it. */
  wanted(backlog: number): number {
    if (backlog <= 0) return 0;
    // A spare is one interval after its record's slot: the next record must ask within it. Not
    // before the first turnaround is known: a gate with batches mostly asks too late to use one.
    return this.turnaroundMs !== undefined && this.turnaroundMs <= this.intervalMs ? 1 : 0;
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
