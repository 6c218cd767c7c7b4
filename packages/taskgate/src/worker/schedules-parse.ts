import type { CatchUpSchedule } from '../core/catch-up';
import { parseSchedule } from '../core/schedule-expression';
import { readSchedulesEnv } from './schedules-env';

/**
 * Each task's schedules from TASKGATE_SCHEDULES; none when it is not set. Its own module, which the
 * worker loads only when a tick needs its catch-up policy (schedules-env.ts): the schedule evaluator
 * brings luxon and cronstrue, a sixth of the worker bundle, whose load no other run needs.
 */
export function parseSchedulesEnv(raw: string | undefined): Map<string, CatchUpSchedule[]> {
  const schedules = new Map<string, CatchUpSchedule[]>();
  if (!raw) return schedules;
  for (const [task, entries] of Object.entries(readSchedulesEnv(raw))) {
    schedules.set(
      task,
      entries.map(([expression, timeZone, end]) =>
        Object.assign(parseSchedule(expression, { timeZone, allowPast: true }), end === undefined ? {} : { endsAt: new Date(end) }),
      ),
    );
  }
  return schedules;
}

