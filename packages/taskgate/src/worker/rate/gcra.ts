import type { RateLimit } from './rate-limit';

/**
 * The generic cell rate algorithm (GCRA), the token bucket in its "theoretical arrival time" form:
 * the bucket is one number, `tat`, the time at which it would be full again. Taking a token at
 * `now` moves it to `max(tat, now) + interval`; the token is good from `tat - tolerance` on (now,
 * while the bucket holds one). One number means one conditional write per token, with the refill
 * computed from the stored time instead of a timer.
 *
 * A taker may also reserve a token up to `horizon` ms ahead and wait for it in place: concurrent
 * takers then each get the next free slot instead of all but one being refused, and the run still
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
   * What a token at `now` needs of a bucket whose `tat` is known (or not): `idle`, the bucket is
   * full (tat in the past) and restarts at now; `busy`, a token is free now or within `horizonMs`
   * and tat grows by one interval; `empty`, none within the horizon, the next in `waitMs`.
   */
  state(tat: number | undefined, now: number, horizonMs = 0): { readonly kind: 'idle' | 'busy' } | { readonly kind: 'empty'; readonly waitMs: number } {
    if (tat === undefined || tat < now) return { kind: 'idle' };
    if (tat <= now + this.toleranceMs + horizonMs) return { kind: 'busy' };
    return { kind: 'empty', waitMs: tat - this.toleranceMs - now };
  }

  /** When the token that moved tat to `newTat` is good: its slot. */
  slotOf(newTat: number, now: number): number {
    return Math.max(now, newTat - this.intervalMs - this.toleranceMs);
  }

  /** When the next token comes, for a bucket whose `tat` is known. */
  nextTokenAt(tat: number | undefined, now: number): number {
    return tat === undefined ? now : Math.max(now, tat - this.toleranceMs);
  }
}
