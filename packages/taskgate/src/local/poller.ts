import {
  ChangeMessageVisibilityBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { FunctionHost, InvokeResult } from './function-host';
import type { LocalQueue } from './provision';
import type { MappingModel } from './template';
import { MessageDeleter } from './message-deleter';
import { Semaphore } from './semaphore';
import { trace } from './trace';

/** One batch's result, for the run lines. */
export interface BatchReport {
  readonly records: readonly SQSRecord[];
  readonly invoke: InvokeResult;
  /** Message ids that stay on the queue (the whole batch when the invocation failed). */
  readonly failed: ReadonlySet<string>;
  /** When the batch was handed to the function (epoch ms). */
  readonly startedAt: number;
}

export interface PollerOptions {
  /** Deletes and visibility changes: calls that may be retried, since applying one twice does no harm. */
  readonly sqs: SQSClient;
  /**
   * Receives. A receive takes messages off the queue before its answer arrives, so one the SDK
   * retries on its own after the answer was lost leaves those messages in flight, unseen, for the
   * visibility timeout, and nothing says so. This client must try once (see `receiveClient`); the
   * poller reports a failed receive and receives again itself.
   * @default sqs
   */
  readonly receiver?: SQSClient;
  readonly queue: LocalQueue;
  readonly mapping: MappingModel;
  readonly host: FunctionHost;
  /** Batches in flight at most: the mapping's maximum concurrency capped by reserved concurrency. */
  readonly concurrency: number;
  readonly region: string;
  readonly onBatch: (report: BatchReport) => void;
  readonly onError: (message: string) => void;
  /**
   * How long a batch may stay in flight before it counts as stalled: its tasks' timeout. The worker
   * bounds each run by its task's timeout, so an invocation still running past it is held by
   * something that does not return (a call that hangs, say).
   * @default - a batch never counts as stalled
   */
  readonly stallAfterMs?: (records: readonly SQSRecord[]) => number;
  /** Called once for each batch still in flight `stallAfterMs` after it was handed to the function. */
  readonly onStall?: (records: readonly SQSRecord[], limitMs: number) => void;
  /**
   * Long-poll wait of each receive. Short, so that a stop never waits long and never abandons a
   * receive the server may already have answered.
   * @default 2
   */
  readonly waitTimeSeconds?: number;
}

/** Lambda starts five pollers per SQS event source; they share the concurrency slots. */
const MAX_POLLERS = 5;
/** SQS's most entries a batch call takes. */
const BATCH_ENTRIES = 10;
/** SQS's most messages a receive returns. */
const MAX_RECEIVE = 10;
/** What a failed receive may have cost, said with its error: the one path where a message goes quiet. */
const LOST_RECEIVE = 'A message that receive took off the queue is in flight until the queue\'s visibility timeout ends, then delivered again';

/** A batch handed to the function and not finished yet. */
interface InFlightBatch {
  readonly messages: readonly Message[];
  readonly records: readonly SQSRecord[];
  /** When it was handed to the function (epoch ms). */
  readonly startedAt: number;
  /** In flight longer than this (ms), it counts as stalled. */
  readonly stallAfterMs: number;
}

/**
 * Event-source-mapping semantics for one queue → function mapping: a slot is taken before a
 * receive (so nothing is pulled that cannot be delivered, like `maxConcurrency`), batches are
 * gathered up to the batch size or the batching window, a partial batch response deletes only the
 * records that succeeded, and a failed invocation leaves the whole batch to reappear after its
 * visibility timeout. Redrive to the DLQ after maxReceiveCount is the queue's own.
 *
 * A slot is the invocation's: it frees when the function answers, and the batch's deletes go on
 * beside the next receive, as Lambda's pollers delete asynchronously (a delete round trip inside
 * the slot lengthened every cycle of a drain by its latency). A stop waits for those deletes.
 */
export class MappingPoller {
  private readonly slots: Semaphore;
  private readonly batches = new Map<Promise<void>, InFlightBatch>();
  /** Answered batches whose deletes (and then their report) are still under way. */
  private readonly settling = new Set<Promise<void>>();
  private lanes: Promise<void>[] = [];
  private readonly deleter: MessageDeleter;
  private stopping = false;
  private peak = 0;

  constructor(private readonly options: PollerOptions) {
    this.slots = new Semaphore(options.concurrency);
    this.deleter = new MessageDeleter(options.sqs, options.queue, options.onError);
  }

  /** The most batches that were in flight at once. */
  get peakInFlight(): number {
    return this.peak;
  }

  /** Messages of the batches in flight longer than their tasks' timeout (`stallAfterMs`). */
  stalledMessages(now = Date.now()): number {
    let stalled = 0;
    for (const batch of this.batches.values()) if (now - batch.startedAt > batch.stallAfterMs) stalled += batch.messages.length;
    return stalled;
  }

  start(): void {
    const pollers = Math.min(this.options.concurrency, MAX_POLLERS);
    this.lanes = Array.from({ length: pollers }, () => this.lane());
  }

  /**
   * Stops receiving, lets batches in flight finish for up to `drainMs`, then makes the messages of
   * any batch still running visible again at once, so nothing waits out a visibility timeout.
   * @returns the messages returned to the queue that way.
   */
  async stop(drainMs: number): Promise<number> {
    this.stopping = true;
    this.slots.close();
    await Promise.all(this.lanes);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.batches.keys()), new Promise((resolve) => (timer = setTimeout(resolve, drainMs)))]);
    clearTimeout(timer);
    let returned = 0;
    for (const batch of this.batches.values()) returned += await this.release(batch.messages);
    await Promise.all(this.settling);
    return returned;
  }

  private async lane(): Promise<void> {
    while (!this.stopping) {
      if (!(await this.slots.acquire())) return;
      const slots = 1 + this.extraSlots();
      let messages: Message[];
      try {
        messages = await this.receiveBatch(slots);
      } catch (error) {
        this.slots.release(slots);
        if (this.stopping) return;
        this.options.onError(`receiving from ${this.options.queue.name} failed: ${(error as Error).message}; retrying in 1s. ${LOST_RECEIVE}`);
        await sleep(1000);
        continue;
      }
      if (this.stopping) {
        await this.release(messages);
        this.slots.release(slots);
        return;
      }
      const batches = chunks(messages, this.options.mapping.batchSize);
      this.slots.release(slots - batches.length);
      for (const batch of batches) this.dispatch(batch);
    }
  }

  /**
   * Free slots this lane may fill with the same receive: a receive returns up to 10 messages, so a
   * lane with a slot for a batch of one can take up to nine more free slots and split what comes
   * back into batches, one per slot, instead of a receive round trip per slot. Only where that
   * changes nothing else: batches smaller than a receive, no batching window (which gathers one
   * batch over several receives), and no FIFO queue (whose message groups must not run side by side).
   */
  private extraSlots(): number {
    const { batchSize, maxBatchingWindowSeconds } = this.options.mapping;
    if (batchSize >= MAX_RECEIVE || maxBatchingWindowSeconds > 0 || this.options.queue.name.endsWith('.fifo')) return 0;
    return this.slots.tryAcquire(Math.floor(MAX_RECEIVE / batchSize) - 1);
  }

  /** Hands a received batch to the function; its slot is released when the batch is done. */
  private dispatch(messages: readonly Message[]): void {
    const records = messages.map((message) => toRecord(message, this.options.queue.arn, this.options.region));
    const entry: InFlightBatch = { messages, records, startedAt: Date.now(), stallAfterMs: this.options.stallAfterMs?.(records) ?? Infinity };
    const onStall = this.options.onStall;
    const watch = onStall && Number.isFinite(entry.stallAfterMs) ? setTimeout(() => onStall(records, entry.stallAfterMs), entry.stallAfterMs) : undefined;
    // The runtime's lifetime is the pollers', not this timer's.
    watch?.unref();
    const batch: Promise<void> = this.runBatch(entry).finally(() => {
      clearTimeout(watch);
      this.batches.delete(batch);
      this.slots.release();
    });
    this.batches.set(batch, entry);
    this.peak = Math.max(this.peak, this.batches.size);
  }

  /** Up to batchSize messages for each slot, waiting up to the batching window to fill a single slot's batch. */
  private async receiveBatch(slots: number): Promise<Message[]> {
    const { batchSize, maxBatchingWindowSeconds } = this.options.mapping;
    const wait = this.options.waitTimeSeconds ?? 2;
    const messages = await this.receive(Math.min(batchSize * slots, MAX_RECEIVE), wait);
    if (messages.length === 0 || maxBatchingWindowSeconds === 0) return messages;
    const deadline = Date.now() + maxBatchingWindowSeconds * 1000;
    while (messages.length < batchSize && !this.stopping) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      try {
        messages.push(...(await this.receive(Math.min(batchSize - messages.length, MAX_RECEIVE), Math.min(wait, Math.ceil(remaining / 1000)))));
      } catch (error) {
        // What was received is in flight already: it goes to the function now, or it would sit
        // unseen until its visibility timeout.
        this.options.onError(`receiving from ${this.options.queue.name} failed (${(error as Error).message}); running the ${messages.length} message(s) received so far. ${LOST_RECEIVE}`);
        break;
      }
    }
    return messages;
  }

  private async receive(max: number, waitTimeSeconds: number): Promise<Message[]> {
    trace('poller.receive', { queue: this.options.queue.name, max });
    const { Messages } = await (this.options.receiver ?? this.options.sqs).send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queue.url,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages?.length) trace('poller.received', { queue: this.options.queue.name, messages: ids(Messages) });
    return Messages ?? [];
  }

  /** Invokes the function with the batch; its deletes and report follow after the slot is freed. */
  private async runBatch({ messages, records, startedAt }: InFlightBatch): Promise<void> {
    const queue = this.options.queue.name;
    trace('poller.invoke', { queue, messages: ids(messages) });
    const invoke = await this.invoke(records);
    const failed = invoke.ok ? failedRecords(invoke.result, records, this.options.mapping.reportBatchItemFailures) : new Set(records.map((r) => r.messageId));
    trace('poller.answered', { queue, messages: ids(messages), ok: invoke.ok, failed: [...failed] });
    const settled: Promise<void> = this.deleter.delete(messages.filter((message) => !failed.has(message.MessageId!))).then(() => {
      this.settling.delete(settled);
      this.options.onBatch({ records, invoke, failed, startedAt });
    });
    this.settling.add(settled);
  }

  /** The function's answer; a host that throws (a thread that cannot start, say) fails the invocation, as Lambda reports a service error. */
  private async invoke(records: readonly SQSRecord[]): Promise<InvokeResult> {
    const asked = Date.now();
    try {
      return await this.options.host.invoke({ Records: records });
    } catch (error) {
      return { ok: false, error: { name: 'ServiceException', message: `the function could not be invoked: ${(error as Error).message}` }, timedOut: false, durationMs: Date.now() - asked };
    }
  }

  /** Makes received messages visible again now. */
  private async release(messages: readonly Message[]): Promise<number> {
    let released = 0;
    for (const chunk of chunks(messages, BATCH_ENTRIES)) {
      try {
        await this.options.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.options.queue.url,
            Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 })),
          }),
        );
        released += chunk.length;
      } catch (error) {
        this.options.onError(`returning ${chunk.length} message(s) to ${this.options.queue.name} failed (${(error as Error).message}); they reappear after the visibility timeout`);
      }
    }
    return released;
  }
}

/**
 * The records Lambda leaves on the queue: none for a success without a partial batch response;
 * those listed in `batchItemFailures`; all of them when the response names a record that is not in
 * the batch or is malformed (Lambda's rule: an invalid response fails the batch).
 */
export function failedRecords(result: unknown, records: readonly SQSRecord[], reportBatchItemFailures: boolean): Set<string> {
  if (!reportBatchItemFailures || result === null || result === undefined) return new Set();
  const failures = (result as Partial<SQSBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  const ids = new Set(records.map((record) => record.messageId));
  const all = new Set(ids);
  if (!Array.isArray(failures)) return all;
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) return all;
    failed.add(id);
  }
  return failed;
}

/** An SQS message as Lambda's event source mapping hands it to the function. */
export function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? '000000000000',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
      ...(attributes.MessageDeduplicationId ? { MessageDeduplicationId: attributes.MessageDeduplicationId } : {}),
      ...(attributes.SequenceNumber ? { SequenceNumber: attributes.SequenceNumber } : {}),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? 'String',
          ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
          ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** The items in chunks of `size`, in order: a batch per slot, SQS's ten entries per batch call. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function ids(messages: readonly Message[]): string[] {
  return messages.map((message) => message.MessageId ?? '?');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
