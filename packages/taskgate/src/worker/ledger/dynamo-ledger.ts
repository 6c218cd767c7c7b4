import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoTaskLeases } from './dynamo-task-leases';
import { claimToken, type ClaimResult, type Ledger, type RunEnd, type RunStart, type RunVerdict, type TaskLeaseResult, type TaskLeases } from './ledger';
import { type RunRecord, type RunStatus, runKey } from './record';

/** Every attribute goes through a name placeholder: several (status, source, day, error) are DynamoDB reserved words. */
const NAMES = {
  '#pk': 'pk',
  '#status': 'status',
  '#task': 'task',
  '#id': 'id',
  '#gate': 'gate',
  '#source': 'source',
  '#scheduledAt': 'scheduledAt',
  '#startedAt': 'startedAt',
  '#day': 'day',
  '#attempts': 'attempts',
  '#leaseUntil': 'leaseUntil',
  '#claimToken': 'claimToken',
  '#expiresAt': 'expiresAt',
  '#lateness': 'latenessSeconds',
  '#finishedAt': 'finishedAt',
  '#durationMs': 'durationMs',
  '#error': 'error',
  '#reason': 'reason',
  '#payload': 'payload',
  '#responseStatus': 'responseStatus',
  '#responseMs': 'responseMs',
  '#responseBytes': 'responseBytes',
};
/** A webhook run's response, which a new attempt's claim clears with the rest of the last outcome. */
const RESPONSE_NAMES = ['#responseStatus', '#responseMs', '#responseBytes'];
/** What a claim and a recorded verdict write about the run's start (values from startValues). */
const START_FIELDS = [
  '#task = :task',
  '#id = :id',
  '#gate = :gate',
  '#source = :source',
  '#scheduledAt = :scheduledAt',
  '#startedAt = :startedAt',
  '#day = :day',
  '#attempts = :attempt',
  '#expiresAt = :expiresAt',
  '#lateness = :lateness',
];
/**
 * A failed or dead run may keep a lease (a hold: its task overran and may still run), so those check
 * it; a dead run is claimed again only by a message sent after it died (a redrive), not by a copy.
 */
const NO_LIVE_LEASE = '(attribute_not_exists(#leaseUntil) OR #leaseUntil < :now)';
const CLAIMABLE = `attribute_not_exists(#pk) OR (#status IN (:running, :failed) AND ${NO_LIVE_LEASE}) OR (#status = :dead AND #finishedAt < :sentAt AND ${NO_LIVE_LEASE})`;
const MAX_ERROR_LENGTH = 2000;

