import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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

/** One gate's bucket, read from its item in the ledger table (one consistent GetItem). */
export async function readRateUsage(dynamodb: DynamoDBDocumentClient, table: string, gate: string, rate: RateLimit, now = Date.now()): Promise<RateUsage> {
  const { Item } = await dynamodb.send(new GetCommand({ TableName: table, Key: { pk: bucketKey(gate) }, ConsistentRead: true }));
  return { usedLastMinute: tokensInLastMinute(Item, now), tokens: tokensLeft(Item, rate, now) };
}

/** Each rate gate's bucket; gates without a rate are left out. */
export async function rateUsage(target: Pick<Target, 'dynamodb' | 'ledgerTable'>, gates: readonly GateEndpoints[], now = Date.now()): Promise<Map<string, RateUsage>> {
  const rated = gates.filter((gate): gate is GateEndpoints & { rate: RateLimit } => gate.rate !== undefined);
  if (rated.length === 0) return new Map();
  const table = target.ledgerTable();
  const usage = await Promise.all(rated.map((gate) => readRateUsage(target.dynamodb, table, gate.name, gate.rate, now)));
  return new Map(rated.map((gate, index) => [gate.name, usage[index]!]));
}
