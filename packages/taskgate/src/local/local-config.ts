import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RateLimit } from '../worker/rate/rate-limit';
import type { AppTaskgate } from './taskgates';
import type { AppModel, TriggerModel } from './template';

/** What local.json says of one Taskgate: its ledger, gates and tasks, and what one-time schedules need. */
/** The role schedules created at run time name locally (the CLI's, the request API's): the runtime assumes no role. */
export const LOCAL_DYNAMIC_ROLE_ARN = 'arn:aws:iam::000000000000:role/taskgate-local-dynamic-schedules';

export interface LocalTaskgate {
  readonly ledgerTable: string;
  readonly gates: Readonly<Record<string, { readonly queueUrl: string; readonly dlqUrl: string; readonly concurrency: number; readonly rate?: RateLimit }>>;
  readonly tasks: Readonly<Record<string, string>>;
  /**
   * The Scheduler group of one-time schedules and the role they send with (placeholders locally, as
   * the workers get them), for `taskgate trigger --at` beyond SQS's 15-minute delay. Absent when the
   * app has no taskgate workers.
   */
  readonly scheduleGroup?: string;
  readonly onceScheduleRoleArn?: string;
  /** The Scheduler group of the schedules created at run time (`taskgate schedules create`), served by the runtime's Scheduler API. */
  readonly dynamicScheduleGroup?: string;
}

/**
 * `.taskgate/local.json`: written by the embedded runtime while it runs (docs/architecture.md), read by the
 * CLI (`--local`), scripts and `aws --endpoint-url`. Its top level describes the app's first
 * Taskgate, as it always has; an app with several also has `taskgates`, every one by the name
 * `--taskgate` takes (the first included).
 */
export interface LocalConfig extends LocalTaskgate {
  readonly region: string;
  readonly sqsEndpoint: string;
  readonly dynamodbEndpoint: string;
  readonly ui: string;
  /**
   * The control server's token, made at each start: its state-changing routes (pause, resume, fire,
   * the page's actions) need it in `X-Taskgate-Token`, so that no web page can act through them.
   * The file is written readable by its owner only.
   */
  readonly token: string;
  /** Only where the app has several Taskgates. */
  readonly taskgates?: Readonly<Record<string, LocalTaskgate & { readonly stack: string }>>;
}

type Endpoints = Pick<LocalConfig, 'region' | 'sqsEndpoint' | 'dynamodbEndpoint' | 'ui' | 'token'>;

/** local.json of an app whose Taskgates are `taskgates` (by key, the first first); an app without one has empty gates and tasks. */
export function localConfigOf(endpoints: Endpoints, taskgates: ReadonlyArray<readonly [string, LocalTaskgate & { readonly stack: string }]>): LocalConfig {
  const first = taskgates[0]?.[1];
  const { stack: _stack, ...top } = first ?? { stack: '', ledgerTable: '', gates: {}, tasks: {} };
  return { ...endpoints, ...top, ...(taskgates.length > 1 ? { taskgates: Object.fromEntries(taskgates) } : {}) };
}

/** A gate as the runtime polls it, as far as local.json tells of it. */
interface LocalGate {
  readonly gate: string;
  readonly taskgate?: string;
  readonly queue: { readonly url: string };
  readonly deadLetterQueue?: { readonly url: string };
  readonly concurrency: number;
  readonly rate?: RateLimit;
}

/** A Taskgate's ledger and one-time scheduling, as its workers' environment gives them. */
export type TaskgateFound = Pick<LocalTaskgate, 'ledgerTable' | 'scheduleGroup' | 'onceScheduleRoleArn'>;

/** local.json's part for each Taskgate, the same for the embedded and the LocalStack target. */
export function localTaskgates(
  taskgates: readonly AppTaskgate[],
  gates: readonly LocalGate[],
  queueUrls: ReadonlyMap<string, { readonly url: string }>,
  found: ReadonlyMap<string, TaskgateFound>,
): Array<[string, LocalTaskgate & { stack: string }]> {
  return taskgates.map((taskgate) => {
    const own = gates.filter((gate) => gate.taskgate === taskgate.key);
    const gateOf = (trigger: TriggerModel) => own.find((gate) => gate.queue.url === queueUrls.get(`${taskgate.stackName}/${trigger.queue}`)?.url)?.gate;
    return [
      taskgate.key,
      {
        stack: taskgate.stackName,
        ledgerTable: '',
        ...found.get(taskgate.key),
        ...(taskgate.model.dynamicScheduleGroups[0] ? { dynamicScheduleGroup: taskgate.model.dynamicScheduleGroups[0].name } : {}),
        gates: Object.fromEntries(
          own.map((gate) => [gate.gate, { queueUrl: gate.queue.url, dlqUrl: gate.deadLetterQueue?.url ?? '', concurrency: gate.concurrency, ...(gate.rate ? { rate: gate.rate } : {}) }]),
        ),
        tasks: tasksOf(taskgate.model, gateOf),
      },
    ];
  });
}

/**
 * task → gate: every gate worker's `taskgate:tasks` metadata, and for a template without it, the
 * schedules' `taskgate:task` metadata and their target queue's gate.
 */
function tasksOf(model: AppModel, gateOf: (trigger: TriggerModel) => string | undefined): Record<string, string> {
  const tasks: Record<string, string> = {};
  for (const fn of model.functions.values()) {
    for (const task of fn.gate ? fn.tasks : []) tasks[task] = fn.gate!;
  }
  for (const trigger of [...model.rules, ...model.schedules]) {
    const gate = gateOf(trigger);
    if (trigger.task && gate) tasks[trigger.task] = gate;
  }
  return tasks;
}

export function localConfigPath(projectRoot: string): string {
  return path.join(projectRoot, '.taskgate', 'local.json');
}

/** The running embedded runtime's config, or undefined when none is running. */
export function readLocalConfig(projectRoot: string): LocalConfig | undefined {
  try {
    return JSON.parse(fs.readFileSync(localConfigPath(projectRoot), 'utf8')) as LocalConfig;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
