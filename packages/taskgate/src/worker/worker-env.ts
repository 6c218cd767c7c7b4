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
  /** JSON `{ "perSecond": n, "burst": n }`: the gate's rate (rate/rate-limit.ts); unset for a gate without one. */
  rate: 'TASKGATE_RATE',
} as const;
