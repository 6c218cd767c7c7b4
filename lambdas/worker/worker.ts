import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { parseEnvelope, type Envelope } from '../envelope';
import { PermanentError, type PermanentReason } from '../errors';
import type { TaskRegistry } from '../registry';
import type { TaskLogger } from '../task';
import { sendToDeadLetterQueue } from './dead-letter';
import { runWithDeadline } from './run-task';

/** Everything the worker needs from outside; the Lambda adapter builds it from the environment. */
export interface WorkerOptions {
  readonly registry: TaskRegistry;
  /** The gate this worker serves; a task of another gate is refused. */
  readonly gate: string;
  readonly deadLetterQueueUrl: string;
  readonly sqs: SQSClient;
  readonly logger: TaskLogger;
  /**
   * Records of one batch run at the same time, at most.
   * @default 10
   */
  readonly recordConcurrency?: number;
  readonly now?: () => number;
}

/** How one record ended. */
export type RecordOutcome =
  | { readonly status: 'succeeded'; readonly task: string; readonly runId: string; readonly durationMs: number }
  | { readonly status: 'retry'; readonly task?: string; readonly error: string }
  | { readonly status: 'dead'; readonly task?: string; readonly reason: PermanentReason; readonly error: string };

/** A batch's result: the partial batch response Lambda expects, and each record's outcome. */
export interface BatchResult {
  readonly response: SQSBatchResponse;
  readonly outcomes: ReadonlyMap<string, RecordOutcome>;
}

/**
 * The gate worker's core: knows SQS records and the registry, nothing of Lambda. Every record ends
 * as succeeded, as a batch item failure (retried by SQS) or in the DLQ with its reason.
 */
export class Worker {
  private readonly recordConcurrency: number;
  private readonly now: () => number;

  constructor(private readonly options: WorkerOptions) {
    this.recordConcurrency = options.recordConcurrency ?? 10;
    this.now = options.now ?? Date.now;
  }

  async processBatch(records: readonly SQSRecord[]): Promise<BatchResult> {
    const outcomes = new Map<string, RecordOutcome>();
    const failed = new Set<string>();
    const fifo = records.some((record) => record.attributes?.MessageGroupId !== undefined);
    if (fifo) {
      // SQS FIFO: once a record of a group fails, the rest of that group must not run before it.
      const blockedGroups = new Set<string>();
      for (const record of records) {
        const group = record.attributes.MessageGroupId ?? '';
        const outcome = blockedGroups.has(group)
          ? ({ status: 'retry', error: 'an earlier message of its FIFO group failed' } as const)
          : await this.processRecord(record);
        outcomes.set(record.messageId, outcome);
        if (outcome.status === 'retry') {
          blockedGroups.add(group);
          failed.add(record.messageId);
        }
      }
    } else {
      await forEachBounded(records, this.recordConcurrency, async (record) => {
        const outcome = await this.processRecord(record);
        outcomes.set(record.messageId, outcome);
        if (outcome.status === 'retry') failed.add(record.messageId);
      });
    }
    return {
      response: { batchItemFailures: records.filter((r) => failed.has(r.messageId)).map((r) => ({ itemIdentifier: r.messageId })) },
      outcomes,
    };
  }

  /** Never throws: every error becomes an outcome. */
  async processRecord(record: SQSRecord): Promise<RecordOutcome> {
    const attempt = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
    let envelope: Envelope | undefined;
    try {
      envelope = parseEnvelope(record.body, {
        messageId: record.messageId,
        sentTimestamp: Number(record.attributes?.SentTimestamp ?? this.now()) || this.now(),
      });
      const task = this.options.registry.get(envelope.task);
      if (task.gate !== this.options.gate) {
        throw new PermanentError(`task ${task.name} runs on gate ${task.gate}, but this message reached gate ${this.options.gate}`, {
          reason: 'wrong-gate',
        });
      }
      const payload = this.options.registry.parsePayload(task, envelope.payload);
      const keys = { task: task.name, runId: envelope.id, attempt };
      const started = this.now();
      await runWithDeadline(
        task,
        payload,
        {
          runId: envelope.id,
          task: task.name,
          attempt,
          scheduledAt: envelope.scheduledAt,
          logger: withKeys(this.options.logger, keys),
        },
        task.timeout * 1000,
        this.now,
      );
      const durationMs = this.now() - started;
      this.options.logger.info('run succeeded', { ...keys, durationMs });
      return { status: 'succeeded', task: task.name, runId: envelope.id, durationMs };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof PermanentError) {
        return this.deadLetter(record, { reason: error.reason, message, task: envelope?.task, attempts: attempt });
      }
      this.options.logger.warn('run failed; SQS will deliver it again', { task: envelope?.task, messageId: record.messageId, attempt, error: message });
      return { status: 'retry', task: envelope?.task, error: message };
    }
  }

  private async deadLetter(
    record: SQSRecord,
    failure: { reason: PermanentReason; message: string; task?: string; attempts: number },
  ): Promise<RecordOutcome> {
    try {
      await sendToDeadLetterQueue(this.options.sqs, this.options.deadLetterQueueUrl, record, failure);
    } catch (error) {
      // Not in the DLQ yet: keep it on the task queue so it is not lost.
      const message = `could not move the message to the DLQ (${(error as Error).message}); it stays on the queue`;
      this.options.logger.error(message, { messageId: record.messageId, reason: failure.reason });
      return { status: 'retry', task: failure.task, error: message };
    }
    this.options.logger.error('message moved to the DLQ', { messageId: record.messageId, task: failure.task, reason: failure.reason, error: failure.message });
    return { status: 'dead', task: failure.task, reason: failure.reason, error: failure.message };
  }
}

function withKeys(logger: TaskLogger, keys: Record<string, unknown>): TaskLogger {
  return {
    debug: (message, ...extra) => logger.debug(message, keys, ...extra),
    info: (message, ...extra) => logger.info(message, keys, ...extra),
    warn: (message, ...extra) => logger.warn(message, keys, ...extra),
    error: (message, ...extra) => logger.error(message, keys, ...extra),
  };
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(lanes);
}
