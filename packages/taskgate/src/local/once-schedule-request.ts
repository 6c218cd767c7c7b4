import { parseSchedule, type ParsedSchedule } from '../core/schedule-expression';

/** An error the Scheduler API answers with: its HTTP status and AWS error type (the SDK's exception name). */
export class SchedulerApiError extends Error {
  override name = 'SchedulerApiError';

  private constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }

  static validation(message: string): SchedulerApiError {
    return new SchedulerApiError(400, 'ValidationException', message);
  }

  static notFound(message: string): SchedulerApiError {
    return new SchedulerApiError(404, 'ResourceNotFoundException', message);
  }

  static conflict(message: string): SchedulerApiError {
    return new SchedulerApiError(409, 'ConflictException', message);
  }

  static other(status: number, type: string, message: string): SchedulerApiError {
    return new SchedulerApiError(status, type, message);
  }
}

/** The request body of CreateSchedule and UpdateSchedule, as the SDK's REST-JSON serializer writes it (Name is in the path). */
export interface ScheduleRequest {
  readonly ScheduleExpression?: unknown;
  readonly ScheduleExpressionTimezone?: unknown;
  readonly FlexibleTimeWindow?: { readonly Mode?: unknown; readonly MaximumWindowInMinutes?: unknown };
  readonly Target?: {
    readonly Arn?: unknown;
    readonly RoleArn?: unknown;
    readonly Input?: unknown;
    readonly SqsParameters?: { readonly MessageGroupId?: unknown };
    readonly [key: string]: unknown;
  };
  readonly GroupName?: unknown;
  readonly StartDate?: unknown;
  readonly EndDate?: unknown;
  readonly Description?: unknown;
  readonly State?: unknown;
  readonly KmsKeyArn?: unknown;
  readonly ClientToken?: unknown;
  readonly ActionAfterCompletion?: unknown;
}

const REQUEST_KEYS = new Set([
  'ScheduleExpression',
  'ScheduleExpressionTimezone',
  'FlexibleTimeWindow',
  'Target',
  'GroupName',
  'StartDate',
  'EndDate',
  'Description',
  'State',
  'KmsKeyArn',
  'ClientToken',
  'ActionAfterCompletion',
]);
/** Scheduler's rule for schedule and group names. */
const NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;
export const DEFAULT_GROUP = 'default';

/** A local queue a schedule can target. */
export interface OnceTargetQueue {
  readonly name: string;
  readonly url: string;
  readonly fifo: boolean;
}

/** One stored schedule, as GetSchedule returns it (dates as Date; the wire layer writes epoch seconds). */
export interface StoredSchedule {
  readonly Arn: string;
  readonly Name: string;
  readonly GroupName: string;
  readonly ScheduleExpression: string;
  readonly ScheduleExpressionTimezone: string;
  readonly FlexibleTimeWindow: { readonly Mode: 'OFF' | 'FLEXIBLE'; readonly MaximumWindowInMinutes?: number };
  /** The target as given (only SQS targets are accepted). */
  readonly Target: Readonly<Record<string, unknown>> & { readonly Arn: string; readonly RoleArn: string; readonly Input?: string; readonly SqsParameters?: { readonly MessageGroupId?: string } };
  readonly State: 'ENABLED' | 'DISABLED';
  readonly ActionAfterCompletion: 'NONE' | 'DELETE';
  readonly Description?: string;
  readonly StartDate?: unknown;
  readonly EndDate?: unknown;
  readonly KmsKeyArn?: string;
  readonly CreationDate: Date;
  readonly LastModificationDate: Date;
}

/** What checking a request needs to know of the runtime. */
export interface RequestContext {
  readonly region: string;
  readonly accountId: string;
  /** The local queue with this ARN, or undefined. */
  readonly queue: (arn: string) => OnceTargetQueue | undefined;
  /** Every local queue ARN, for the error message of an unknown one. */
  readonly queueArns: () => readonly string[];
}

