import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { RunLedgerReader } from '../../src/local/run-ledger';
import { startDynamoDbServer } from '../../src/local/servers';
import { createLedgerTable, dynamoClient } from '../helpers/local-servers';

const record = (messageId: string, body: string) => ({ messageId, body }) as SQSRecord;
const run = (task: string, id: string) => record(`m-${id}`, JSON.stringify({ task, id }));

describe("the run lines' ledger reader", () => {
  it('reads the batches answered while a read is in flight together, and each gets its runs', async () => {
    const server = await startDynamoDbServer({ port: 0, flag: '--dynamodb-port', envVar: 'TASKGATE_DYNAMODB_PORT', what: 'embedded DynamoDB server' });
    const dynamodb = dynamoClient(server.endpoint);
    try {
      await createLedgerTable(dynamodb, 'ledger');
      for (const [id, status] of [['a', 'succeeded'], ['b', 'failed'], ['c', 'succeeded']]) {
        await dynamodb.send(new PutItemCommand({ TableName: 'ledger', Item: { pk: { S: `t#${id}` }, status: { S: status! }, durationMs: { N: '12' } } }));
      }
      const reader = new RunLedgerReader(dynamodb, 'ledger');
      const before = (await server.requestCounts()).BatchGetItem ?? 0;
      const [first, second, third, unparsable] = await Promise.all([
        reader.lookup([run('t', 'a')]),
        reader.lookup([run('t', 'b'), run('t', 'missing')]),
        reader.lookup([run('t', 'c')]),
        reader.lookup([record('m-x', '{"task": "t", oops')]),
      ]);
      expect(first.get('t#a')).toMatchObject({ status: 'succeeded', durationMs: 12 });
      expect(second.get('t#b')).toMatchObject({ status: 'failed' });
      expect(second.has('t#missing')).toBe(false);
      expect(third.get('t#c')).toMatchObject({ status: 'succeeded' });
      expect(unparsable.size).toBe(0);
      // The first batch is read at once; the two answered while it was in flight, in one request.
      expect((await server.requestCounts()).BatchGetItem! - before).toBe(2);
    } finally {
      dynamodb.destroy();
      await server.close();
    }
  });

  it('answers an empty map when the read fails, so the run lines fall back on the batch, and says why', async () => {
    const server = await startDynamoDbServer({ port: 0, flag: '--dynamodb-port', envVar: 'TASKGATE_DYNAMODB_PORT', what: 'embedded DynamoDB server' });
    const dynamodb = dynamoClient(server.endpoint);
    try {
      // No such table: the server refuses the read.
      const errors: string[] = [];
      const found = await new RunLedgerReader(dynamodb, 'no-such-table', (message) => errors.push(message)).lookup([run('t', 'a')]);
      expect(found.size).toBe(0);
      expect(errors).toEqual([expect.stringMatching(/^reading the run ledger \(table no-such-table\) for run lines failed: ResourceNotFoundException: Requested resource not found; those runs' lines show their batch's outcome$/)]);
    } finally {
      dynamodb.destroy();
      await server.close();
    }
  });
});
