import * as fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../src/core/errors';
import { daysOf } from '../src/core/cron-fields';
import { cronFieldsOf, dstConflicts, parseSchedule, ScheduleExpressionError } from '../src/core/schedule-expression';

/** A Thursday, so weekday schedules show both a weekday and the following weekend. */
const FROM = new Date('2026-01-01T00:00:00Z');
const iso = (dates: Date[]) => dates.map((d) => d.toISOString().replace(':00.000Z', 'Z'));

describe('parseSchedule: the examples of the EventBridge documentation (UTC)', () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html#eb-cron-expressions
  const cases: Array<[string, string, string[]]> = [
    ['cron(0 10 * * ? *)', 'at 10:00 (UTC)', ['2026-01-01T10:00Z', '2026-01-02T10:00Z', '2026-01-03T10:00Z']],
    ['cron(15 12 * * ? *)', 'at 12:15 (UTC)', ['2026-01-01T12:15Z', '2026-01-02T12:15Z', '2026-01-03T12:15Z']],
    ['cron(0 18 ? * MON-FRI *)', 'at 18:00, Monday through Friday (UTC)', ['2026-01-01T18:00Z', '2026-01-02T18:00Z', '2026-01-05T18:00Z']],
    ['cron(0/15 * * * ? *)', 'every 15 minutes (UTC)', ['2026-01-01T00:15Z', '2026-01-01T00:30Z', '2026-01-01T00:45Z']],
    ['cron(0 8 1 * ? *)', 'at 08:00, on day 1 of the month (UTC)', ['2026-01-01T08:00Z', '2026-02-01T08:00Z', '2026-03-01T08:00Z']],
    ['cron(0/10 * ? * MON-FRI *)', 'every 10 minutes, Monday through Friday (UTC)', ['2026-01-01T00:10Z', '2026-01-01T00:20Z', '2026-01-01T00:30Z']],
    [
      'cron(0/5 8-17 ? * MON-FRI *)',
      'every 5 minutes, between 08:00 and 17:59, Monday through Friday (UTC)',
      ['2026-01-01T08:00Z', '2026-01-01T08:05Z', '2026-01-01T08:10Z'],
    ],
    ['cron(0 9 ? * 2#1 *)', 'at 09:00, on the first Monday of the month (UTC)', ['2026-01-05T09:00Z', '2026-02-02T09:00Z', '2026-03-02T09:00Z']],
    ['cron(0 0 L * ? *)', 'at 00:00, on the last day of the month (UTC)', ['2026-01-31T00:00Z', '2026-02-28T00:00Z', '2026-03-31T00:00Z']],
  ];
  it.each(cases)('%s: %s', (expression, description, times) => {
    const schedule = parseSchedule(expression, { now: FROM });
    expect(schedule.kind).toBe('cron');
    expect(schedule.timeZone).toBe('UTC');
    expect(schedule.describe()).toBe(description);
    expect(iso(schedule.upcoming(FROM, 3))).toEqual(times);
  });

  it('crosses a weekend and a day boundary for the business-hours example', () => {
    const friday = new Date('2026-01-02T17:50:00Z');
    expect(iso(parseSchedule('cron(0/5 8-17 ? * MON-FRI *)', { now: FROM }).upcoming(friday, 3))).toEqual([
      '2026-01-02T17:55Z',
      '2026-01-05T08:00Z',
      '2026-01-05T08:05Z',
    ]);
  });

  it('W: the weekday nearest the day, never leaving the month', () => {
    // 2026-02-15 and 2026-03-15 are Sundays (-> Monday 16th); 2026-08-01 is a Saturday (-> Monday 3rd, not July 31st).
    expect(iso(parseSchedule('cron(0 9 15W * ? *)', { now: FROM }).upcoming(new Date('2026-01-20T00:00:00Z'), 2))).toEqual(['2026-02-16T09:00Z', '2026-03-16T09:00Z']);
    expect(iso(parseSchedule('cron(0 9 1W AUG ? *)', { now: FROM }).upcoming(FROM, 1))).toEqual(['2026-08-03T09:00Z']);
    expect(iso(parseSchedule('cron(0 9 LW * ? *)', { now: FROM }).upcoming(new Date('2026-05-01T00:00:00Z'), 1))).toEqual(['2026-05-29T09:00Z']);
  });

  it('a year range ends: no fire time after its last year', () => {
    const schedule = parseSchedule('cron(0 12 1 JAN,JUL ? 2026-2027)', { now: FROM });
    expect(schedule.describe()).toContain('2026 through 2027');
    expect(iso(schedule.upcoming(FROM, 10))).toEqual(['2026-01-01T12:00Z', '2026-07-01T12:00Z', '2027-01-01T12:00Z', '2027-07-01T12:00Z']);
    expect(schedule.next(new Date('2027-07-01T12:00:00Z'))).toBeUndefined();
  });

  it('nL and lists of names: the last Friday; MON,WED,FRI', () => {
    expect(iso(parseSchedule('cron(0 12 ? * 6L *)', { now: FROM }).upcoming(FROM, 2))).toEqual(['2026-01-30T12:00Z', '2026-02-27T12:00Z']);
    expect(iso(parseSchedule('cron(0 7 ? * mon,wed,fri *)', { now: FROM }).upcoming(FROM, 3))).toEqual(['2026-01-02T07:00Z', '2026-01-05T07:00Z', '2026-01-07T07:00Z']);
  });

  it('next() is strictly after: a fire time equal to `after` is not returned', () => {
    const schedule = parseSchedule('cron(0 10 * * ? *)', { now: FROM });
    expect(schedule.next(new Date('2026-01-01T10:00:00Z'))?.toISOString()).toBe('2026-01-02T10:00:00.000Z');
    expect(schedule.next(new Date('2026-01-01T09:59:59.999Z'))?.toISOString()).toBe('2026-01-01T10:00:00.000Z');
  });
});

