/**
 * Environment variables the `Gate` and `Taskgate` constructs set on a worker function and the
 * worker reads. A module of its own, with no imports, so that the constructs (every synth) do not
 * load the worker's runtime (middy, Powertools, the AWS SDK clients) to learn these names.
 */
export const WORKER_ENV = {
  gate: 'TASKGATE_GATE',
  deadLetterQueueUrl: 'TASKGATE_DLQ_URL',
  /** The run ledger's table name. */
  ledgerTable: 'TASKGATE_LEDGER_TABLE',
  /** Days a run record is kept before its TTL deletes it. */
  retentionDays: 'TASKGATE_RETENTION_DAYS',
  /** JSON `{ "<gate>": { "url": "...", "arn": "..." } }` of every gate's task queue, for chain() and scheduleOnce(). */
  queues: 'TASKGATE_QUEUES',
  /** The role EventBridge Scheduler assumes to send a one-time schedule's message. */
  onceScheduleRoleArn: 'TASKGATE_ONCE_ROLE_ARN',
  /** The Scheduler schedule group that holds one-time schedules. */
  scheduleGroup: 'TASKGATE_SCHEDULE_GROUP',
  /** The Secrets Manager secret (ARN) holding the gate's webhook signing secret(s); set when the gate has webhook tasks. */
  signingSecretArn: 'TASKGATE_SIGNING_SECRET_ARN',
  /** A file holding the gate's signing secret(s): the embedded runtime's `.taskgate/secrets/<gate>`. */
  signingSecretFile: 'TASKGATE_SIGNING_SECRET_FILE',
} as const;

/** `AWS_EXECUTION_ENV` of the embedded runtime's execution environments (Lambda's own names its runtime). */
export const EMBEDDED_EXECUTION_ENV = 'AWS_Lambda_nodejs_local';

/**
 * The variable that gives a gate's signing secret(s) directly, for local runs and tests:
 * `TASKGATE_WEBHOOK_SECRET_<GATE>`, the gate's name upper-cased with every other character as `_`.
 */
export function webhookSecretVariable(gate: string): string {
  return `TASKGATE_WEBHOOK_SECRET_${gate.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
