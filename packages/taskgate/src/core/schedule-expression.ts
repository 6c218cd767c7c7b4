import cronstrue from 'cronstrue';
import { type CronFields, nextMatch, parseCronFields } from './cron-fields';
import { ScheduleExpressionError } from './schedule-expression-error';
import { addMinutes, checkTimeZone, formatWall, instantsOf, naiveMs, type WallTime, wallTimeOf, zoneTransitions } from './zoned-time';

export { ScheduleExpressionError } from './schedule-expression-error';

/**
 * The one evaluator of schedule expressions in taskgate: the constructs validate with it at synth
 * time, the embedded runtime fires schedules with it, `taskgate explain` prints with it.
 *
 * Libraries: `luxon` (over Intl's tz database) gives a zone's UTC offset at an instant, from which
 * `zoned-time.ts` derives DST gaps and overlaps; `cronstrue` writes the English description. Cron
 * matching is our own (`cron-fields.ts` says why `aws-cron-parser` was not used): it walks
 * wall-clock fields in the schedule's zone, which is what makes EventBridge Scheduler's DST rules
 * straightforward to apply.
 */
export interface ParsedSchedule {
  readonly kind: 'rate' | 'cron' | 'at';
  readonly expression: string;
  /** 'UTC' when none given. */
  readonly timeZone: string;
  /** The first fire time strictly after `after`, or undefined when there is none (at() passed, year range ended). */
  next(after: Date): Date | undefined;
  /** Up to `count` fire times strictly after `after`. */
  upcoming(after: Date, count: number): Date[];
  /** Plain English, e.g. "at 09:00, Monday through Friday (Europe/Berlin)". */
  describe(): string;
}

export interface ParseScheduleOptions {
  /**
   * An IANA time zone the expression is evaluated in.
   * @default 'UTC'
   */
  readonly timeZone?: string;
  /**
   * The instant an `at()` (or a cron's last year) must lie after.
   * @default - the current time
   */
  readonly now?: Date;
  /**
   * What will run the expression: an EventBridge rule (UTC, rate and cron only) or an EventBridge
   * Scheduler schedule (any zone; rate, cron and at).
   * @default 'scheduler'
   */
  readonly target?: 'rule' | 'scheduler';
  /**
   * Accept an `at()` or a cron whose fire times all lie before `now` (the embedded runtime reads
   * deployed schedules, which may have fired already).
   * @default false
   */
  readonly allowPast?: boolean;
}

const OPTION_KEYS = new Set(['timeZone', 'now', 'target', 'allowPast']);
const MINUTE = 60_000;

/**
 * Parses and checks a schedule expression; throws `ScheduleExpressionError` with the expression,
 * what is wrong and the corrected expression where one is obvious.
 *
 * @example
 * const schedule = parseSchedule('cron(30 2 * * ? *)', { timeZone: 'Europe/Berlin' });
 * schedule.next(new Date('2026-03-28T12:00:00Z')); // 2026-03-30T00:30:00Z: 02:30 does not exist on the 29th
 */
export function parseSchedule(expression: string, options: ParseScheduleOptions = {}): ParsedSchedule {
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new TypeError(`parseSchedule: unknown option '${key}' (options are ${[...OPTION_KEYS].join(', ')})`);
  }
  const text = expression.trim();
  const target = options.target ?? 'scheduler';
  if (options.timeZone !== undefined && target === 'rule') {
    throw new ScheduleExpressionError(
      `${text} with time zone ${options.timeZone}: EventBridge rules run in UTC only; use an EventBridge Scheduler schedule for a time zone (give the schedule a timeZone), or write the times in UTC`,
    );
  }
  const timeZone = options.timeZone === undefined ? 'UTC' : checkTimeZone(options.timeZone, text);
  const schedule = parseExpression(text, timeZone, target);
  if (!options.allowPast) checkNotPast(schedule, options.now ?? new Date());
  return schedule;
}

