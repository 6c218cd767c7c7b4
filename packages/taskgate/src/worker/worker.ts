import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { parseEnvelope, type Envelope } from '../core/envelope';
import { errorMessage, PermanentError, RetryLaterError, type PermanentReason } from '../core/errors';
import { httpExchangeOf } from '../core/http-exchange';
import { ledgerPayload, type ClaimResult, type Ledger, type RunVerdict } from './ledger/ledger';
import type { BatchResult, RecordOutcome } from './record-outcome';
import type { TaskRegistry } from '../core/registry';
import type { AnyTask, TaskLogger } from '../core/task';
import { backoffSeconds } from './backoff';
import { sendToDeadLetterQueue } from './dead-letter';
import { noMetrics, type RunMetrics } from './run-metrics';
import { retryWithin } from './retry-within';
import { Deadlines, RunawayTimeoutError } from './run-task';
import { RunContext } from './run-context';
import type { Triggers } from './triggers';
import type { RateGate } from './rate/rate-gate';
import { attemptOf } from './rate/wait-message';
import type { CatchUpSchedules } from './schedules-env';
import { dispatchSkip } from './dispatch-skips';
import { OverlapGate, type OverlapEntry } from './overlap';
import { mapBounded } from './for-each-bounded';
import { flushesLines } from './run-log';
import { setRetryDelay } from './retry-delay';

/** Everything the worker needs from outside; the Lambda adapter builds it from the environment. */
export interface WorkerOptions {
  readonly registry: TaskRegistry;
  /** The gate this worker serves; a task of another gate is refused. */
  readonly gate: string;
  /** The gate's task queue, for visibility changes (backoff). */
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly sqs: SQSClient;
  readonly ledger: Ledger;
  readonly triggers: Triggers;
  readonly logger: TaskLogger;
  /** @default - no metrics */
  readonly metrics?: RunMetrics;
  /**
   * The gate's rate: a token per run, taken before the run is claimed.
   * @default - no rate: the gate limits concurrency only
   */
  readonly rate?: RateGate;
  /**
   * Each task's schedules (TASKGATE_SCHEDULES), for the catch-up policy: which newer ticks are due.
   * A Map, or a loader that parses them on the first tick that needs them (the Lambda adapter's).
   * @default - none known: every tick runs, whatever its task's misfire.catchUp
   */
  readonly schedules?: CatchUpSchedules;
  /**
   * The clock ticks are compared with, for lateness and catch-up: the embedded runtime's simulated
   * time at --speed other than 1.
   * @default now
   */
  readonly scheduleNow?: () => number;
  /**
   * Records of one batch run at the same time, at most.
   * @default 10
   */
  readonly recordConcurrency?: number;
  readonly now?: () => number;
  readonly random?: () => number;
}

export type { BatchResult, RecordOutcome } from './record-outcome';

/** The worker keeps this much of the Lambda's remaining time for recording the outcome. */
const SAFETY_MARGIN_MS = 3_000;
/**
 * Without an invocation deadline (not in Lambda), a claim outlives the task's timeout by this
 * much, so a slow ledger write does not free it early.
 */
const LEASE_MARGIN_MS = 30_000;
/**
 * A lease outlives the invocation by this much. Lambda stops an invocation at its timeout, so a
 * task that ignores its signal runs until then at the latest; the margin covers clock skew and a
 * ledger write still in flight when the invocation ended.
 */
const INVOCATION_MARGIN_MS = 10_000;
/** The longest a write after a run's effects (outcome, move to the DLQ) is retried, when the invocation has that long. */
const AFTER_EFFECTS_RETRY_MS = 10_000;

/**
 * The gate worker's core: parse, misfire check, claim in the ledger, run under a deadline, record.
 * Knows SQS records, nothing of Lambda. Every record ends as succeeded, skipped or duplicate
 * (deleted), as a batch item failure with a backoff (retried by SQS), or in the DLQ with its reason.
 */
export class Worker {
  private readonly recordConcurrency: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly metrics: RunMetrics;
  private readonly deadlines: Deadlines;
  private readonly overlap: OverlapGate;
  private readonly flushLog: () => void;

  constructor(private readonly options: WorkerOptions) {
    this.recordConcurrency = options.recordConcurrency ?? 10;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.metrics = options.metrics ?? noMetrics;
    this.deadlines = new Deadlines(this.now);
    this.overlap = new OverlapGate(options.ledger, options.sqs, options.queueUrl, options.logger);
    const { logger } = options;
    this.flushLog = flushesLines(logger) ? () => logger.flushLines() : () => undefined;
  }

