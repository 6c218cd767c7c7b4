import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ClaimResult, Ledger, RunEnd, RunStart, RunVerdict } from './ledger';
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
};
const CLAIMABLE = 'attribute_not_exists(#pk) OR #status IN (:failed, :dead) OR (#status = :running AND #leaseUntil < :now)';
const MAX_ERROR_LENGTH = 2000;

/** The run ledger on DynamoDB: conditional updates, no transactions (the embedded server has none). */
export class DynamoLedger implements Ledger {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async claim(run: RunStart, leaseMs: number): Promise<ClaimResult> {
    const token = randomUUID();
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: runKey(run.task, run.id) },
          UpdateExpression:
            'SET #status = :running, #task = :task, #id = :id, #gate = :gate, #source = :source, #scheduledAt = :scheduledAt, ' +
            '#startedAt = :startedAt, #day = :day, #attempts = :attempt, #leaseUntil = :leaseUntil, #claimToken = :token, ' +
            '#expiresAt = :expiresAt, #lateness = :lateness REMOVE #finishedAt, #durationMs, #error, #reason',
          ConditionExpression: CLAIMABLE,
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: {
            ...this.startValues(run),
            ':running': 'running',
            ':failed': 'failed',
            ':dead': 'dead',
            ':now': run.now,
            ':leaseUntil': run.now + leaseMs,
            ':token': token,
          },
        }),
      );
      return { outcome: 'claimed', token };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const existing = await this.get(run.task, run.id);
    if (existing?.status === 'running') return { outcome: 'leased', leaseUntil: existing.leaseUntil ?? run.now };
    // Changed between the two calls (a lease just ran out, say): the caller retries shortly.
    if (!existing || existing.status === 'failed' || existing.status === 'dead') return { outcome: 'leased', leaseUntil: run.now };
    return { outcome: 'duplicate', status: existing.status };
  }

  async finish(task: string, id: string, token: string, end: RunEnd): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: runKey(task, id) },
          UpdateExpression:
            'SET #status = :status, #finishedAt = :finishedAt, #durationMs = :durationMs, #attempts = :attempt' +
            (end.error === undefined ? '' : ', #error = :error') +
            (end.reason === undefined ? '' : ', #reason = :reason') +
            ' REMOVE #leaseUntil, #claimToken',
          ConditionExpression: '#claimToken = :token',
          ExpressionAttributeNames: pick(NAMES, [
            '#status',
            '#finishedAt',
            '#durationMs',
            '#attempts',
            '#leaseUntil',
            '#claimToken',
            ...(end.error === undefined ? [] : ['#error']),
            ...(end.reason === undefined ? [] : ['#reason']),
          ]),
          ExpressionAttributeValues: {
            ':status': end.status,
            ':finishedAt': new Date(end.finishedAt).toISOString(),
            ':durationMs': end.durationMs,
            ':attempt': end.attempt,
            ':token': token,
            ...(end.error === undefined ? {} : { ':error': end.error.slice(0, MAX_ERROR_LENGTH) }),
            ...(end.reason === undefined ? {} : { ':reason': end.reason }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async record(verdict: RunVerdict): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: runKey(verdict.task, verdict.id) },
          UpdateExpression:
            'SET #status = :status, #task = :task, #id = :id, #gate = :gate, #source = :source, #scheduledAt = :scheduledAt, ' +
            '#startedAt = :startedAt, #day = :day, #attempts = :attempt, #expiresAt = :expiresAt, #lateness = :lateness, ' +
            '#finishedAt = :startedAt, #reason = :reason' +
            (verdict.error === undefined ? '' : ', #error = :error') +
            ' REMOVE #leaseUntil, #claimToken, #durationMs',
          ConditionExpression: CLAIMABLE,
          ExpressionAttributeNames: verdict.error === undefined ? omit(NAMES, '#error') : NAMES,
          ExpressionAttributeValues: {
            ...this.startValues(verdict),
            ':status': verdict.status,
            ':reason': verdict.reason,
            ':running': 'running',
            ':failed': 'failed',
            ':dead': 'dead',
            ':now': verdict.now,
            ...(verdict.error === undefined ? {} : { ':error': verdict.error.slice(0, MAX_ERROR_LENGTH) }),
          },
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
    };
  }
}

function pick(names: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key, names[key]!]));
}

function omit(names: Record<string, string>, key: string): Record<string, string> {
  const { [key]: _omitted, ...rest } = names;
  return rest;
}

export type { RunStatus };
