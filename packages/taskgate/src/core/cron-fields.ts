import { ScheduleExpressionError } from './schedule-expression-error';
import type { WallTime } from './zoned-time';

/**
 * AWS's six-field cron (minutes hours day-of-month month day-of-week year), parsed into the
 * values each field allows.
 *
 * Written by hand rather than on `aws-cron-parser` (a dependency, still used nowhere else) after
 * reading its source: it computes weekdays with the machine's local `Date` (so `MON-FRI` shifts with
 * the host's zone), replaces only the first name in a list (`MON,WED` fails), lets non-numbers
 * through as `NaN`, reads `L` alone in day-of-week as no day at all, and works in UTC only. What
 * this module implements is what the AWS documentation lists: `, - * / ? L W #`, names SUN-SAT
 * (SUN=1) and JAN-DEC, years 1970-2199; plus Quartz's `LW` (last weekday) and `nL` in day-of-week
 * (last Friday = `6L`), which EventBridge's Quartz-derived parser accepts.
 */
export interface CronFields {
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly months: readonly number[];
  readonly years: readonly number[];
  /** Which days of a month fire; exactly one of day-of-month / day-of-week is set, the other is `?`. */
  readonly days: DayRule;
  /** The six fields as written, upper-cased. */
  readonly raw: readonly string[];
}

type DayRule =
  | { readonly kind: 'month-days'; readonly values: readonly number[] }
  | { readonly kind: 'last-day' }
  | { readonly kind: 'last-weekday' }
  | { readonly kind: 'nearest-weekday'; readonly day: number }
  | { readonly kind: 'week-days'; readonly values: readonly number[] }
  | { readonly kind: 'last-of-week-day'; readonly weekday: number }
  | { readonly kind: 'nth-week-day'; readonly weekday: number; readonly nth: number };

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
/** AWS numbering: SUN=1 ... SAT=7. */
export const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldSpec[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  { name: 'day-of-week', min: 1, max: 7, names: DAY_NAMES },
  { name: 'year', min: 1970, max: 2199 },
];
const [MINUTES, HOURS, DAY_OF_MONTH, MONTH, DAY_OF_WEEK, YEAR] = FIELDS as [FieldSpec, FieldSpec, FieldSpec, FieldSpec, FieldSpec, FieldSpec];

/** Parses the inside of `cron(...)`; `expression` is the whole text, for messages. */
export function parseCronFields(body: string, expression: string): CronFields {
  const raw = body.trim().split(/\s+/).filter((f) => f !== '');
  if (raw.length === 5) {
    throw new ScheduleExpressionError(
      `${expression} has five fields, the Unix cron layout; AWS cron has six: minutes hours day-of-month month day-of-week year. Add the year: ${suggestFromUnix(raw)}`,
    );
  }
  if (raw.length === 7) {
    throw new ScheduleExpressionError(
      `${expression} has seven fields; AWS cron has no seconds field, its six are minutes hours day-of-month month day-of-week year. Drop the first: cron(${raw.slice(1).join(' ')})`,
    );
  }
  if (raw.length !== 6) {
    throw new ScheduleExpressionError(
      `${expression} has ${raw.length} field${raw.length === 1 ? '' : 's'}; AWS cron has six: minutes hours day-of-month month day-of-week year, e.g. cron(0 9 ? * MON-FRI *)`,
    );
  }
  const fields = raw.map((f) => f.toUpperCase()) as [string, string, string, string, string, string];
  const [min, hour, dom, month, dow, year] = fields;
  checkDayFields(fields, expression);
  for (const [i, field] of fields.entries()) {
    if (field === '?' && i !== 2 && i !== 4) {
      throw new ScheduleExpressionError(`${expression}: '?' is allowed only in day-of-month or day-of-week, not in ${FIELDS[i]!.name}`);
    }
  }
  return {
    minutes: parseList(min, MINUTES, expression),
    hours: parseList(hour, HOURS, expression),
    months: parseList(month, MONTH, expression),
    years: parseList(year, YEAR, expression),
    days: dom === '?' ? parseDayOfWeek(dow, expression, fields) : parseDayOfMonth(dom, expression),
    raw: fields,
  };
}

