import { createHash, randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { checkTaskMessage, type TaskMessage } from '../core/envelope';
import { PermanentError } from '../core/errors';
import { CliError } from './errors';

/** A message to send with its dedupe id (the message's `id`, or a fresh uuid). */
export interface Outgoing {
  readonly body: string;
  readonly dedupeId: string;
  readonly delaySeconds?: number;
}

/**
 * The body of a task message, checked with the worker's own contract checks (size, id length,
 * fields) before anything is sent: what the worker would move to the DLQ at once is refused here.
 */
export function messageBody(message: TaskMessage): string {
  const body = JSON.stringify(message);
  try {
    checkTaskMessage(body);
  } catch (error) {
    if (error instanceof PermanentError) throw new CliError(`the worker would refuse this message (${error.reason}): ${error.message}; nothing was sent`);
    throw error;
  }
  return body;
}

export function outgoing(message: TaskMessage, delaySeconds?: number): Outgoing {
  return { body: messageBody(message), dedupeId: message.id ?? randomUUID(), delaySeconds };
}

export function isFifo(queueUrl: string): boolean {
  return queueUrl.endsWith('.fifo');
}

/**
 * Sends up to 10 messages in one SendMessageBatch to a gate's queue. On a FIFO queue the group is
 * the gate's name (one group: the gate's concurrency of one) and the dedupe id the message's id.
 * Returns the SQS message ids in order; any failed entry is a CliError (nothing is retried
 * silently: the caller knows which were sent).
 */
export async function sendBatch(sqs: SQSClient, queueUrl: string, gate: string, messages: readonly Outgoing[]): Promise<string[]> {
  if (messages.length === 0) return [];
  const fifo = isFifo(queueUrl);
  const entries: SendMessageBatchRequestEntry[] = messages.map((message, index) => ({
    Id: String(index),
    MessageBody: message.body,
    ...(message.delaySeconds ? { DelaySeconds: message.delaySeconds } : {}),
    // SQS dedupe ids allow 128 characters of a limited alphabet; a hash of the id fits, as the worker's chains do.
    ...(fifo ? { MessageGroupId: gate, MessageDeduplicationId: createHash('sha256').update(message.dedupeId).digest('hex') } : {}),
  }));
  const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  const failed = result.Failed ?? [];
  if (failed.length > 0) {
    const sent = result.Successful?.length ?? 0;
    throw new CliError(
      `${failed.length} of ${messages.length} messages were refused by the queue (${failed[0]!.Code}: ${failed[0]!.Message}); ${sent} were sent`,
    );
  }
  const ids = new Map((result.Successful ?? []).map((entry) => [entry.Id, entry.MessageId ?? '']));
  return entries.map((entry) => ids.get(entry.Id) ?? '');
}
