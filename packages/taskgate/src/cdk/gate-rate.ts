import { Token } from 'aws-cdk-lib';
import { ConfigurationError } from '../core/errors';
import { rateLimitProblems, type RateLimit } from '../worker/rate/rate-limit';

/**
 * Fails the synth when a gate's rate is out of range, with every problem in one line naming the
 * gate. A rate must be known at synth: the worker reads it from its environment and the CLI from
 * the template's metadata, and a deploy-time value would leave both to guess.
 */
export function checkGateRate(gate: string, rate: RateLimit | undefined): RateLimit | undefined {
  if (rate === undefined) return undefined;
  if (Token.isUnresolved(rate.perSecond) || Token.isUnresolved(rate.burst)) {
    throw new ConfigurationError(`gate ${gate}: rate must be known at synth (given a value known only at deployment); give numbers`);
  }
  const problems = rateLimitProblems(rate);
  if (problems.length > 0) throw new ConfigurationError(`gate ${gate}: ${problems.join('; ')}`);
  return rate;
}

/**
 * Seconds a FIFO gate's worker may sleep for tokens in one batch: it paces in place, one token
 * interval per record at most, so its timeout grows by that.
 */
export function fifoPacingSeconds(rate: RateLimit | undefined, fifo: boolean, batchSize: number): number {
  return fifo && rate ? Math.ceil(batchSize / rate.perSecond) : 0;
}