describe('parseSchedule: rate() and at()', () => {
  it('rate() fires on whole periods counted from the epoch', () => {
    const schedule = parseSchedule('rate(5 minutes)');
    expect(schedule.kind).toBe('rate');
    expect(iso(schedule.upcoming(new Date('2026-01-01T10:02:30Z'), 3))).toEqual(['2026-01-01T10:05Z', '2026-01-01T10:10Z', '2026-01-01T10:15Z']);
    expect(iso(parseSchedule('rate(1 day)', { timeZone: 'Europe/Berlin' }).upcoming(new Date('2026-03-28T12:00:00Z'), 2))).toEqual(['2026-03-29T00:00Z', '2026-03-30T00:00Z']);
    expect(parseSchedule('rate(1 hour)').describe()).toMatch(/^every hour/);
  });

  it('at() fires once, in its time zone', () => {
    const schedule = parseSchedule('at(2026-05-01T09:00:00)', { timeZone: 'Europe/Berlin', now: FROM });
    expect(schedule.kind).toBe('at');
    expect(iso(schedule.upcoming(FROM, 5))).toEqual(['2026-05-01T07:00Z']);
    expect(schedule.next(new Date('2026-05-01T07:00:00Z'))).toBeUndefined();
    expect(schedule.describe()).toBe('once, at 2026-05-01 09:00:00 (Europe/Berlin)');
  });

  it('allowPast accepts a passed at() (the runtime reads deployed schedules)', () => {
    const schedule = parseSchedule('at(2020-01-01T00:00:00)', { now: FROM, allowPast: true });
    expect(schedule.next(FROM)).toBeUndefined();
  });
});