/** The `?` rule: exactly one of day-of-month and day-of-week is `?`. */
function checkDayFields(fields: readonly string[], expression: string): void {
  const dom = fields[2]!;
  const dow = fields[4]!;
  const withDays = (d: string, w: string) => `cron(${[fields[0], fields[1], d, fields[3], w, fields[5]].join(' ')})`;
  if (dom === '?' && dow === '?') {
    throw new ScheduleExpressionError(`${expression} has '?' in both day-of-month and day-of-week; one of them must say which days: ${withDays('*', '?')} runs every day`);
  }
  if (dom !== '?' && dow !== '?') {
    if (dom === '*' && dow === '*') {
      throw new ScheduleExpressionError(
        `${expression} has '*' in both day-of-month and day-of-week; AWS requires '?' in one of them: ${withDays('*', '?')}`,
      );
    }
    if (dom === '*') {
      throw new ScheduleExpressionError(`${expression} sets day-of-week, so day-of-month must be '?': ${withDays('?', dow)}`);
    }
    if (dow === '*') {
      throw new ScheduleExpressionError(`${expression} sets day-of-month, so day-of-week must be '?': ${withDays(dom, '?')}`);
    }
    throw new ScheduleExpressionError(
      `${expression} sets both day-of-month (${dom}) and day-of-week (${dow}); AWS takes one and '?' in the other: ${withDays(dom, '?')} or ${withDays('?', dow)}`,
    );
  }
}

