/**
 * Cold start of a worker bundle as Lambda pays it: in a fresh Node process, load the bundle (the
 * AWS SDK from the "runtime's" node_modules when the bundle leaves it external, as Lambda's Node
 * runtime provides it; with the Node flags the Gate sets, WORKER_NODE_FLAGS) and run a first batch of one no-op record, whose idempotency writes go to an
 * embedded DynamoDB. Node's own start is the same for every bundle and not counted. CPU time of
 * that process (the machines are shared; wall time would count other processes' bursts): loading
 * and compiling code is what a cold start spends, and the DynamoDB round trips are alike for both.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startDynamoDbServer, type EmbeddedServer } from '../../src/local/servers';
import { LEDGER_SCHEMA } from '../../src/worker/ledger/record';
import { WORKER_ENV } from '../../src/worker/worker-env';

const LEDGER_TABLE = 'bench-ledger';
const IDEMPOTENCY_TABLE = 'bench-idempotency';

/** The embedded DynamoDB with the two tables the bundles write to. */
export async function startColdStartTables(): Promise<EmbeddedServer> {
  const server = await startDynamoDbServer({ port: 0, flag: '--dynamodb-port', envVar: 'TASKGATE_DYNAMODB_PORT', what: 'benchmark DynamoDB' });
  const client = new DynamoDBClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  for (const [TableName, key] of [[LEDGER_TABLE, LEDGER_SCHEMA.partitionKey], [IDEMPOTENCY_TABLE, 'id']] as const) {
    await client.send(
      new CreateTableCommand({ TableName, KeySchema: [{ AttributeName: key, KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }),
    );
  }
  client.destroy();
  return server;
}

let runs = 0;

/**
 * CPU milliseconds from the first line of the process to the first batch's answer. `sdkFolder` is the
 * node_modules that plays the runtime's SDK copy (NODE_PATH); the bundle must live outside the
 * project, or it would find the project's node_modules first.
 */
export function coldStartMs(bundle: string, sdkFolder: string, dynamodb: EmbeddedServer, nodeFlags: readonly string[]): number {
  runs += 1;
  const body = JSON.stringify({ task: 'ship-order', id: `cold-${process.pid}-${runs}`, payload: { orderId: 'A-1', quantity: 1 } });
  const event = { Records: [{ messageId: `m-${process.pid}-${runs}`, receiptHandle: 'h', body, attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'A', ApproximateFirstReceiveTimestamp: String(Date.now()) }, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench', awsRegion: 'us-east-1' }] };
  const script = `
const started = process.cpuUsage();
const context = { functionName: 'bench', awsRequestId: 'r-1', getRemainingTimeInMillis: () => 60000 };
import(${JSON.stringify(bundle)}).then(async (loaded) => {
  const handler = loaded.handler ?? loaded.default?.handler;
  const result = await handler(${JSON.stringify(event)}, context);
  if (result?.batchItemFailures?.length) throw new Error('the first batch failed: ' + JSON.stringify(result));
  const { user, system } = process.cpuUsage(started);
  process.stderr.write('COLD ' + (user + system) / 1000 + '\\n');
  process.exit(0);
});`;
  const queueUrl = 'http://127.0.0.1:1/000000000000/bench-default';
  const child = spawnSync(process.execPath, [...nodeFlags, '-e', script], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      NODE_PATH: sdkFolder,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_LAMBDA_FUNCTION_NAME: 'bench',
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:1',
      POWERTOOLS_SERVICE_NAME: 'bench',
      POWERTOOLS_METRICS_NAMESPACE: 'Bench',
      IDEMPOTENCY_TABLE,
      [WORKER_ENV.gate]: 'default',
      [WORKER_ENV.ledgerTable]: LEDGER_TABLE,
      [WORKER_ENV.deadLetterQueueUrl]: `${queueUrl}-dlq`,
      [WORKER_ENV.queueNamePrefix]: 'bench-',
      [WORKER_ENV.queueUrlBase]: 'http://127.0.0.1:1/000000000000/',
      [WORKER_ENV.queueArnBase]: 'arn:aws:sqs:us-east-1:000000000000:',
    },
  });
  const output = child.stderr ?? '';
  const line = output.split('\n').find((text) => text.startsWith('COLD '));
  if (child.status !== 0 || !line) throw new Error(`cold start of ${path.basename(bundle)} failed (exit ${child.status}): ${output.slice(0, 600)}`);
  return Number(line.slice(5));
}
