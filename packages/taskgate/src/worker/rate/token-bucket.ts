import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { BUCKET_ITEM, bucketKey } from './bucket-item';
import { busyCommand, idleCommand, IDLE_RESET_MS, restartCommand, type ReservationWrite } from './bucket-writes';
import { Gcra, type GcraPlan } from './gcra';
import type { RateLimit } from './rate-limit';

/** Tokens reserved for a batch: when each is good, and when the next comes for those that got none. */
export interface Reservation {
  /** When each reserved token is good (epoch ms), earliest first; fewer than asked when the rest do not fit within the horizon, none when the bucket is empty. */
  readonly slots: readonly number[];
  /** For the records that got no token: when the next one comes (epoch ms). */
  readonly nextAt: number;
}

/** A gate's token bucket, shared by all of its workers. */
export interface TokenBucket {
  readonly rate: RateLimit;
  /**
   * Reserves up to `count` tokens, each good now or within `horizonMs` (the caller waits for it),
   * and with them, in the same write, `spare` more one interval apart past the last (each within
   * one interval more per spare): the write is made only when they fit too, so a spare costs the
   * records no token they would have had (under load tokens free up an interval apart, and one
   * free within the horizon is two within the horizon and an interval). The spares' slots come
   * last in `slots`, when there are more slots than `count`.
   * @throws whatever the store throws (a throttle, a network error): the caller fails closed.
   */
  reserve(count: number, horizonMs?: number, spare?: number): Promise<Reservation>;
}

/**
 * Tokens are taken at least this many ms ahead and the run waits for its slot: a write that takes
 * longer than the slot's time to land would start its run late, and late runs bunch, which the
 * downstream sees as more than the rate. A few ms of DynamoDB fit well within it; when writes
 * take longer (a throttled table, a starved machine) the lead grows to twice their smoothed
 * round trip, up to MAX_LEAD_MS.
 */
const LEAD_MS = 20;
const MAX_LEAD_MS = 250;
/** The most workers a lost race makes a worker assume it competes with: it then holds back for up to this many intervals. */
const MAX_CONTENTION = 64;
/**
 * Writes one reservation makes at most: the first, and after each refusal (the stored tat moved
 * on) one more against the tat read back, while that still has room. Bounded, since every
 * refused conditional write costs a write all the same.
 */
const MAX_WRITES = 3;

/**
 * The token bucket in the run ledger table (see gcra.ts): a reservation of k tokens (a batch's
 * records) is one conditional write on the gate's item. Under load the write is `tat = tat + k x
 * interval` guarded by `tat` leaving the k-th token within the horizon, which commutes: concurrent
 * workers do not conflict with one another, and the guard on the stored value means they never
 * issue more than the rate allows together. A worker remembers the last `tat` it saw; `tat` only
 * grows, so that is a lower bound, and a worker that knows the bucket is empty waits without
 * writing. No transactions, so the embedded DynamoDB runs it as AWS does.
 *
 * A worker writes only when at least half of its batch (or of what the bucket can reserve ahead,
 * when less) is free for it: under load, tokens free up one interval at a time, and a write for
 * each would cost a write per run. A write is refused only when the stored tat moved on since the
 * worker saw it; the worker reads it back and tries again while that leaves room, at most
 * MAX_WRITES writes in all. Where many workers wait for the same free tokens, all of them would
 * write when they come and all but one would be refused, so a worker that loses holds back for a
 * random share of `contention` intervals (doubled at each lost race, halved at each win), as
 * exponential backoff with jitter does. Reservations of one worker go one after another, so they
 * never race each other.
 */
export class DynamoTokenBucket implements TokenBucket {
  private readonly documents: DynamoDBDocumentClient;
  private readonly gcra: Gcra;
  private readonly key: string;
  private knownTat?: number;
  /** When knownTat was last read or written (epoch ms). */
  private seenAt = 0;
  /** Until when this worker holds back after a lost race (epoch ms). */
  private holdUntil = 0;
  private contention = 1;
  private queue: Promise<unknown> = Promise.resolve();
  /** The writes' round trip, smoothed (ms): what the lead must cover. */
  private writeMs = 0;
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

