import { randomUUID } from 'node:crypto';
import { parseSchedule, type ParsedSchedule } from '../core/schedule-expression';
import { queueEntry, type QueueEntry } from '../core/send-path';
import { tickTime } from '../core/task-message';
import type { ClockTimer, RuntimeClock } from './clock';
import type { ScheduleView } from './scheduler';

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
/** Sends after the first that fails, a second apart, before the schedule gives up. */
const SEND_RETRIES = 3;

/** A local queue a schedule can target. */
export interface OnceTargetQueue {
  readonly name: string;
  readonly url: string;
  readonly fifo: boolean;
}

export interface OnceSchedulesOptions {
  readonly region: string;
  readonly accountId: string;
  /** The runtime's clock: the wait from a schedule's creation to its at() time runs at its speed. */
  readonly clock: RuntimeClock;
  /** Schedule groups that exist besides `default`: the template's groups (known once it is read). */
  readonly groups: () => readonly string[];
  /** The local queue with this ARN, or undefined. */
  readonly queue: (arn: string) => OnceTargetQueue | undefined;
  /** Every local queue ARN, for the error message of an unknown one. */
  readonly queueArns: () => readonly string[];
  /** Sends one message; resolves to its SQS message id. */
  readonly send: (queueUrl: string, entry: QueueEntry) => Promise<string>;
  readonly onArm?: (schedule: OnceScheduleView, realDelayMs: number) => void;
  readonly onFire: (schedule: OnceScheduleView, queue: OnceTargetQueue, messageId: string) => void;
  readonly onError: (message: string) => void;
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

interface Entry {
  schedule: StoredSchedule;
  readonly clientToken?: string;
  readonly parsed: ParsedSchedule;
  /** The instant of its at(). */
  readonly at: Date;
  completed: boolean;
  timer?: ClockTimer;
}

/** A one-time schedule as `GET /api/schedules` lists it: the template's fields plus `oneTime`. */
export interface OnceScheduleView extends ScheduleView {
  readonly oneTime: {
    readonly group: string;
    readonly arn: string;
    /** `pending` until it has fired; `completed` after (kept only when ActionAfterCompletion is NONE). */
    readonly status: 'pending' | 'completed';
    readonly actionAfterCompletion: 'NONE' | 'DELETE';
    /** The queue it sends to. */
    readonly queue: string;
  };
}

export interface ListFilter {
  readonly group?: string;
  readonly namePrefix?: string;
  readonly state?: string;
}

/**
 * The embedded runtime's EventBridge Scheduler for schedules made through the Scheduler API
 * (CreateSchedule from `scheduleOnce()` and `taskgate trigger --at`): one-time `at()` schedules
 * that send `Target.Input` to a local SQS queue once, then delete themselves when
 * ActionAfterCompletion is DELETE. Recurring schedules come from the template (`Scheduler`).
 *
 * Time: tasks and the CLI compute at() from the real clock, while `--speed` runs the template's
 * schedules on a simulated clock that pulls ahead of it; so a one-time schedule waits the real time
 * from its creation to its at(), divided by the speed (at speed 60, a run one hour ahead fires a
 * minute later). An at() already past fires at once.
 */
export class OnceSchedules {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;

  constructor(private readonly options: OnceSchedulesOptions) {}

  /** CreateSchedule: validates, stores and arms; resolves to the schedule's ARN. */
  create(name: string, request: ScheduleRequest): string {
    const group = this.groupOf(request.GroupName);
    checkName(name, 'Name');
    const existing = this.entries.get(key(group, name));
    const clientToken = optionalString(request.ClientToken, 'ClientToken');
    if (existing) {
      // The SDK sends the same ClientToken when it retries a request whose answer it lost.
      if (clientToken !== undefined && existing.clientToken === clientToken) return existing.schedule.Arn;
      throw SchedulerApiError.conflict(`Schedule ${name} already exists.`);
    }
    const now = new Date();
    const entry = this.entryFor(name, group, request, now, now, clientToken);
    this.entries.set(key(group, name), entry);
    this.arm(entry);
    return entry.schedule.Arn;
  }

  /** UpdateSchedule: replaces every field, as AWS does, and re-arms. */
  update(name: string, request: ScheduleRequest): string {
    const group = this.groupOf(request.GroupName);
    const existing = this.require(name, group);
    existing.timer?.cancel();
    const now = new Date();
    const entry = this.entryFor(name, group, request, existing.schedule.CreationDate, now, existing.clientToken);
    this.entries.set(key(group, name), entry);
    this.arm(entry);
    return entry.schedule.Arn;
  }

