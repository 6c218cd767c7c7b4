import { SendMessageCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { PermanentReason } from '../core/errors';

/** Message attributes a dead letter carries; `taskgate dlq` reads them back. */
export const DEAD_LETTER_ATTRIBUTES = {
  reason: 'taskgate.reason',
  error: 'taskgate.error',
  task: 'taskgate.task',
  attempts: 'taskgate.attempts',
  failedAt: 'taskgate.failed-at',
} as const;

/** SQS allows at most 10 message attributes; the original's are kept up to what is left. */
const MAX_ATTRIBUTES = 10;
const MAX_ERROR_LENGTH = 1024;

/**
 * Sends a record to the gate's DLQ with the reason as message attributes. The original body is kept
 * as it was, so a redrive replays exactly what was sent. The caller then lets the record count as
 * processed, which deletes it from the task queue.
 */
export async function sendToDeadLetterQueue(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  record: SQSRecord,
  failure: { reason: PermanentReason; message: string; task?: string; attempts: number },
): Promise<void> {
  const attributes: Record<string, MessageAttributeValue> = {
    [DEAD_LETTER_ATTRIBUTES.reason]: text(failure.reason),
    [DEAD_LETTER_ATTRIBUTES.error]: text(failure.message.slice(0, MAX_ERROR_LENGTH)),
    [DEAD_LETTER_ATTRIBUTES.attempts]: { DataType: 'Number', StringValue: String(failure.attempts) },
    [DEAD_LETTER_ATTRIBUTES.failedAt]: text(new Date().toISOString()),
  };
  if (failure.task) attributes[DEAD_LETTER_ATTRIBUTES.task] = text(failure.task.slice(0, 256));
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    if (Object.keys(attributes).length >= MAX_ATTRIBUTES) break;
    if (name.startsWith('taskgate.') || !value.dataType) continue;
    attributes[name] = value.binaryValue
      ? { DataType: value.dataType, BinaryValue: Buffer.from(value.binaryValue, 'base64') }
      : { DataType: value.dataType, StringValue: value.stringValue ?? '' };
  }
  const fifo = deadLetterQueueUrl.endsWith('.fifo');
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: deadLetterQueueUrl,
      MessageBody: record.body,
      MessageAttributes: attributes,
      // A FIFO DLQ needs a group; keep the original's so a redrive preserves order.
      ...(fifo ? { MessageGroupId: record.attributes.MessageGroupId ?? 'taskgate', MessageDeduplicationId: record.messageId } : {}),
    }),
  );
}

function text(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}
