import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BUCKET_ITEM, bucketKey, epochMinute, usedAttribute } from './bucket-item';
import { Gcra } from './gcra';
import type { RateLimit } from './rate-limit';

/** What taking a token came to: granted, good in `waitMs` (0: now); or refused, the next one in `waitMs`. */
export type TokenResult = { readonly granted: boolean; readonly waitMs: number };

/** A gate's token bucket, shared by all of its workers. */
export interface TokenBucket {
  readonly rate: RateLimit;
  /**
   * Takes one token if there is one now or within `horizonMs` (reserved: the caller waits `waitMs` for it).
   * @throws whatever the store throws (a throttle, a network error): the caller fails closed.
   */
  take(horizonMs?: number): Promise<TokenResult>;
}

/** A bucket whose tat is this far in the past was idle long enough that its minute counters are stale: the item is written anew. */
const IDLE_RESET_MS = 120_000;
/**
 * Tokens are taken for this many ms ahead and the run waits for its slot: a write that takes
 * longer than the slot's time to land would start its run late, and late runs bunch, which the
 * downstream sees as more than the rate. A few ms of DynamoDB fit well within it.
 */
const LEAD_MS = 20;
/** The most workers a lost race makes a worker assume it competes with: it then holds back for up to this many intervals. */
const MAX_CONTENTION = 64;
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
 *
 * Where many workers wait for the same next token, all of them would write when it comes and all
 * but one would be refused: a refused conditional write costs a write all the same. So a worker
 * that loses a race holds back for a random share of `contention` intervals (doubled at each lost
 * race, halved at each win), as exponential backoff with jitter does, and on average about one
 * worker asks per token. Takes of one worker (the records of a batch) go one after another, so
 * they never race each other.
 */
export class DynamoTokenBucket implements TokenBucket {
  private readonly documents: DynamoDBDocumentClient;
  private readonly gcra: Gcra;
  private readonly key: string;
  private knownTat?: number;
  /** Until when this worker holds back after a lost race (epoch ms). */
  private holdUntil = 0;
  private contention = 1;
  private queue: Promise<unknown> = Promise.resolve();
  /** Write requests made (granted or refused), for the benchmark's writes per dispatch. */
  writes = 0;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    gate: string,
    readonly rate: RateLimit,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    this.documents = DynamoDBDocumentClient.from(client);
    this.gcra = new Gcra(rate);
    this.key = bucketKey(gate);
  }

  take(horizonMs = 0): Promise<TokenResult> {
    const result = this.queue.then(() => this.takeNow(horizonMs));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async takeNow(horizonMs: number): Promise<TokenResult> {
    if (this.knownTat === undefined) await this.refresh();
    const now = this.now() + LEAD_MS;
    if (now < this.holdUntil) return { granted: false, waitMs: this.holdUntil - now };
    const state = this.gcra.state(this.knownTat, now, horizonMs);
    if (state.kind === 'empty') return { granted: false, waitMs: state.waitMs };
    const slot = await this.write(state.kind, now, horizonMs);
    if (slot !== undefined) {
      this.contention = Math.max(1, this.contention / 2);
      return { granted: true, waitMs: Math.max(0, slot - this.now()) };
    }
    // Refused: the stored value moved on (other workers took the tokens this one saw).
    await this.refresh();
    return this.lost();
  }

  /** Another worker took the token: hold back for a random share of the intervals the contention suggests. */
  private lost(): TokenResult {
    this.contention = Math.min(MAX_CONTENTION, this.contention * 2);
    const now = this.now() + LEAD_MS;
    const next = this.gcra.nextTokenAt(this.knownTat, now);
    this.holdUntil = next + this.random() * this.contention * this.gcra.intervalMs;
    return { granted: false, waitMs: Math.max(1, this.holdUntil - now + LEAD_MS) };
  }

  /** One conditional write for the state the worker believes the bucket is in: the token's slot, or undefined when the stored value says otherwise. */
  private async write(kind: 'idle' | 'busy', now: number, horizonMs: number): Promise<number | undefined> {
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
        return now;
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
                ExpressionAttributeValues: { ':interval': interval, ':now': now, ':limit': now + this.gcra.toleranceMs + horizonMs, ':zero': 0, ':one': 1 },
              }),
          ExpressionAttributeNames: names,
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const newTat = Number(Attributes?.[BUCKET_ITEM.tat] ?? now + interval);
      this.knownTat = Math.max(this.knownTat ?? 0, newTat);
      return this.gcra.slotOf(newTat, now);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
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
