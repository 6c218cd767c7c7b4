/**
 * The run ledger's item layout: one DynamoDB item per run, keyed by task and run id. The worker
 * writes it, the CLI and the dashboard read it, the Ledger construct creates its table and
 * indexes from these names. Changing a name here changes all of them.
 */

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'dead';
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'succeeded', 'failed', 'skipped', 'dead'];

export const LEDGER_SCHEMA = {
  /** Partition key: `${task}#${id}` (see {@link runKey}). */
  partitionKey: 'pk',
  /** GSI for history by task and time. */
  byTaskIndex: 'by-task',
  byTaskPartitionKey: 'task',
  byTaskSortKey: 'startedAt',
  /** GSI for history of all tasks by day and time: partition `day` (YYYY-MM-DD, UTC), sort `startedAt`. */
  byDayIndex: 'by-day',
  byDayPartitionKey: 'day',
  byDaySortKey: 'startedAt',
  /** TTL attribute: epoch seconds after which DynamoDB deletes the record. */
  ttlAttribute: 'expiresAt',
} as const;

/** One run, as stored. Times are ISO-8601 strings in UTC. */
export interface RunRecord {
  readonly pk: string;
  readonly task: string;
  /** The run id: the message's `id`, or the SQS message id. */
  readonly id: string;
  readonly status: RunStatus;
  readonly gate: string;
  readonly source: string;
  /** Deliveries so far (SQS's receive count at the last one). */
  readonly attempts: number;
  readonly scheduledAt: string;
  readonly startedAt: string;
  readonly day: string;
  readonly finishedAt?: string;
  readonly durationMs?: number;
  /** The payload's JSON as the message carried it, cut to 700 characters (ledgerPayload). */
  readonly payload?: string;
  /** Seconds between scheduledAt and startedAt. */
  readonly latenessSeconds?: number;
  /** Last error message, when the run failed or died. */
  readonly error?: string;
  /** Why a run was skipped or dead-lettered (a PermanentReason, `misfire`, `catch-up`, `overlap` or `timeout`). */
  readonly reason?: string;
  /** A webhook run's response status; absent when no response came (or the task is not a webhook). */
  readonly responseStatus?: number;
  /** A webhook run's request, from sending to the response's last byte, in milliseconds. */
  readonly responseMs?: number;
  /** A webhook run's response body size in bytes. */
  readonly responseBytes?: number;
  /** Epoch ms until which a `running` claim belongs to the worker that made it. */
  readonly leaseUntil?: number;
  /** The token of the claim that holds a `running` run; its outcome is written only with it. */
  readonly claimToken?: string;
  readonly expiresAt: number;
}

export function runKey(task: string, id: string): string {
  return `${task}#${id}`;
}

/**
 * The overlap policy's lease item of a task (DynamoTaskLeases). A task name has no `:`, so no run
 * key can be this.
 */
export function taskLeaseKey(task: string): string {
  return `taskgate:task-lease#${task}`;
}

/**
 * A run's why on one line, `reason: error` (`misfire: 4000s late, ...`), as `taskgate history` and
 * the embedded runtime's run lines show it: the reason is the category, the error the particulars.
 */
export function runDetail(run: { readonly reason?: string; readonly error?: string }): string | undefined {
  return [run.reason, run.error].filter(Boolean).join(': ') || undefined;
}
