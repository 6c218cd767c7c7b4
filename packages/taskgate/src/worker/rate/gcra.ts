import type { RateLimit } from './rate-limit';

/** What a reservation of tokens at `now` needs of a bucket whose `tat` is known (see {@link Gcra.plan}). */
export type GcraPlan =
  /** The bucket is full (tat in the past): it restarts at now, and `count` tokens fit. */
  | { readonly kind: 'idle'; readonly count: number }
  /** Tokens are free now or within the horizon: tat grows by `count` intervals. */
  | { readonly kind: 'busy'; readonly count: number }
  /** None within the horizon: the next in `waitMs`. */
  | { readonly kind: 'empty'; readonly waitMs: number };

/**
 * The generic cell rate algorithm (GCRA), the token bucket in its "theoretical arrival time" form:
 * the bucket is one number, `tat`, the time at which it would be full again. Taking a token at
 * `now` moves it to `max(tat, now) + interval`; the token is good from `tat - tolerance` on (now,
 * while the bucket holds one). One number means one conditional write per reservation, with the
 * refill computed from the stored time instead of a timer, and k tokens are one write too: tat
 * moves by k intervals, and the j-th token is good one interval after the (j-1)-th.
 *
 * A taker may also reserve tokens up to `horizon` ms ahead and wait for them in place: concurrent
 * takers then each get the next free slots instead of all but one being refused, and each run still
 * starts exactly at its slot, so the rate holds where the downstream sees it.
 */
export class Gcra {
  /** Milliseconds between tokens. */
  readonly intervalMs: number;
  /** How far `tat` may run ahead of `now` with a token still in the bucket: `burst - 1` intervals. */
  readonly toleranceMs: number;

  constructor(rate: RateLimit) {
    this.intervalMs = 1000 / rate.perSecond;
    this.toleranceMs = (rate.burst - 1) * this.intervalMs;
  }

  /**
   * How many of `wanted` tokens a bucket whose `tat` is known (or not) gives at `now`, each good
   * within `horizonMs`; `empty` when fewer than `least` fit, with the wait until they do.
   */
  plan(tat: number | undefined, now: number, wanted: number, horizonMs = 0, least = 1): GcraPlan {
    const idle = tat === undefined || tat < now;
    const base = idle ? now : tat;
    // The j-th token (from 1) is good from base + (j - 1) x interval - tolerance: those up to now + horizon fit.
    const room = now + this.toleranceMs + horizonMs - base;
    // The epsilon keeps a float like 2.9999999 from costing a token.
    const count = room < 0 ? 0 : Math.min(wanted, Math.floor(room / this.intervalMs + 1e-9) + 1);
    if (count < Math.max(1, least)) return { kind: 'empty', waitMs: Math.max(0, (Math.max(1, least) - 1) * this.intervalMs - room) };
    return { kind: idle ? 'idle' : 'busy', count };
  }

  /**
   * The fewest of `wanted` tokens worth a write: half of the batch, or of what the bucket can
   * reserve ahead at all when that is less. Under load tokens free up one interval at a time, and a
   * write that took each as it came would cost a write per run; waiting until a share of the batch
   * is free costs little throughput (the tokens stay in the bucket meanwhile), and half rather
   * than all of it keeps a batch from waiting while the bucket overflows.
   */
  leastWorthWriting(wanted: number, horizonMs: number): number {
    const capacity = Math.floor((this.toleranceMs + horizonMs) / this.intervalMs + 1e-9) + 1;
    return Math.max(1, Math.ceil(Math.min(wanted, capacity) / 2));
  }

  /** The largest stored tat at which `count` tokens still fit within the horizon: the write's condition. */
  limitFor(count: number, now: number, horizonMs: number): number {
    return now + this.toleranceMs + horizonMs - (count - 1) * this.intervalMs;
  }

  /** When each of the `count` tokens that moved tat to `newTat` is good, in order: their slots. */
  slotsOf(newTat: number, count: number, now: number): number[] {
    return Array.from({ length: count }, (_, j) => Math.max(now, newTat - (count - j) * this.intervalMs - this.toleranceMs));
  }

  /** When the next token comes, for a bucket whose `tat` is known. */
  nextTokenAt(tat: number | undefined, now: number): number {
    return tat === undefined ? now : Math.max(now, tat - this.toleranceMs);
  }
}
