import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { errorMessage } from '../core/errors';
import { batchGetItems } from '../worker/ledger/batch-get';
import { LEDGER_SCHEMA, runKey } from '../worker/ledger/record';
import type { BatchReport } from './poller';
import type { LedgerView } from './run-log';

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
 * A failed read answers an empty map and says why through `onReadError` (the runtime prints it as
 * a warning): those run lines fall back on their batch's outcome; the ledger is the worker's to write.
 */
export class RunLedgerReader {
  private waiting: Group | undefined;
  private reading = false;
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    dynamodb: DynamoDBClient,
    private readonly table: string,
    private readonly onReadError: (message: string) => void = () => undefined,
  ) {
    this.documents = DynamoDBDocumentClient.from(dynamodb);
  }

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
    void read(this.documents, this.table, [...group.keys], this.onReadError).then((found) => {
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

/** Never rejects: what could not be read is missing from the map, and `onReadError` says why. */
async function read(documents: DynamoDBDocumentClient, table: string, keys: readonly string[], onReadError: (message: string) => void): Promise<Map<string, LedgerView>> {
  try {
    const items = await batchGetItems(documents, table, keys.map((pk) => ({ [LEDGER_SCHEMA.partitionKey]: pk })), {
      projection: 'pk, #s, attempts, durationMs, #e, reason, startedAt, responseStatus',
      names: { '#s': 'status', '#e': 'error' },
    });
    return new Map(items.map((item) => [String(item[LEDGER_SCHEMA.partitionKey]), ledgerView(item)]));
  } catch (error) {
    onReadError(`reading the run ledger (table ${table}) for run lines failed: ${errorMessage(error)}; those runs' lines show their batch's outcome`);
    return new Map();
  }
}

function ledgerView(item: Record<string, unknown>): LedgerView {
  const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const startedAt = text(item.startedAt);
  return {
    status: text(item.status) ?? '?',
    attempts: number(item.attempts),
    durationMs: number(item.durationMs),
    error: text(item.error),
    reason: text(item.reason),
    startedAt: startedAt === undefined ? undefined : Date.parse(startedAt),
    responseStatus: number(item.responseStatus),
  };
}
