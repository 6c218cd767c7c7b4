import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetItems } from '../worker/ledger/batch-get';
import { bucketKey, tokensInLastMinute, tokensLeft } from '../worker/rate/bucket-item';
import type { RateLimit } from '../worker/rate/rate-limit';
import type { GateEndpoints, Target } from './target';

/** A rate gate's bucket as status shows it. */
export interface RateUsage {
  /** Tokens taken in the last 60 s. */
  readonly usedLastMinute: number;
  /** Tokens in the bucket now (0 to burst). */
  readonly tokens: number;
}

/**
 * Rate gates' buckets, read from their items in the ledger table: consistent BatchGetItem requests
 * (the operator policy's ledger read), 100 gates a request.
 */
export async function readRateUsage(
  dynamodb: DynamoDBDocumentClient,
  table: string,
  gates: ReadonlyArray<{ readonly name: string; readonly rate: RateLimit }>,
  now = Date.now(),
): Promise<Map<string, RateUsage>> {
  if (gates.length === 0) return new Map();
  const found = await batchGetItems(dynamodb, table, gates.map((gate) => ({ pk: bucketKey(gate.name) })), { consistentRead: true });
  const items = new Map(found.map((item) => [String(item.pk), item]));
  return new Map(
    gates.map((gate) => {
      const item = items.get(bucketKey(gate.name));
      return [gate.name, { usedLastMinute: tokensInLastMinute(item, now), tokens: tokensLeft(item, gate.rate, now) }];
    }),
  );
}

/** Each rate gate's bucket; gates without a rate are left out. */
export async function rateUsage(target: Pick<Target, 'dynamodb' | 'ledgerTable'>, gates: readonly GateEndpoints[], now = Date.now()): Promise<Map<string, RateUsage>> {
  const rated = gates.filter((gate): gate is GateEndpoints & { rate: RateLimit } => gate.rate !== undefined);
  return rated.length === 0 ? new Map() : readRateUsage(target.dynamodb, target.ledgerTable(), rated, now);
}
