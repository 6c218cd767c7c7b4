import type { HttpExchange } from '../../core/http-exchange';
import type { RunStatus } from './record';

/** What the worker knows about a run when it claims it. */
export interface RunStart {
  readonly task: string;
  readonly id: string;
  readonly gate: string;
  readonly source: string;
  readonly scheduledAt: Date;
  /** This delivery's attempt number. */
  readonly attempt: number;
  /** Epoch ms now. */
  readonly now: number;
  /**
   * Epoch ms the message was sent (SQS's SentTimestamp). A dead run is claimed again only by a
   * message sent after it died: a redrive or a new trigger (SQS gives a redriven message a new
   * sent time), never a second copy of the message that died (a duplicate send, or a delivery
   * whose delete was lost), which would repeat a permanent failure.
   */
  readonly sentAt: number;
  /** The payload as the message carried it, for a run's detail (see {@link ledgerPayload}). */
  readonly payload?: string;
}

/** The most characters of a payload's JSON a run record keeps: a record stays within one write unit. */
export const MAX_LEDGER_PAYLOAD = 700;

/**
 * A payload as the ledger keeps it: its JSON, cut to {@link MAX_LEDGER_PAYLOAD} characters with a
 * note of the whole length (the message itself, in the DLQ or the queue, has all of it).
 */
export function ledgerPayload(payload: unknown): string | undefined {
  if (payload === undefined) return undefined;
  const json = JSON.stringify(payload);
  return json.length <= MAX_LEDGER_PAYLOAD ? json : `${json.slice(0, MAX_LEDGER_PAYLOAD)}… [cut: ${json.length} characters in all]`;
}

export type ClaimResult =
  /** The run is ours until `leaseUntil`; `token` proves it when recording the outcome. */
  | { readonly outcome: 'claimed'; readonly token: string }
  /** Already ran (succeeded) or was skipped: a duplicate delivery, not run again. */
  | { readonly outcome: 'duplicate'; readonly status: RunStatus }
  /** Another worker holds a live lease on the run. */
  | { readonly outcome: 'leased'; readonly leaseUntil: number };

/** How a claimed run ended. */
export interface RunEnd {
  readonly status: 'succeeded' | 'failed' | 'dead';
  readonly attempt: number;
  readonly finishedAt: number;
  readonly durationMs: number;
  readonly error?: string;
  readonly reason?: string;
  /** A webhook run's response: status (absent when none came), duration and size. */
  readonly response?: HttpExchange;
}

/** A run recorded without being claimed: skipped (misfire) or dead before it could run (bad payload). */
export interface RunVerdict extends RunStart {
  readonly status: 'skipped' | 'dead';
  readonly reason: string;
  readonly error?: string;
}

/**
 * The run ledger: history and dedupe. One conditional write claims a run; one records its outcome.
 * Kept small so DynamoDB in AWS, DynamoDB on the embedded server and a test stand-in all fit it.
 *
 * Claimable: a run never seen, one that failed (a retry), one that died before this message was
 * sent (a redrive), or one whose lease ran out (its worker crashed). Not claimable: succeeded,
 * skipped, dead for a copy sent before it died, or running under a live lease.
 */
export interface Ledger {
  claim(run: RunStart, leaseMs: number): Promise<ClaimResult>;
  /** False when the lease was lost to another worker meanwhile; their record stands. */
  finish(task: string, id: string, token: string, end: RunEnd): Promise<boolean>;
  /** False when the run is not claimable (it succeeded or is running elsewhere); nothing is written then. */
  record(verdict: RunVerdict): Promise<boolean>;
}

/** Statuses after which a run may be claimed again (a dead one by a message sent after it died). */
export const RECLAIMABLE: readonly RunStatus[] = ['failed', 'dead'];
