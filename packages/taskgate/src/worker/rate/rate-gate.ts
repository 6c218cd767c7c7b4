import type { SQSRecord } from 'aws-lambda';
import type { Envelope } from '../../core/envelope';
import { errorMessage } from '../../core/errors';
import { MAX_DELAY_SECONDS, type SendPorts } from '../../core/send-path';
import type { TaskLogger } from '../../core/task';
import type { RecordOutcome } from '../worker';
import { SpareSlots } from './spare-slots';
import type { Reservation, TokenBucket } from './token-bucket';
import { sendToWait } from './wait-message';

export interface RateGateOptions {
  readonly bucket: TokenBucket;
  /** The send path's ports, for re-sends to the gate's own queue. */
  readonly ports: SendPorts;
  readonly queueUrl: string;
  /** A FIFO gate (concurrency 1) paces inside its one worker instead of re-sending. */
  readonly fifo: boolean;
  /**
   * Messages waiting on the queue, to spread re-sends over and to know when a spare token will find
   * a record; @default - no spreading beyond the next token, no spare tokens
   */
  readonly backlog?: { count(): Promise<number>; latest(): number };
  readonly logger: TaskLogger;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** One record asking to pass the gate. */
export interface RateRequest {
  readonly record: SQSRecord;
  readonly envelope: Envelope;
  /** The attempt this delivery would be (carried attempts + receive count). */
  readonly attempt: number;
  /** How long this worker may wait in place for a token and still run the task in time (FIFO pacing). */
  readonly waitBudgetMs: () => number;
}

/** Admitted, or how the record ended instead (re-sent to wait, or returned to the queue). */
export type RateVerdict = { readonly admitted: true } | { readonly admitted: false; readonly outcome: RecordOutcome };

/**
 * Re-sends aim to come back at this many times the rate: arrivals at exactly the rate leave a
 * token unused whenever none happens to arrive (a small burst cannot bank them all), so a little
 * more keeps the gate at its rate while the backlog lasts, at the cost of a few more re-sends.
 */
const SPREAD_FACTOR = 1.25;
/**
 * A standard gate's worker reserves tokens up to this far ahead and waits for them in place: workers
 * that ask together each get the next slots (instead of all but one being refused, which costs a
 * write each), and a run starts exactly at its slot. Longer waits are re-sent, which costs nothing
 * while it waits.
 */
const MAX_IN_PLACE_WAIT_MS = 1_000;
/**
 * A reservation that also takes a spare token serves two records, so it may wait twice as long in
 * place. Under load every worker holds its tokens within the horizon, and one that holds two needs
 * twice the room: with 1 s, half of 20 workers at 20/s found none and re-sent their records over
 * and over (0.65 of the rate delivered, 1.9 writes per run), with 2 s they did not.
 */
const SPARE_IN_PLACE_WAIT_MS = 2 * MAX_IN_PLACE_WAIT_MS;
/** After the bucket failed, a message waits this long (plus up to as much again, jittered) before it asks again. */
const FAIL_CLOSED_DELAY_SECONDS = 5;

/** A record waiting for the reservation of its turn of the event loop. */
interface Pending {
  readonly request: RateRequest;
  readonly resolve: (verdict: RateVerdict) => void;
}

/**
 * The rate half of a gate: a token per run, taken right before the run so the rate holds where
 * the downstream sees it. The records that ask together (a batch's records reach the gate in the
 * same turn of the event loop) share one reservation, one write for the batch; each admitted
 * record waits for its own slot. A record that finds no token is sent again with a delay (same run
 * id, its attempts in a message attribute) and reported done, so waiting never counts towards
 * `maxReceiveCount`; the delay is the time to the next token plus a random share of the time the
 * queue's backlog needs at the rate, so a pile of waiting messages comes back spread out at about
 * the rate instead of all at once. A FIFO gate sleeps until its token. When the bucket cannot be
 * read or written, the gate fails closed: the message waits and is never run unpaced.
 *
 * While messages wait, a reservation also takes a spare token (same write) for this environment's
 * next record, which then needs no write of its own if it asks by the spare's slot (spare-slots.ts):
 * with one record per invocation that is what brings the writes below one per run.
 *
 * A reserved token whose record then does not run (a duplicate delivery, a lease held elsewhere)
 * is not handed to anyone else: its slot passes unused. That costs throughput, never accuracy:
 * the downstream sees fewer requests than the rate, not more.
 */
export class RateGate {
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private pending: Pending[] = [];
  /** Tokens reserved for this environment's next records (one gate per environment: module scope, in effect). */
  readonly spares: SpareSlots;

