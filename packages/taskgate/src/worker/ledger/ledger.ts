import { randomUUID } from 'node:crypto';
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

let tokenPrefix: string | undefined;
let tokensIssued = 0;

/**
 * A claim's token, which fences a run against a worker whose lease ran out: it must be unique, not
 * secret (only roles that write the ledger see it). A counter under a random prefix costs a
 * fraction of a `randomUUID()` per claim. The prefix is drawn at the first claim, in an
 * invocation, so that execution environments restored from one snapshot do not share it.
 */
export function claimToken(): string {
  tokenPrefix ??= `${randomUUID()}.`;
  return tokenPrefix + (++tokensIssued).toString(36);
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
  /**
   * Epoch ms until which the run stays leased though it failed: its task ignored its signal and may
   * still be running until the invocation ends, so no retry may claim it before then.
   */
  readonly holdUntil?: number;
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
 * Claimable: a run never seen, one that failed (a retry) or died before this message was sent (a
 * redrive) unless a hold keeps it (its task overran and may still run), or one whose lease ran out
 * (its worker crashed). Not claimable: succeeded, skipped, dead for a copy sent before it died, or
 * running under a live lease.
 */
export interface Ledger extends TaskLeases {
  claim(run: RunStart, leaseMs: number): Promise<ClaimResult>;
  /** False when the lease was lost to another worker meanwhile; their record stands. */
  finish(task: string, id: string, token: string, end: RunEnd): Promise<boolean>;
  /** False when the run is not claimable (it succeeded or is running elsewhere); nothing is written then. */
  record(verdict: RunVerdict): Promise<boolean>;
}

/** The task's overlap lease: taken by a scheduled run whose task does not allow overlap. */
export type TaskLeaseResult =
  /** The lease is this run's until the given time (or until it releases it). */
  | { readonly outcome: 'acquired' }
  /** Another run holds it until `leaseUntil`; `waiting` when this run is the one buffered to run next. */
  | { readonly outcome: 'held'; readonly holder: string; readonly leaseUntil: number; readonly waiting: boolean };

/** The per-task lease the overlap policy uses; one item per task beside the runs. */
export interface TaskLeases {
  /**
   * Takes the task's lease for `runId` until `now + leaseMs`: free, run out, or held by the same run
   * (a second delivery) already. With `buffer` and the lease held, `runId` becomes the one run that
   * waits for it, unless another run already does; `wakeHandle` is how its holder wakes it.
   */
  acquireTaskLease(request: { task: string; runId: string; now: number; leaseMs: number; buffer?: { wakeHandle: string } }): Promise<TaskLeaseResult>;
  /** Gives the lease back; resolves to the waiting run's wake handle, when one waits. */
  releaseTaskLease(task: string, runId: string): Promise<string | undefined>;
}

/** Statuses after which a run may be claimed again (a dead one by a message sent after it died). */
export const RECLAIMABLE: readonly RunStatus[] = ['failed', 'dead'];