  reserve(count: number, horizonMs = 0, spare = 0): Promise<Reservation> {
    const result = this.queue.then(() => this.reserveNow(Math.max(1, Math.floor(count)), horizonMs, Math.max(0, Math.floor(spare))));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async reserveNow(records: number, recordsHorizonMs: number, spare: number): Promise<Reservation> {
    if (this.knownTat === undefined) await this.refresh();
    const least = this.gcra.leastWorthWriting(records, recordsHorizonMs) + spare;
    const count = records + spare;
    const horizonMs = recordsHorizonMs + spare * this.gcra.intervalMs;
    for (let tries = 1; ; tries++) {
      const now = this.now() + this.leadMs();
      if (now < this.holdUntil) return { slots: [], nextAt: this.holdUntil };
      let plan = this.gcra.plan(this.knownTat, now, count, horizonMs, least);
      if (plan.kind === 'busy' && this.now() - this.seenAt > this.gcra.intervalMs) {
        // Other workers have likely moved a busy bucket on since this one saw it: a read costs less than a refused write.
        await this.refresh();
        plan = this.gcra.plan(this.knownTat, now, count, horizonMs, least);
      }
      if (plan.kind === 'empty') return { slots: [], nextAt: now + plan.waitMs };
      const newTat = await this.write(plan, now, horizonMs);
      if (newTat !== undefined) {
        this.contention = Math.max(1, this.contention / 2);
        return { slots: this.gcra.slotsOf(newTat, plan.count, now), nextAt: this.gcra.nextTokenAt(newTat, now) };
      }
      // Refused: the stored value moved on (other workers took the tokens this one saw). Try again
      // while the stored value leaves room; a race lost for good holds this worker back.
      await this.refresh();
      const later = this.now() + this.leadMs();
      const fresh = this.gcra.plan(this.knownTat, later, count, horizonMs, least);
      if (fresh.kind === 'empty' || tries >= MAX_WRITES) return this.lost(later + (fresh.kind === 'empty' ? fresh.waitMs : 0));
    }
  }

  /** Other workers took the tokens: hold back past `next` (when this worker's share comes free) for a random share of the intervals the contention suggests. */
  private lost(next: number): Reservation {
    this.contention = Math.min(MAX_CONTENTION, this.contention * 2);
    this.holdUntil = next + this.random() * this.contention * this.gcra.intervalMs;
    return { slots: [], nextAt: this.holdUntil };
  }

  private leadMs(): number {
    return Math.min(MAX_LEAD_MS, Math.max(LEAD_MS, 2 * this.writeMs));
  }

  /** One conditional write for the plan the worker's view of the bucket gave: the new tat, or undefined when the stored value says otherwise. */
  private async write(plan: Exclude<GcraPlan, { kind: 'empty' }>, now: number, horizonMs: number): Promise<number | undefined> {
    const write: ReservationWrite = { tableName: this.tableName, key: this.key, now, count: plan.count, intervalMs: this.gcra.intervalMs };
    this.writes++;
    const started = this.now();
    try {
      if (plan.kind === 'idle' && (this.knownTat === undefined || this.knownTat < now - IDLE_RESET_MS)) {
        await this.documents.send(restartCommand(write));
        return this.learn(now + plan.count * write.intervalMs);
      }
      const command = plan.kind === 'idle' ? idleCommand(write) : busyCommand(write, this.gcra.limitFor(plan.count, now, horizonMs));
      const { Attributes } = await this.documents.send(command);
      return this.learn(Number(Attributes?.[BUCKET_ITEM.tat] ?? now + plan.count * write.intervalMs));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    } finally {
      this.writeMs = 0.8 * this.writeMs + 0.2 * (this.now() - started);
    }
  }

  private learn(tat: number): number {
    this.knownTat = Math.max(this.knownTat ?? 0, tat);
    this.seenAt = this.now();
    return tat;
  }

  /** Reads the stored tat (a read, not a write): after a refusal, or at a worker's first reservation. */
  private async refresh(): Promise<void> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { pk: this.key }, ConsistentRead: true, ProjectionExpression: '#tat', ExpressionAttributeNames: { '#tat': BUCKET_ITEM.tat } }));
    const stored = Item?.[BUCKET_ITEM.tat];
    this.knownTat = stored === undefined ? undefined : Math.max(this.knownTat ?? 0, Number(stored));
    this.seenAt = this.now();
  }
}