  /**
   * @param remainingMs the invocation's remaining time (Lambda's `getRemainingTimeInMillis`)
   */
  async processBatch(records: readonly SQSRecord[], remainingMs: () => number = () => Infinity): Promise<BatchResult> {
    const outcomes = new Map<string, RecordOutcome>();
    const fifo = records.some((record) => record.attributes?.MessageGroupId !== undefined);
    if (fifo) {
      // SQS FIFO: once a record of a group fails, the rest of that group must not run before it.
      const blockedGroups = new Set<string>();
      for (const record of records) {
        const group = record.attributes.MessageGroupId ?? '';
        const outcome: RecordOutcome = blockedGroups.has(group)
          ? { status: 'retry', error: 'an earlier message of its FIFO group failed; it waits for that one' }
          : await this.processRecord(record, remainingMs);
        outcomes.set(record.messageId, outcome);
        if (outcome.status === 'retry') blockedGroups.add(group);
      }
    } else {
      const ended = await mapBounded(records, this.recordConcurrency, (record) => this.processRecord(record, remainingMs));
      records.forEach((record, i) => outcomes.set(record.messageId, ended[i]!));
    }
    await this.awaitRunaways(remainingMs);
    // Once per batch, before the invocation returns and Lambda may freeze the environment.
    this.metrics.flush();
    this.flushLog();
    return {
      response: {
        batchItemFailures: records.filter((r) => outcomes.get(r.messageId)?.status === 'retry').map((r) => ({ itemIdentifier: r.messageId })),
      },
      outcomes,
    };
  }

  /**
   * A task that ignored its signal still runs: the invocation must not end before it returns, or it
   * would resume in the next invocation of this environment, beside its own retry. So the worker
   * waits for it, and if it does not return Lambda ends the invocation at its timeout and recycles
   * the environment; the batch's finished records are in the ledger, so their redelivery is a
   * duplicate. Without an invocation deadline (not in Lambda) there is nothing to wait for.
   */
  private async awaitRunaways(remainingMs: () => number): Promise<void> {
    if (this.deadlines.runawayCount === 0 || !Number.isFinite(remainingMs())) return;
    this.options.logger.error('a task ignored its signal and still runs past its timeout; the invocation waits for it and ends at the function timeout if it does not return', {
      runaways: this.deadlines.runawayCount,
    });
    await this.deadlines.runawaysSettled(remainingMs());
  }

  /** Never throws (nor rejects): every error becomes an outcome. */
  processRecord(record: SQSRecord, remainingMs: () => number = () => Infinity): Promise<RecordOutcome> {
    // A message re-sent to wait for the gate carries the attempts made before it; SQS counts this one's receives.
    const attempt = attemptOf(record);
    let envelope: Envelope | undefined;
    let task: AnyTask | undefined;
    const now = this.now();
    const sent = sentAt(record, now);
    try {
      envelope = parseEnvelope(record.body, { messageId: record.messageId, sentTimestamp: sent });
      task = this.options.registry.get(envelope.task);
      if (task.gate !== this.options.gate) {
        throw new PermanentError(`task ${task.name} runs on gate ${task.gate}, but this message reached gate ${this.options.gate}; send it to gate ${task.gate}'s queue`, {
          reason: 'wrong-gate',
        });
      }
      const payload = this.options.registry.parsePayload(task, envelope.payload);
      // Not awaited here: one async frame less per record. A ledger or SQS call that failed in the run rejects it.
      const checked = envelope;
      return this.run(record, checked, task, payload, attempt, { now, sent }, remainingMs).catch((error: unknown) => this.deadLetter(record, checked, attempt, error, remainingMs));
    } catch (error) {
      // The checks before the run: run() turns the task's own failures into outcomes.
      return this.deadLetter(record, envelope, attempt, error, remainingMs);
    }
  }

