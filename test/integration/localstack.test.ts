import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gateOutputKey, OUTPUT_KEYS } from 'taskgate/cdk';
import { LEDGER_SCHEMA, readDeadLetter, runKey } from 'taskgate/worker';
import { eventually } from '../helpers';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const endpoint = process.env.LOCALSTACK_ENDPOINT ?? process.env.AWS_ENDPOINT_URL ?? 'http://localhost:4566';

/** Whether LocalStack answers its health check within a second. */
async function localStackAnswers(): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/_localstack/health`, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * The integration scenarios against the example app deployed on LocalStack with cdklocal. They run
 * when LocalStack answers (LOCALSTACK_ENDPOINT or AWS_ENDPOINT_URL, default localhost:4566) and are
 * skipped with a one-line reason otherwise; the embedded runtime's suite always runs.
 */
describe('the example app deployed on LocalStack', () => {
  let available = false;
  const skipReason = `LocalStack does not answer at ${endpoint}/_localstack/health (docker compose -f localstack/docker-compose.yml up -d)`;
  const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const sqs = new SQSClient(config);
  const dynamo = new DynamoDBClient(config);
  const outputs = new Map<string, string>();

  beforeAll(async () => {
    available = await localStackAnswers();
    if (!available) {
      console.log(`LocalStack scenarios skipped: ${skipReason}`);
      return;
    }
    await run('npm', ['run', 'local:deploy'], { cwd: ROOT, env: { ...process.env, AWS_ENDPOINT_URL: endpoint, AWS_ENDPOINT_URL_S3: endpoint }, timeout: 600_000 });
    const { Stacks } = await new CloudFormationClient(config).send(new DescribeStacksCommand({ StackName: 'Taskgate' }));
    for (const output of Stacks?.[0]?.Outputs ?? []) outputs.set(output.OutputKey!, output.OutputValue!);
  }, 660_000);

  it('runs a task message sent with the plain SQS API once, recorded in the ledger', async (context) => {
    if (!available) return context.skip(skipReason);
    const { MessageId } = await sqs.send(
      new SendMessageCommand({ QueueUrl: outputs.get(gateOutputKey('default', 'QueueUrl')), MessageBody: JSON.stringify({ task: 'cleanup-stray-instances' }) }),
    );
    const item = await eventually(
      'the run in the ledger',
      async () => {
        const { Item } = await dynamo.send(
          new GetItemCommand({ TableName: outputs.get(OUTPUT_KEYS.ledgerTable), Key: { [LEDGER_SCHEMA.partitionKey]: { S: runKey('cleanup-stray-instances', MessageId!) } } }),
        );
        return Item?.status?.S === 'succeeded' ? Item : undefined;
      },
      120_000,
    );
    expect(item.attempts?.N).toBe('1');
  }, 180_000);

  it('moves a malformed message to the DLQ with its reason', async (context) => {
    if (!available) return context.skip(skipReason);
    await sqs.send(new SendMessageCommand({ QueueUrl: outputs.get(gateOutputKey('default', 'QueueUrl')), MessageBody: 'not json' }));
    const dead = await eventually(
      'the message in the DLQ',
      async () => {
        const { Messages } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: outputs.get(gateOutputKey('default', 'DeadLetterQueueUrl')), MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }),
        );
        return Messages?.find((m) => m.Body === 'not json');
      },
      120_000,
    );
    expect(readDeadLetter(dead.MessageAttributes)?.reason).toBe('invalid-json');
  }, 180_000);
});
