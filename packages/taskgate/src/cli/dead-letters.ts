import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ownAttributes, readDeadLetter } from '../worker/dead-letter';
import { isFifoQueueUrl } from '../core/send-path';
import { Pacer, sleep } from './time';

/** One dead letter as `taskgate dlq` shows it. */
export interface DeadLetter {
  readonly messageId: string;
  readonly task?: string;
  readonly reason?: string;
  readonly error?: string;
  readonly attempts?: number;
  readonly failedAt?: string;
  /** When the message reached the DLQ's server (SentTimestamp). */
  readonly sentAt?: string;
  readonly body: string;
}

/** Seconds a peeked message stays hidden if the reset is never sent (the command was killed). */
const PEEK_VISIBILITY_SECONDS = 30;
/** Seconds a message being redriven stays hidden: long enough for one send and one delete. */
const MOVE_VISIBILITY_SECONDS = 60;

export async function queueCounts(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number; delayed: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

export async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return Attributes.QueueArn!;
}

/**
 * Lists dead letters without consuming them: receives with a short visibility, then sets every
 * received message's visibility back to 0 so that it is at once available to a redrive or purge.
 * Receiving does raise each message's receive count on the DLQ; harmless there (a DLQ has no
 * redrive policy of its own), and a redrive sends fresh messages whose counts start at zero. If the
 * command is killed before the reset, the messages reappear after 30 s.
 */
export async function peekDeadLetters(sqs: SQSClient, dlqUrl: string, options: { limit: number; longPoll: boolean }): Promise<DeadLetter[]> {
  const received: Message[] = [];
  try {
    while (received.length < options.limit) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: Math.min(10, options.limit - received.length),
          VisibilityTimeout: PEEK_VISIBILITY_SECONDS,
          // Short polls sample a subset of AWS's servers and may come back empty early.
          WaitTimeSeconds: options.longPoll ? 1 : 0,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) break;
      received.push(...Messages);
    }
  } finally {
    await setVisibility(sqs, dlqUrl, received, 0);
  }
  return received.map(deadLetter);
}

function deadLetter(message: Message): DeadLetter {
  const body = message.Body ?? '';
  const facts = readDeadLetter(message.MessageAttributes);
  let task = facts?.task;
  if (!task) {
    try {
      const parsed = JSON.parse(body) as { task?: unknown };
      if (typeof parsed.task === 'string') task = parsed.task;
    } catch {
      // A body that is not JSON is one of the reasons a message lands here; it has no task.
    }
  }
  const attempts = facts?.attempts ?? message.Attributes?.ApproximateReceiveCount;
  const sent = message.Attributes?.SentTimestamp;
  return {
    messageId: message.MessageId ?? '',
    task,
    // Without taskgate's attribute SQS moved it itself, after maxReceiveCount failed receives.
    reason: facts?.reason ?? 'retries-exhausted',
    error: facts?.error,
    attempts: attempts === undefined ? undefined : Number(attempts),
    failedAt: facts?.failedAt,
    sentAt: sent ? new Date(Number(sent)).toISOString() : undefined,
    body,
  };
}

async function setVisibility(sqs: SQSClient, queueUrl: string, messages: readonly Message[], seconds: number): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: seconds })),
      }),
    );
  }
}

export interface RedriveOptions {
  /** Messages a second, at most. @default - no limit */
  readonly rate?: number;
  readonly signal?: AbortSignal;
  /** Called with (moved so far, total to move). */
  readonly onProgress?: (moved: number, total: number) => void;
  /** How often a message move task's progress is read. @default 2000 */
  readonly pollIntervalMs?: number;
}

export interface RedriveResult {
  readonly moved: number;
  readonly total: number;
  /** Messages the queue refused, each left in the DLQ, with SQS's reason. */
  readonly refused: readonly string[];
  readonly interrupted: boolean;
  readonly method: 'message-move-task' | 'receive-send-delete';
}

/**
 * Moves a DLQ's messages back to the gate's queue where SQS has no message move task (the embedded
 * server): receive a batch, send it, and delete only what the queue accepted. Bodies go back byte
 * for byte with their own attributes as sent (taskgate's dropped, any it moved into its JSON put
 * back), FIFO groups and dedupe ids are kept. It moves at most the number of messages the DLQ held
 * at the start, so messages that fail again and return meanwhile are not cycled. An interrupt stops after the batch in flight; a kill between a
 * send and its delete can leave that one batch both in the queue and (after 60 s) in the DLQ.
 */
