import { randomUUID } from 'node:crypto';
import type { ParsedSchedule } from '../core/schedule-expression';
import { queueEntry, type QueueEntry } from '../core/send-path';
import { tickTime } from '../core/task-message';
import type { ClockTimer, RuntimeClock } from './clock';
import { checkName, optionalString, scheduleGroup, SchedulerApiError, validSchedule, type OnceTargetQueue, type ScheduleRequest, type StoredSchedule } from './once-schedule-request';
import { onceScheduleView, type OnceScheduleView } from './once-schedule-view';

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

/** Sends after the first that fails, a second apart, before the schedule gives up. */
const SEND_RETRIES = 3;

interface Entry {
  schedule: StoredSchedule;
  readonly clientToken?: string;
  readonly parsed: ParsedSchedule;
  /** The instant of its at(); undefined for a recurring schedule. */
  readonly at?: Date;
  readonly startDate?: Date;
  readonly endDate?: Date;
  /** A recurring schedule's next tick, on the runtime's (sped-up) clock. */
  next?: Date;
  completed: boolean;
  timer?: ClockTimer;
}

export interface ListFilter {
  readonly group?: string;
  readonly namePrefix?: string;
  readonly state?: string;
}

/**
 * The embedded runtime's EventBridge Scheduler for schedules made through the Scheduler API:
 * one-time `at()` schedules (CreateSchedule from `scheduleOnce()` and `taskgate trigger --at`)
 * that send `Target.Input` to a local SQS queue once, then delete themselves when
 * ActionAfterCompletion is DELETE; and recurring `rate()`/`cron()` schedules created at run time
 * (`taskgate schedules create`, `PUT /schedules/{name}`), fired with the one evaluator at each
 * tick within their StartDate and EndDate. The template's own schedules are `Scheduler`'s.
 *
 * Time: tasks and the CLI compute at() from the real clock, while `--speed` runs the template's
 * schedules on a simulated clock that pulls ahead of it; so a one-time schedule waits the real time
 * from its creation to its at(), divided by the speed (at speed 60, a run one hour ahead fires a
 * minute later). An at() already past fires at once. A recurring schedule ticks on the simulated
 * clock, as the template's do: `rate(1 hour)` fires every minute at speed 60.
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
    const entry: Entry = { ...validSchedule(name, group, request, { created: now, modified: now }, this.options), clientToken, completed: false };
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
    const dates = { created: existing.schedule.CreationDate, modified: now };
    const entry: Entry = { ...validSchedule(name, group, request, dates, this.options), clientToken: existing.clientToken, completed: false };
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
    return scheduleGroup(value, this.options.groups());
  }

  private require(name: string, group: string): Entry {
    const entry = this.entries.get(key(group, name));
    if (!entry) throw SchedulerApiError.notFound(`Schedule ${name} does not exist.`);
    return entry;
  }

  /** Arms the entry's next send: its at() (real time over the speed), or its next tick on the sped-up clock; plus a flexible window. */
  private arm(entry: Entry, after: Date = this.options.clock.now()): void {
    entry.timer?.cancel();
    if (this.stopped || entry.completed || entry.schedule.State !== 'ENABLED') return;
    const windowMs = (entry.schedule.FlexibleTimeWindow.MaximumWindowInMinutes ?? 0) * 60_000 * Math.random();
    const tick = entry.at ?? nextTick(entry, after);
    entry.next = entry.at ? undefined : tick;
    if (!tick) return;
    const fireAt = new Date(tick.getTime() + windowMs);
    const delay = entry.at ? this.options.clock.scaledWaitUntil(fireAt) : this.options.clock.delayUntil(fireAt);
    // A recurring schedule arms at every tick; its fire lines say enough, as the template's do.
    if (entry.at) this.options.onArm?.(this.view(entry), delay);
    entry.timer = this.options.clock.after(delay, () => void this.fire(entry, tick, 1));
  }

  private async fire(entry: Entry, tick: Date, attempt: number): Promise<void> {
    const { schedule } = entry;
    const queue = this.options.queue(schedule.Target.Arn);
    const executionId = randomUUID();
    const body = contextAttributes(schedule.Target.Input ?? '', { arn: schedule.Arn, scheduledTime: tick, executionId, attempt });
    const groupId = schedule.Target.SqsParameters?.MessageGroupId;
    try {
      if (!queue) throw new Error(`its queue ${schedule.Target.Arn} is gone`);
      // The target's group as given; a dedupe id per schedule and time, so its retries are one message.
      const messageId = await this.options.send(queue.url, queueEntry(body, queue.fifo ? { groupId, dedupeKey: `${schedule.Arn}#${tick.toISOString()}` } : {}));
      this.done(entry, tick);
      this.options.onFire(this.view(entry), queue, messageId);
    } catch (error) {
      const last = attempt > SEND_RETRIES;
      this.options.onError(
        `one-time schedule ${schedule.GroupName}/${schedule.Name}: sending to ${schedule.Target.Arn} failed (attempt ${attempt}): ${(error as Error).message}${last ? '; giving up' : '; retrying in 1 s'}`,
      );
      if (last) this.done(entry, tick);
      else if (!this.stopped && this.entries.get(key(schedule.GroupName, schedule.Name)) === entry) entry.timer = this.options.clock.after(1000, () => void this.fire(entry, tick, attempt + 1));
    }
  }

  /** After a tick's send (or its last retry): a one-time schedule completes, a recurring one arms its next tick. */
  private done(entry: Entry, tick: Date): void {
    if (entry.at) this.complete(entry);
    else if (this.entries.get(key(entry.schedule.GroupName, entry.schedule.Name)) === entry) this.arm(entry, tick);
  }

  private complete(entry: Entry): void {
    entry.completed = true;
    const k = key(entry.schedule.GroupName, entry.schedule.Name);
    if (entry.schedule.ActionAfterCompletion === 'DELETE' && this.entries.get(k) === entry) this.entries.delete(k);
  }

  private view(entry: Entry): OnceScheduleView {
    return onceScheduleView(entry.schedule, entry.at ?? entry.next, entry.completed, this.options.queue(entry.schedule.Target.Arn)?.name);
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


/** A recurring schedule's first tick after `after` within its StartDate and EndDate. */
function nextTick(entry: Entry, after: Date): Date | undefined {
  const from = entry.startDate && entry.startDate.getTime() - 1 > after.getTime() ? new Date(entry.startDate.getTime() - 1) : after;
  const next = entry.parsed.next(from);
  return next && (!entry.endDate || next.getTime() <= entry.endDate.getTime()) ? next : undefined;
}

function key(group: string, name: string): string {
  return `${group}/${name}`;
}