  get(name: string, groupName: unknown): StoredSchedule {
    return this.require(name, this.groupOf(groupName)).schedule;
  }

  delete(name: string, groupName: unknown): void {
    const group = this.groupOf(groupName);
    const entry = this.require(name, group);
    entry.timer?.cancel();
    this.entries.delete(key(group, name));
  }

  /** ListSchedules, sorted by group and name. */
  list(filter: ListFilter = {}): StoredSchedule[] {
    if (filter.group !== undefined) this.groupOf(filter.group);
    if (filter.state !== undefined && filter.state !== 'ENABLED' && filter.state !== 'DISABLED') {
      throw SchedulerApiError.validation(`State must be ENABLED or DISABLED (given ${filter.state})`);
    }
    return [...this.entries.values()]
      .map((entry) => entry.schedule)
      .filter((s) => (filter.group === undefined || s.GroupName === filter.group) && s.Name.startsWith(filter.namePrefix ?? '') && (filter.state === undefined || s.State === filter.state))
      .sort((a, b) => a.GroupName.localeCompare(b.GroupName) || a.Name.localeCompare(b.Name));
  }

  /** Every schedule for `GET /api/schedules`. */
  views(): OnceScheduleView[] {
    return this.list().map((schedule) => this.view(this.entries.get(key(schedule.GroupName, schedule.Name))!));
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.entries.values()) entry.timer?.cancel();
  }

  private groupOf(value: unknown): string {
    const group = optionalString(value, 'GroupName') ?? DEFAULT_GROUP;
    checkName(group, 'GroupName');
    const groups = [DEFAULT_GROUP, ...this.options.groups()];
    if (!groups.includes(group)) {
      throw SchedulerApiError.notFound(`Schedule group ${group} does not exist. (Groups of the embedded runtime: ${groups.join(', ')}.)`);
    }
    return group;
  }

  private require(name: string, group: string): Entry {
    const entry = this.entries.get(key(group, name));
    if (!entry) throw SchedulerApiError.notFound(`Schedule ${name} does not exist.`);
    return entry;
  }

  private entryFor(name: string, group: string, request: ScheduleRequest, created: Date, modified: Date, clientToken: string | undefined): Entry {
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
    if (parsed.kind !== 'at') {
      throw SchedulerApiError.validation(
        `${expression}: the embedded runtime's Scheduler API takes one-time at() schedules; recurring rate() and cron() schedules are fired from the template (declare them in the app)`,
      );
    }
    const at = parsed.next(new Date(0))!;
    const window = flexibleWindow(request.FlexibleTimeWindow);
    const target = this.targetOf(request.Target);
    const state = oneOf(request.State, 'State', ['ENABLED', 'DISABLED'] as const) ?? 'ENABLED';
    const actionAfterCompletion = oneOf(request.ActionAfterCompletion, 'ActionAfterCompletion', ['NONE', 'DELETE'] as const) ?? 'NONE';
    const description = optionalString(request.Description, 'Description');
    const kmsKeyArn = optionalString(request.KmsKeyArn, 'KmsKeyArn');
    const schedule: StoredSchedule = {
      Arn: `arn:aws:scheduler:${this.options.region}:${this.options.accountId}:schedule/${group}/${name}`,
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
      CreationDate: created,
      LastModificationDate: modified,
    };
    return { schedule, clientToken, parsed, at, completed: false };
  }

  private targetOf(value: ScheduleRequest['Target']): StoredSchedule['Target'] {
    if (value === undefined || value === null || typeof value !== 'object') throw SchedulerApiError.validation('Target is required: { Arn, RoleArn, Input, SqsParameters }');
    const arn = requiredString(value.Arn, 'Target.Arn');
    requiredString(value.RoleArn, 'Target.RoleArn');
    if (value.Input !== undefined) requiredString(value.Input, 'Target.Input');
    if (!arn.startsWith('arn:aws:sqs:')) {
      throw SchedulerApiError.validation(`Target.Arn ${arn}: the embedded runtime's Scheduler sends to SQS queues only; give a queue ARN (${this.options.queueArns().join(', ')})`);
    }
    const queue = this.options.queue(arn);
    if (!queue) throw SchedulerApiError.validation(`Target.Arn ${arn} is no queue of the embedded runtime; its queues: ${this.options.queueArns().join(', ')}`);
    const groupId = value.SqsParameters?.MessageGroupId;
    if (groupId !== undefined) requiredString(groupId, 'Target.SqsParameters.MessageGroupId');
    if (queue.fifo && groupId === undefined) throw SchedulerApiError.validation(`Target.SqsParameters.MessageGroupId is required: ${queue.name} is a FIFO queue`);
    if (!queue.fifo && groupId !== undefined) throw SchedulerApiError.validation(`Target.SqsParameters.MessageGroupId is for FIFO queues only; ${queue.name} is a standard queue`);
    return value as StoredSchedule['Target'];
  }

