/**
 * Stack output keys and template metadata keys, shared by the constructs that write them and the
 * CLI and embedded runtime that read them (`taskgate --stack NAME`). Keys are alphanumeric, as
 * CloudFormation requires.
 */

/** What a stack says about each of its Taskgates: the `taskgate:taskgate` metadata of its resources. */
export interface TaskgateIdentity {
  /** What `taskgate --taskgate NAME` takes: the construct's `name`, or else its construct id. */
  readonly name: string;
  /**
   * The stack's first Taskgate, which keeps the names taskgate has always given (`TaskgateLedgerTable`,
   * queues `<stack>-<gate>`); every other one's output keys and physical names carry its name.
   */
  readonly default: boolean;
}

/** The outputs every Taskgate writes once. */
const OUTPUTS = {
  ledgerTable: 'LedgerTable',
  dashboard: 'Dashboard',
  /** Role and group for one-time Scheduler schedules (`taskgate trigger --at`, `scheduleOnce`). */
  onceScheduleRoleArn: 'OnceScheduleRoleArn',
  /** The Scheduler group of the Taskgate: its recurring Scheduler schedules and the one-time ones. */
  scheduleGroup: 'ScheduleGroup',
  /** The Scheduler group of the schedules created at run time (`taskgate schedules create`, `PUT /schedules/{name}`). */
  dynamicScheduleGroup: 'DynamicScheduleGroup',
  /** The role schedules created at run time send as. */
  dynamicScheduleRoleArn: 'DynamicScheduleRoleArn',
  /** Where EventBridge and Scheduler put a tick they could not deliver to a task queue. */
  scheduleDeadLetterQueueUrl: 'ScheduleDeadLetterQueueUrl',
  /** The managed policy an operator or the CLI's role needs (`TaskgateOperatorPolicy`). */
  operatorPolicyArn: 'OperatorPolicyArn',
} as const;

export type TaskgateOutput = keyof typeof OUTPUTS;

/** `email-api` → `EmailApi`: a name as it goes into an output key. */
function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');
}

/** `Taskgate` for the stack's default Taskgate, `TaskgateOrders` for one named `orders`. */
function keyPrefix(taskgate: TaskgateIdentity | undefined): string {
  return taskgate === undefined || taskgate.default ? 'Taskgate' : `Taskgate${pascal(taskgate.name)}`;
}

/** An output's key: `TaskgateLedgerTable` for the default Taskgate (or a template that names none), `TaskgateOrdersLedgerTable` for `orders`. */
export function outputKey(output: TaskgateOutput, taskgate?: TaskgateIdentity): string {
  return `${keyPrefix(taskgate)}${OUTPUTS[output]}`;
}

/** The default Taskgate's output keys, as every stack before several Taskgates per stack had them. */
export const OUTPUT_KEYS = Object.fromEntries(Object.keys(OUTPUTS).map((output) => [output, outputKey(output as TaskgateOutput)])) as {
  readonly [K in TaskgateOutput]: string;
};

/**
 * Template metadata keys that tie resources to taskgate's words, so the template reader (the
 * embedded runtime, the CLI) finds gates and schedules without a second description of the app.
 */
export const METADATA_KEYS = {
  /** On a rule or Scheduler schedule: the schedule's name, as `taskgate pause NAME` takes it. */
  schedule: 'taskgate:schedule',
  /** On a rule or Scheduler schedule: the task it requests. */
  task: 'taskgate:task',
  /** On a gate's queue, DLQ and worker function: the gate's name. */
  gate: 'taskgate:gate',
  /** On a gate's worker function: the names of the tasks it runs. */
  tasks: 'taskgate:tasks',
  /** On the Scheduler group of a Taskgate's schedules created at run time: `true`. */
  dynamicSchedules: 'taskgate:dynamic-schedules',
  /** On every queue, function, rule, schedule and table of a Taskgate: its {@link TaskgateIdentity}. */
  taskgate: 'taskgate:taskgate',
} as const;

export type GateOutput = 'QueueUrl' | 'DeadLetterQueueUrl';

/** `TaskgateGateEmailApiQueueUrl` for gate `email-api` (`TaskgateOrdersGateEmailApiQueueUrl` in Taskgate `orders`). */
export function gateOutputKey(gate: string, output: GateOutput, taskgate?: TaskgateIdentity): string {
  return `${keyPrefix(taskgate)}Gate${pascal(gate)}${output}`;
}