  constructor(private readonly options: RateGateOptions) {
    this.spares = new SpareSlots(1000 / options.bucket.rate.perSecond);
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Never rejects: a failure of the bucket or of the re-send becomes the record's outcome. */
  admit(request: RateRequest): Promise<RateVerdict> {
    return new Promise((resolve) => {
      this.pending.push({ request, resolve });
      // The batch's other records ask in this same turn: reserve for all of them once they have.
      if (this.pending.length === 1) setImmediate(() => void this.reserveForPending());
    });
  }

  private async reserveForPending(): Promise<void> {
    const group = this.pending;
    this.pending = [];
    // A FIFO gate waits in place as long as it can; a standard one up to a second, the rest re-sent.
    const budget = Math.max(0, Math.min(...group.map(({ request }) => request.waitBudgetMs())));
    const horizonMs = this.options.fifo ? budget : Math.min(MAX_IN_PLACE_WAIT_MS, budget);
    // The first records run at spare tokens an earlier reservation of this environment took for them, at once: a spare is never run late.
    const spareSlots = this.spares.take(group.length, this.now(), horizonMs);
    const spared = group.slice(0, spareSlots.length).map(({ resolve }, index) => this.runAt(spareSlots[index]!).then(resolve));
    const rest = group.slice(spareSlots.length);
    if (rest.length > 0) await this.reserveFor(rest, horizonMs, budget);
    await Promise.all(spared);
  }

  /** One reservation for the records of a turn, with a spare for this environment's next record when that is worth it. */
  private async reserveFor(group: readonly Pending[], horizonMs: number, budget: number): Promise<void> {
    // Only where the records could wait for the spare too (never on a FIFO gate, which waits all it can).
    const spare = !this.options.fifo && SPARE_IN_PLACE_WAIT_MS + this.spares.intervalMs <= budget ? this.spares.wanted(this.options.backlog?.latest() ?? 0) : 0;
    let reservation: Reservation;
    try {
      reservation = await this.options.bucket.reserve(group.length, spare ? SPARE_IN_PLACE_WAIT_MS : horizonMs, spare);
    } catch (error) {
      await Promise.all(group.map(async ({ request, resolve }) => resolve(await this.failClosed(request, error))));
      return;
    }
    this.spares.keep(reservation.slots.slice(group.length));
    // The records without a token wait together: sent back with one delay, they come back together and share a write again.
    let delay: Promise<number> | undefined;
    const resendDelay = () => (delay ??= this.spreadSeconds(Math.max(0, reservation.nextAt - this.now())));
    await Promise.all(group.map(async ({ request, resolve }, index) => resolve(await this.verdict(request, reservation.slots[index], reservation.nextAt, resendDelay))));
  }

  /** The record's share of the reservation: its slot (waited for), or the wait for a token it did not get. */
  private async verdict(request: RateRequest, slot: number | undefined, nextAt: number, resendDelay: () => Promise<number>): Promise<RateVerdict> {
    if (slot !== undefined) return this.runAt(slot);
    if (!this.options.fifo) return this.resend(request, await resendDelay());
    // Sized at synth so this does not happen (the worker's timeout allows a token interval per record); should it, the record returns to the queue.
    const nextMs = Math.max(0, nextAt - this.now());
    const delaySeconds = Math.max(1, Math.ceil(nextMs / 1000));
    return { admitted: false, outcome: { status: 'retry', task: request.envelope.task, error: `the gate's next token is ${Math.round(nextMs)} ms away, longer than the worker has left`, delaySeconds } };
  }

  /** Admits a record at its slot: never before it. */
  private async runAt(slot: number): Promise<RateVerdict> {
    const waitMs = slot - this.now();
    if (waitMs > 0) await this.sleep(waitMs);
    this.spares.ran(Math.max(slot, this.now()));
    return { admitted: true };
  }

  /** Seconds re-sent messages wait: the next token, plus their random place in the time the backlog takes at the rate. */
  private async spreadSeconds(waitMs: number): Promise<number> {
    const backlog = (await this.options.backlog?.count()) ?? 0;
    const spanMs = (backlog / (this.options.bucket.rate.perSecond * SPREAD_FACTOR)) * 1000;
    return clampDelay((waitMs + this.random() * spanMs) / 1000);
  }

  private async resend(request: RateRequest, delaySeconds: number, why?: string): Promise<RateVerdict> {
    const { envelope, attempt, record } = request;
    try {
      // The attempts made before this delivery: this one only waited.
      await sendToWait(this.options.ports, this.options.queueUrl, envelope, attempt - 1, delaySeconds);
    } catch (error) {
      const message = `could not re-send the message to wait for the gate (${errorMessage(error)}); it returns to the queue instead`;
      this.options.logger.error(message, { messageId: record.messageId, task: envelope.task, runId: envelope.id });
      return { admitted: false, outcome: { status: 'retry', task: envelope.task, error: message, delaySeconds } };
    }
    this.options.logger.debug('waiting for the gate', { task: envelope.task, runId: envelope.id, delaySeconds });
    return { admitted: false, outcome: { status: 'waiting', task: envelope.task, runId: envelope.id, delaySeconds, reason: why ?? 'no token: the gate is at its rate' } };
  }

  /** The bucket failed: the message waits (re-sent, or on a FIFO gate returned to the queue), never runs unpaced. */
  private failClosed(request: RateRequest, error: unknown): Promise<RateVerdict> | RateVerdict {
    const { envelope } = request;
    const delaySeconds = clampDelay(FAIL_CLOSED_DELAY_SECONDS * (1 + this.random()));
    const why = `the gate's rate bucket is unavailable (${errorMessage(error)}); the run waits ${delaySeconds}s instead of running unpaced`;
    this.options.logger.warn(why, { task: envelope.task, runId: envelope.id, outcome: 'waiting' });
    if (this.options.fifo) return { admitted: false, outcome: { status: 'retry', task: envelope.task, error: why, delaySeconds } };
    return this.resend(request, delaySeconds, why);
  }
}

function clampDelay(seconds: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(seconds)));
}
