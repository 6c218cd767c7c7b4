import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TaskLeaseResult, TaskLeases } from './ledger';
import { taskLeaseKey } from './record';

const NAMES = { '#holder': 'holder', '#leaseUntil': 'leaseUntil', '#waiter': 'waiter', '#waitUntil': 'waitUntil', '#wakeHandle': 'wakeHandle', '#expiresAt': 'expiresAt' };
/** The lease is free (or already this run's), and no other run waits for it. */
const TAKEABLE =
  '(attribute_not_exists(#holder) OR #leaseUntil < :now OR #holder = :id) AND (attribute_not_exists(#waiter) OR #waiter = :id OR #waitUntil < :now)';
/** Another run holds a live lease and nobody else waits: this run may wait. */
const BUFFERABLE = 'attribute_exists(#holder) AND #leaseUntil >= :now AND #holder <> :id AND (attribute_not_exists(#waiter) OR #waiter = :id OR #waitUntil < :now)';

interface LeaseItem {
  readonly holder?: string;
  readonly leaseUntil?: number;
  readonly waiter?: string;
  readonly waitUntil?: number;
  readonly wakeHandle?: string;
}

/**
 * The overlap policy's per-task lease, one item per task in the run ledger's table (`taskLeaseKey`):
 * conditional updates only, as the run items. The item has no `task` or `day` attribute, so the
 * history indexes never list it; its TTL removes it after the retention like a run.
 */
export class DynamoTaskLeases {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  async acquire({ task, runId, now, leaseMs, buffer }: Parameters<TaskLeases['acquireTaskLease']>[0]): Promise<TaskLeaseResult> {
    const values = { ':id': runId, ':now': now };
    const expiresAt = Math.floor((now + leaseMs) / 1000) + this.retentionDays * 86_400;
    const taken = await this.update(task, 'SET #holder = :id, #leaseUntil = :until, #expiresAt = :expiresAt REMOVE #waiter, #waitUntil, #wakeHandle', TAKEABLE, {
      ...values,
      ':until': now + leaseMs,
      ':expiresAt': expiresAt,
    });
    if (taken) return { outcome: 'acquired' };
    const item = await this.get(task);
    const leaseUntil = item?.leaseUntil ?? now;
    const holder = item?.holder ?? item?.waiter ?? 'unknown';
    if (!buffer) return { outcome: 'held', holder, leaseUntil, waiting: false };
    const waiting = await this.update(task, 'SET #waiter = :id, #waitUntil = :waitUntil, #wakeHandle = :wakeHandle', BUFFERABLE, {
      ...values,
      ':waitUntil': leaseUntil + leaseMs,
      ':wakeHandle': buffer.wakeHandle,
    });
    return { outcome: 'held', holder, leaseUntil, waiting };
  }

  /** Ends `runId`'s lease; the waiting run's wake handle when one waits. */
  async release(task: string, runId: string): Promise<string | undefined> {
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: taskLeaseKey(task) },
          UpdateExpression: 'SET #leaseUntil = :zero REMOVE #holder',
          ConditionExpression: '#holder = :id',
          ExpressionAttributeNames: { '#holder': 'holder', '#leaseUntil': 'leaseUntil' },
          ExpressionAttributeValues: { ':id': runId, ':zero': 0 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const item = Attributes as LeaseItem | undefined;
      return item?.waiter !== undefined && (item.waitUntil ?? 0) >= Date.now() ? item.wakeHandle : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined; // ran out and taken over: not ours to release
      throw error;
    }
  }

  private async update(task: string, expression: string, condition: string, values: Record<string, unknown>): Promise<boolean> {
    const used = new Set(`${expression} ${condition}`.match(/#\w+/g));
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: taskLeaseKey(task) },
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: Object.fromEntries([...used].map((name) => [name, NAMES[name as keyof typeof NAMES]])),
          ExpressionAttributeValues: Object.fromEntries(Object.entries(values).filter(([key]) => `${expression} ${condition}`.includes(key))),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async get(task: string): Promise<LeaseItem | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { pk: taskLeaseKey(task) }, ConsistentRead: true }));
    return Item as LeaseItem | undefined;
  }
}
