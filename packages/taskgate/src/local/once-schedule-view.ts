import type { StoredSchedule } from './once-schedule-request';
import type { ScheduleView } from './scheduler';

/** A schedule made through the Scheduler API as `GET /api/schedules` lists it: the template's fields plus `oneTime` (kept as named for one-time schedules, also for recurring ones). */
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

/**
 * A Scheduler API schedule's line in `GET /api/schedules` (one-time, or recurring and created at
 * run time); `next` is its at() or next tick; `queueName` names its target queue when it is known.
 */
export function onceScheduleView(schedule: StoredSchedule, next: Date | undefined, completed: boolean, queueName: string | undefined): OnceScheduleView {
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
    next: schedule.State === 'ENABLED' && !completed && next ? next.toISOString() : null,
    oneTime: {
      group: schedule.GroupName,
      arn: schedule.Arn,
      status: completed ? 'completed' : 'pending',
      actionAfterCompletion: schedule.ActionAfterCompletion,
      queue: queueName ?? schedule.Target.Arn,
    },
  };
}
