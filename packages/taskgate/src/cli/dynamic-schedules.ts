import { GetScheduleCommand, ResourceNotFoundException } from '@aws-sdk/client-scheduler';
import { listAllSchedules, setScheduleEnabled, type DynamicSchedulesConfig } from '../client/schedules';
import { renderTick, taskOfInput } from '../core/dynamic-schedule';
import { DynamicScheduleError } from '../core/dynamic-schedule-error';
import type { TriggerModel } from '../local/template';
import { queueArn } from './dead-letters';
import { CliError } from './errors';
import { CLI } from './format';
import { unknownScheduleError, type ScheduleController, type ScheduleInfo } from './schedule-control';
import type { DynamicScheduling, Target } from './target';

/**
 * The target's schedules created at run time as the client functions take them. `queues` is read
 * (one GetQueueAttributes per gate, for the ARNs) only when `withQueues`: creating needs them,
 * listing and deleting do not.
 */
export async function dynamicSchedulesConfig(target: Target, options: { readonly withQueues: boolean }): Promise<DynamicSchedulesConfig> {
  const scheduling = requireDynamicScheduling(target);
  const queues = options.withQueues
    ? Object.fromEntries(await Promise.all([...target.gates.values()].map(async (gate) => [gate.name, { url: gate.queueUrl, arn: await queueArn(target.sqs, gate.queueUrl) }] as const)))
    : {};
  return { ...scheduling, queues, registry: target.registry, reservedNames: (await target.triggers()).map((trigger) => trigger.name) };
}

/** Runs a client call; its DynamicScheduleError becomes the CLI's one-line error. */
export async function asCliErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof DynamicScheduleError) throw new CliError(error.message);
    throw error;
  }
}

/** The target's group for schedules created at run time, or a CliError saying how to get one. */
export function requireDynamicScheduling(target: Target): DynamicScheduling {
  const scheduling = target.dynamicScheduling();
  if (!scheduling) {
    throw new CliError(
      `${target.label} has no group for schedules created at run time; ${target.kind === 'aws' ? 'deploy the stack with this version of taskgate' : 'restart taskgate dev with this version of taskgate'}`,
    );
  }
  return scheduling;
}

/**
 * The stack's schedules (`base`) and, beside them, those created at run time, marked so. Pause and
 * resume go to the stack's schedule of that name, else to the one created at run time.
 */
export function withDynamicSchedules(base: ScheduleController, scheduling: () => DynamicScheduling | undefined, triggers: () => Promise<TriggerModel[]>): ScheduleController {
  const dynamic = async (): Promise<ScheduleInfo[]> => {
    const found = scheduling();
    if (!found) return [];
    const views = await asCliErrors(() => listAllSchedules(found));
    return views.map((view) => ({
      name: view.name,
      ...(view.task ? { task: view.task } : {}),
      kind: 'schedule' as const,
      expression: view.expression,
      timeZone: view.timeZone,
      enabled: view.enabled,
      createdAtRunTime: true,
    }));
  };
  return {
    list: async (options) => [...(await base.list()), ...(options?.createdAtRunTime === false ? [] : await dynamic())],
    setEnabled: async (name, enabled) => {
      const found = scheduling();
      const stackNames = (await triggers()).map((trigger) => trigger.name);
      if (!found || stackNames.includes(name)) return base.setEnabled(name, enabled);
      try {
        const view = await setScheduleEnabled(found, name, enabled);
        return { name: view.name, enabled: view.enabled };
      } catch (error) {
        if (error instanceof DynamicScheduleError && error.problem === 'not-found') {
          throw unknownScheduleError(name, [...stackNames, ...(await dynamic()).map((schedule) => schedule.name)]);
        }
        if (error instanceof DynamicScheduleError) throw new CliError(error.message);
        throw error;
      }
    },
  };
}

/** What `backfill` needs of a schedule: its ticks and the message it sends at each. */
export type BackfilledSchedule = Pick<TriggerModel, 'name' | 'kind' | 'expression' | 'timeZone' | 'render'>;

/**
 * A schedule created at run time as `backfill --schedule NAME` reads it: the message of each tick
 * is its Input with the tick written in, exactly what Scheduler sends.
 */
export async function runTimeScheduleOf(target: Target, task: string, name: string): Promise<BackfilledSchedule> {
  const { scheduler, group } = requireDynamicScheduling(target);
  let schedule;
  try {
    schedule = await scheduler.send(new GetScheduleCommand({ Name: name, GroupName: group }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) throw new CliError(`task ${task} has no schedule named "${name}", neither in the stack nor created at run time (see ${CLI} schedules)`);
    throw error;
  }
  const input = schedule.Target?.Input ?? '';
  const scheduled = taskOfInput(input)?.task;
  if (scheduled !== task) throw new CliError(`schedule ${name} (created at run time) runs ${scheduled ?? 'no taskgate task'}, not ${task}; backfill ${scheduled ?? 'its task'} instead`);
  return {
    name,
    kind: 'schedule',
    expression: schedule.ScheduleExpression ?? '',
    timeZone: schedule.ScheduleExpressionTimezone ?? 'UTC',
    render: (tick) => renderTick(input, tick),
  };
}
