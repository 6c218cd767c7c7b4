import { DynamicScheduleError } from './dynamic-schedule-error';
import { PermanentError } from './errors';
import type { TaskRegistry } from './registry';
import type { AnyTask } from './task';
import { parseSchedule, ScheduleExpressionError, type ParsedSchedule } from './schedule-expression';
import { messageGroupId, type GateQueue } from './send-path';
import { tickMessage, tickTime } from './task-message';

/** Scheduler's rule for schedule names: 1 to 64 of 0-9, a-z, A-Z, '-', '_' and '.'. */
const SCHEDULE_NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;
/** Scheduler's context attribute for the tick's time, which it writes into the Input at each delivery. */
export const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';
/** Marks a schedule's description as taskgate's, so a listing can tell a task schedule from another. */
const DESCRIPTION_PREFIX = 'taskgate: run-time schedule of task';
const SPEC_KEYS = new Set(['task', 'expression', 'timeZone', 'payload', 'enabled']);

/**
 * A schedule created at run time: one task, one payload, a recurring `rate()`/`cron()` or a
 * one-time `at()`, in a time zone.
 */
export interface DynamicScheduleSpec {
  readonly task: string;
  /** `rate(1 hour)`, `cron(0 9 * * ? *)` (AWS's six fields) or `at(2026-12-24T18:00:00)`. */
  readonly expression: string;
  /**
   * The IANA time zone the expression is read in.
   * @default 'UTC'
   */
  readonly timeZone?: string;
  /** @default {} */
  readonly payload?: object;
  /**
   * Whether it fires; a disabled schedule is kept but paused.
   * @default true
   */
  readonly enabled?: boolean;
}

/** What checking a spec needs to know of the app. */
export interface DynamicScheduleContext {
  /** The app's tasks: names, gates and payload schemas. */
  readonly registry: TaskRegistry;
  /** Each gate's task queue, with its ARN: a schedule's target. */
  readonly queues: ReadonlyMap<string, GateQueue>;
  /**
   * Names a schedule created at run time may not take: the stack's own schedules, so that
   * `taskgate pause NAME` names one schedule.
   * @default - none
   */
  readonly reservedNames?: readonly string[];
  /** @default - the current time: an at() or a cron's last year must lie after it */
  readonly now?: Date;
}

/**
 * A schedule as CreateSchedule takes it, AWS's field names, without what the adapter knows: the
 * group and the role.
 */
export interface DynamicSchedulePlan {
  readonly Name: string;
  readonly ScheduleExpression: string;
  readonly ScheduleExpressionTimezone: string;
  readonly FlexibleTimeWindow: { readonly Mode: 'OFF' };
  readonly State: 'ENABLED' | 'DISABLED';
  /** A one-time schedule deletes itself once it has sent its message; a recurring one stays. */
  readonly ActionAfterCompletion: 'DELETE' | 'NONE';
  readonly Description: string;
  readonly Target: { readonly Arn: string; readonly Input: string; readonly SqsParameters?: { readonly MessageGroupId: string } };
}

/**
 * Checks a name against Scheduler's rules and the stack's own schedule names.
 *
 * @throws DynamicScheduleError (invalid)
 */
export function checkScheduleName(name: string, reserved: readonly string[] = []): void {
  if (!SCHEDULE_NAME.test(name)) {
    throw new DynamicScheduleError('invalid', `schedule name "${name}" must be 1 to 64 of 0-9, a-z, A-Z, '-', '_' and '.' (EventBridge Scheduler's rule); for example customer-42-report`);
  }
  if (reserved.includes(name)) {
    throw new DynamicScheduleError('invalid', `schedule name "${name}" is a schedule of the stack; give the schedule created at run time another name`);
  }
}

/**
 * A spec from untyped input (an API body, parsed CLI flags): every field checked, unknown fields
 * refused so that a typo is not ignored.
 *
 * @throws DynamicScheduleError (invalid) naming the field.
 */
export function dynamicScheduleSpec(input: unknown): DynamicScheduleSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DynamicScheduleError('invalid', 'the schedule must be a JSON object such as {"task":"send-report","expression":"cron(0 9 * * ? *)","timeZone":"Europe/Berlin","payload":{}}');
  }
  const fields = input as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !SPEC_KEYS.has(key));
  if (unknown.length > 0) throw new DynamicScheduleError('invalid', `unknown field(s) ${unknown.join(', ')}; a schedule takes ${[...SPEC_KEYS].join(', ')}`);
  const text = (key: string, required: boolean): string | undefined => {
    const value = fields[key];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string' || value.trim() === '') throw new DynamicScheduleError('invalid', `${key} must be a non-empty string (given ${JSON.stringify(value) ?? 'nothing'})`);
    return value;
  };
  const { payload, enabled } = fields;
  if (payload !== undefined && (typeof payload !== 'object' || payload === null || Array.isArray(payload))) {
    throw new DynamicScheduleError('invalid', `payload must be a JSON object such as {"customerId":42} (given ${JSON.stringify(payload)})`);
  }
  if (enabled !== undefined && typeof enabled !== 'boolean') throw new DynamicScheduleError('invalid', `enabled must be true or false (given ${JSON.stringify(enabled)})`);
  const timeZone = text('timeZone', false);
  return {
    task: text('task', true)!,
    expression: text('expression', true)!,
    ...(timeZone !== undefined ? { timeZone } : {}),
    ...(payload !== undefined ? { payload: payload as object } : {}),
    ...(enabled !== undefined ? { enabled } : {}),
  };
}

