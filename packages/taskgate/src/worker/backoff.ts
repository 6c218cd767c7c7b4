import type { RetryOptions } from '../core/task';

/** SQS's ceiling for a message's visibility timeout. */
export const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * Seconds until a failed message is delivered again: exponential backoff with full jitter (AWS
 * Architecture Blog, "Exponential Backoff And Jitter"), so that the retries of a burst spread out
 * instead of hitting a recovering downstream together. A hint from the downstream (Retry-After)
 * wins over the computed value.
 *
 * @param attempt the attempt that just failed, from 1
 */
export function backoffSeconds(attempt: number, retry: Required<RetryOptions>, random: () => number = Math.random, hintSeconds?: number): number {
  if (hintSeconds !== undefined && Number.isFinite(hintSeconds)) {
    return clamp(Math.ceil(hintSeconds), 0, MAX_VISIBILITY_SECONDS);
  }
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(retry.maxBackoffSeconds, retry.minBackoffSeconds * 2 ** exponent, MAX_VISIBILITY_SECONDS);
  return clamp(Math.floor(random() * (ceiling + 1)), 0, ceiling);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
