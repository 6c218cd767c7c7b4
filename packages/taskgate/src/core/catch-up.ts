import { ConfigurationError } from './errors';
import type { ParsedSchedule } from './schedule-expression';

/**
 * Which missed ticks of a schedule run after an outage: `latest` (the newest only), `all` (every
 * one, the default) or `{ max: N }` (the newest N). The others are recorded as skipped.
 */
export type CatchUpPolicy = 'latest' | 'all' | { readonly max: number };

/** The most ticks of one backlog a policy runs. */
export function catchUpLimit(policy: CatchUpPolicy): number {
  return policy === 'latest' ? 1 : policy === 'all' ? Infinity : policy.max;
}

/** Checks a policy as defineTask receives it; the message names the task and the allowed forms. */
export function checkCatchUp(task: string, policy: unknown): CatchUpPolicy {
  if (policy === 'latest' || policy === 'all') return policy;
  const max = (policy as { max?: unknown } | null)?.max;
  if (typeof policy === 'object' && policy !== null && Object.keys(policy).join() === 'max' && Number.isInteger(max) && (max as number) >= 1 && (max as number) <= 1000) {
    return { max: max as number };
  }
  throw new ConfigurationError(`task ${task}: misfire.catchUp must be 'latest', 'all' or { max: N } with N between 1 and 1000 (given ${JSON.stringify(policy)})`);
}

/** A task's schedule as catch-up reads it: with its end date, after which it has no newer ticks. */
export type CatchUpSchedule = ParsedSchedule & { readonly endsAt?: Date };

/** A tick's fate under the policy: run it, or skip it because newer ticks of the task are due. */
export type CatchUpVerdict = { readonly run: true } | { readonly run: false; readonly newerTicks: number; readonly error: string };

/**
 * Decides one tick at dispatch. Ticks pile up while a gate's workers are down (each is a message
 * carrying its `scheduledAt`); the newest ones are those with the fewest ticks of the task due
 * after them, so a tick runs when fewer than the policy's limit are due between it and now. No
 * state is needed: the tick and the clock say it, whichever worker sees it and in whatever order.
 *
 * @param schedules the task's schedules (a tick of any of them supersedes an older one)
 * @example
 * catchUp('latest', [parseSchedule('rate(1 minute)')], new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:59:30Z'))
 * // { run: false, newerTicks: 59, ... }
 */
export function catchUp(policy: CatchUpPolicy, schedules: readonly CatchUpSchedule[], tick: Date, now: Date): CatchUpVerdict {
  const limit = catchUpLimit(policy);
  if (limit === Infinity || schedules.length === 0) return { run: true };
  const newerTicks = ticksBetween(schedules, tick, now, limit);
  if (newerTicks < limit) return { run: true };
  const kept = policy === 'latest' ? 'the latest missed tick' : `the latest ${limit} missed ticks`;
  return {
    run: false,
    newerTicks,
    error: `at least ${newerTicks} newer tick(s) of the task were due by ${now.toISOString()}; misfire.catchUp runs ${kept} only (taskgate backfill runs a window on purpose)`,
  };
}

/**
 * Distinct ticks of the schedules strictly after `after` and at or before `until`, counted up to
 * `limit`. A rate counts whole periods from `after` (AWS's rates run from their creation, not from
 * an aligned start); a cron or `at()` counts its fire times.
 */
export function ticksBetween(schedules: readonly CatchUpSchedule[], after: Date, until_: Date, limit: number): number {
  const seen = new Set<number>();
  for (const schedule of schedules) {
    // An ended schedule fires nothing after its end: its last tick is the newest there will be.
    const until = schedule.endsAt && schedule.endsAt < until_ ? schedule.endsAt : until_;
    if (schedule.kind === 'rate') {
      const period = ratePeriodMs(schedule, after);
      const count = period > 0 ? Math.floor((until.getTime() - after.getTime()) / period) : 0;
      for (let i = 1; i <= Math.min(count, limit); i++) seen.add(after.getTime() + i * period);
      continue;
    }
    let cursor: Date | undefined = after;
    let counted = 0;
    while (counted < limit && (cursor = schedule.next(cursor)) !== undefined && cursor.getTime() <= until.getTime()) {
      seen.add(cursor.getTime());
      counted++;
    }
  }
  return Math.min(seen.size, limit);
}

/** A rate's period: the gap between two of its fire times (the evaluator aligns them, so take two after the first). */
function ratePeriodMs(schedule: ParsedSchedule, near: Date): number {
  const [first, second] = schedule.upcoming(near, 2);
  return first && second ? second.getTime() - first.getTime() : 0;
}

/** What an outage leaves: how many of its ticks run and how many are skipped, tick by tick. */
export interface OutageOutcome {
  readonly ticks: number;
  readonly run: readonly Date[];
  readonly skipped: readonly Date[];
}

/**
 * The policy's arithmetic over a whole outage without waiting for it: every tick fired between
 * `from` and `until` is decided at `recoveredAt`, as a worker coming back would decide the backlog.
 */
export function simulateOutage(policy: CatchUpPolicy, schedule: ParsedSchedule, from: Date, until: Date, recoveredAt: Date): OutageOutcome {
  const ticks: Date[] = [];
  for (let cursor = schedule.next(from); cursor && cursor.getTime() <= until.getTime(); cursor = schedule.next(cursor)) ticks.push(cursor);
  const run: Date[] = [];
  const skipped: Date[] = [];
  for (const tick of ticks) (catchUp(policy, [schedule], tick, recoveredAt).run ? run : skipped).push(tick);
  return { ticks: ticks.length, run, skipped };
}
