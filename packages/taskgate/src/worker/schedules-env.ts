import { ConfigurationError } from '../core/errors';
import type { CatchUpSchedule } from '../core/catch-up';
import { parseSchedule } from '../core/schedule-expression';
import { WORKER_ENV } from './worker-env';

/** One schedule as TASKGATE_SCHEDULES lists it: the expression and its time zone. */
export type ScheduleEnvEntry = readonly [expression: string, timeZone: string, end?: string];

/** The value of TASKGATE_SCHEDULES; the constructs write it with this, the worker reads it with {@link parseSchedulesEnv}. */
export function schedulesEnv(schedules: ReadonlyMap<string, readonly ScheduleEnvEntry[]>): string {
  return JSON.stringify(Object.fromEntries(schedules));
}

/** The schedules' clock from TASKGATE_SCHEDULE_CLOCK (`origin:speed`); undefined when ticks run on real time. */
export function parseScheduleClock(raw: string | undefined): (() => number) | undefined {
  if (!raw) return undefined;
  const [origin, speed] = raw.split(':').map(Number);
  if (!Number.isFinite(origin) || !(speed! > 0)) throw new ConfigurationError(`${WORKER_ENV.scheduleClock} must be <origin epoch ms>:<speed> (given ${raw.slice(0, 40)})`);
  return () => origin! + (Date.now() - origin!) * speed!;
}

/** Each task's schedules from TASKGATE_SCHEDULES; none when it is not set. */
export function parseSchedulesEnv(raw: string | undefined): Map<string, CatchUpSchedule[]> {
  const schedules = new Map<string, CatchUpSchedule[]>();
  if (!raw) return schedules;
  let parsed: Record<string, ScheduleEnvEntry[]>;
  try {
    parsed = JSON.parse(raw) as Record<string, ScheduleEnvEntry[]>;
  } catch {
    throw new ConfigurationError(`${WORKER_ENV.schedules} is not JSON: ${raw.slice(0, 80)}`);
  }
  for (const [task, entries] of Object.entries(parsed)) {
    schedules.set(
      task,
      entries.map(([expression, timeZone, end]) =>
        Object.assign(parseSchedule(expression, { timeZone, allowPast: true }), end === undefined ? {} : { endsAt: new Date(end) }),
      ),
    );
  }
  return schedules;
}