  /** Arms the entry's one send: the wait until its at() (plus a flexible window), at the clock's speed. */
  private arm(entry: Entry): void {
    entry.timer?.cancel();
    if (this.stopped || entry.completed || entry.schedule.State !== 'ENABLED') return;
    const windowMs = (entry.schedule.FlexibleTimeWindow.MaximumWindowInMinutes ?? 0) * 60_000 * Math.random();
    const delay = this.options.clock.scaledWaitUntil(new Date(entry.at.getTime() + windowMs));
    this.options.onArm?.(this.view(entry), delay);
    entry.timer = this.options.clock.after(delay, () => void this.fire(entry, 1));
  }

  private async fire(entry: Entry, attempt: number): Promise<void> {
    const { schedule } = entry;
    const queue = this.options.queue(schedule.Target.Arn);
    const executionId = randomUUID();
    const body = contextAttributes(schedule.Target.Input ?? '', { arn: schedule.Arn, scheduledTime: entry.at, executionId, attempt });
    const groupId = schedule.Target.SqsParameters?.MessageGroupId;
    try {
      if (!queue) throw new Error(`its queue ${schedule.Target.Arn} is gone`);
      // The target's group as given; a dedupe id per schedule and time, so its retries are one message.
      const messageId = await this.options.send(queue.url, queueEntry(body, queue.fifo ? { groupId, dedupeKey: `${schedule.Arn}#${entry.at.toISOString()}` } : {}));
      this.complete(entry);
      this.options.onFire(this.view(entry), queue, messageId);
    } catch (error) {
      const last = attempt > SEND_RETRIES;
      this.options.onError(
        `one-time schedule ${schedule.GroupName}/${schedule.Name}: sending to ${schedule.Target.Arn} failed (attempt ${attempt}): ${(error as Error).message}${last ? '; giving up' : '; retrying in 1 s'}`,
      );
      if (last) this.complete(entry);
      else if (!this.stopped && this.entries.get(key(schedule.GroupName, schedule.Name)) === entry) entry.timer = this.options.clock.after(1000, () => void this.fire(entry, attempt + 1));
    }
  }

  private complete(entry: Entry): void {
    entry.completed = true;
    const k = key(entry.schedule.GroupName, entry.schedule.Name);
    if (entry.schedule.ActionAfterCompletion === 'DELETE' && this.entries.get(k) === entry) this.entries.delete(k);
  }

  private view(entry: Entry): OnceScheduleView {
    const { schedule } = entry;
    let task: string | null = null;
    try {
      const input = JSON.parse(schedule.Target.Input ?? '') as { task?: unknown };
      if (typeof input.task === 'string') task = input.task;
    } catch {
      // Input need not be a task message; the schedule is listed without a task.
    }
    return {
      name: schedule.Name,
      task,
      kind: 'schedule',
      expression: schedule.ScheduleExpression,
      timeZone: schedule.ScheduleExpressionTimezone,
      enabled: schedule.State === 'ENABLED',
      next: schedule.State === 'ENABLED' && !entry.completed ? entry.at.toISOString() : null,
      oneTime: {
        group: schedule.GroupName,
        arn: schedule.Arn,
        status: entry.completed ? 'completed' : 'pending',
        actionAfterCompletion: schedule.ActionAfterCompletion,
        queue: this.options.queue(schedule.Target.Arn)?.name ?? schedule.Target.Arn,
      },
    };
  }
}

/** Scheduler's context attributes in a templated target's Input. */
export function contextAttributes(input: string, context: { arn: string; scheduledTime: Date; executionId: string; attempt: number }): string {
  return input
    .replaceAll('<aws.scheduler.schedule-arn>', context.arn)
    .replaceAll('<aws.scheduler.scheduled-time>', tickTime(context.scheduledTime))
    .replaceAll('<aws.scheduler.execution-id>', context.executionId)
    .replaceAll('<aws.scheduler.attempt-number>', String(context.attempt));
}

function key(group: string, name: string): string {
  return `${group}/${name}`;
}

function checkName(value: string, field: string): void {
  if (!NAME.test(value)) throw SchedulerApiError.validation(`${field} must be 1 to 64 of 0-9, a-z, A-Z, '-', '_' and '.' (given '${value}')`);
}

function requiredString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw SchedulerApiError.validation(`${field} is required and must be a non-empty string (given ${JSON.stringify(value)})`);
  return value;
}

function optionalString(value: unknown, field: string): string | undefined {
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
