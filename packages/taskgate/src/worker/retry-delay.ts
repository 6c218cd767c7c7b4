import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { errorMessage } from '../core/errors';
import type { TaskLogger } from '../core/task';
import { sqsModule } from './sqs-lazy';

/**
 * Holds a record back `seconds` before SQS delivers it again (its visibility timeout), for a retry's
 * backoff. A failure is logged, not thrown: the record then comes back after the queue's own
 * visibility timeout, later than planned but not lost.
 */
export async function setRetryDelay(sqs: SQSClient, queueUrl: string, record: SQSRecord, logger: TaskLogger, seconds: number): Promise<void> {
  try {
    const { ChangeMessageVisibilityCommand } = await sqsModule();
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: seconds }));
  } catch (error) {
    logger.warn('could not set the retry delay; SQS uses the queue visibility timeout instead', { messageId: record.messageId, error: errorMessage(error) });
  }
}