export async function redriveByLoop(sqs: SQSClient, dlqUrl: string, queueUrl: string, options: RedriveOptions = {}): Promise<RedriveResult> {
  const total = (await queueCounts(sqs, dlqUrl)).visible;
  const pacer = options.rate ? new Pacer(options.rate, options.signal) : undefined;
  const fifo = isFifoQueueUrl(queueUrl);
  const refused: string[] = [];
  let moved = 0;
  options.onProgress?.(0, total);
  while (moved + refused.length < total && !options.signal?.aborted) {
    const want = Math.min(10, total - moved - refused.length);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: want,
        VisibilityTimeout: MOVE_VISIBILITY_SECONDS,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    await pacer?.take(Messages.length);
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          MessageBody: message.Body ?? '',
          MessageAttributes: redrivenAttributes(message),
          ...(fifo
            ? {
                MessageGroupId: message.Attributes?.MessageGroupId ?? 'taskgate',
                MessageDeduplicationId: message.Attributes?.MessageDeduplicationId ?? message.MessageId,
              }
            : {}),
        })),
      }),
    );
    const accepted = new Set((sent.Successful ?? []).map((entry) => Number(entry.Id)));
    const done = Messages.filter((_, index) => accepted.has(index));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
        }),
      );
    }
    const failed = Messages.filter((_, index) => !accepted.has(index));
    if (failed.length > 0) {
      // Refused messages stay in the DLQ, visible again at once, and are reported.
      await setVisibility(sqs, dlqUrl, failed, 0);
      for (const entry of sent.Failed ?? []) refused.push(`${Messages[Number(entry.Id)]?.MessageId}: ${entry.Code} ${entry.Message ?? ''}`.trim());
    }
    moved += done.length;
    options.onProgress?.(moved, total);
  }
  return { moved, total, refused, interrupted: options.signal?.aborted === true, method: 'receive-send-delete' };
}

/** The message's own attributes as it was sent: taskgate's dropped, any it moved into its JSON put back. */
function redrivenAttributes(message: Message): Record<string, MessageAttributeValue> | undefined {
  const own = ownAttributes(message.MessageAttributes);
  return Object.keys(own).length > 0 ? own : undefined;
}

/** Error names of servers without message move tasks: fall back to the loop. */
const NO_MOVE_TASKS = new Set(['InvalidAction', 'UnsupportedOperation', 'UnknownOperationException', 'AWS.SimpleQueueService.UnsupportedOperation']);

/**
 * Redrives with SQS's own message move task (AWS), polling its progress every 2 s; an interrupt
 * cancels the task (messages already moved stay moved, the rest stay in the DLQ). Falls back to
 * {@link redriveByLoop} when the server has no move tasks.
 */
export async function redrive(sqs: SQSClient, dlqUrl: string, queueUrl: string, options: RedriveOptions & { moveTasks: boolean }): Promise<RedriveResult> {
  if (!options.moveTasks) return redriveByLoop(sqs, dlqUrl, queueUrl, options);
  const [sourceArn, destinationArn] = await Promise.all([queueArn(sqs, dlqUrl), queueArn(sqs, queueUrl)]);
  let handle: string;
  try {
    const started = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: sourceArn,
        DestinationArn: destinationArn,
        // SQS takes whole messages per second, 1..500.
        ...(options.rate ? { MaxNumberOfMessagesPerSecond: Math.max(1, Math.min(500, Math.round(options.rate))) } : {}),
      }),
    );
    handle = started.TaskHandle!;
  } catch (error) {
    if (NO_MOVE_TASKS.has((error as Error).name)) return redriveByLoop(sqs, dlqUrl, queueUrl, options);
    throw error;
  }
  let cancelled = false;
  for (;;) {
    const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    const task = Results.find((result) => result.TaskHandle === handle) ?? Results[0];
    const moved = Number(task?.ApproximateNumberOfMessagesMoved ?? 0);
    const total = Number(task?.ApproximateNumberOfMessagesToMove ?? moved);
    options.onProgress?.(moved, total);
    const status = task?.Status ?? 'COMPLETED';
    if (status === 'FAILED') throw new Error(`the SQS message move task failed: ${task?.FailureReason ?? 'no reason given'}`);
    if (status !== 'RUNNING' && status !== 'CANCELLING') {
      return { moved, total, refused: [], interrupted: cancelled, method: 'message-move-task' };
    }
    if (options.signal?.aborted && !cancelled) {
      cancelled = true;
      await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: handle }));
    }
    await sleep(options.pollIntervalMs ?? 2000, cancelled ? undefined : options.signal);
  }
}
