import { ConfigurationError } from './errors';

/**
 * A `rate(...)`, `cron(...)` or `at(...)` expression (or its time zone) that AWS would reject or
 * that would not do what its author meant. The message names the expression, what is wrong and,
 * where one is obvious, the corrected expression.
 */
export class ScheduleExpressionError extends ConfigurationError {
  override name = 'ScheduleExpressionError';
}