describe('parseSchedule: daylight saving time, as EventBridge Scheduler documents it', () => {
  // "When the time shifts forward in Spring, your schedule invocation gets skipped if the cron
  // expression falls on a non-existent date and time. When the time shifts back in the Fall, your
  // schedule runs only once and doesn't repeat its invocation."
  // https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#daylist-savings-time
  // and https://repost.aws/knowledge-center/eventbridge-scheduler-adjust-dst
  it('Europe/Berlin, spring forward on 2026-03-29: 02:30 does not exist, that day is skipped', () => {
    const schedule = parseSchedule('cron(30 2 * * ? *)', { timeZone: 'Europe/Berlin', now: FROM });
    expect(iso(schedule.upcoming(new Date('2026-03-27T12:00:00Z'), 3))).toEqual(['2026-03-28T01:30Z', '2026-03-30T00:30Z', '2026-03-31T00:30Z']);
  });

  it('Europe/Berlin, fall back on 2026-10-25: 02:30 occurs twice and runs once', () => {
    const schedule = parseSchedule('cron(30 2 * * ? *)', { timeZone: 'Europe/Berlin', now: FROM });
    expect(iso(schedule.upcoming(new Date('2026-10-23T12:00:00Z'), 3))).toEqual(['2026-10-24T00:30Z', '2026-10-25T00:30Z', '2026-10-26T01:30Z']);
    // Asked from inside the repeated hour (02:15 the second time, CET), it does not fire again that day.
    expect(schedule.next(new Date('2026-10-25T01:15:00Z'))?.toISOString()).toBe('2026-10-26T01:30:00.000Z');
  });

  it('America/New_York, spring forward on 2026-03-08: 02:30 is skipped', () => {
    const schedule = parseSchedule('cron(30 2 * * ? *)', { timeZone: 'America/New_York', now: FROM });
    expect(iso(schedule.upcoming(new Date('2026-03-06T12:00:00Z'), 3))).toEqual(['2026-03-07T07:30Z', '2026-03-09T06:30Z', '2026-03-10T06:30Z']);
  });

  it('America/New_York, fall back on 2026-11-01: 01:00-01:59 repeats, so 01:30 runs once; 02:30 is unaffected', () => {
    const early = parseSchedule('cron(30 1 * * ? *)', { timeZone: 'America/New_York', now: FROM });
    expect(iso(early.upcoming(new Date('2026-10-31T00:00:00Z'), 3))).toEqual(['2026-10-31T05:30Z', '2026-11-01T05:30Z', '2026-11-02T06:30Z']);
    const late = parseSchedule('cron(30 2 * * ? *)', { timeZone: 'America/New_York', now: FROM });
    expect(iso(late.upcoming(new Date('2026-10-31T00:00:00Z'), 3))).toEqual(['2026-10-31T06:30Z', '2026-11-01T07:30Z', '2026-11-02T07:30Z']);
  });

  it('a 20-minute cron through the repeated hour fires each local time once', () => {
    const schedule = parseSchedule('cron(0/20 * * * ? *)', { timeZone: 'America/New_York', now: FROM });
    expect(iso(schedule.upcoming(new Date('2026-11-01T05:30:00Z'), 3))).toEqual(['2026-11-01T05:40Z', '2026-11-01T07:00Z', '2026-11-01T07:20Z']);
  });

  it('dstConflicts reports the skipped and the repeated run in the next year', () => {
    const berlin = parseSchedule('cron(30 2 * * ? *)', { timeZone: 'Europe/Berlin', now: FROM });
    expect(dstConflicts(berlin, FROM, new Date('2027-01-01T00:00:00Z')).map((c) => [c.kind, c.localTime])).toEqual([
      ['gap', '2026-03-29 02:30'],
      ['overlap', '2026-10-25 02:30'],
    ]);
    const newYork = parseSchedule('cron(30 2 * * ? *)', { timeZone: 'America/New_York', now: FROM });
    expect(dstConflicts(newYork, FROM, new Date('2027-01-01T00:00:00Z')).map((c) => [c.kind, c.localTime])).toEqual([['gap', '2026-03-08 02:30']]);
    expect(dstConflicts(parseSchedule('cron(0 9 * * ? *)', { timeZone: 'Europe/Berlin', now: FROM }), FROM, new Date('2027-01-01T00:00:00Z'))).toEqual([]);
  });
});

