import { DateTime } from 'luxon';
import { ScheduleExpressionError } from './schedule-expression-error';

/**
 * Wall-clock time in some zone, to the minute. Arithmetic on it is done on a "naive" UTC
 * timestamp of the same fields (`naiveMs`), which has no DST, so it never depends on the
 * machine's own zone.
 */
export interface WallTime {
  readonly year: number;
  readonly month: number; // 1-12
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function naiveMs(wall: WallTime): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
}

export function wallFromNaive(ms: number): WallTime {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes() };
}

export function addMinutes(wall: WallTime, minutes: number): WallTime {
  return wallFromNaive(naiveMs(wall) + minutes * MINUTE);
}

export function formatWall(wall: WallTime): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${wall.year}-${p(wall.month)}-${p(wall.day)} ${p(wall.hour)}:${p(wall.minute)}`;
}

/** The zone's UTC offset at an instant, in minutes (luxon reads it from Intl's tz database). */
export function offsetMinutes(ms: number, zone: string): number {
  if (zone === 'UTC') return 0;
  return DateTime.fromMillis(ms, { zone }).offset;
}

/** The wall-clock time of an instant in a zone (seconds dropped). */
export function wallTimeOf(instant: Date, zone: string): WallTime {
  const ms = Math.floor(instant.getTime() / MINUTE) * MINUTE;
  return wallFromNaive(ms + offsetMinutes(ms, zone) * MINUTE);
}

/**
 * Every instant at which `wall` occurs in `zone`, earliest first: none in a spring-forward gap,
 * two in a fall-back overlap, one otherwise. Candidate offsets are the zone's offsets a day
 * either side, which covers every zone whose offset changes at most once in two days.
 */
export function instantsOf(wall: WallTime, zone: string): Date[] {
  const naive = naiveMs(wall);
  if (zone === 'UTC') return [new Date(naive)];
  const offsets = new Set([offsetMinutes(naive - DAY, zone), offsetMinutes(naive, zone), offsetMinutes(naive + DAY, zone)]);
  const found = new Set<number>();
  for (const offset of offsets) {
    const ms = naive - offset * MINUTE;
    if (offsetMinutes(ms, zone) === offset) found.add(ms);
  }
  return [...found].sort((a, b) => a - b).map((ms) => new Date(ms));
}

/** An instant where the zone's offset changes, with the wall-clock span that is skipped or repeated. */
export interface ZoneTransition {
  readonly at: Date;
  readonly kind: 'gap' | 'overlap';
  /** First wall-clock minute affected. */
  readonly from: WallTime;
  /** First wall-clock minute after the affected span. */
  readonly to: WallTime;
}

/** The offset changes of `zone` between two instants (found by daily steps, then bisection). */
export function zoneTransitions(zone: string, from: Date, until: Date): ZoneTransition[] {
  const transitions: ZoneTransition[] = [];
  if (zone === 'UTC') return transitions;
  let previous = from.getTime();
  let previousOffset = offsetMinutes(previous, zone);
  for (let t = previous + 6 * HOUR; t <= until.getTime() + 6 * HOUR; t += 6 * HOUR) {
    const offset = offsetMinutes(t, zone);
    if (offset !== previousOffset) {
      let lo = previous;
      let hi = t;
      while (hi - lo > MINUTE) {
        const mid = Math.floor((lo + hi) / 2 / MINUTE) * MINUTE;
        if (offsetMinutes(mid, zone) === previousOffset) lo = mid;
        else hi = mid;
      }
      const before = wallFromNaive(hi + previousOffset * MINUTE);
      const after = wallFromNaive(hi + offset * MINUTE);
      if (hi <= until.getTime()) {
        transitions.push(
          offset > previousOffset ? { at: new Date(hi), kind: 'gap', from: before, to: after } : { at: new Date(hi), kind: 'overlap', from: after, to: before },
        );
      }
    }
    previous = t;
    previousOffset = offset;
  }
  return transitions;
}

const ALL_ZONES = new Set(Intl.supportedValuesOf('timeZone'));
/** Zones that passed the check: building an Intl.DateTimeFormat costs tens of µs, and an app's schedules share a few zones. */
const CHECKED_ZONES = new Set<string>(['UTC']);

/**
 * Checks that `zone` is an IANA time zone name as EventBridge Scheduler takes it, and returns it.
 * Intl alone is too lenient here: it accepts any letter case and, on newer Node, raw offsets.
 */
export function checkTimeZone(zone: string, expression: string): string {
  if (CHECKED_ZONES.has(zone)) return zone;
  const where = `time zone '${zone}' of ${expression}`;
  const offsetMatch = /^(?:(?:GMT|UTC)\s*)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(zone.trim());
  if (offsetMatch) {
    const hours = Number(offsetMatch[2]);
    const etc = offsetMatch[3] && offsetMatch[3] !== '00' ? '' : ` or, for a fixed offset without DST, Etc/GMT${offsetMatch[1] === '+' ? '-' : '+'}${hours} (the Etc sign is inverted)`;
    throw new ScheduleExpressionError(
      `${where} is a UTC offset, not an IANA time zone name: an offset does not follow daylight saving time. Use the region's name, such as Europe/Berlin or America/New_York${etc}.`,
    );
  }
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    const lower = zone.toLowerCase().replace(/\s+/g, '_');
    const matches = [...ALL_ZONES].filter((name) => name.toLowerCase().endsWith(`/${lower}`));
    const hint = matches.length > 0 ? `did you mean ${matches.join(' or ')}?` : `use an Area/City name such as Europe/Berlin, America/New_York or UTC`;
    throw new ScheduleExpressionError(`${where} is not an IANA time zone name; ${hint}`);
  }
  if (resolved !== zone && resolved.toLowerCase() === zone.toLowerCase()) {
    throw new ScheduleExpressionError(`${where} must be spelled exactly as in the IANA database: ${resolved}`);
  }
  CHECKED_ZONES.add(zone);
  return zone;
}
