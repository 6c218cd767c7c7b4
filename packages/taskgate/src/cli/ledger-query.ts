import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { batchGetItems } from '../worker/ledger/batch-get';
import { LEDGER_SCHEMA, runKey, type RunRecord, type RunStatus } from '../worker/ledger/record';

export interface RunQuery {
  readonly task?: string;
  readonly status?: RunStatus;
  /** Runs started at or after this time. */
  readonly since: Date;
  /** The newest `limit` runs are returned. */
  readonly limit: number;
  /** The newest day read is this one's. @default - now */
  readonly now?: Date;
}

const DAY_MS = 86_400_000;

/**
 * Runs from the ledger, newest first: one task through the `by-task` index, all tasks through the
 * `by-day` index one UTC day at a time, from today back to the day of `since`. The status filter is
 * a FilterExpression, so pages are read until `limit` runs pass it.
 */
export async function queryRuns(dynamodb: DynamoDBDocumentClient, table: string, query: RunQuery): Promise<RunRecord[]> {
  const sinceIso = query.since.toISOString();
  const filter = query.status
    ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' }, statusValue: { ':status': query.status } }
    : undefined;
  const base = (index: string, keyName: string, keyValue: string, sortName: string): QueryCommandInput => ({
    TableName: table,
    IndexName: index,
    KeyConditionExpression: '#key = :key AND #sort >= :since',
    ExpressionAttributeNames: { '#key': keyName, '#sort': sortName, ...filter?.ExpressionAttributeNames },
    ExpressionAttributeValues: { ':key': keyValue, ':since': sinceIso, ...filter?.statusValue },
    ...(filter ? { FilterExpression: filter.FilterExpression } : {}),
    ScanIndexForward: false,
  });
  const runs: RunRecord[] = [];
  const partitions = query.task
    ? [base(LEDGER_SCHEMA.byTaskIndex, LEDGER_SCHEMA.byTaskPartitionKey, query.task, LEDGER_SCHEMA.byTaskSortKey)]
    : days(query.since, query.now ?? new Date()).map((day) => base(LEDGER_SCHEMA.byDayIndex, LEDGER_SCHEMA.byDayPartitionKey, day, LEDGER_SCHEMA.byDaySortKey));
  for (const input of partitions) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await dynamodb.send(new QueryCommand({ ...input, Limit: Math.max(query.limit - runs.length, 25), ExclusiveStartKey: startKey }));
      runs.push(...((page.Items ?? []) as RunRecord[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey && runs.length < query.limit);
    if (runs.length >= query.limit) break;
  }
  return runs.slice(0, query.limit);
}

/** UTC days from today back to the day of `since`, as YYYY-MM-DD. */
function days(since: Date, now: Date): string[] {
  const result: string[] = [];
  const first = Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate());
  for (let day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()); day >= first; day -= DAY_MS) {
    result.push(new Date(day).toISOString().slice(0, 10));
  }
  return result;
}

/** The ledger status of each given run id of one task (absent ids have never run). */
export async function runStatuses(dynamodb: DynamoDBDocumentClient, table: string, task: string, ids: readonly string[]): Promise<Map<string, RunStatus>> {
  const keys = ids.map((id) => ({ [LEDGER_SCHEMA.partitionKey]: runKey(task, id) }));
  const items = await batchGetItems(dynamodb, table, keys, { projection: '#id, #status', names: { '#id': 'id', '#status': 'status' } });
  return new Map(items.map((item) => [String(item.id), item.status as RunStatus]));
}
