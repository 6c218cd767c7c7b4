import { catchUp, type CatchUpSchedule } from '../core/catch-up';
import type { Envelope } from '../core/envelope';
import type { AnyTask } from '../core/task';

/** Why a scheduled tick is recorded as skipped instead of run: the reason (category) and its particulars. */
export interface DispatchSkip {
  readonly reason: 'misfire' | 'catch-up';
  readonly error: string;
}

/**
 * The misfire and catch-up policies, decided from the tick and the clock alone before anything is
 * claimed: a tick too late (misfire.maxLatenessSeconds) or superseded by newer ticks of the task
 * (misfire.catchUp). Only ticks of schedules; `backfill` sends its window as manual runs.
 *
 * @param schedules the task's schedules as the worker knows them (TASKGATE_SCHEDULES)
 */
export function dispatchSkip(task: AnyTask, envelope: Envelope, now: number, schedules: readonly CatchUpSchedule[]): DispatchSkip | undefined {
  if (envelope.source !== 'schedule') return undefined;
  const latenessSeconds = Math.max(0, Math.round((now - envelope.scheduledAt.getTime()) / 1000));
  const maxLateness = task.misfire.maxLatenessSeconds;
  if (maxLateness !== undefined && latenessSeconds > maxLateness) {
    return { reason: 'misfire', error: `${latenessSeconds}s late, more than the task's misfire.maxLatenessSeconds of ${maxLateness}s` };
  }
  const verdict = catchUp(task.misfire.catchUp, schedules, envelope.scheduledAt, new Date(now));
  return verdict.run ? undefined : { reason: 'catch-up', error: verdict.error };
}
