/**
 * The rate bucket's item in the run ledger table: one per gate, beside the runs. Its key cannot
 * meet a run's (`<task>#<id>`, and task names take no `:`), and it has none of the index keys
 * (task, day, startedAt), so history queries never see it. The worker writes it, `taskgate status`
 * and the embedded runtime's gate view read it; changing a name here changes all of them.
 */

/** The bucket's partition key value. */
export function bucketKey(gate: string): string {
  return `taskgate:rate#${gate}`;
}

export const BUCKET_ITEM = {
  /** Theoretical arrival time (epoch ms): when the bucket would be full again. Only ever grows. */
  tat: 'tat',
  /** Prefix of the per-minute counters: `used<epoch minute>` = tokens taken in that minute. */
  usedPrefix: 'used',
} as const;

/** The epoch minute of a time. */
export function epochMinute(ms: number): number {
  return Math.floor(ms / 60_000);
}

/** The counter attribute of a minute. */
export function usedAttribute(minute: number): string {
  return `${BUCKET_ITEM.usedPrefix}${minute}`;
}

/**
 * Tokens taken in the 60 s before `now`, from a bucket item: the current minute's counter and the
 * share of the previous minute's that falls inside the window (tokens spread evenly over it: an
 * estimate, exact when the gate ran at a steady rate).
 */
export function tokensInLastMinute(item: Readonly<Record<string, unknown>> | undefined, now: number): number {
  if (!item) return 0;
  const minute = epochMinute(now);
  const current = Number(item[usedAttribute(minute)] ?? 0);
  const previous = Number(item[usedAttribute(minute - 1)] ?? 0);
  const elapsed = (now - minute * 60_000) / 60_000;
  return Math.round(current + previous * (1 - elapsed));
}

/** Tokens the bucket holds at `now`: the burst, less one per interval its tat runs ahead of now. */
export function tokensLeft(item: Readonly<Record<string, unknown>> | undefined, rate: { readonly perSecond: number; readonly burst: number }, now: number): number {
  const tat = Number(item?.[BUCKET_ITEM.tat] ?? 0);
  const ahead = Math.max(0, tat - now) * (rate.perSecond / 1000);
  return Math.max(0, Math.min(rate.burst, Math.floor(rate.burst - ahead)));
}