/** The run ledger on DynamoDB: conditional updates, no transactions (the embedded server has none). */
export class DynamoLedger implements Ledger {
  private readonly documents: DynamoDBDocumentClient;
  private readonly taskLeases: DynamoTaskLeases;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.taskLeases = new DynamoTaskLeases(this.documents, tableName, retentionDays);
  }

  acquireTaskLease(request: Parameters<TaskLeases['acquireTaskLease']>[0]): Promise<TaskLeaseResult> {
    return this.taskLeases.acquire(request);
  }

  releaseTaskLease(task: string, runId: string): Promise<string | undefined> {
    return this.taskLeases.release(task, runId);
  }

  async claim(run: RunStart, leaseMs: number): Promise<ClaimResult> {
    const token = claimToken();
    const claimed = await this.update(
      runKey(run.task, run.id),
      [...START_FIELDS, ...payloadField(run), '#status = :running', '#leaseUntil = :leaseUntil', '#claimToken = :token'],
      ['#finishedAt', '#durationMs', '#error', '#reason', ...RESPONSE_NAMES],
      CLAIMABLE,
      { ...this.startValues(run), ...claimableValues(run), ':leaseUntil': run.now + leaseMs, ':token': token },
    );
    if (claimed) return { outcome: 'claimed', token };
    const existing = await this.get(run.task, run.id);
    // The claim landed but its answer was lost, and the SDK's retry of it failed its condition: it is ours.
    if (existing?.status === 'running' && existing.claimToken === token) return { outcome: 'claimed', token };
    if (existing?.status === 'running') return { outcome: 'leased', leaseUntil: existing.leaseUntil ?? run.now };
    // A failed run under a hold, or changed between the two calls (a lease just ran out): the caller retries after it.
    if (!existing || existing.status === 'failed' || (existing.status === 'dead' && diedBefore(existing, run.sentAt))) {
      return { outcome: 'leased', leaseUntil: Math.max(run.now, existing?.leaseUntil ?? 0) };
    }
    return { outcome: 'duplicate', status: existing.status };
  }

  finish(task: string, id: string, token: string, end: RunEnd): Promise<boolean> {
    const hold = end.holdUntil === undefined ? [] : ['#leaseUntil = :holdUntil'];
    return this.update(
      runKey(task, id),
      ['#status = :status', '#finishedAt = :finishedAt', '#durationMs = :durationMs', '#attempts = :attempt', ...hold, ...optionalFields(end), ...responseFields(end)],
      end.holdUntil === undefined ? ['#leaseUntil', '#claimToken'] : ['#claimToken'],
      '#claimToken = :token',
      {
        ':status': end.status,
        ':finishedAt': new Date(end.finishedAt).toISOString(),
        ':durationMs': end.durationMs,
        ':attempt': end.attempt,
        ':token': token,
        ...(end.holdUntil === undefined ? {} : { ':holdUntil': end.holdUntil }),
        ...optionalValues(end),
        ...responseValues(end),
      },
    );
  }

  record(verdict: RunVerdict): Promise<boolean> {
    return this.update(
      runKey(verdict.task, verdict.id),
      [...START_FIELDS, ...payloadField(verdict), '#status = :status', '#finishedAt = :startedAt', ...optionalFields(verdict)],
      ['#leaseUntil', '#claimToken', '#durationMs'],
      CLAIMABLE,
      { ...this.startValues(verdict), ...claimableValues(verdict), ':status': verdict.status, ...optionalValues(verdict) },
    );
  }

  /**
   * One conditional UpdateItem; false when its condition failed. The attribute names are taken from
   * the placeholders the expressions use, since DynamoDB rejects names an expression does not use.
   */
  private async update(pk: string, set: string[], remove: string[], condition: string, values: Record<string, unknown>): Promise<boolean> {
    const updateExpression = `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`;
    const used = new Set(`${updateExpression} ${condition}`.match(/#\w+/g));
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: updateExpression,
          ConditionExpression: condition,
          ExpressionAttributeNames: Object.fromEntries([...used].map((name) => [name, NAMES[name as keyof typeof NAMES]])),
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get(task: string, id: string): Promise<RunRecord | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { pk: runKey(task, id) }, ConsistentRead: true }));
    return Item as RunRecord | undefined;
  }

  private startValues(run: RunStart): Record<string, unknown> {
    const startedAt = new Date(run.now).toISOString();
    return {
      ':task': run.task,
      ':id': run.id,
      ':gate': run.gate,
      ':source': run.source,
      ':scheduledAt': run.scheduledAt.toISOString(),
      ':startedAt': startedAt,
      ':day': startedAt.slice(0, 10),
      ':attempt': run.attempt,
      ':expiresAt': Math.floor(run.now / 1000) + this.retentionDays * 86_400,
      ':lateness': Math.max(0, Math.round((run.now - run.scheduledAt.getTime()) / 1000)),
      ...(run.payload === undefined ? {} : { ':payload': run.payload }),
    };
  }
}

/** `#payload` is set only when the message had one. */
function payloadField(run: RunStart): string[] {
  return run.payload === undefined ? [] : ['#payload = :payload'];
}

/** `#error` and `#reason` are set only when the outcome has them. */
function optionalFields(outcome: { readonly error?: string; readonly reason?: string }): string[] {
  return [...(outcome.error === undefined ? [] : ['#error = :error']), ...(outcome.reason === undefined ? [] : ['#reason = :reason'])];
}

function optionalValues(outcome: { readonly error?: string; readonly reason?: string }): Record<string, string> {
  return {
    ...(outcome.error === undefined ? {} : { ':error': outcome.error.slice(0, MAX_ERROR_LENGTH) }),
    ...(outcome.reason === undefined ? {} : { ':reason': outcome.reason }),
  };
}

/** The response's fields that it has: a run without an answer has no status. */
function responseFields(end: RunEnd): string[] {
  const response = end.response;
  if (!response) return [];
  return [...(response.status === undefined ? [] : ['#responseStatus = :responseStatus']), '#responseMs = :responseMs', '#responseBytes = :responseBytes'];
}

function responseValues(end: RunEnd): Record<string, number> {
  const response = end.response;
  if (!response) return {};
  return { ...(response.status === undefined ? {} : { ':responseStatus': response.status }), ':responseMs': response.durationMs, ':responseBytes': response.bytes };
}

function claimableValues(run: RunStart): Record<string, unknown> {
  return { ':running': 'running', ':failed': 'failed', ':dead': 'dead', ':now': run.now, ':sentAt': new Date(run.sentAt).toISOString() };
}

/** Whether a dead run died before the message was sent (CLAIMABLE's rule, for a record read back). */
function diedBefore(run: RunRecord, sentAt: number): boolean {
  return run.finishedAt !== undefined && run.finishedAt < new Date(sentAt).toISOString();
}

export type { RunStatus };
