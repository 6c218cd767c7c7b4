import { BatchGetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LEDGER_SCHEMA, runKey } from '../worker/ledger/record';
import type { BatchReport } from './poller';
import type { LedgerView } from './run-log';

/** The ledger's record of each run of a batch, for the run lines. */
export async function ledgerLookup(dynamodb: DynamoDBClient, table: string, records: BatchReport['records']): Promise<Map<string, LedgerView>> {
  const found = new Map<string, LedgerView>();
  if (!table) return found;
  const keys = new Set<string>();
  for (const record of records) {
    try {
      const body = JSON.parse(record.body) as { task?: unknown; id?: unknown };
      if (typeof body.task === 'string') keys.add(runKey(body.task, typeof body.id === 'string' ? body.id : record.messageId));
    } catch {
      // Not JSON: it has no ledger record.
    }
  }
  if (keys.size === 0) return found;
  try {
    const { Responses } = await dynamodb.send(
      new BatchGetItemCommand({
        RequestItems: {
          [table]: {
            Keys: [...keys].map((pk) => ({ [LEDGER_SCHEMA.partitionKey]: { S: pk } })),
            ProjectionExpression: 'pk, #s, durationMs, #e, reason, startedAt, responseStatus',
            ExpressionAttributeNames: { '#s': 'status', '#e': 'error' },
          },
        },
      }),
    );
    for (const item of Responses?.[table] ?? []) {
      found.set(item[LEDGER_SCHEMA.partitionKey]!.S!, {
        status: item.status?.S ?? '?',
        durationMs: item.durationMs?.N === undefined ? undefined : Number(item.durationMs.N),
        error: item.error?.S,
        reason: item.reason?.S,
        startedAt: item.startedAt?.S === undefined ? undefined : Date.parse(item.startedAt.S),
        responseStatus: item.responseStatus?.N === undefined ? undefined : Number(item.responseStatus.N),
      });
    }
  } catch {
    // The run line falls back on the batch's outcome; the ledger is the worker's to write.
  }
  return found;
}