/** A checked request: the schedule as GetSchedule returns it, its parsed expression, and its at() instant or start and end. */
export interface ValidSchedule {
  readonly schedule: StoredSchedule;
  readonly parsed: ParsedSchedule;
  /** A one-time schedule's instant; undefined for rate() and cron(). */
  readonly at?: Date;
  /** A recurring schedule's first and last possible ticks. */
  readonly startDate?: Date;
  readonly endDate?: Date;
}

/** A schedule group name as given (`default` when none), checked against the groups that exist. */
export function scheduleGroup(value: unknown, groups: readonly string[]): string {
  const group = optionalString(value, 'GroupName') ?? DEFAULT_GROUP;
  checkName(group, 'GroupName');
  const all = [DEFAULT_GROUP, ...groups];
  if (!all.includes(group)) {
    throw SchedulerApiError.notFound(`Schedule group ${group} does not exist. (Groups of the embedded runtime: ${all.join(', ')}.)`);
  }
  return group;
}

/**
 * A CreateSchedule or UpdateSchedule request checked as AWS checks it, for a one-time at() or a
 * recurring rate()/cron() schedule to a local queue; throws a {@link SchedulerApiError}
 * (ValidationException) for anything else.
 */
export function validSchedule(name: string, group: string, request: ScheduleRequest, dates: { created: Date; modified: Date }, context: RequestContext): ValidSchedule {
  const unknown = Object.keys(request).filter((k) => !REQUEST_KEYS.has(k));
  if (unknown.length > 0) throw SchedulerApiError.validation(`unknown field(s) ${unknown.join(', ')}; CreateSchedule takes ${[...REQUEST_KEYS].join(', ')}`);
  const expression = requiredString(request.ScheduleExpression, 'ScheduleExpression');
  const timeZone = optionalString(request.ScheduleExpressionTimezone, 'ScheduleExpressionTimezone') ?? 'UTC';
  let parsed: ParsedSchedule;
  try {
    // allowPast: a run computed for "now" may pass before the request arrives; it fires at once.
    parsed = parseSchedule(expression, { timeZone, target: 'scheduler', allowPast: true });
  } catch (error) {
    throw SchedulerApiError.validation((error as Error).message);
  }
  // A one-time schedule fires at its at(); a recurring one at each tick from now on (see OnceSchedules).
  const at = parsed.kind === 'at' ? parsed.next(new Date(0)) : undefined;
  const startDate = dateOf(request.StartDate, 'StartDate');
  const endDate = dateOf(request.EndDate, 'EndDate');
  if (startDate && endDate && startDate >= endDate) throw SchedulerApiError.validation(`StartDate ${startDate.toISOString()} must be before EndDate ${endDate.toISOString()}`);
  const window = flexibleWindow(request.FlexibleTimeWindow);
  const target = targetOf(request.Target, context);
  const state = oneOf(request.State, 'State', ['ENABLED', 'DISABLED'] as const) ?? 'ENABLED';
  const actionAfterCompletion = oneOf(request.ActionAfterCompletion, 'ActionAfterCompletion', ['NONE', 'DELETE'] as const) ?? 'NONE';
  const description = optionalString(request.Description, 'Description');
  const kmsKeyArn = optionalString(request.KmsKeyArn, 'KmsKeyArn');
  const schedule: StoredSchedule = {
    Arn: `arn:aws:scheduler:${context.region}:${context.accountId}:schedule/${group}/${name}`,
    Name: name,
    GroupName: group,
    ScheduleExpression: expression,
    ScheduleExpressionTimezone: timeZone,
    FlexibleTimeWindow: window,
    Target: target,
    State: state,
    ActionAfterCompletion: actionAfterCompletion,
    ...(description !== undefined ? { Description: description } : {}),
    ...(request.StartDate !== undefined ? { StartDate: request.StartDate } : {}),
    ...(request.EndDate !== undefined ? { EndDate: request.EndDate } : {}),
    ...(kmsKeyArn !== undefined ? { KmsKeyArn: kmsKeyArn } : {}),
    CreationDate: dates.created,
    LastModificationDate: dates.modified,
  };
  return { schedule, parsed, ...(at ? { at } : {}), ...(startDate ? { startDate } : {}), ...(endDate ? { endDate } : {}) };
}

