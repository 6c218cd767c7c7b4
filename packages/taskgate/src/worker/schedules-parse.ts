import type { CatchUpSchedule } from '../core/catch-up';
import { parseSchedule } from '../core/schedule-expression';
import type { ScheduleEnvEntry } from './schedules-env';

/**
 * Each task's schedules from TASKGATE_SCHEDULES' entries (`readSchedulesEnv`). Its own module, which the
 * worker loads only when a tick needs its catch-up policy (schedules-env.ts): the schedule evaluator
 * brings luxon and cronstrue, a sixth of the worker bundle, whose load no other run needs.
 */
export function parseSchedules(entriesByTask: Readonly<Record<string, readonly ScheduleEnvEntry[]>>): Map<string, CatchUpSchedule[]> {
  const schedules = new Map<string, CatchUpSchedule[]>();
  for (const [task, entries] of Object.entries(entriesByTask)) {
    schedules.set(
      task,
      entries.map(([expression, timeZone, end]) =>
        Object.assign(parseSchedule(expression, { timeZone, allowPast: true }), end === undefined ? {} : { endsAt: new Date(end) }),
      ),
    );
  }
  return schedules;
}
