import type { SQSBatchResponse } from 'aws-lambda';
import type { PermanentReason } from '../core/errors';

/** How one record ended. */
export type RecordOutcome =
  | { readonly status: 'succeeded'; readonly task: string; readonly runId: string; readonly durationMs: number }
  | { readonly status: 'skipped' | 'duplicate'; readonly task: string; readonly runId: string; readonly reason: string }
  | { readonly status: 'retry'; readonly task?: string; readonly error: string; readonly delaySeconds?: number }
  /** Re-sent with a delay to wait for the gate's rate; the delivery is done, the run is not. */
  | { readonly status: 'waiting'; readonly task: string; readonly runId: string; readonly delaySeconds: number; readonly reason: string }
  | { readonly status: 'dead'; readonly task?: string; readonly reason: PermanentReason; readonly error: string };

/** A batch's result: the partial batch response Lambda expects, and each record's outcome. */
export interface BatchResult {
  readonly response: SQSBatchResponse;
  readonly outcomes: ReadonlyMap<string, RecordOutcome>;
}