function targetOf(value: ScheduleRequest['Target'], context: RequestContext): StoredSchedule['Target'] {
  if (value === undefined || value === null || typeof value !== 'object') throw SchedulerApiError.validation('Target is required: { Arn, RoleArn, Input, SqsParameters }');
  const arn = requiredString(value.Arn, 'Target.Arn');
  requiredString(value.RoleArn, 'Target.RoleArn');
  if (value.Input !== undefined) requiredString(value.Input, 'Target.Input');
  if (!arn.startsWith('arn:aws:sqs:')) {
    throw SchedulerApiError.validation(`Target.Arn ${arn}: the embedded runtime's Scheduler sends to SQS queues only; give a queue ARN (${context.queueArns().join(', ')})`);
  }
  const queue = context.queue(arn);
  if (!queue) throw SchedulerApiError.validation(`Target.Arn ${arn} is no queue of the embedded runtime; its queues: ${context.queueArns().join(', ')}`);
  const groupId = value.SqsParameters?.MessageGroupId;
  if (groupId !== undefined) requiredString(groupId, 'Target.SqsParameters.MessageGroupId');
  if (queue.fifo && groupId === undefined) throw SchedulerApiError.validation(`Target.SqsParameters.MessageGroupId is required: ${queue.name} is a FIFO queue`);
  if (!queue.fifo && groupId !== undefined) throw SchedulerApiError.validation(`Target.SqsParameters.MessageGroupId is for FIFO queues only; ${queue.name} is a standard queue`);
  return value as StoredSchedule['Target'];
}

export function checkName(value: string, field: string): void {
  if (!NAME.test(value)) throw SchedulerApiError.validation(`${field} must be 1 to 64 of 0-9, a-z, A-Z, '-', '_' and '.' (given '${value}')`);
}

function requiredString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw SchedulerApiError.validation(`${field} is required and must be a non-empty string (given ${JSON.stringify(value)})`);
  return value;
}

export function optionalString(value: unknown, field: string): string | undefined {
  return value === undefined || value === null ? undefined : requiredString(value, field);
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (!allowed.includes(value as T)) throw SchedulerApiError.validation(`${field} must be ${allowed.join(' or ')} (given ${JSON.stringify(value)})`);
  return value as T;
}

function flexibleWindow(value: ScheduleRequest['FlexibleTimeWindow']): StoredSchedule['FlexibleTimeWindow'] {
  if (value === undefined || value === null || typeof value !== 'object') throw SchedulerApiError.validation("FlexibleTimeWindow is required: { Mode: 'OFF' } or { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 1-1440 }");
  const mode = oneOf(value.Mode, 'FlexibleTimeWindow.Mode', ['OFF', 'FLEXIBLE'] as const);
  if (mode === undefined) throw SchedulerApiError.validation('FlexibleTimeWindow.Mode is required: OFF or FLEXIBLE');
  if (mode === 'OFF') {
    if (value.MaximumWindowInMinutes !== undefined) throw SchedulerApiError.validation('FlexibleTimeWindow.MaximumWindowInMinutes is for Mode FLEXIBLE only');
    return { Mode: 'OFF' };
  }
  const minutes = value.MaximumWindowInMinutes;
  if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
    throw SchedulerApiError.validation(`FlexibleTimeWindow.MaximumWindowInMinutes must be an integer between 1 and 1440 with Mode FLEXIBLE (given ${JSON.stringify(minutes)})`);
  }
  return { Mode: 'FLEXIBLE', MaximumWindowInMinutes: minutes };
}

/** A date as the SDK's REST-JSON serializer writes it (epoch seconds), or an ISO string. */
function dateOf(value: unknown, field: string): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const date = typeof value === 'number' ? new Date(value * 1000) : typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw SchedulerApiError.validation(`${field} must be a date (epoch seconds or ISO-8601; given ${JSON.stringify(value)})`);
  return date;
}
