import * as path from 'node:path';
import { type App, Stack } from 'aws-cdk-lib';
import * as z from 'zod/mini';
import { type AnyTask, defineTask } from '../../src/core/task';
import { Taskgate, type TaskgateProps } from '../../src/cdk/taskgate';

/** A task on `gate` that does nothing; constructs read only its name, gate, timeout and retry. */
export function fixtureTask(name: string, gate = 'default', options: { timeout?: number; maxAttempts?: number } = {}): AnyTask {
  return defineTask({
    name,
    gate,
    payload: z.object({ n: z._default(z.int(), 1) }),
    timeout: options.timeout ?? 60,
    retry: { maxAttempts: options.maxAttempts ?? 5 },
    run: () => undefined,
  });
}

/**
 * The fixture app's task module. Unit tests synthesize without bundling, when the construct does not
 * load the module, so it stands in for the module of any ad-hoc task list.
 */
export const FIXTURE_TASK_MODULE = path.join(__dirname, '..', 'fixtures', 'app', 'tasks.ts');
/** The fixture app's own worker entry: a custom `workerEntry`. */
export const FIXTURE_WORKER_ENTRY = path.join(__dirname, '..', 'fixtures', 'app', 'worker.ts');

/** A stack holding one Taskgate of the given tasks and gates (and the fixture task module unless told). */
export function taskgateStack(
  app: App,
  props: Omit<TaskgateProps<AnyTask>, 'taskModule'> & { taskModule?: string },
  stackName = 'Fixture',
): { stack: Stack; taskgate: Taskgate<AnyTask> } {
  const stack = new Stack(app, stackName);
  const taskgate = new Taskgate(stack, 'Taskgate', props.workerEntry ? props : { taskModule: FIXTURE_TASK_MODULE, ...props });
  return { stack, taskgate };
}

/**
 * The scale case of the issue: `gates` gates, `schedules` schedules spread over 2 tasks per gate,
 * a third of them EventBridge Scheduler schedules (a time zone), the rest rules.
 */
export function scaleTasks(gates: number): AnyTask[] {
  return Array.from({ length: gates }, (_, g) => [fixtureTask(`task-${g}-a`, `gate-${g}`), fixtureTask(`task-${g}-b`, `gate-${g}`, { timeout: 120 })]).flat();
}

export function scaleGateNames(gates: number): string[] {
  return Array.from({ length: gates }, (_, g) => `gate-${g}`);
}

/** The n-th schedule of the scale app: task, expression and, for every third, a time zone. */
export function scaleSchedule(n: number, tasks: readonly AnyTask[]): { task: string; expression: string; timeZone?: string } {
  const task = tasks[n % tasks.length]!.name;
  const minute = n % 60;
  const hour = Math.floor(n / 60) % 24;
  return n % 3 === 0
    ? { task, expression: `cron(${minute} ${hour} * * ? *)`, timeZone: 'Europe/Berlin' }
    : { task, expression: n % 3 === 1 ? `rate(${(n % 50) + 5} minutes)` : `cron(${minute} ${hour} ? * MON-FRI *)` };
}
