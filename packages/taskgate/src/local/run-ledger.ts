import { type AttributeValue, BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { errorMessage } from '../core/errors';
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
 * A failed read answers what it could read, and says what it could not through `onReadError`
 * (the runtime prints it as a warning): those run lines fall back on their batch's outcome; the
 * ledger is the worker's to write.
 */
export class RunLedgerReader {
  private waiting: Group | undefined;
  private reading = false;

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly table: string,
    private readonly onReadError: (message: string) => void = () => undefined,
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
    void read(this.dynamodb, this.table, [...group.keys], this.onReadError).then((found) => {
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

/** BatchGetItem's UnprocessedKeys are asked again this many times before they count as not read. */
const UNPROCESSED_TRIES = 3;

/** Never rejects: what could not be read is missing from the map, and `onReadError` says why. */
async function read(dynamodb: DynamoDBClient, table: string, keys: readonly string[], onReadError: (message: string) => void): Promise<Map<string, LedgerView>> {
  const found = new Map<string, LedgerView>();
  for (let i = 0; i < keys.length; i += MAX_KEYS) {
    let chunk: ReadonlyArray<Record<string, AttributeValue>> = keys.slice(i, i + MAX_KEYS).map((pk) => ({ [LEDGER_SCHEMA.partitionKey]: { S: pk } }));
    try {
      for (let tries = 0; chunk.length > 0; tries++) {
        if (tries === UNPROCESSED_TRIES) throw new Error(`${chunk.length} keys stayed unprocessed after ${UNPROCESSED_TRIES} requests`);
        const { Responses, UnprocessedKeys } = await dynamodb.send(
          new BatchGetItemCommand({
            RequestItems: {
              [table]: {
                Keys: [...chunk],
                ProjectionExpression: 'pk, #s, attempts, durationMs, #e, reason, startedAt, responseStatus',
                ExpressionAttributeNames: { '#s': 'status', '#e': 'error' },
              },
            },
          }),
        );
        for (const item of Responses?.[table] ?? []) found.set(item[LEDGER_SCHEMA.partitionKey]!.S!, ledgerView(item));
        chunk = UnprocessedKeys?.[table]?.Keys ?? [];
      }
    } catch (error) {
      onReadError(`reading the run ledger (table ${table}) for run lines failed: ${errorMessage(error)}; those runs' lines show their batch's outcome`);
    }
  }
  return found;
}

function ledgerView(item: Record<string, AttributeValue>): LedgerView {
  return {
    status: item.status?.S ?? '?',
    attempts: item.attempts?.N === undefined ? undefined : Number(item.attempts.N),
    durationMs: item.durationMs?.N === undefined ? undefined : Number(item.durationMs.N),
    error: item.error?.S,
    reason: item.reason?.S,
    startedAt: item.startedAt?.S === undefined ? undefined : Date.parse(item.startedAt.S),
    responseStatus: item.responseStatus?.N === undefined ? undefined : Number(item.responseStatus.N),
  };
}