  private async run(record: SQSRecord, envelope: Envelope, task: AnyTask, payload: unknown, attempt: number, { now, sent }: ReceivedAt, remainingMs: () => number): Promise<RecordOutcome> {
    const { ledger, logger } = this.options;
    const scheduleNow = this.options.scheduleNow?.() ?? now;
    const latenessSeconds = Math.max(0, Math.round((scheduleNow - envelope.scheduledAt.getTime()) / 1000));
    const start = { task: task.name, id: envelope.id, gate: this.options.gate, source: envelope.source, scheduledAt: envelope.scheduledAt, attempt, now, sentAt: sent, payload: ledgerPayload(envelope.payload) };
    const keys = { task: task.name, runId: envelope.id, attempt };

    if (envelope.source === 'schedule') {
      const skip = await dispatchSkip(task, envelope, scheduleNow, this.options.schedules);
      if (skip) return this.skipped(start, skip.reason, skip.error, latenessSeconds);
    }

    if (this.options.rate) {
      const verdict = await this.options.rate.admit({ record, envelope, attempt, waitBudgetMs: () => remainingMs() - SAFETY_MARGIN_MS - task.timeout * 1000 });
      if (!verdict.admitted) {
        if (verdict.outcome.status === 'retry' && verdict.outcome.delaySeconds) await this.delay(record, verdict.outcome.delaySeconds);
        return verdict.outcome;
      }
    }
    const timeoutMs = Math.max(1, Math.min(task.timeout * 1000, remainingMs() - SAFETY_MARGIN_MS));
    // The lease covers whatever may still run the task: its timeout, and the invocation to its end (a runaway).
    // In Lambda that is the invocation's end: nothing runs it after that, however the task behaves.
    const invocationLeft = remainingMs();
    const leaseMs = Number.isFinite(invocationLeft) ? invocationLeft + INVOCATION_MARGIN_MS : timeoutMs + LEASE_MARGIN_MS;
    // Most runs are not subject to the overlap policy: no promise to wait for then.
    const entry = this.overlap.applies(task, envelope) ? await this.overlap.enter(task, envelope, record, now, leaseMs) : ENTER;
    if (entry.outcome === 'skip') return this.skipped(start, 'overlap', entry.error, latenessSeconds);
    if (entry.outcome === 'wait') return this.retryAfter(record, keys, entry.delaySeconds, `waits for run ${entry.holder} (overlap bufferOne)`);
    const claim = await ledger.claim(start, leaseMs);
    if (claim.outcome !== 'claimed') return this.notClaimed(record, claim, start.now, keys, entry.leased);

    const started = this.now();
    let result: unknown;
    let failure: { error: unknown } | undefined;
    try {
      const context = new RunContext(envelope, attempt, started + timeoutMs, logger, this.options.triggers);
      // A task that returned without a promise is not awaited: one microtask turn less per record.
      const running = this.deadlines.start(task, payload, context, timeoutMs);
      result = running instanceof Promise ? await running : running;
    } catch (error) {
      failure = { error };
    }
    // A runaway keeps the task's lease as it keeps the run's: both end with the invocation.
    const runaway = failure?.error instanceof RunawayTimeoutError;
    try {
      if (failure) return await this.failed(record, envelope, task, attempt, { token: claim.token, holdUntil: runaway ? now + leaseMs : undefined }, started, latenessSeconds, failure.error, remainingMs);
      const durationMs = this.now() - started;
      // A webhook task's run reports its HTTP response; any other task's result is its own business.
      const response = httpExchangeOf(result);
      const kept = await this.recordOutcome(() => ledger.finish(task.name, envelope.id, claim.token, { status: 'succeeded', attempt, finishedAt: this.now(), durationMs, response }), keys, remainingMs);
      if (kept === false) logger.warn('run succeeded after its lease ran out; another worker had taken it over', keys);
      logger.info('run succeeded', { task: task.name, runId: envelope.id, attempt, outcome: 'succeeded', durationMs, latenessSeconds });
      this.metrics.add({ task: task.name, outcome: 'succeeded', attempt, durationMs, latenessSeconds, response });
      return { status: 'succeeded', task: task.name, runId: envelope.id, durationMs };
    } finally {
      if (entry.leased && !runaway) await this.overlap.leave(task.name, envelope.id);
    }
  }

  /** The outcome of a delivery the ledger did not let run: a duplicate, or back when another's lease ends. */
  private async notClaimed(record: SQSRecord, claim: Exclude<ClaimResult, { outcome: 'claimed' }>, now: number, keys: { task: string; runId: string; attempt: number }, overlapLeased: boolean): Promise<RecordOutcome> {
    if (claim.outcome === 'duplicate') {
      if (overlapLeased) await this.overlap.leave(keys.task, keys.runId);
      this.options.logger.info('duplicate delivery; not run again', { ...keys, outcome: 'duplicate', status: claim.status });
      this.metrics.add({ task: keys.task, outcome: 'duplicate', attempt: keys.attempt });
      return { status: 'duplicate', task: keys.task, runId: keys.runId, reason: `run already ${claim.status}` };
    }
    // Another worker is running it (or its runaway may be): come back when its lease ends, in case that run fails.
    return this.retryAfter(record, keys, Math.max(1, Math.ceil((claim.leaseUntil - now) / 1000)), 'leased by another worker');
  }

