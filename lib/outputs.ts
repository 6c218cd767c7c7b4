/**
 * Stack output keys, shared by the constructs that write them and the CLI that reads them
 * (`taskgate --stack NAME`). Keys are alphanumeric, as CloudFormation requires.
 */
export const OUTPUT_KEYS = {
  ledgerTable: 'TaskgateLedgerTable',
  dashboard: 'TaskgateDashboard',
  /** Role and group for one-time Scheduler schedules (`taskgate trigger --at`, `scheduleOnce`). */
  onceScheduleRoleArn: 'TaskgateOnceScheduleRoleArn',
  /** The Scheduler group of the app: its recurring Scheduler schedules and the one-time ones. */
  scheduleGroup: 'TaskgateScheduleGroup',
  /** Where EventBridge and Scheduler put a tick they could not deliver to a task queue. */
  scheduleDeadLetterQueueUrl: 'TaskgateScheduleDeadLetterQueueUrl',
  /** The managed policy an operator or the CLI's role needs (`TaskgateOperatorPolicy`). */
  operatorPolicyArn: 'TaskgateOperatorPolicyArn',
} as const;

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
  /** On a gate's worker function: each task's timeout in seconds, `{ "<task>": 60 }`. */
  taskTimeouts: 'taskgate:task-timeouts',
} as const;

export type GateOutput = 'QueueUrl' | 'DeadLetterQueueUrl';

/** `TaskgateGateEmailApiQueueUrl` for gate `email-api`. */
export function gateOutputKey(gate: string, output: GateOutput): string {
  const pascal = gate
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');
  return `TaskgateGate${pascal}${output}`;
}