describe('parseSchedule: errors that teach', () => {
  const errors: Array<[string, { timeZone?: string; target?: 'rule' | 'scheduler' }, string]> = [
    ['cron(0 9 * * *)', {}, 'cron(0 9 * * *) has five fields, the Unix cron layout; AWS cron has six: minutes hours day-of-month month day-of-week year. Add the year: cron(0 9 * * ? *)'],
    ['cron(0 9 * * 1-5)', {}, 'Add the year: cron(0 9 ? * MON-FRI *)'],
    ['cron(0 0 9 * * ? *)', {}, 'AWS cron has no seconds field'],
    ['cron(0 9 * * * *)', {}, "cron(0 9 * * * *) has '*' in both day-of-month and day-of-week; AWS requires '?' in one of them: cron(0 9 * * ? *)"],
    ['cron(0 9 * * MON-FRI *)', {}, "day-of-month must be '?': cron(0 9 ? * MON-FRI *)"],
    ['cron(0 9 ? * 1-5 *)', {}, "day-of-week '1-5' looks like Unix numbering (SUN=0, MON=1); AWS counts SUN=1 ... SAT=7. For MON-FRI write cron(0 9 ? * MON-FRI *) (or cron(0 9 ? * 2-6 *)). If you do mean SUN-THU, write it with names: cron(0 9 ? * SUN-THU *)."],
    ['cron(0 9 ? * 0 *)', {}, 'For SUN write cron(0 9 ? * SUN *) (or cron(0 9 ? * 1 *))'],
    ['cron(0 25 * * ? *)', {}, 'hours must be between 0 and 23 (given 25)'],
    ['cron(0 9 ? * FUN *)', {}, "'FUN' is not a valid day-of-week"],
    ['rate(1 minutes)', {}, "rate(1 minutes): a value of 1 takes the singular 'minute'; write rate(1 minute)"],
    ['rate(5 minute)', {}, "rate(5 minute): a value above 1 takes the plural 'minutes'; write rate(5 minutes)"],
    ['rate(2 hour)', {}, 'write rate(2 hours)'],
    ['rate(30 seconds)', {}, 'rate(30 seconds) is below one minute, the shortest interval EventBridge fires at; the shortest rate is rate(1 minute)'],
    ['rate(0 minutes)', {}, 'is below one minute'],
    ['rate(1.5 hours)', {}, 'the value must be a whole number: rate(90 minutes)'],
    ['at(2025-12-31T23:59:00)', {}, 'at(2025-12-31T23:59:00) is in the past (2025-12-31T23:59:00.000Z, now 2026-01-01T00:00:00.000Z); a one-time schedule must be in the future'],
    ['at(2026-05-01T09:00:00Z)', {}, "at() takes no zone suffix ('Z'); give the time zone as the schedule's timeZone instead: at(2026-05-01T09:00:00)"],
    ['at(2026-05-01 09:00)', {}, 'at() needs the exact form yyyy-mm-ddThh:mm:ss: at(2026-05-01T09:00:00)'],
    ['at(May 1st)', {}, "AWS's format is at(yyyy-mm-ddThh:mm:ss)"],
    ['at(2026-02-30T09:00:00)', {}, 'is not a date and time that exists'],
    ['at(2026-03-29T02:30:00)', { timeZone: 'Europe/Berlin' }, 'does not exist in Europe/Berlin (the clocks spring forward over it)'],
    ['cron(0 9 * * ? *)', { timeZone: 'Berlin' }, "time zone 'Berlin' of cron(0 9 * * ? *) is not an IANA time zone name; did you mean Europe/Berlin?"],
    ['cron(0 9 * * ? *)', { timeZone: 'GMT+2' }, 'is a UTC offset, not an IANA time zone name'],
    ['cron(0 9 * * ? *)', { timeZone: 'europe/berlin' }, 'must be spelled exactly as in the IANA database: Europe/Berlin'],
    ['cron(0 9 * * ? *)', { timeZone: 'Europe/Berlin', target: 'rule' }, 'EventBridge rules run in UTC only'],
    ['at(2026-05-01T09:00:00)', { target: 'rule' }, 'EventBridge rules do not take at(); a one-time run needs an EventBridge Scheduler schedule'],
    ['cron(0 9 ? * MON-FRI 2020-2025)', {}, 'its year field has ended'],
    ['cron(0 0 30 2 ? *)', {}, 'never fires'],
    ['0 9 * * ? *', {}, 'wrap cron fields in cron(...): cron(0 9 * * ? *)'],
  ];
  it.each(errors)('%s %o', (expression, options, message) => {
    let caught: unknown;
    try {
      parseSchedule(expression, { ...options, now: FROM });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ScheduleExpressionError);
    expect(caught).toBeInstanceOf(ConfigurationError);
    expect((caught as Error).message).toContain(message);
  });

  it('accepts IANA names that are links or abbreviations Intl knows (CET, US/Eastern)', () => {
    expect(parseSchedule('cron(0 9 * * ? *)', { timeZone: 'CET' }).timeZone).toBe('CET');
    expect(parseSchedule('cron(0 9 * * ? *)', { timeZone: 'US/Eastern' }).timeZone).toBe('US/Eastern');
  });

  it('rejects unknown options', () => {
    expect(() => parseSchedule('rate(1 hour)', { timezone: 'UTC' } as never)).toThrow("unknown option 'timezone'");
  });
});

