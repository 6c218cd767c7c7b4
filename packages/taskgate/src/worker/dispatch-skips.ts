import { catchUp, catchUpLimit } from '../core/catch-up';
import type { Envelope } from '../core/envelope';
import type { AnyTask } from '../core/task';
import type { CatchUpSchedules } from './schedules-env';

/** Why a scheduled tick is recorded as skipped instead of run: the reason (category) and its particulars. */
export interface DispatchSkip {
  readonly reason: 'misfire' | 'catch-up';
  readonly error: string;
}

/**
 * The misfire and catch-up policies, decided from the tick and the clock alone before anything is
 * claimed: a tick too late (misfire.maxLatenessSeconds) or superseded by newer ticks of the task
 * (misfire.catchUp). Only ticks of schedules; `backfill` sends its window as manual runs. The
 * schedules are read only for a policy that needs them (not 'all'): reading them may load the
 * schedule evaluator (schedules-env.ts).
 *
 * @param schedules each task's schedules as the worker knows them (TASKGATE_SCHEDULES)
 */
export async function dispatchSkip(task: AnyTask, envelope: Envelope, now: number, schedules: CatchUpSchedules | undefined): Promise<DispatchSkip | undefined> {
  if (envelope.source !== 'schedule') return undefined;
  const latenessSeconds = Math.max(0, Math.round((now - envelope.scheduledAt.getTime()) / 1000));
  const maxLateness = task.misfire.maxLatenessSeconds;
  if (maxLateness !== undefined && latenessSeconds > maxLateness) {
    return { reason: 'misfire', error: `${latenessSeconds}s late, more than the task's misfire.maxLatenessSeconds of ${maxLateness}s` };
  }
  if (catchUpLimit(task.misfire.catchUp) === Infinity || !schedules) return undefined;
  const verdict = catchUp(task.misfire.catchUp, (await schedules.get(task.name)) ?? [], envelope.scheduledAt, new Date(now));
  return verdict.run ? undefined : { reason: 'catch-up', error: verdict.error };
}
