import { describe, expect, it } from 'vitest';
import { catchUp, simulateOutage, ticksBetween } from '../src/core/catch-up';
import { parseSchedule } from '../src/core/schedule-expression';
import { defineTask } from '../src/core/task';
import { taskMetadata } from '../src/core/task-metadata';

const everyMinute = parseSchedule('rate(1 minute)');
const at = (iso: string) => new Date(iso);

describe('catch-up policy: which missed ticks run', () => {
  it('runs a tick when fewer newer ticks than the policy keeps are due', () => {
    const now = at('2026-01-01T01:00:30Z');
    expect(catchUp('latest', [everyMinute], at('2026-01-01T01:00:00Z'), now)).toEqual({ run: true });
    expect(catchUp('latest', [everyMinute], at('2026-01-01T00:59:00Z'), now)).toMatchObject({ run: false, newerTicks: 1 });
    expect(catchUp({ max: 3 }, [everyMinute], at('2026-01-01T00:58:00Z'), now)).toEqual({ run: true });
    expect(catchUp({ max: 3 }, [everyMinute], at('2026-01-01T00:57:00Z'), now)).toMatchObject({ run: false, newerTicks: 3 });
    expect(catchUp('all', [everyMinute], at('2025-01-01T00:00:00Z'), now)).toEqual({ run: true });
  });

  it('says why a tick is skipped and how to run it on purpose', () => {
    const verdict = catchUp('latest', [everyMinute], at('2026-01-01T00:00:00Z'), at('2026-01-01T01:00:00Z'));
    expect(verdict.run === false && verdict.error).toBe(
      'at least 1 newer tick(s) of the task were due by 2026-01-01T01:00:00.000Z; misfire.catchUp runs the latest missed tick only (taskgate backfill runs a window on purpose)',
    );
  });

  it('counts a rate from the tick itself, and a cron by its fire times, across several schedules of the task', () => {
    // Not aligned to the minute: AWS's rates run from their creation.
    expect(ticksBetween([everyMinute], at('2026-01-01T00:00:17Z'), at('2026-01-01T00:10:16Z'), 100)).toBe(9);
    const hourly = parseSchedule('cron(0 * * * ? *)');
    const halfPast = parseSchedule('cron(30 * * * ? *)');
    expect(ticksBetween([hourly, halfPast], at('2026-01-01T00:00:00Z'), at('2026-01-01T03:00:00Z'), 100)).toBe(6);
    expect(ticksBetween([hourly, halfPast], at('2026-01-01T00:00:00Z'), at('2026-01-01T03:00:00Z'), 2)).toBe(2);
  });

  it('a 24-hour outage of a 1-minute schedule: every tick is run or skipped, as each policy says, without waiting', () => {
    const from = at('2026-03-28T00:00:00Z');
    const until = at('2026-03-29T00:00:00Z');
    const recoveredAt = at('2026-03-29T00:00:30Z');
    const rows = (['latest', 'all', { max: 5 }, { max: 60 }] as const).map((policy) => {
      const outcome = simulateOutage(policy, everyMinute, new Date(from.getTime() - 1), until, recoveredAt);
      return { policy: JSON.stringify(policy), ticks: outcome.ticks, run: outcome.run.length, skipped: outcome.skipped.length, newestRun: outcome.run.at(-1)?.toISOString() };
    });
    console.log('24-hour outage, rate(1 minute), decided at recovery:');
    console.table(rows);
    expect(rows.map(({ ticks, run, skipped }) => [ticks, run, skipped])).toEqual([
      [1441, 1, 1440],
      [1441, 1441, 0],
      [1441, 5, 1436],
      [1441, 60, 1381],
    ]);
    // The ticks that run are the newest ones.
    expect(rows.every((row) => row.newestRun === until.toISOString())).toBe(true);
  });

  it('a daily cron in a zone with a DST change, over a week-long outage: the newest N days run', () => {
    const daily = parseSchedule('cron(30 2 * * ? *)', { timeZone: 'Europe/Berlin' });
    const outcome = simulateOutage({ max: 2 }, daily, at('2026-03-25T00:00:00Z'), at('2026-04-01T00:00:00Z'), at('2026-04-01T00:00:00Z'));
    // 25-31 March, but not the 29th: 02:30 does not exist in Berlin that night (the evaluator's DST rule).
    expect(outcome.ticks).toBe(6);
    expect(outcome.run.map((tick) => tick.toISOString())).toEqual(['2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
  });
});

describe('defineTask: overlap and catch-up options', () => {
  const run = () => undefined;

  it('defaults to overlap skip and catch-up all, and writes both into the template metadata', () => {
    const task = defineTask({ name: 'nightly', run });
    expect([task.overlap, task.misfire.catchUp]).toEqual(['skip', 'all']);
    const custom = defineTask({ name: 'sync', overlap: 'bufferOne', misfire: { maxLatenessSeconds: 600, catchUp: { max: 3 } }, run });
    expect(taskMetadata(custom)).toMatchObject({ overlap: 'bufferOne', misfire: { maxLatenessSeconds: 600, catchUp: { max: 3 } } });
  });

  it('refuses a policy it does not know, naming the allowed ones', () => {
    expect(() => defineTask({ name: 'x1', overlap: 'forbid' as never, run })).toThrow("task x1: overlap must be one of 'allow', 'skip', 'bufferOne' (given \"forbid\")");
    expect(() => defineTask({ name: 'x2', misfire: { catchUp: { max: 0 } }, run })).toThrow(
      "task x2: misfire.catchUp must be 'latest', 'all' or { max: N } with N between 1 and 1000 (given {\"max\":0})",
    );
    expect(() => defineTask({ name: 'x3', misfire: { catchUp: 'newest' as never }, run })).toThrow(/misfire.catchUp must be/);
  });
});
