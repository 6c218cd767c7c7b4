/**
 * The error types decide what the worker does with a message; the worker never matches messages
 * as strings. Task code throws `PermanentError` for work that cannot succeed on a retry and
 * `RetryLaterError` when the downstream asked for a pause; anything else is transient.
 */

/** Root of every error taskgate raises on purpose. */
export class TaskgateError extends Error {
  override name = 'TaskgateError';
}

/** Why a message went to the dead-letter queue without a retry. Stable strings: operators filter on them. */
export type PermanentReason =
  | 'invalid-json'
  | 'invalid-envelope'
  | 'message-too-large'
  | 'unknown-task'
  | 'wrong-gate'
  | 'invalid-payload'
  | 'task-permanent'
  | 'retries-exhausted'
  /** A webhook's endpoint answered 410 Gone. */
  | 'endpoint-gone'
  /** A webhook's endpoint answered a status no retry changes (3xx, most 4xx); the error has the status and the body's first kilobyte. */
  | 'endpoint-rejected'
  /** A webhook task's URL or signing secret is missing or not allowed (plain http://, a malformed secret). */
  | 'webhook-config';

/**
 * A failure that no retry can fix: the worker moves the message to the gate's DLQ with the reason
 * as message attributes and deletes it from the task queue.
 *
 * @example
 * if (!customer) throw new PermanentError(`customer ${id} does not exist`);
 */
export class PermanentError extends TaskgateError {
  override name = 'PermanentError';
  readonly reason: PermanentReason;

  constructor(message: string, options: { reason?: PermanentReason; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.reason = options.reason ?? 'task-permanent';
  }
}

/**
 * A transient failure with a hint from the downstream (an HTTP 429's Retry-After, say): the message
 * becomes visible again after `retryAfterSeconds` instead of the computed backoff.
 *
 * @example
 * if (res.status === 429) throw new RetryLaterError('rate limited', Number(res.headers.get('retry-after')));
 */
export class RetryLaterError extends TaskgateError {
  override name = 'RetryLaterError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The run passed its task's timeout; transient, so it is retried. */
export class TaskTimeoutError extends TaskgateError {
  override name = 'TaskTimeoutError';
  constructor(
    readonly task: string,
    readonly timeoutSeconds: number,
  ) {
    super(`task ${task} did not finish within its timeout of ${timeoutSeconds}s`);
  }
}

/** A task, gate or schedule declared wrongly: raised at definition or synth time, never at run time. */
export class ConfigurationError extends TaskgateError {
  override name = 'ConfigurationError';
}

/** An error as one line for a log or a reason: its name when it is not a plain Error, then its message. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
}