describe('parseSchedule: next() agrees with a minute-by-minute scan (property)', () => {
  const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe'];
  const list = (values: number[]) => [...new Set(values)].sort((a, b) => a - b).join(',');

  it('for random cron expressions, zones and instants around DST changes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 59 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 23 }), { minLength: 4, maxLength: 12 }),
        fc.constantFrom('*', 'MON-FRI', 'SAT,SUN', 'L'),
        fc.constantFrom(...zones),
        fc.constantFrom('2026-03-08T00:00:00Z', '2026-03-28T18:00:00Z', '2026-10-03T12:00:00Z', '2026-10-24T20:00:00Z', '2026-11-01T04:00:00Z', '2026-04-04T12:00:00Z'),
        fc.integer({ min: 0, max: 36 * 60 }),
        (minutes, hours, days, zone, base, offsetMinutes) => {
          const dayFields = days === '*' ? '* * ?' : `? * ${days}`;
          const expression = `cron(${list(minutes)} ${list(hours)} ${dayFields} *)`;
          const schedule = parseSchedule(expression, { timeZone: zone, now: FROM });
          const after = new Date(Date.parse(base) + offsetMinutes * 60_000 + 17_000);
          const fields = cronFieldsOf(schedule)!;
          const seen = new Set<string>();
          // Scan instants minute by minute; a wall-clock time fires at its first occurrence only.
          let expected: Date | undefined;
          for (let t = Math.floor(after.getTime() / 60_000) * 60_000 - 3 * 3600_000; t < after.getTime() + 2 * 24 * 3600_000; t += 60_000) {
            const local = DateTime.fromMillis(t, { zone });
            const key = local.toFormat('yyyy-MM-dd HH:mm');
            const firstTime = !seen.has(key);
            seen.add(key);
            if (t <= after.getTime() || !firstTime) continue;
            const dayOk = daysOf(fields.days, local.year, local.month).includes(local.day);
            if (dayOk && fields.hours.includes(local.hour) && fields.minutes.includes(local.minute)) {
              expected = new Date(t);
              break;
            }
          }
          if (expected !== undefined) expect(schedule.next(after)?.toISOString()).toBe(expected.toISOString());
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });
});
