import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, expect, it } from 'vitest';
import { batchGetItems } from '../src/worker/ledger/batch-get';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
const mock = mockClient(documents);
afterEach(() => mock.reset());

const keys = (count: number) => Array.from({ length: count }, (_, i) => ({ pk: `k${i}` }));

it('reads 100 keys a request and asks again for the keys DynamoDB left unprocessed', async () => {
  mock
    .on(BatchGetCommand)
    .callsFake((input: { RequestItems: Record<string, { Keys: Array<{ pk: string }> }> }) => {
      const asked = input.RequestItems.t!.Keys;
      // The first request of each chunk leaves its last key unprocessed.
      const left = asked.length > 1 ? asked.slice(-1) : [];
      return { Responses: { t: asked.slice(0, asked.length - left.length).map((key) => ({ ...key, status: 'ok' })) }, UnprocessedKeys: left.length ? { t: { Keys: left } } : {} };
    });
  const items = await batchGetItems(documents, 't', keys(150), { consistentRead: true });
  expect(items.map((item) => item.pk).sort()).toEqual(keys(150).map((key) => key.pk).sort());
  const sizes = mock.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems!.t!.Keys!.length);
  expect(sizes).toEqual([100, 1, 50, 1]);
  expect(mock.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems!.t!.ConsistentRead).toBe(true);
});

it('fails, naming how many keys, when keys stay unprocessed, instead of answering as if they had no item', async () => {
  mock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: unknown[] }> }) => ({ Responses: { t: [] }, UnprocessedKeys: { t: { Keys: input.RequestItems.t!.Keys } } }));
  await expect(batchGetItems(documents, 't', keys(3))).rejects.toThrow('3 keys stayed unprocessed after 5 BatchGetItem requests to t');
  expect(mock.commandCalls(BatchGetCommand)).toHaveLength(5);
});
