import { CliError } from './errors';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** `30s`, `15m`, `2h`, `7d` → milliseconds; undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  return match ? Number(match[1]) * UNITS[match[2]!]! : undefined;
}

/**
 * A point in time given as an ISO-8601 date or date-time, or as a duration relative to `now`
 * (`2h` = two hours ago for `direction: -1`, two hours ahead for `+1`).
 */
export function parseTime(text: string, option: string, now: Date, direction: 1 | -1): Date {
  const relative = parseDuration(text.replace(/^[+-]/, ''));
  if (relative !== undefined) return new Date(now.getTime() + direction * relative);
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    // A date-time without a zone is UTC, as in AWS schedule expressions.
    const iso = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text}Z` : text;
    const date = new Date(iso);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new CliError(
    `${option} "${text}" is not a time; give an ISO-8601 time such as 2026-11-22T12:00:00Z or a duration such as 30m, 2h, 7d`,
  );
}

/** `5`, `5/s`, `300/m` → messages per second. */
export function parseRate(text: string, option = '--rate'): number {
  const match = /^(\d+(?:\.\d+)?)(?:\/(s|m|h))?$/.exec(text.trim());
  const perUnit = match ? Number(match[1]) : NaN;
  const rate = match ? perUnit / ({ s: 1, m: 60, h: 3600 } as const)[(match[2] ?? 's') as 's' | 'm' | 'h'] : NaN;
  if (!Number.isFinite(rate) || rate <= 0) {
    throw new CliError(`${option} "${text}" is not a rate; give messages per second such as 10/s, or 600/m`);
  }
  return rate;
}

/** A positive integer option. */
export function parseCount(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new CliError(`${option} must be a positive whole number (given "${text}")`);
  return value;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Spaces out work to `perSecond` units a second: `await pacer.take(n)` waits until n more units
 * fit, so a batch of 10 at 5/s goes out every two seconds.
 */
export class Pacer {
  private nextAt = 0;
  constructor(
    private readonly perSecond: number,
    private readonly signal?: AbortSignal,
  ) {}

  async take(units: number): Promise<void> {
    const now = Date.now();
    const start = Math.max(now, this.nextAt);
    this.nextAt = start + (units / this.perSecond) * 1000;
    if (start > now) await sleep(start - now, this.signal);
  }
}
