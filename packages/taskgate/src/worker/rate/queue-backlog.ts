import type { SQSClient } from '@aws-sdk/client-sqs';
import { sqsModule } from '../sqs-lazy';

/** How long one count of the queue serves a worker: counts are approximate anyway, and this keeps it at one call a second at most. */
const CACHE_MS = 1_000;

/**
 * Messages waiting on the gate's queue (visible + delayed), which the rate gate spreads its
 * re-sends over: n messages at r per second need n / r seconds, so a re-sent message comes back
 * at a random point of that span instead of all of them at the next token. One
 * GetQueueAttributes a second per worker at most (the event source's grant already allows it).
 */
export class QueueBacklog {
  private cached?: { readonly at: number; readonly count: Promise<number> };
  private known = 0;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly now: () => number = Date.now,
  ) {}

  count(): Promise<number> {
    const now = this.now();
    if (!this.cached || now - this.cached.at > CACHE_MS) {
      const count = sqsModule()
        .then(({ GetQueueAttributesCommand }) =>
          this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'] })),
        )
        .then(({ Attributes = {} }) => Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0))
        // Without a count the re-sends spread less; the gate still holds the rate.
        .catch(() => 0);
      this.cached = { at: now, count };
    }
    return this.cached.count;
  }

  /** The last count that came back, without waiting for one (0 before the first): a stale one starts a new count for next time. */
  latest(): number {
    void this.count().then((count) => {
      this.known = count;
    });
    return this.known;
  }
}
