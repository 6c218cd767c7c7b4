import { DeleteMessageBatchCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { trace } from './trace';

/** SQS's most entries a DeleteMessageBatch takes. */
const MAX_ENTRIES = 10;

interface Pending {
  readonly message: Message;
  readonly done: () => void;
}

/**
 * The processed messages' deletes of one queue, as Lambda's pollers make them: batched across the
 * invocations that answered meanwhile. At most one DeleteMessageBatch is in flight; messages that
 * come while it is wait for it and go together (ten a request) when it returns. Nothing waits on a
 * timer: a lone message is deleted at once. In a drain of one-message batches this was a request
 * per run on the thread that runs the pollers.
 */
export class MessageDeleter {
  private readonly pending: Pending[] = [];
  private deleting = false;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queue: { readonly name: string; readonly url: string },
    private readonly onError: (message: string) => void,
  ) {}

  /** Resolves once the messages were deleted, or their failure was reported: they will be delivered again. Never rejects. */
  delete(messages: readonly Message[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let left = messages.length;
      const done = () => --left === 0 && resolve();
      for (const message of messages) this.pending.push({ message, done });
      if (!this.deleting) void this.deletePending();
    });
  }

  private async deletePending(): Promise<void> {
    this.deleting = true;
    while (this.pending.length > 0) {
      const chunk = this.pending.splice(0, MAX_ENTRIES);
      await this.deleteChunk(chunk.map((entry) => entry.message));
      for (const entry of chunk) entry.done();
    }
    this.deleting = false;
  }

  private async deleteChunk(messages: readonly Message[]): Promise<void> {
    const queue = this.queue.name;
    try {
      const { Failed } = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queue.url,
          Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
        }),
      );
      if (Failed?.length) this.onError(`deleting ${Failed.length} processed message(s) from ${queue} failed: ${Failed[0]!.Message}`);
      trace('poller.deleted', { queue, messages: messages.map((message) => message.MessageId ?? '?'), failed: Failed?.length ?? 0 });
    } catch (error) {
      this.onError(`deleting processed messages from ${queue} failed (${(error as Error).message}); they will be delivered again`);
    }
  }
}