/**
 * Checks a schedule created at run time as the stack's are checked at synth, and builds what
 * CreateSchedule takes: the name (Scheduler's rules), the task (with the closest name), the
 * expression and zone (the one evaluator, whose errors print the corrected expression), the
 * payload (the task's schema) and the message (the worker's contract checks).
 *
 * Each tick's message has the run id `<name>@<tick>`: two schedules of one task at the same
 * minute (one per customer, say) are two runs, where the stack's schedules share the tick as id.
 *
 * @throws DynamicScheduleError (invalid) with one line saying what is wrong and what to do.
 * @example
 * planDynamicSchedule('customer-42-report', { task: 'send-report', expression: 'cron(0 9 ? * MON-FRI *)', timeZone: 'Europe/Berlin', payload: { customerId: 42 } }, { registry, queues });
 */
export function planDynamicSchedule(name: string, spec: DynamicScheduleSpec, context: DynamicScheduleContext): DynamicSchedulePlan {
  const { task, parsed, payload, timeZone } = checkDynamicSchedule(name, spec, context);
  const queue = context.queues.get(task.gate);
  if (!queue?.arn) throw new DynamicScheduleError('invalid', `task ${task.name} runs on gate ${task.gate}, whose queue ARN is not known here; deploy the stack again so the queues reach this configuration`);
  // The stack's schedules' tick template, with the schedule's name in the run id.
  const input = JSON.stringify(tickMessage(task.name, payload, SCHEDULED_TIME, `${name}@`));
  const groupId = messageGroupId(queue.gate, queue.fifo);
  return {
    Name: name,
    ScheduleExpression: parsed.expression,
    ScheduleExpressionTimezone: timeZone,
    FlexibleTimeWindow: { Mode: 'OFF' },
    State: spec.enabled === false ? 'DISABLED' : 'ENABLED',
    ActionAfterCompletion: parsed.kind === 'at' ? 'DELETE' : 'NONE',
    Description: `${DESCRIPTION_PREFIX} ${task.name}`,
    Target: { Arn: queue.arn, Input: input, ...(groupId !== undefined ? { SqsParameters: { MessageGroupId: groupId } } : {}) },
  };
}

/**
 * The checks of {@link planDynamicSchedule} that need no queue: what a caller runs before it
 * connects (the CLI). Resolves to the task, the parsed expression, the payload and the zone.
 *
 * @throws DynamicScheduleError (invalid) with one line saying what is wrong and what to do.
 */
export function checkDynamicSchedule(
  name: string,
  spec: DynamicScheduleSpec,
  context: Omit<DynamicScheduleContext, 'queues'>,
): { task: AnyTask; parsed: ParsedSchedule; payload: object; timeZone: string } {
  checkScheduleName(name, context.reservedNames);
  const task = context.registry.find(spec.task);
  if (!task) throw new DynamicScheduleError('invalid', context.registry.unknownTaskMessage(spec.task));
  const timeZone = spec.timeZone ?? 'UTC';
  const parsed = parseDynamicExpression(spec.expression, timeZone, context.now);
  const payload = spec.payload ?? {};
  refusedAsInvalid(() => context.registry.parsePayload(task, payload));
  // The message the worker will get, checked with a sample tick: what it would refuse is refused now.
  refusedAsInvalid(() => tickMessage(task.name, payload, SCHEDULED_TIME, `${name}@`));
  return { task, parsed, payload, timeZone };
}

/** The run id of one tick of a schedule created at run time. */
export function tickRunId(name: string, tick: Date): string {
  return `${name}@${tickTime(tick)}`;
}

/** The message a schedule's Input sends at `tick`, as Scheduler writes it (for a backfill). */
export function renderTick(input: string, tick: Date): string {
  return input.replaceAll(SCHEDULED_TIME, tickTime(tick));
}

/** The task and payload a schedule's Input names, or undefined when it is not a task message. */
export function taskOfInput(input: string | undefined): { task: string; payload: object } | undefined {
  try {
    const message = JSON.parse(input ?? '') as { task?: unknown; payload?: unknown };
    if (typeof message.task !== 'string') return undefined;
    return { task: message.task, payload: typeof message.payload === 'object' && message.payload !== null ? message.payload : {} };
  } catch {
    return undefined;
  }
}

/** The expression through the one evaluator, for Scheduler (any zone; rate, cron, at), not in the past. */
function parseDynamicExpression(expression: string, timeZone: string, now: Date | undefined): ParsedSchedule {
  try {
    return parseSchedule(expression, { timeZone, target: 'scheduler', ...(now ? { now } : {}) });
  } catch (error) {
    if (error instanceof ScheduleExpressionError) throw new DynamicScheduleError('invalid', error.message);
    throw error;
  }
}

function refusedAsInvalid(check: () => unknown): void {
  try {
    check();
  } catch (error) {
    if (error instanceof PermanentError) throw new DynamicScheduleError('invalid', error.message);
    throw error;
  }
}
