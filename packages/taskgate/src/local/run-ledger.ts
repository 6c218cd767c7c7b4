import { BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LEDGER_SCHEMA, runKey } from '../worker/ledger/record';
import type { BatchReport } from './poller';
import type { LedgerView } from './run-log';

/** BatchGetItem's limit on keys per request. */
const MAX_KEYS = 100;

interface Group {
  readonly keys: Set<string>;
  readonly waiters: Array<(found: Map<string, LedgerView>) => void>;
}

/**
 * The ledger's record of each run of the batches, for the run lines. The workers write the ledger on
 * the same single-threaded embedded DynamoDB server, and one read per batch was a third of its
 * requests in a drain of one-message batches, slowing the workers' claims: so at most one read is
 * in flight per table, and the batches answered meanwhile are read together when it returns (up to
 * 100 keys a request). Nothing waits on a timer: a lone batch is read at once.
 *
 * A failed read answers an empty map: the run line falls back on the batch's outcome; the ledger
 * is the worker's to write.
 */
export class RunLedgerReader {
  private waiting: Group | undefined;
  private reading = false;

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly table: string,
  ) {}

  lookup(records: BatchReport['records']): Promise<Map<string, LedgerView>> {
    const keys = runKeys(records);
    if (!this.table || keys.size === 0) return Promise.resolve(new Map());
    return new Promise((resolve) => {
      this.waiting ??= { keys: new Set(), waiters: [] };
      for (const key of keys) this.waiting.keys.add(key);
      this.waiting.waiters.push(resolve);
      if (!this.reading) this.readWaiting();
    });
  }

  private readWaiting(): void {
    const group = this.waiting;
    if (!group) return;
    this.waiting = undefined;
    this.reading = true;
    void read(this.dynamodb, this.table, [...group.keys]).then((found) => {
      this.reading = false;
      group.waiters.forEach((resolve) => resolve(found));
      this.readWaiting();
    });
  }
}

/** The ledger keys of the records' runs; a body that is not JSON or names no task has none. */
function runKeys(records: BatchReport['records']): Set<string> {
  const keys = new Set<string>();
  for (const record of records) {
    try {
      const body = JSON.parse(record.body) as { task?: unknown; id?: unknown };
      if (typeof body.task === 'string') keys.add(runKey(body.task, typeof body.id === 'string' ? body.id : record.messageId));
    } catch {
      // Not JSON: it has no ledger record.
    }
  }
  return keys;
}

/** Never rejects: what could not be read is missing from the map. */
async function read(dynamodb: DynamoDBClient, table: string, keys: readonly string[]): Promise<Map<string, LedgerView>> {
  const found = new Map<string, LedgerView>();
  for (let i = 0; i < keys.length; i += MAX_KEYS) {
    try {
      const { Responses } = await dynamodb.send(
        new BatchGetItemCommand({
          RequestItems: {
            [table]: {
              Keys: keys.slice(i, i + MAX_KEYS).map((pk) => ({ [LEDGER_SCHEMA.partitionKey]: { S: pk } })),
              ProjectionExpression: 'pk, #s, attempts, durationMs, #e, reason, startedAt, responseStatus',
              ExpressionAttributeNames: { '#s': 'status', '#e': 'error' },
            },
          },
        }),
      );
      for (const item of Responses?.[table] ?? []) {
        found.set(item[LEDGER_SCHEMA.partitionKey]!.S!, {
          status: item.status?.S ?? '?',
          attempts: item.attempts?.N === undefined ? undefined : Number(item.attempts.N),
          durationMs: item.durationMs?.N === undefined ? undefined : Number(item.durationMs.N),
          error: item.error?.S,
          reason: item.reason?.S,
          startedAt: item.startedAt?.S === undefined ? undefined : Date.parse(item.startedAt.S),
          responseStatus: item.responseStatus?.N === undefined ? undefined : Number(item.responseStatus.N),
        });
      }
    } catch {
      // The run lines of these keys fall back on their batches' outcomes.
    }
  }
  return found;
}