function parseDayOfMonth(field: string, expression: string): DayRule {
  if (field === 'L') return { kind: 'last-day' };
  if (field === 'LW') return { kind: 'last-weekday' };
  const w = /^(\d+)W$/.exec(field);
  if (w) return { kind: 'nearest-weekday', day: number(w[1]!, DAY_OF_MONTH, expression) };
  if (/[LW#]/.test(field)) {
    throw new ScheduleExpressionError(
      `${expression}: day-of-month '${field}' is not valid; use L (last day), LW (last weekday) or nW (weekday nearest day n) alone, or numbers, ranges and lists`,
    );
  }
  return { kind: 'month-days', values: parseList(field, DAY_OF_MONTH, expression) };
}

function parseDayOfWeek(field: string, expression: string, fields: readonly string[]): DayRule {
  if (field === 'L') return { kind: 'week-days', values: [7] };
  const last = /^(\w+)L$/.exec(field);
  if (last) return { kind: 'last-of-week-day', weekday: number(last[1]!, DAY_OF_WEEK, expression) };
  const nth = /^(\w+)#(\d+)$/.exec(field);
  if (nth) {
    const n = Number(nth[2]);
    if (n < 1 || n > 5) throw new ScheduleExpressionError(`${expression}: in day-of-week '${field}' the number after # is the week of the month, 1 to 5 (given ${n})`);
    return { kind: 'nth-week-day', weekday: number(nth[1]!, DAY_OF_WEEK, expression), nth: n };
  }
  if (/[LW#]/.test(field.replace(/SUN|MON|TUE|WED|THU|FRI|SAT/g, ''))) {
    throw new ScheduleExpressionError(`${expression}: day-of-week '${field}' is not valid; use L, nL (last such day of the month) or n#k (k-th such day) alone`);
  }
  checkUnixWeekdays(field, expression, fields);
  return { kind: 'week-days', values: parseList(field, DAY_OF_WEEK, expression) };
}

/**
 * AWS counts SUN=1 ... SAT=7; Unix cron counts SUN=0 (or 7), MON=1 ... SAT=6. A 0 can only be
 * Unix. `1-5` is valid AWS (Sunday through Thursday) but is by far most often the Unix idiom for
 * Monday through Friday, so it is refused with both readings spelled out in names. Other numbers
 * are taken as AWS numbers.
 */
function checkUnixWeekdays(field: string, expression: string, fields: readonly string[]): void {
  const numbers = field.match(/\d+/g)?.map(Number) ?? [];
  const rewrite = (dow: string) => `cron(${[fields[0], fields[1], fields[2], fields[3], dow, fields[5]].join(' ')})`;
  if (numbers.includes(0) || field === '1-5') {
    const unixNames = unixToNames(field);
    const awsNumbers = field.replace(/\d+/g, (n) => String((Number(n) % 7) + 1));
    const asAws = numbers.includes(0) ? '' : ` If you do mean ${awsNames(field)}, write it with names: ${rewrite(awsNames(field))}.`;
    throw new ScheduleExpressionError(
      `${expression}: day-of-week '${field}' looks like Unix numbering (SUN=0, MON=1); AWS counts SUN=1 ... SAT=7. For ${unixNames} write ${rewrite(unixNames)}${awsNumbers === '1-5' ? '' : ` (or ${rewrite(awsNumbers)})`}.${asAws}`,
    );
  }
}

function unixToNames(field: string): string {
  return field.replace(/\d+/g, (n) => DAY_NAMES[Number(n) % 7] ?? n);
}
function awsNames(field: string): string {
  return field.replace(/\d+/g, (n) => DAY_NAMES[Number(n) - 1] ?? n);
}

/** A five-field Unix cron rewritten as AWS's six fields, with `?` and day names where needed. */
function suggestFromUnix(raw: readonly string[]): string {
  const [min, hour, dom, month] = raw as [string, string, string, string, string];
  let dow = raw[4]!.toUpperCase();
  if (/^[\d,\-/*]+$/.test(dow) && dow !== '*') dow = unixToNames(dow);
  let days: [string, string];
  if (dow === '*' || dow === '?') days = [dom === '?' ? '*' : dom, '?'];
  else days = ['?', dow];
  return `cron(${[min, hour, days[0], month, days[1], '*'].join(' ')})`;
}

/** `*`, `a`, `a-b`, `*\/n`, `a/n`, `a-b/n`, comma-separated; names where the field has them. */
function parseList(field: string, spec: FieldSpec, expression: string): number[] {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|[A-Z0-9]+(?:-[A-Z0-9]+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) {
      throw new ScheduleExpressionError(`${expression}: ${spec.name} '${field}' is not valid; write a value, a range a-b, a list a,b or a step a/n (${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}-${spec.names.at(-1)}` : ''})`);
    }
    const [, range, step] = m as unknown as [string, string, string | undefined];
    let start: number;
    let end: number;
    if (range === '*') {
      start = spec.min;
      end = spec.max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      start = number(a, spec, expression);
      end = number(b, spec, expression);
      if (start > end) {
        throw new ScheduleExpressionError(`${expression}: ${spec.name} range '${range}' runs backwards; AWS ranges go upward, so list both ends instead: '${a}-${spec.names?.[spec.max - spec.min] ?? spec.max},${spec.names?.[0] ?? spec.min}-${b}'`);
      }
    } else {
      start = number(range, spec, expression);
      end = step === undefined ? start : spec.max;
    }
    const increment = step === undefined ? 1 : Number(step);
    if (increment < 1) throw new ScheduleExpressionError(`${expression}: ${spec.name} step '/${step}' must be 1 or more`);
    for (let v = start; v <= end; v += increment) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

function number(text: string, spec: FieldSpec, expression: string): number {
  const named = spec.names?.indexOf(text) ?? -1;
  if (named >= 0) return spec.min + named;
  if (!/^\d+$/.test(text)) {
    throw new ScheduleExpressionError(
      `${expression}: '${text}' is not a valid ${spec.name}; use ${spec.min}-${spec.max}${spec.names ? ` or ${spec.names.join(', ')}` : ''}`,
    );
  }
  const value = Number(text);
  if (value < spec.min || value > spec.max) {
    throw new ScheduleExpressionError(`${expression}: ${spec.name} must be between ${spec.min} and ${spec.max} (given ${value})`);
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1 = Sunday ... 7 = Saturday, as AWS counts. */
function weekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

function isWeekday(year: number, month: number, day: number): boolean {
  const w = weekday(year, month, day);
  return w >= 2 && w <= 6;
}

/** The days of one month that fire, ascending. */
export function daysOf(rule: DayRule, year: number, month: number): number[] {
  const length = daysInMonth(year, month);
  const all = Array.from({ length }, (_, i) => i + 1);
  switch (rule.kind) {
    case 'month-days':
      return rule.values.filter((d) => d <= length);
    case 'last-day':
      return [length];
    case 'last-weekday': {
      let d = length;
      while (!isWeekday(year, month, d)) d--;
      return [d];
    }
    case 'nearest-weekday': {
      // Quartz's W: the weekday nearest the day, never leaving the month (1W on a Saturday is Monday the 3rd).
      if (rule.day > length) return [];
      for (const offset of [0, -1, 1, -2, 2]) {
        const d = rule.day + offset;
        if (d >= 1 && d <= length && isWeekday(year, month, d)) return [d];
      }
      return [];
    }
    case 'week-days':
      return all.filter((d) => rule.values.includes(weekday(year, month, d)));
    case 'last-of-week-day':
      return [all.filter((d) => weekday(year, month, d) === rule.weekday).at(-1)!];
    case 'nth-week-day': {
      const d = all.filter((day) => weekday(year, month, day) === rule.weekday)[rule.nth - 1];
      return d === undefined ? [] : [d];
    }
  }
}

/** The first wall-clock minute at or after `from` that the fields match, or undefined when the years run out. */
export function nextMatch(fields: CronFields, from: WallTime): WallTime | undefined {
  for (const year of fields.years) {
    if (year < from.year) continue;
    const sameYear = year === from.year;
    for (const month of fields.months) {
      if (sameYear && month < from.month) continue;
      const sameMonth = sameYear && month === from.month;
      for (const day of daysOf(fields.days, year, month)) {
        if (sameMonth && day < from.day) continue;
        const sameDay = sameMonth && day === from.day;
        for (const hour of fields.hours) {
          if (sameDay && hour < from.hour) continue;
          const sameHour = sameDay && hour === from.hour;
          const minute = fields.minutes.find((m) => !sameHour || m >= from.minute);
          if (minute !== undefined) return { year, month, day, hour, minute };
        }
      }
    }
  }
  return undefined;
}
