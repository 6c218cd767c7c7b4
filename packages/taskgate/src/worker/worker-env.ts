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
  /**
   * The start of every gate queue's name (`<stack>-`): with the two bases below, the worker derives
   * any gate's queue URL and ARN (core/queue-address.ts), for chain() and scheduleOnce(). A fixed
   * size whatever the number of gates, where a list of every queue would outgrow Lambda's 4 KB.
   */
  queueNamePrefix: 'TASKGATE_QUEUE_PREFIX',
  /** The gates of concurrency 1, comma-separated: their queue names end in `.fifo`. */
  fifoGates: 'TASKGATE_FIFO_GATES',
  /** `https://sqs.<region>.<url suffix>/<account>/`; the embedded runtime sets its own server's. */
  queueUrlBase: 'TASKGATE_QUEUE_URL_BASE',
  /** `arn:<partition>:sqs:<region>:<account>:` */
  queueArnBase: 'TASKGATE_QUEUE_ARN_BASE',
  /** The role EventBridge Scheduler assumes to send a one-time schedule's message. */
  onceScheduleRoleArn: 'TASKGATE_ONCE_ROLE_ARN',
  /** The Scheduler schedule group that holds one-time schedules. */
  scheduleGroup: 'TASKGATE_SCHEDULE_GROUP',
  /**
   * JSON `{ "<task>": [["<expression>", "<time zone>"], ...] }`: the schedules of the gate's tasks
   * whose misfire.catchUp is not 'all', so the worker can tell which newer ticks are due.
   */
  schedules: 'TASKGATE_SCHEDULES',
  /**
   * `<origin epoch ms>:<speed>`, set by the embedded runtime at --speed other than 1: the simulated
   * clock its schedules tick on, which the worker compares ticks with (lateness, catch-up).
   */
  scheduleClock: 'TASKGATE_SCHEDULE_CLOCK',
  /** The Secrets Manager secret (ARN) holding the gate's webhook signing secret(s); set when the gate has webhook tasks. */
  signingSecretArn: 'TASKGATE_SIGNING_SECRET_ARN',
  /** A file holding the gate's signing secret(s): the embedded runtime's `.taskgate/secrets/<gate>`. */
  signingSecretFile: 'TASKGATE_SIGNING_SECRET_FILE',
  /** JSON `{ "perSecond": n, "burst": n }`: the gate's rate (rate/rate-limit.ts); unset for a gate without one. */
  rate: 'TASKGATE_RATE',
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
