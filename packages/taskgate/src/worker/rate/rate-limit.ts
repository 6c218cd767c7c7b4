/**
 * A gate's rate: the fact the `Gate` construct checks and writes (worker environment, template
 * metadata) and the worker, the embedded runtime and the CLI read back. No imports beyond the
 * error type, so the constructs load nothing of the worker's runtime to learn it.
 */
import { ConfigurationError } from '../../core/errors';

/** Requests per second a gate lets through across all of its workers, with a burst. */
export interface RateLimit {
  /** Tokens added per second (may be fractional: 0.5 is one every 2 s). */
  readonly perSecond: number;
  /** Tokens the bucket holds at most: runs that may start at once after a quiet spell (whole number, at least 1). */
  readonly burst: number;
}

/** The largest rate a gate takes: one conditional write per token on one item, far below DynamoDB's per-item limit. */
export const MAX_PER_SECOND = 500;
/** One token a minute is the slowest rate: a slower downstream is a schedule, not a gate. */
export const MIN_PER_SECOND = 1 / 60;
export const MAX_BURST = 1000;
/** A full bucket refills within this many seconds at most (burst / perSecond), so a burst is a burst and not an hour's quota. */
export const MAX_REFILL_SECONDS = 60;

/**
 * The problems of a rate as given, each a sentence naming the allowed range and the value; empty
 * when it is fine. The construct turns them into a synth error, the worker into a refusal to start.
 */
export function rateLimitProblems(rate: RateLimit): string[] {
  const problems: string[] = [];
  const { perSecond, burst } = rate;
  if (typeof perSecond !== 'number' || !Number.isFinite(perSecond) || perSecond < MIN_PER_SECOND || perSecond > MAX_PER_SECOND) {
    problems.push(`rate.perSecond must be between ${MIN_PER_SECOND.toFixed(4)} (one a minute) and ${MAX_PER_SECOND} (given ${String(perSecond)})`);
  }
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1 || burst > MAX_BURST) {
    problems.push(`rate.burst must be a whole number between 1 and ${MAX_BURST} (given ${String(burst)})`);
  }
  if (problems.length === 0 && burst / perSecond > MAX_REFILL_SECONDS) {
    problems.push(
      `rate.burst ${burst} takes ${Math.round(burst / perSecond)}s to refill at ${perSecond}/s, above ${MAX_REFILL_SECONDS}s; lower burst to at most ${Math.max(1, Math.floor(perSecond * MAX_REFILL_SECONDS))}`,
    );
  }
  const unknown = Object.keys(rate).filter((key) => key !== 'perSecond' && key !== 'burst');
  if (unknown.length > 0) problems.push(`rate takes perSecond and burst only (given ${unknown.join(', ')})`);
  return problems;
}

/** The rate as the worker environment and the template metadata carry it. */
export function encodeRateLimit(rate: RateLimit): string {
  return JSON.stringify({ perSecond: rate.perSecond, burst: rate.burst });
}

/**
 * How much slower than `perSecond` a gate's workers space their runs. The bucket holds the runs'
 * starts to the rate, but the endpoint counts arrivals, and a start reaches it a little late (a
 * worker's event loop, a connection): one late request at the start of a window lets one more slot
 * into it, and while environments start (the first seconds of a drain) requests arrive bunched by
 * 50 to 100 ms. 5% wider spacing gives a 5-second window about 250 ms of such lateness before the
 * endpoint could see more than `perSecond x 5 + burst`, at the cost of 5% of the configured rate.
 */
export const PACING_MARGIN = 0.05;

/** The rate a gate's bucket runs at: the configured one less {@link PACING_MARGIN}; the burst as configured. */
export function pacedRate(rate: RateLimit): RateLimit {
  return { perSecond: rate.perSecond / (1 + PACING_MARGIN), burst: rate.burst };
}

/**
 * The rate from its environment value or metadata; undefined when there is none.
 * @throws ConfigurationError when it is there but not a valid rate.
 */
export function decodeRateLimit(value: unknown, where: string): RateLimit | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new ConfigurationError(`${where} is not JSON: ${value.slice(0, 80)}`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null) throw new ConfigurationError(`${where} is not a rate ({ "perSecond": n, "burst": n })`);
  const rate = parsed as RateLimit;
  const problems = rateLimitProblems(rate);
  if (problems.length > 0) throw new ConfigurationError(`${where}: ${problems.join('; ')}`);
  return { perSecond: rate.perSecond, burst: rate.burst };
}
