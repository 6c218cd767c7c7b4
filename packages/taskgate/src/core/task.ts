import type { $ZodType, output } from 'zod/v4/core';
import * as z from 'zod/mini';
import { ConfigurationError } from './errors';
import type { WebhookSpec } from './webhook-task';

/** What a task's `run` gets besides its payload. */
export interface TaskContext {
  /** The run id: the message's `id`, or the SQS message id. Two deliveries of one tick share it. */
  readonly runId: string;
  /** The task's name. */
  readonly task: string;
  /** 1 on the first delivery, then SQS's receive count. */
  readonly attempt: number;
  /** When the run was due: the tick of its schedule, or when the message was sent. */
  readonly scheduledAt: Date;
  /** Fires at the task's timeout; pass it to fetch and SDK calls so they stop with the run. */
  readonly signal: AbortSignal;
  /** Epoch milliseconds at which `signal` fires. */
  readonly deadline: number;
  /** Structured JSON logger with task, run and attempt keys. */
  readonly logger: TaskLogger;
  /**
   * Requests this task's next run: the "periodic task that re-requests itself" pattern. The next
   * run's id derives from this run's, so a retried run does not chain twice.
   *
   * @example
   * await chain({ delaySeconds: 300, payload: { cursor } });
   */
  chain(options?: { readonly delaySeconds?: number; readonly payload?: object }): Promise<void>;
  /**
   * Requests one run of a task at a time: within 15 minutes through an SQS delay, later through a
   * one-time EventBridge Scheduler schedule that deletes itself after it fires.
   */
  scheduleOnce(at: Date, task: string, payload?: object): Promise<void>;
}

/** The slice of Powertools' Logger a task may use. */
export interface TaskLogger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** How a failed run is retried. */
export interface RetryOptions {
  /**
   * Deliveries before the message goes to the DLQ, the first included.
   * @default 5
   */
  readonly maxAttempts?: number;
  /**
   * The first backoff's upper bound, in seconds; each attempt doubles it (full jitter).
   * @default 10
   */
  readonly minBackoffSeconds?: number;
  /**
   * The largest backoff, in seconds (SQS caps visibility at 12 hours).
   * @default 900
   */
  readonly maxBackoffSeconds?: number;
}

/** What happens to a scheduled run that is delivered late (after an outage, say). */
export interface MisfireOptions {
  /**
   * A scheduled message later than this many seconds is recorded as skipped, not run. Set it near
   * the schedule's period so that ticks piled up in an outage collapse into one run.
   * @default - no limit: every tick runs however late
   */
  readonly maxLatenessSeconds?: number;
}

/** The object literal given to {@link defineTask}. */
export interface TaskOptions<Name extends string, Schema extends $ZodType> {
  /** Unique name, lower-case words joined by `-`; the `task` field of the message. */
  readonly name: Name;
  /** One sentence for `taskgate tasks` and the dashboard. */
  readonly description?: string;
  /**
   * The gate (one downstream's throughput limit) whose queue and worker run this task.
   * @default 'default'
   */
  readonly gate?: string;
  /**
   * The payload's schema (zod or zod/mini). Checked by the worker, by the CLI before sending and
   * at synth time for payloads fixed in a schedule.
   * @default - an object; any keys are dropped
   */
  readonly payload?: Schema;
  /**
   * Seconds a run may take. Sizes the gate's function timeout and queue visibility timeout.
   * @default 60
   */
  readonly timeout?: number;
  /** @default - see {@link RetryOptions} */
  readonly retry?: RetryOptions;
  /** @default - no limit */
  readonly misfire?: MisfireOptions;
  /** The work. Throw to fail: `PermanentError` goes straight to the DLQ, anything else is retried. */
  run(payload: output<Schema>, context: TaskContext): Promise<unknown> | unknown;
}

/** A task with its defaults applied; what the registry, the worker, the CLI and the constructs read. */
export interface TaskDefinition<Name extends string = string, Schema extends $ZodType = $ZodType> {
  readonly name: Name;
  readonly description: string;
  readonly gate: string;
  readonly payload: Schema;
  readonly timeout: number;
  readonly retry: Required<RetryOptions>;
  readonly misfire: MisfireOptions;
  /** Set by {@link defineWebhookTask}: the request the run sends. Absent on a task with its own code. */
  readonly webhook?: WebhookSpec;
  run(payload: output<Schema>, context: TaskContext): Promise<unknown> | unknown;
}

/** Any task, whatever its payload type. */
// The run parameter is contravariant; `any` lets a list hold tasks of different payloads.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTask = TaskDefinition<string, any>;

/** The payload type a task accepts before parsing (what a trigger must send). */
export type TaskInput<T extends AnyTask> = T extends TaskDefinition<string, infer S> ? z.input<S> : never;

export const DEFAULT_GATE = 'default';
const TASK_NAME = /^[a-z0-9][a-z0-9-]{0,78}[a-z0-9]$/;
/** Lambda's own limit is 900 s; a task longer than that cannot run in one invocation. */
const MAX_TIMEOUT_SECONDS = 900;

function checkRange(task: string, field: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigurationError(`task ${task}: ${field} must be between ${min} and ${max} (given ${value})`);
  }
}

/**
 * Declares a task: one module under `lambdas/tasks/`, the single source of truth that the worker,
 * the CLI and the CDK constructs all read.
 *
 * @example
 * export default defineTask({
 *   name: 'send-delivery-reminders',
 *   gate: 'email-api',
 *   payload: z.object({ daysAhead: z._default(z.int(), 1) }),
 *   timeout: 120,
 *   async run({ daysAhead }, { logger, signal }) { ... },
 * });
 */
export function defineTask<const Name extends string, Schema extends $ZodType = z.ZodMiniObject<{}>>(
  options: TaskOptions<Name, Schema>,
): TaskDefinition<Name, Schema> {
  const known = new Set(['name', 'description', 'gate', 'payload', 'timeout', 'retry', 'misfire', 'run']);
  const unknown = Object.keys(options).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new ConfigurationError(`task ${options.name}: unknown option(s) ${unknown.join(', ')}; allowed: ${[...known].join(', ')}`);
  }
  if (!TASK_NAME.test(options.name)) {
    throw new ConfigurationError(
      `task name "${options.name}" must be 2-80 lower-case letters, digits and "-", starting and ending with a letter or digit`,
    );
  }
  const timeout = options.timeout ?? 60;
  checkRange(options.name, 'timeout', timeout, 1, MAX_TIMEOUT_SECONDS);
  const retry: Required<RetryOptions> = {
    maxAttempts: options.retry?.maxAttempts ?? 5,
    minBackoffSeconds: options.retry?.minBackoffSeconds ?? 10,
    maxBackoffSeconds: options.retry?.maxBackoffSeconds ?? 900,
  };
  checkRange(options.name, 'retry.maxAttempts', retry.maxAttempts, 1, 1000);
  checkRange(options.name, 'retry.minBackoffSeconds', retry.minBackoffSeconds, 0, 43_200);
  checkRange(options.name, 'retry.maxBackoffSeconds', retry.maxBackoffSeconds, retry.minBackoffSeconds, 43_200);
  if (options.misfire?.maxLatenessSeconds !== undefined) {
    checkRange(options.name, 'misfire.maxLatenessSeconds', options.misfire.maxLatenessSeconds, 1, 366 * 86_400);
  }
  return {
    name: options.name,
    description: options.description ?? '',
    gate: options.gate ?? DEFAULT_GATE,
    payload: options.payload ?? (z.object({}) as unknown as Schema),
    timeout,
    retry,
    misfire: { ...options.misfire },
    run: options.run,
  };
}