  /** Holds the record back `seconds` before SQS delivers it again (retry-delay.ts). */
  private delay(record: SQSRecord, seconds: number): Promise<void> {
    return setRetryDelay(this.options.sqs, this.options.queueUrl, record, this.options.logger, seconds);
  }

  /** Back on the queue after `delaySeconds`, without a run: a lease or the overlap policy says wait. */
  private async retryAfter(record: SQSRecord, keys: Record<string, unknown>, delaySeconds: number, why: string): Promise<RecordOutcome> {
    await this.delay(record, delaySeconds);
    this.options.logger.info(`not run now: ${why}; back after a delay`, { ...keys, outcome: 'retry', delaySeconds });
    return { status: 'retry', task: keys.task as string, error: why, delaySeconds };
  }

  /** A tick recorded as skipped (misfire, catch-up, overlap); a duplicate when its run was recorded already. */
  private async skipped(start: RunVerdictStart, reason: string, error: string, latenessSeconds: number): Promise<RecordOutcome> {
    const recorded = await this.options.ledger.record({ ...start, status: 'skipped', reason, error });
    const keys = { task: start.task, runId: start.id, attempt: start.attempt };
    // The reason names the category and the error the particulars: readers join them (`misfire: 4000s late, ...`).
    this.options.logger.warn(recorded ? 'run skipped' : 'skipped duplicate ignored', { ...keys, outcome: recorded ? 'skipped' : 'duplicate', latenessSeconds, reason, error });
    this.metrics.add({ task: start.task, outcome: recorded ? 'skipped' : 'duplicate', attempt: start.attempt, latenessSeconds });
    return { status: recorded ? 'skipped' : 'duplicate', task: start.task, runId: start.id, reason: `${reason}: ${error}` };
  }

  private async failed(
    record: SQSRecord,
    envelope: Envelope,
    task: AnyTask,
    attempt: number,
    claim: { readonly token: string; readonly holdUntil?: number },
    started: number,
    latenessSeconds: number,
    error: unknown,
    remainingMs: () => number,
  ): Promise<RecordOutcome> {
    const message = errorMessage(error);
    const durationMs = this.now() - started;
    const keys = { task: task.name, runId: envelope.id, attempt };
    const { token, holdUntil } = claim;
    const hold = holdUntil === undefined ? {} : { holdUntil, reason: 'timeout' };
    const response = httpExchangeOf(error);
    const permanent = error instanceof PermanentError;
    if (permanent || attempt >= task.retry.maxAttempts) {
      const reason: PermanentReason = permanent ? error.reason : 'retries-exhausted';
      const error_ = permanent ? error.message : `attempt ${attempt} of ${task.retry.maxAttempts} failed: ${message}`;
      const outcome = await this.moveToDeadLetterQueue(record, { reason, message: error_, task: task.name, attempts: attempt }, remainingMs);
      const end = { status: outcome.status === 'dead' ? ('dead' as const) : ('failed' as const), attempt, finishedAt: this.now(), durationMs, error: error_, ...hold, reason, response };
      await this.recordOutcome(() => this.options.ledger.finish(task.name, envelope.id, token, end), keys, remainingMs);
      this.metrics.add({ task: task.name, outcome: outcome.status === 'dead' ? 'dead' : 'failed', attempt, durationMs, latenessSeconds, response });
      return outcome;
    }
    await this.recordOutcome(() => this.options.ledger.finish(task.name, envelope.id, token, { status: 'failed', attempt, finishedAt: this.now(), durationMs, error: message, ...hold, response }), keys, remainingMs);
    const hint = error instanceof RetryLaterError ? error.retryAfterSeconds : undefined;
    // A runaway's retry comes back after its hold, so that it is not received (and counted) only to wait.
    const held = holdUntil === undefined ? 0 : Math.ceil((holdUntil - this.now()) / 1000);
    const delaySeconds = Math.max(backoffSeconds(attempt, task.retry, this.random, hint), held);
    await this.delay(record, delaySeconds);
    this.options.logger.warn('run failed; retrying after a backoff', { ...keys, outcome: 'retry', error: message, delaySeconds, durationMs });
    this.metrics.add({ task: task.name, outcome: 'failed', attempt, durationMs, latenessSeconds, response });
    return { status: 'retry', task: task.name, error: message, delaySeconds };
  }

