import type { SQSClient } from '@aws-sdk/client-sqs';
import { queueCounts } from './dead-letters';
import { Pacer, sleep } from './time';

/** Without a fixed rate, sending waits while the gate's queue holds more than this many times its concurrency. */
export const PACE_BACKLOG_FACTOR = 10;

/**
 * Paces messages into a gate so that a backfill or a redrive never floods it: batches at the gate's
 * concurrency per second, waiting while more than 10 x concurrency messages are queued; or a fixed
 * rate (`rate`, messages a second) instead. `taskgate backfill` and the operator page's redrive
 * send through this.
 */
export class GatePacer {
  private readonly pacer: Pacer;

  constructor(
    private readonly sqs: SQSClient,
    private readonly gate: { readonly queueUrl: string; readonly concurrency?: number },
    private readonly options: { readonly rate?: number; readonly signal?: AbortSignal } = {},
  ) {
    this.pacer = new Pacer(options.rate ?? this.concurrency(), options.signal);
  }

  /** Waits until `count` more messages may go to the gate. */
  async take(count: number): Promise<void> {
    const { signal } = this.options;
    if (this.options.rate === undefined) {
      // Respect the gate: wait while its queue already holds more than it drains in a while.
      while (!signal?.aborted && (await queueCounts(this.sqs, this.gate.queueUrl)).visible > PACE_BACKLOG_FACTOR * this.concurrency()) await sleep(2000, signal);
    }
    await this.pacer.take(count);
  }

  private concurrency(): number {
    return this.gate.concurrency ?? 1;
  }
}
