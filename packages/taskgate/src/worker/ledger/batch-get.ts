import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** BatchGetItem's limit on keys per request. */
const MAX_KEYS = 100;
/** Requests for one chunk's keys, counting the ones for keys DynamoDB left unprocessed, before the read fails. */
const MAX_REQUESTS = 5;
const FIRST_PAUSE_MS = 50;

export interface BatchGetOptions {
  readonly projection?: string;
  readonly names?: Readonly<Record<string, string>>;
  readonly consistentRead?: boolean;
}

/**
 * The items of `keys` in one table, 100 keys a request; a key with no item is left out. Keys
 * DynamoDB leaves unprocessed (throttling, the 16 MB answer limit) are asked again after a pause
 * that doubles; still unread after five requests, the read fails instead of answering as if their
 * items did not exist.
 */
export async function batchGetItems(
  documents: DynamoDBDocumentClient,
  table: string,
  keys: ReadonlyArray<Record<string, unknown>>,
  options: BatchGetOptions = {},
): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  for (let i = 0; i < keys.length; i += MAX_KEYS) {
    let pending = keys.slice(i, i + MAX_KEYS);
    for (let request = 1; pending.length > 0; request++) {
      if (request > MAX_REQUESTS) throw new Error(`${pending.length} keys stayed unprocessed after ${MAX_REQUESTS} BatchGetItem requests to ${table}`);
      if (request > 1) await new Promise((resolve) => setTimeout(resolve, FIRST_PAUSE_MS * 2 ** (request - 2)));
      const { Responses, UnprocessedKeys } = await documents.send(
        new BatchGetCommand({
          RequestItems: { [table]: { Keys: pending, ProjectionExpression: options.projection, ExpressionAttributeNames: options.names, ConsistentRead: options.consistentRead } },
        }),
      );
      items.push(...(Responses?.[table] ?? []));
      pending = UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return items;
}