function parseExpression(text: string, timeZone: string, target: 'rule' | 'scheduler'): Schedule {
  const call = /^(rate|cron|at)\s*\((.*)\)$/s.exec(text);
  if (!call) {
    const fields = text.split(/\s+/);
    if (fields.length >= 5 && fields.length <= 6 && fields.every((f) => /^[\d*?/,\-LW#A-Za-z]+$/.test(f))) {
      // Run the body through the cron checks so the suggestion is a valid AWS expression.
      try {
        parseCronFields(text, `cron(${text})`);
      } catch (error) {
        throw new ScheduleExpressionError(`'${text}' is not a schedule expression; wrap cron fields in cron(...). ${(error as Error).message}`);
      }
      throw new ScheduleExpressionError(`'${text}' is not a schedule expression; wrap cron fields in cron(...): cron(${text})`);
    }
    if (/^\d+\s+[a-z]+$/i.test(text)) throw new ScheduleExpressionError(`'${text}' is not a schedule expression; write rate(${text})`);
    throw new ScheduleExpressionError(`'${text}' is not a schedule expression; write rate(5 minutes), cron(0 9 ? * MON-FRI *) or at(2026-12-31T23:00:00)`);
  }
  const [, kind, body] = call as unknown as [string, 'rate' | 'cron' | 'at', string];
  switch (kind) {
    case 'rate':
      return new RateSchedule(text, timeZone, parseRate(body, text));
    case 'cron':
      return new CronSchedule(text, timeZone, parseCronFields(body, text));
    case 'at':
      if (target === 'rule') {
        throw new ScheduleExpressionError(
          `${text}: EventBridge rules do not take at(); a one-time run needs an EventBridge Scheduler schedule (give the schedule a timeZone, e.g. 'UTC')`,
        );
      }
      return new AtSchedule(text, timeZone, parseAt(body, text));
  }
}

abstract class Schedule implements ParsedSchedule {
  abstract readonly kind: 'rate' | 'cron' | 'at';
  constructor(
    readonly expression: string,
    readonly timeZone: string,
  ) {}
  abstract next(after: Date): Date | undefined;
  abstract describe(): string;
  /** Wall-clock times of this schedule that fall into a DST gap (skipped) or overlap (run once) between two instants. */
  abstract dstConflicts(from: Date, until: Date): DstConflict[];

  upcoming(after: Date, count: number): Date[] {
    const times: Date[] = [];
    let cursor: Date | undefined = after;
    while (times.length < count && (cursor = this.next(cursor)) !== undefined) times.push(cursor);
    return times;
  }
}

// --- rate -------------------------------------------------------------------------------------

const RATE_UNITS = { minute: MINUTE, hour: 60 * MINUTE, day: 24 * 60 * MINUTE } as const;
type RateUnit = keyof typeof RATE_UNITS;

interface Rate {
  readonly value: number;
  readonly unit: RateUnit;
}

function parseRate(body: string, text: string): Rate {
  const m = /^\s*(\S+)\s+([A-Za-z]+)\s*$/.exec(body);
  if (!m) throw new ScheduleExpressionError(`${text} is not a rate; write rate(value unit), e.g. rate(5 minutes), rate(1 hour), rate(2 days)`);
  const [, valueText, unitText] = m as unknown as [string, string, string];
  const unitWord = unitText.toLowerCase();
  const singular = unitWord.replace(/s$/, '');
  const value = Number(valueText);
  if (singular === 'second' || singular === 'sec') {
    throw new ScheduleExpressionError(`${text} is below one minute, the shortest interval EventBridge fires at; the shortest rate is rate(1 minute)`);
  }
  if (singular === 'week') {
    throw new ScheduleExpressionError(`${text}: rate units are minutes, hours and days; write rate(${value * 7} days)`);
  }
  if (!(singular in RATE_UNITS)) {
    throw new ScheduleExpressionError(`${text}: '${unitText}' is not a rate unit; use minute(s), hour(s) or day(s), e.g. rate(5 minutes)`);
  }
  const unit = singular as RateUnit;
  if (!/^\d+(\.\d+)?$/.test(valueText) || !Number.isInteger(value)) {
    const inMinutes = (value * RATE_UNITS[unit]) / MINUTE;
    const hint = Number.isInteger(inMinutes) && inMinutes >= 1 ? `: rate(${inMinutes} minute${inMinutes === 1 ? '' : 's'})` : '';
    throw new ScheduleExpressionError(`${text}: the value must be a whole number${hint}`);
  }
  if (value < 1) {
    throw new ScheduleExpressionError(`${text} is below one minute, the shortest interval EventBridge fires at; the shortest rate is rate(1 minute)`);
  }
  const correct = `rate(${value} ${value === 1 ? unit : `${unit}s`})`;
  if (unitWord !== (value === 1 ? unit : `${unit}s`)) {
    const rule = value === 1 ? `a value of 1 takes the singular '${unit}'` : `a value above 1 takes the plural '${unit}s'`;
    throw new ScheduleExpressionError(`${text}: ${rule}; write ${correct}`);
  }
  return { value, unit };
}

/**
 * EventBridge fires a rate relative to when the rule or schedule was created (or its StartDate),
 * which a local runtime cannot know. taskgate's choice for `next()`: fire times aligned to the Unix
 * epoch in whole periods, so rate(5 minutes) fires at :00, :05, :10... and rate(1 day) at 00:00 UTC.
 * The time zone does not move them: Scheduler counts a rate of days as 24-hour periods, DST or not.
 */
class RateSchedule extends Schedule {
  readonly kind = 'rate';
  private readonly period: number;

  constructor(
    expression: string,
    timeZone: string,
    readonly rate: Rate,
  ) {
    super(expression, timeZone);
    this.period = rate.value * RATE_UNITS[rate.unit];
  }

  next(after: Date): Date {
    return new Date((Math.floor(after.getTime() / this.period) + 1) * this.period);
  }

  describe(): string {
    const every = this.rate.value === 1 ? `every ${this.rate.unit}` : `every ${this.rate.value} ${this.rate.unit}s`;
    return `${every} (periods counted from the time the schedule is created)`;
  }

  dstConflicts(): DstConflict[] {
    return [];
  }
}

// --- cron -------------------------------------------------------------------------------------

/**
 * DST, as EventBridge Scheduler documents it ("Daylight saving time on EventBridge Scheduler",
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#daylist-savings-time):
 * when clocks spring forward, an invocation whose local time does not exist is skipped; when they
 * fall back, a local time that occurs twice runs once. We run it at the first occurrence.
 */
class CronSchedule extends Schedule {
  readonly kind = 'cron';

  constructor(
    expression: string,
    timeZone: string,
    readonly fields: CronFields,
  ) {
    super(expression, timeZone);
  }

  next(after: Date): Date | undefined {
    const afterMs = after.getTime();
    let from: WallTime = wallTimeOf(new Date((Math.floor(afterMs / MINUTE) + 1) * MINUTE), this.timeZone);
    // Each pass either returns or moves one minute past a wall time that is in a gap or already
    // fired in the first pass of an overlap: at most about an hour of minutes.
    for (let pass = 0; pass < 10_000; pass++) {
      const match = nextMatch(this.fields, from);
      if (match === undefined) return undefined;
      const first = instantsOf(match, this.timeZone)[0];
      if (first !== undefined && first.getTime() > afterMs) return first;
      from = addMinutes(match, 1);
    }
    throw new Error(`${this.expression}: no fire time found after ${after.toISOString()} in 10000 passes (a bug in taskgate's evaluator)`);
  }

  describe(): string {
    return `${describeCron(this.fields)} (${this.timeZone})`;
  }

  dstConflicts(from: Date, until: Date): DstConflict[] {
    const conflicts: DstConflict[] = [];
    for (const transition of zoneTransitions(this.timeZone, from, until)) {
      const match = nextMatch(this.fields, transition.from);
      if (match !== undefined && naiveMs(match) < naiveMs(transition.to)) conflicts.push(conflict(transition.kind, match, transition.at, this.timeZone));
    }
    return conflicts;
  }
}

function describeCron(fields: CronFields): string {
  // cronstrue reads seven fields with seconds first; AWS's are minutes..year, so prefix a 0 second.
  const english = cronstrue.toString(`0 ${fields.raw.join(' ')}`, { dayOfWeekStartIndexZero: false, use24HourTimeFormat: true, verbose: false });
  return english.charAt(0).toLowerCase() + english.slice(1);
}

// --- at ---------------------------------------------------------------------------------------

function parseAt(body: string, text: string): WallTime & { second: number } {
  const strict = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  const loose = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/i.exec(body);
  const parts = strict ?? loose;
  if (!parts) {
    throw new ScheduleExpressionError(`${text} is not a valid at() expression; AWS's format is at(yyyy-mm-ddThh:mm:ss), e.g. at(2026-12-31T23:00:00), with the zone given separately`);
  }
  const [year, month, day, hour, minute, second] = parts.slice(1, 7).map((p) => Number(p ?? 0)) as [number, number, number, number, number, number];
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const canonical = `at(${p(year, 4)}-${p(month)}-${p(day)}T${p(hour)}:${p(minute)}:${p(second)})`;
  if (!strict) {
    const zone = loose![7];
    const why = zone ? `takes no zone suffix ('${zone}'); give the time zone as the schedule's timeZone instead` : 'needs the exact form yyyy-mm-ddThh:mm:ss';
    throw new ScheduleExpressionError(`${text}: at() ${why}: ${canonical}`);
  }
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new ScheduleExpressionError(`${text}: ${body} is not a date and time that exists in the calendar`);
  }
  return { year, month, day, hour, minute, second };
}

class AtSchedule extends Schedule {
  readonly kind = 'at';
  readonly fireTime: Date;

  constructor(
    expression: string,
    timeZone: string,
    readonly wall: WallTime & { second: number },
  ) {
    super(expression, timeZone);
    const first = instantsOf(wall, timeZone)[0];
    if (first === undefined) {
      const later = addMinutes(wall, 60);
      throw new ScheduleExpressionError(
        `${expression}: ${formatWall(wall)} does not exist in ${timeZone} (the clocks spring forward over it), so it would never run; pick a time outside the gap, e.g. at(${formatWall(later).replace(' ', 'T')}:00)`,
      );
    }
    this.fireTime = new Date(first.getTime() + wall.second * 1000);
  }

  next(after: Date): Date | undefined {
    return this.fireTime.getTime() > after.getTime() ? this.fireTime : undefined;
  }

  describe(): string {
    return `once, at ${formatWall(this.wall)}:${String(this.wall.second).padStart(2, '0')} (${this.timeZone})`;
  }

  dstConflicts(from: Date, until: Date): DstConflict[] {
    if (this.fireTime < from || this.fireTime > until) return [];
    return instantsOf(this.wall, this.timeZone).length > 1 ? [conflict('overlap', this.wall, this.fireTime, this.timeZone)] : [];
  }
}

// --- checks and DST report ----------------------------------------------------------------------

function checkNotPast(schedule: Schedule, now: Date): void {
  const none = noFireTimeAfter(schedule, now);
  if (none) throw new ScheduleExpressionError(`${none.message}; ${none.fix}`);
}

/** Why a schedule has no fire time left: it `never` fires (no date matches), or its times are `past`. */
export interface NoFireTime {
  readonly kind: 'never' | 'past';
  /** What is wrong, e.g. `at(2020-01-01T00:00:00) is in the past (2020-01-01T00:00:00.000Z, now ...)`. */
  readonly message: string;
  /** What to write instead. */
  readonly fix: string;
}

/**
 * Undefined when `schedule` fires after `now`; otherwise why not. `never` (an impossible date such
 * as 30 FEB) does not depend on the clock; `past` (an `at()` gone by, a cron whose years have
 * ended) does, and becomes true of every one-time schedule once it has fired.
 */
export function noFireTimeAfter(schedule: ParsedSchedule, now: Date): NoFireTime | undefined {
  if (schedule.next(now) !== undefined) return undefined;
  if (schedule instanceof AtSchedule) {
    return {
      kind: 'past',
      message: `${schedule.expression} is in the past (${schedule.fireTime.toISOString()}, now ${now.toISOString()})`,
      fix: 'a one-time schedule must be in the future',
    };
  }
  if (schedule.next(new Date(Date.UTC(1969, 11, 31))) === undefined) {
    return {
      kind: 'never',
      message: `${schedule.expression} never fires: no date matches its day, month and year fields`,
      fix: 'is it a day that does not exist, such as 30 FEB?',
    };
  }
  return {
    kind: 'past',
    message: `${schedule.expression} has no fire time after ${now.toISOString()}: its year field has ended`,
    fix: 'widen it, e.g. to *',
  };
}

/** A wall-clock fire time that DST skips or repeats. */
export interface DstConflict {
  /** 'gap': the local time does not exist and the run is skipped; 'overlap': it occurs twice and runs once. */
  readonly kind: 'gap' | 'overlap';
  /** The affected local time, `yyyy-mm-dd hh:mm`. */
  readonly localTime: string;
  /** When the zone's offset changes. */
  readonly transition: Date;
  readonly message: string;
}

function conflict(kind: 'gap' | 'overlap', wall: WallTime, transition: Date, zone: string): DstConflict {
  const localTime = formatWall(wall);
  const message =
    kind === 'gap'
      ? `${localTime} does not exist in ${zone} (clocks spring forward): that run is skipped`
      : `${localTime} occurs twice in ${zone} (clocks fall back): it runs once, at the first occurrence`;
  return { kind, localTime, transition, message };
}

/** The fire times of `schedule` that a DST change in its zone skips or repeats, between two instants. */
export function dstConflicts(schedule: ParsedSchedule, from: Date, until: Date): DstConflict[] {
  return schedule instanceof Schedule ? schedule.dstConflicts(from, until) : [];
}

/** The parsed cron fields of a cron schedule (for heuristics such as "a fixed hour in UTC"), else undefined. */
export function cronFieldsOf(schedule: ParsedSchedule): CronFields | undefined {
  return schedule instanceof CronSchedule ? schedule.fields : undefined;
}
