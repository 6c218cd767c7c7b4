import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { Envelope } from '../core/envelope';
import type { AnyTask, TaskLogger } from '../core/task';
import type { TaskLeases } from './ledger/ledger';
import { sqsModule } from './sqs-lazy';

/** Whether a run may start now under its task's overlap policy. */
export type OverlapEntry =
  /** Run it; `leased` when it took the task's lease, which it gives back when it ends. */
  | { readonly outcome: 'enter'; readonly leased: boolean }
  /** Record it as skipped: an earlier run still holds the lease (and, for bufferOne, another run already waits). */
  | { readonly outcome: 'skip'; readonly error: string }
  /** bufferOne: this run waits; its message comes back when the holder wakes it or its lease ends. */
  | { readonly outcome: 'wait'; readonly delaySeconds: number; readonly holder: string };

/**
 * The overlap policy at dispatch. Only ticks of schedules are subject to it: a schedule fires
 * whether or not the last run ended, while a manual, API or chained run is a request someone made
 * on purpose (a chain is sequential by construction). The task's lease lives in the ledger
 * (TaskLeases), so it holds across every worker of the gate.
 */
export class OverlapGate {
  constructor(
    private readonly leases: TaskLeases,
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly logger: TaskLogger,
  ) {}

  /** Whether the run is subject to the policy at all: a tick of a schedule whose task does not allow overlap. */
  applies(task: AnyTask, envelope: Envelope): boolean {
    return task.overlap !== 'allow' && envelope.source === 'schedule';
  }

  async enter(task: AnyTask, envelope: Envelope, record: SQSRecord, now: number, leaseMs: number): Promise<OverlapEntry> {
    if (!this.applies(task, envelope)) return { outcome: 'enter', leased: false };
    const buffer = task.overlap === 'bufferOne' ? { wakeHandle: record.receiptHandle } : undefined;
    const lease = await this.leases.acquireTaskLease({ task: task.name, runId: envelope.id, now, leaseMs, buffer });
    if (lease.outcome === 'acquired') return { outcome: 'enter', leased: true };
    const running = `run ${lease.holder} of ${task.name} is still running (its lease lasts until ${new Date(lease.leaseUntil).toISOString()})`;
    if (lease.waiting) return { outcome: 'wait', delaySeconds: Math.max(1, Math.ceil((lease.leaseUntil - now) / 1000)), holder: lease.holder };
    return {
      outcome: 'skip',
      error: buffer ? `${running} and another run already waits for it; overlap is bufferOne` : `${running}; overlap is skip`,
    };
  }

  /** Gives the lease back and wakes the run that waits for it, if one does. */
  async leave(task: string, runId: string): Promise<void> {
    const wakeHandle = await this.leases.releaseTaskLease(task, runId);
    if (wakeHandle === undefined) return;
    try {
      const { ChangeMessageVisibilityCommand } = await sqsModule();
      await this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: wakeHandle, VisibilityTimeout: 0 }));
    } catch (error) {
      // It comes back at the end of the lease it waited for instead.
      this.logger.warn('could not wake the run waiting for this one; it starts when its wait ends', { task, runId, error: (error as Error).message });
    }
  }
}
