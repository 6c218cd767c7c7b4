import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LEDGER_SCHEMA } from '../../src/worker/ledger/record';
import { startDynamoDbServer, startSqsServer } from '../../src/local/servers';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'us-east-1';

export interface LocalServers {
  readonly sqsEndpoint: string;
  readonly dynamodbEndpoint: string;
  close(): Promise<void>;
}

/** The embedded runtime's own SQS (fauxqs) and DynamoDB (dynalite) servers, on free loopback ports. */
export async function startLocalServers(): Promise<LocalServers> {
  const port = (what: string) => ({ port: 0, flag: '-', envVar: '-', what });
  const [sqs, dynamodb] = await Promise.all([startSqsServer(port('SQS')), startDynamoDbServer(port('DynamoDB'))]);
  return {
    sqsEndpoint: sqs.endpoint,
    dynamodbEndpoint: dynamodb.endpoint,
    close: async () => {
      await Promise.all([sqs.close(), dynamodb.close()]);
    },
  };
}

/**
 * An SQS client that shows each command to `intercept` first: a promise it returns is the answer
 * (a failure, a held or counted call); undefined lets the command through. For code that uses only `send`.
 */
export function interceptedSqs(sqs: SQSClient, intercept: (command: object) => Promise<unknown> | undefined): SQSClient {
  return { send: (command: object) => intercept(command) ?? sqs.send(command as never) } as unknown as SQSClient; // only `send` is used
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