  /** A permanent failure before the run: the DLQ, and the ledger when the run can be named. */
  private async deadLetter(record: SQSRecord, envelope: Envelope | undefined, attempt: number, error: unknown, remainingMs: () => number): Promise<RecordOutcome> {
    if (!(error instanceof PermanentError)) {
      // A ledger or SQS call failed, not the message: leave it on the queue for another try.
      const message = errorMessage(error);
      this.options.logger.error('could not process the message; it stays on the queue', { messageId: record.messageId, error: message });
      return { status: 'retry', task: envelope?.task, error: message };
    }
    const outcome = await this.moveToDeadLetterQueue(record, { reason: error.reason, message: error.message, task: envelope?.task, attempts: attempt }, remainingMs);
    if (outcome.status === 'dead' && envelope) {
      const now = this.now();
      const verdict = {
        task: envelope.task,
        id: envelope.id,
        gate: this.options.gate,
        source: envelope.source,
        scheduledAt: envelope.scheduledAt,
        attempt,
        now,
        sentAt: sentAt(record, now),
        payload: ledgerPayload(envelope.payload),
        status: 'dead' as const,
        reason: error.reason,
        error: error.message,
      };
      await this.recordOutcome(() => this.options.ledger.record(verdict), { task: envelope.task, runId: envelope.id, attempt }, remainingMs);
      this.metrics.add({ task: envelope.task, outcome: 'dead', attempt });
    }
    return outcome;
  }

  private async moveToDeadLetterQueue(
    record: SQSRecord,
    failure: { reason: PermanentReason; message: string; task?: string; attempts: number },
    remainingMs: () => number,
  ): Promise<RecordOutcome> {
    try {
      // Tried again within the invocation: left on the queue, a failed run would be run again to be dead-lettered.
      await retryWithin(() => sendToDeadLetterQueue(this.options.sqs, this.options.deadLetterQueueUrl, record, failure), this.afterEffectsBudget(remainingMs));
    } catch (error) {
      // Not in the DLQ: keep it on the task queue so it is not lost.
      const message = `could not move the message to the DLQ (${errorMessage(error)}); it stays on the queue`;
      this.options.logger.error(message, { messageId: record.messageId, reason: failure.reason });
      return { status: 'retry', task: failure.task, error: message };
    }
    this.options.logger.error('message moved to the DLQ', { messageId: record.messageId, task: failure.task, outcome: 'dead', reason: failure.reason, error: failure.message });
    return { status: 'dead', task: failure.task, reason: failure.reason, error: failure.message };
  }

  /**
   * Writes a run's outcome once its effects have happened (the task ran, or the message is in the
   * DLQ). A failed write must not become a retry of the record, which would run the task or
   * dead-letter the message again: it is tried again while the invocation has time, then logged,
   * and the outcome stands. Resolves to the write's result, or undefined when it never landed.
   */
  private recordOutcome<T>(write: () => Promise<T>, keys: Readonly<Record<string, unknown>>, remainingMs: () => number): Promise<T | undefined> {
    return retryWithin(write, this.afterEffectsBudget(remainingMs), (error: unknown) => {
      this.options.logger.error("could not record the run's outcome in the ledger; the outcome stands, and the run shows as running until its lease ends", { ...keys, error: errorMessage(error) });
      return undefined;
    });
  }

  /** How long a write after a run's effects may be retried: 10 s, or the invocation's time left less a second. */
  private afterEffectsBudget(remainingMs: () => number): number {
    return Math.min(AFTER_EFFECTS_RETRY_MS, remainingMs() - SAFETY_MARGIN_MS / 3);
  }
}

type RunVerdictStart = Omit<RunVerdict, 'status' | 'reason' | 'error'>;

const ENTER: OverlapEntry = { outcome: 'enter', leased: false };

/** When the worker took the record (`now`) and when SQS did (`sent`, its SentTimestamp), read once per record. */
interface ReceivedAt {
  readonly now: number;
  readonly sent: number;
}

/** When SQS took the message (its SentTimestamp), or now for a record without one. */
function sentAt(record: SQSRecord, now: number): number {
  return Number(record.attributes?.SentTimestamp ?? now) || now;
}
