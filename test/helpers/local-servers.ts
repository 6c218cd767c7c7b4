import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LEDGER_SCHEMA } from '../../lambdas/ledger/record';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'us-east-1';

export interface LocalServers {
  readonly sqsEndpoint: string;
  readonly dynamodbEndpoint: string;
  close(): Promise<void>;
}

/** fauxqs (SQS) and dynalite (DynamoDB) in this process, on free loopback ports. */
export async function startLocalServers(): Promise<LocalServers> {
  const { buildApp } = await import('fauxqs');
  const sqsApp = buildApp({ logger: false });
  await sqsApp.listen({ port: 0, host: '127.0.0.1' });
  const sqsPort = (sqsApp.server.address() as AddressInfo).port;
  // dynalite ships no types.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (options: object) => import('node:http').Server;
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', resolve));
  const dynamoPort = (dynamo.address() as AddressInfo).port;
  return {
    sqsEndpoint: `http://127.0.0.1:${sqsPort}`,
    dynamodbEndpoint: `http://127.0.0.1:${dynamoPort}`,
    close: async () => {
      await sqsApp.close();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}

export function sqsClient(endpoint: string): SQSClient {
  return new SQSClient({ endpoint, region, credentials });
}

export function dynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials });
}

/** A task queue and its DLQ, as the Gate construct makes them. */
export async function createGateQueues(sqs: SQSClient, name: string, maxReceiveCount: number): Promise<{ queueUrl: string; dlqUrl: string }> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: { VisibilityTimeout: '30', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount }) },
    }),
  );
  return { queueUrl: queue.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

/** The ledger table as the Ledger construct makes it. */
export async function createLedgerTable(dynamo: DynamoDBClient, tableName: string): Promise<void> {
  const s = LEDGER_SCHEMA;
  await dynamo.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: s.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: s.partitionKey, AttributeType: 'S' },
        { AttributeName: s.byTaskPartitionKey, AttributeType: 'S' },
        { AttributeName: s.byTaskSortKey, AttributeType: 'S' },
        { AttributeName: s.byDayPartitionKey, AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: s.byTaskIndex,
          KeySchema: [
            { AttributeName: s.byTaskPartitionKey, KeyType: 'HASH' },
            { AttributeName: s.byTaskSortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: s.byDayIndex,
          KeySchema: [
            { AttributeName: s.byDayPartitionKey, KeyType: 'HASH' },
            { AttributeName: s.byDaySortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
}
