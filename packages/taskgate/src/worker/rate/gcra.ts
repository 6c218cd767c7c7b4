import type { RateLimit } from './rate-limit';

/**
 * The generic cell rate algorithm (GCRA), the token bucket in its "theoretical arrival time" form:
 * the bucket is one number, `tat`, the time at which it would be full again. Taking a token at
 * `now` moves it to `max(tat, now) + interval`, allowed while that stays within `burst` intervals
 * of `now`. One number means one conditional write per token, with the refill computed from the
 * stored time instead of a timer.
 */
export class Gcra {
  /** Milliseconds between tokens. */
  readonly intervalMs: number;
  /** How far `tat` may run ahead of `now` before a token is taken: `burst - 1` intervals. */
  readonly toleranceMs: number;

  constructor(rate: RateLimit) {
    this.intervalMs = 1000 / rate.perSecond;
    this.toleranceMs = (rate.burst - 1) * this.intervalMs;
  }

  /**
   * What a token at `now` needs of a bucket whose `tat` is known (or not): `idle`, the bucket is
   * full (tat in the past) and restarts at now; `busy`, tokens are left and tat grows by one
   * interval; `empty`, none until `waitMs` from now.
   */
  state(tat: number | undefined, now: number): { readonly kind: 'idle' | 'busy' } | { readonly kind: 'empty'; readonly waitMs: number } {
    if (tat === undefined || tat < now) return { kind: 'idle' };
    if (tat <= now + this.toleranceMs) return { kind: 'busy' };
    return { kind: 'empty', waitMs: tat - now - this.toleranceMs };
  }
}
