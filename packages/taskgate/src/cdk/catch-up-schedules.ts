import { schedulesEnv, type ScheduleEnvEntry } from '../worker/schedules-env';
import { WORKER_ENV } from '../worker/worker-env';
import type { Gate } from './gate';

/**
 * The schedules a gate's worker needs for the catch-up policy (TASKGATE_SCHEDULES): only those of
 * tasks whose misfire.catchUp is not 'all', so the environment grows with the tasks that ask for it.
 */
export class CatchUpSchedules {
  private readonly byGate = new Map<Gate, Map<string, ScheduleEnvEntry[]>>();

  add(gate: Gate, task: string, expression: string, timeZone: string | undefined, end: Date | undefined): void {
    const schedules = this.byGate.get(gate) ?? new Map<string, ScheduleEnvEntry[]>();
    this.byGate.set(gate, schedules);
    const entry: ScheduleEnvEntry = end ? [expression.trim(), timeZone ?? 'UTC', end.toISOString()] : [expression.trim(), timeZone ?? 'UTC'];
    schedules.set(task, [...(schedules.get(task) ?? []), entry]);
    // Set again on every schedule: the last value wins, and it lists them all.
    gate.worker.addEnvironment(WORKER_ENV.schedules, schedulesEnv(schedules));
  }
}
