import { ConfigurationError } from '../core/errors';
import type { CatchUpSchedule } from '../core/catch-up';
import { WORKER_ENV } from './worker-env';
import type * as SchedulesParse from './schedules-parse';

/** One schedule as TASKGATE_SCHEDULES lists it: the expression and its time zone. */
export type ScheduleEnvEntry = readonly [expression: string, timeZone: string, end?: string];

/** A task's schedules by task name: a Map, or {@link lazySchedulesEnv}'s loader. */
export interface CatchUpSchedules {
  get(task: string): readonly CatchUpSchedule[] | undefined | Promise<readonly CatchUpSchedule[] | undefined>;
}

/** The value of TASKGATE_SCHEDULES; the constructs write it with this, the worker reads it with {@link lazySchedulesEnv}. */
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

/** The JSON of TASKGATE_SCHEDULES, or a ConfigurationError that quotes it. */
export function readSchedulesEnv(raw: string): Record<string, ScheduleEnvEntry[]> {
  try {
    return JSON.parse(raw) as Record<string, ScheduleEnvEntry[]>;
  } catch {
    throw new ConfigurationError(`${WORKER_ENV.schedules} is not JSON: ${raw.slice(0, 80)}`);
  }
}

/**
 * Each task's schedules from TASKGATE_SCHEDULES, parsed on the first tick that needs them; none
 * when it is not set. Not JSON throws at once. The schedule evaluator (schedules-parse.ts) is a
 * dynamic import: it brings luxon and cronstrue, about a sixth of the worker bundle, and only a
 * scheduled tick of a task whose misfire.catchUp is not 'all' reads the schedules, so a cold start
 * does not load it (docs/architecture.md, Performance).
 */
export function lazySchedulesEnv(raw: string | undefined): CatchUpSchedules | undefined {
  if (!raw) return undefined;
  const entries = readSchedulesEnv(raw);
  let parsed: Promise<ReadonlyMap<string, readonly CatchUpSchedule[]>> | undefined;
  return {
    get: async (task) => (await (parsed ??= import('./schedules-parse.js').then((module: typeof SchedulesParse) => module.parseSchedules(entries)))).get(task),
  };
}
