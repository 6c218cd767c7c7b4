import type { StatusOverride } from '../../core/webhook-task';

/**
 * What a webhook's response means for its run: the one table of status codes (the README's
 * "Outcome by response" repeats it for users).
 */

/** What a status code does to the run. `gone` is permanent too, with its own reason. */
export type ResponseOutcome = 'success' | 'transient' | 'permanent' | 'gone';


/** Statuses below 500 that a retry can fix: the receiver timed out, was too early, or rate-limits. */
const TRANSIENT_CLIENT_ERRORS = new Set([408, 425, 429]);

/**
 * 2xx success; 408, 425, 429 and 5xx transient; 410 gone; everything else (1xx, 3xx, since no
 * redirect is followed, and the other 4xx) permanent after one attempt. An override wins.
 */
export function classifyStatus(status: number, overrides: Readonly<Record<number, StatusOverride>> = {}): ResponseOutcome {
  const override = overrides[status];
  if (override !== undefined) return override;
  if (status >= 200 && status <= 299) return 'success';
  if (status >= 500 && status <= 599) return 'transient';
  if (TRANSIENT_CLIENT_ERRORS.has(status)) return 'transient';
  if (status === 410) return 'gone';
  return 'permanent';
}

/**
 * Seconds a `Retry-After` header asks to wait: delay-seconds (`120`) or an HTTP-date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`), never negative; undefined when absent or unreadable.
 */
export function retryAfterSeconds(header: string | null | undefined, now: number = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  // An HTTP-date starts with the day's name (all three forms of RFC 9110); Date.parse alone takes "1.5" for a date.
  const at = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
