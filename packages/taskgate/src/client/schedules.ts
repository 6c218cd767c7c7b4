import {
  ConflictException,
  CreateScheduleCommand,
  SchedulerClient,
  DeleteScheduleCommand,
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  ListSchedulesCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { withState } from './schedule-state';
import { checkScheduleName, planDynamicSchedule, taskOfInput, type DynamicScheduleSpec } from '../core/dynamic-schedule';
import { DynamicScheduleError } from '../core/dynamic-schedule-error';
import type { TaskRegistry } from '../core/registry';
import { gateQueue, type GateQueue } from '../core/send-path';
import { DYNAMIC_SCHEDULES_ENV } from './dynamic-schedules-env';
import { gateQueuesFromEnvironment } from '../core/gate-queues';

/** Where schedules created at run time live and what they may target: the Taskgate's outputs, or the embedded runtime's local.json. */
export interface DynamicSchedulesConfig {
  /** A Scheduler client: AWS's, or one whose endpoint is the embedded runtime's control URL. */
  readonly scheduler: SchedulerClient;
  /** The Taskgate's group for schedules created at run time (output `TaskgateDynamicScheduleGroup`). */
  readonly group: string;
  /** The role the schedules send as (output `TaskgateDynamicScheduleRoleArn`): it may send to the task queues only. */
  readonly roleArn: string;
  /** Each gate's task queue by gate name, `{ url, arn }`, as derived from the queue name prefix and bases (core/gate-queues.ts). */
  readonly queues: Readonly<Record<string, { readonly url: string; readonly arn: string }>>;
  /** The app's tasks: names, gates and payload schemas. */
  readonly registry: TaskRegistry;
  /**
   * Names a schedule created at run time may not take: the stack's own schedules.
   * @default - none
   */
  readonly reservedNames?: readonly string[];
}

/** What reading, pausing and deleting need: the Scheduler client and the group. */
export type DynamicScheduleGroup = Pick<DynamicSchedulesConfig, 'scheduler' | 'group'>;

/** A schedule created at run time, as GetSchedule returns it, in taskgate's words. */
export interface DynamicScheduleView {
  readonly name: string;
  /** The task its message names; null when the schedule's input is not a task message (made by other means). */
  readonly task: string | null;
  readonly payload: object;
  readonly expression: string;
  readonly timeZone: string;
  readonly enabled: boolean;
  readonly group: string;
  readonly arn: string;
  readonly createdAt?: string;
  readonly modifiedAt?: string;
}

/** One page of schedules created at run time. */
export interface DynamicSchedulePage {
  readonly schedules: readonly DynamicScheduleView[];
  /** Pass it back for the next page; absent on the last. */
  readonly nextToken?: string;
}

/**
 * The config from the environment `Taskgate.grantDynamicSchedules(fn)` sets on a Lambda function.
 *
 * @throws DynamicScheduleError naming the variable that is missing.
 * @example
 * const config = dynamicSchedulesConfigFromEnv({ registry: new TaskRegistry(tasks) });
 */
export function dynamicSchedulesConfigFromEnv(options: {
  readonly registry: TaskRegistry;
  /** @default - a SchedulerClient of the function's region */
  readonly scheduler?: SchedulerClient;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}): DynamicSchedulesConfig {
  const env = options.env ?? process.env;
  const read = (name: string) => {
    const value = env[name];
    if (!value) throw new DynamicScheduleError('invalid', `${name} is not set; grant the function with taskgate.grantDynamicSchedules(fn), which sets it`);
    return value;
  };
  let queues: DynamicSchedulesConfig['queues'];
  try {
    queues = gateQueuesFromEnvironment(options.registry.gates(), env, 'taskgate.grantDynamicSchedules(fn)');
  } catch (error) {
    throw new DynamicScheduleError('invalid', (error as Error).message);
  }
  return {
    scheduler: options.scheduler ?? new SchedulerClient({}),
    group: read(DYNAMIC_SCHEDULES_ENV.group),
    roleArn: read(DYNAMIC_SCHEDULES_ENV.roleArn),
    queues,
    registry: options.registry,
  };
}

/** Scheduler's largest page. */
const MAX_PAGE = 100;
/** GetSchedule calls in flight while a page is read. */
const READ_CONCURRENCY = 8;

/**
 * Creates a schedule created at run time after checking it as the stack's schedules are checked
 * at synth (name, task, expression and zone, payload, message); with `replace`, one of that name
 * is updated instead. Resolves to the schedule and whether it is new.
 *
 * @throws DynamicScheduleError: invalid (400), conflict (409, without `replace`).
 * @example
 * await createSchedule(config, 'customer-42-report', { task: 'send-report', expression: 'cron(0 9 ? * MON-FRI *)', timeZone: 'Europe/Berlin', payload: { customerId: 42 } });
 */
export async function createSchedule(
  config: DynamicSchedulesConfig,
  name: string,
  spec: DynamicScheduleSpec,
  options: { readonly replace?: boolean } = {},
): Promise<{ readonly schedule: DynamicScheduleView; readonly created: boolean }> {
  const plan = planDynamicSchedule(name, spec, { registry: config.registry, queues: queuesOf(config), reservedNames: config.reservedNames });
  const input = { ...plan, GroupName: config.group, Target: { ...plan.Target, RoleArn: config.roleArn } };
  let created = true;
  try {
    await config.scheduler.send(new CreateScheduleCommand(input));
  } catch (error) {
    if (!(error instanceof ConflictException)) throw error;
    if (!options.replace) throw new DynamicScheduleError('conflict', `a schedule named ${name} exists already in group ${config.group}; delete it first, or replace it (PUT replaces; the CLI takes --replace)`);
    await config.scheduler.send(new UpdateScheduleCommand(input));
    created = false;
  }
  return { schedule: await getSchedule(config, name), created };
}

/**
 * One schedule created at run time.
 *
 * @throws DynamicScheduleError (not-found) when the group has none of that name.
 */
export async function getSchedule(config: DynamicScheduleGroup, name: string): Promise<DynamicScheduleView> {
  checkScheduleName(name);
  return viewOf(await found(name, config, () => config.scheduler.send(new GetScheduleCommand({ Name: name, GroupName: config.group }))));
}

/** A page of the schedules created at run time, by name; `prefix` narrows to names that start with it (one customer's, say). */
export async function listSchedules(
  config: DynamicScheduleGroup,
  options: { readonly prefix?: string; readonly limit?: number; readonly nextToken?: string } = {},
): Promise<DynamicSchedulePage> {
  const limit = options.limit ?? MAX_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new DynamicScheduleError('invalid', `limit must be an integer between 1 and ${MAX_PAGE} (given ${limit})`);
  if (options.prefix !== undefined) checkScheduleName(options.prefix);
  const page = await config.scheduler.send(
    new ListSchedulesCommand({ GroupName: config.group, MaxResults: limit, ...(options.prefix ? { NamePrefix: options.prefix } : {}), ...(options.nextToken ? { NextToken: options.nextToken } : {}) }),
  );
  // ListSchedules names the schedules only; their expressions and inputs take one GetSchedule each.
  const names = (page.Schedules ?? []).flatMap((summary) => (summary.Name ? [summary.Name] : []));
  const schedules: DynamicScheduleView[] = [];
  for (let start = 0; start < names.length; start += READ_CONCURRENCY) {
    const views = await Promise.all(names.slice(start, start + READ_CONCURRENCY).map((name) => getSchedule(config, name).catch(goneAsUndefined)));
    schedules.push(...views.filter((view): view is DynamicScheduleView => view !== undefined));
  }
  return { schedules, ...(page.NextToken ? { nextToken: page.NextToken } : {}) };
}

/** Every schedule created at run time, page after page (for the CLI's listing). */
export async function listAllSchedules(config: DynamicScheduleGroup): Promise<DynamicScheduleView[]> {
  const all: DynamicScheduleView[] = [];
  let nextToken: string | undefined;
  do {
    const page = await listSchedules(config, nextToken ? { nextToken } : {});
    all.push(...page.schedules);
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
}

/**
 * Deletes a schedule created at run time; runs it already queued still run.
 *
 * @throws DynamicScheduleError (not-found) when the group has none of that name.
 */
export async function deleteSchedule(config: DynamicScheduleGroup, name: string): Promise<void> {
  checkScheduleName(name);
  await found(name, config, () => config.scheduler.send(new DeleteScheduleCommand({ Name: name, GroupName: config.group })));
}

/**
 * Pauses (`false`) or resumes (`true`) a schedule created at run time; UpdateSchedule replaces
 * the whole schedule, so every field GetSchedule returned goes back unchanged.
 *
 * @throws DynamicScheduleError (not-found) when the group has none of that name.
 */
export async function setScheduleEnabled(config: DynamicScheduleGroup, name: string, enabled: boolean): Promise<DynamicScheduleView> {
  checkScheduleName(name);
  const current = await found(name, config, () => config.scheduler.send(new GetScheduleCommand({ Name: name, GroupName: config.group })));
  await config.scheduler.send(new UpdateScheduleCommand(withState(current, { Name: name, GroupName: config.group }, enabled)));
  return { ...viewOf(current), enabled };
}

/** The config's queues as the send path sees them. */
function queuesOf(config: DynamicSchedulesConfig): Map<string, GateQueue> {
  return new Map(Object.entries(config.queues).map(([gate, queue]) => [gate, gateQueue(gate, queue.url, queue.arn)]));
}

/** The call's answer, where Scheduler's ResourceNotFoundException becomes a not-found DynamicScheduleError. */
async function found<T>(name: string, config: DynamicScheduleGroup, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      throw new DynamicScheduleError('not-found', `no schedule named ${name} in group ${config.group} (schedules created at run time); list them with GET /schedules or taskgate schedules`);
    }
    throw error;
  }
}

/** A schedule deleted between the listing and its read (a one-time schedule that fired) is left out. */
function goneAsUndefined(error: unknown): undefined {
  if (error instanceof DynamicScheduleError && error.problem === 'not-found') return undefined;
  throw error;
}

function viewOf(schedule: GetScheduleCommandOutput): DynamicScheduleView {
  const message = taskOfInput(schedule.Target?.Input);
  return {
    name: schedule.Name ?? '',
    task: message?.task ?? null,
    payload: message?.payload ?? {},
    expression: schedule.ScheduleExpression ?? '',
    timeZone: schedule.ScheduleExpressionTimezone ?? 'UTC',
    enabled: schedule.State !== 'DISABLED',
    group: schedule.GroupName ?? '',
    arn: schedule.Arn ?? '',
    ...(schedule.CreationDate ? { createdAt: schedule.CreationDate.toISOString() } : {}),
    ...(schedule.LastModificationDate ? { modifiedAt: schedule.LastModificationDate.toISOString() } : {}),
  };
}
