import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BUCKET_ITEM, bucketKey, epochMinute, usedAttribute } from './bucket-item';
import { Gcra } from './gcra';
import type { RateLimit } from './rate-limit';

/** What taking a token came to. */
export type TokenResult = { readonly granted: true } | { readonly granted: false; readonly waitMs: number };

/** A gate's token bucket, shared by all of its workers. */
export interface TokenBucket {
  readonly rate: RateLimit;
  /**
   * Takes one token if there is one now.
   * @throws whatever the store throws (a throttle, a network error): the caller fails closed.
   */
  take(): Promise<TokenResult>;
}

/** A bucket whose tat is this far in the past was idle long enough that its minute counters are stale: the item is written anew. */
const IDLE_RESET_MS = 120_000;
/** Conflicting writes tolerated before a take gives up for one interval (each conflict means another worker just took a token). */
const MAX_TRIES = 3;
/**
 * Counters of these minutes back are removed at each write. A write sees its item's last write at
 * most IDLE_RESET_MS + MAX_REFILL_SECONDS (3 minutes) before, so older counters are already gone,
 * and the item keeps two minutes' counters at most.
 */
const STALE_MINUTES = [2, 3, 4, 5];

/**
 * The token bucket in the run ledger table (see gcra.ts): each token is one conditional write on
 * the gate's item. Under load the write is `tat = tat + interval` guarded by `tat` being within the
 * burst, which commutes: concurrent workers do not conflict with one another, and the guard on the
 * stored value means they never issue more than the rate allows together. A worker remembers the
 * last `tat` it saw; `tat` only grows, so that is a lower bound, and a worker that knows the bucket
 * is empty waits without writing. No transactions, so the embedded DynamoDB runs it as AWS does.
 */
export class DynamoTokenBucket implements TokenBucket {
  private readonly documents: DynamoDBDocumentClient;
  private readonly gcra: Gcra;
  private readonly key: string;
  private knownTat?: number;
  /** Write requests made (granted or refused), for the benchmark's writes per dispatch. */
  writes = 0;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    gate: string,
    readonly rate: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    this.documents = DynamoDBDocumentClient.from(client);
    this.gcra = new Gcra(rate);
    this.key = bucketKey(gate);
  }

  async take(): Promise<TokenResult> {
    if (this.knownTat === undefined) await this.refresh();
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const now = this.now();
      const state = this.gcra.state(this.knownTat, now);
      if (state.kind === 'empty') return { granted: false, waitMs: state.waitMs };
      if (await this.write(state.kind, now)) return { granted: true };
      await this.refresh();
    }
    return { granted: false, waitMs: this.gcra.intervalMs };
  }

  /** One conditional write for the state the worker believes the bucket is in; false when the stored value says otherwise. */
  private async write(kind: 'idle' | 'busy', now: number): Promise<boolean> {
    const interval = this.gcra.intervalMs;
    const minute = epochMinute(now);
    this.writes++;
    try {
      if (kind === 'idle' && (this.knownTat === undefined || this.knownTat < now - IDLE_RESET_MS)) {
        await this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk: this.key, [BUCKET_ITEM.tat]: now + interval, [usedAttribute(minute)]: 1 },
            ConditionExpression: 'attribute_not_exists(pk) OR #tat < :reset',
            ExpressionAttributeNames: { '#tat': BUCKET_ITEM.tat },
            ExpressionAttributeValues: { ':reset': now - IDLE_RESET_MS },
          }),
        );
        this.knownTat = now + interval;
        return true;
      }
      const names = { '#tat': BUCKET_ITEM.tat, '#used': usedAttribute(minute), ...Object.fromEntries(STALE_MINUTES.map((back) => [`#old${back}`, usedAttribute(minute - back)])) };
      const counters = `#used = if_not_exists(#used, :zero) + :one REMOVE ${STALE_MINUTES.map((back) => `#old${back}`).join(', ')}`;
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: this.key },
          ...(kind === 'idle'
            ? {
                UpdateExpression: `SET #tat = :next, ${counters}`,
                ConditionExpression: '#tat >= :reset AND #tat < :now',
                ExpressionAttributeValues: { ':next': now + interval, ':reset': now - IDLE_RESET_MS, ':now': now, ':zero': 0, ':one': 1 },
              }
            : {
                UpdateExpression: `SET #tat = #tat + :interval, ${counters}`,
                ConditionExpression: '#tat BETWEEN :now AND :limit',
                ExpressionAttributeValues: { ':interval': interval, ':now': now, ':limit': now + this.gcra.toleranceMs, ':zero': 0, ':one': 1 },
              }),
          ExpressionAttributeNames: names,
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      this.knownTat = Math.max(this.knownTat ?? 0, Number(Attributes?.[BUCKET_ITEM.tat] ?? 0));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Reads the stored tat (a read, not a write): after a conflict, or at a worker's first token. */
  private async refresh(): Promise<void> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { pk: this.key }, ConsistentRead: true, ProjectionExpression: '#tat', ExpressionAttributeNames: { '#tat': BUCKET_ITEM.tat } }));
    const stored = Item?.[BUCKET_ITEM.tat];
    this.knownTat = stored === undefined ? undefined : Math.max(this.knownTat ?? 0, Number(stored));
  }
}
