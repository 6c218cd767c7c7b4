import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { runKey, type RunRecord, type RunStatus } from '../../src/worker/ledger/record';
import type { LocalConfig } from '../../src/local/local-config';
import { createGateQueues, createLedgerTable, dynamoClient, sqsClient, startLocalServers } from './local-servers';

const region = 'us-east-1';

/**
 * Real embedded SQS (fauxqs) and DynamoDB (dynalite) servers on 127.0.0.1, a gate's queues and a
 * ledger table made the way the stack makes them, and a local.json that points the CLI at them.
 */
export interface LocalAws {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBDocumentClient;
  readonly config: LocalConfig;
  readonly configFile: string;
  readonly dir: string;
  /** Writes a run the way the worker does. */
  putRun(run: { task: string; id: string; status: RunStatus; startedAt: Date; gate?: string; error?: string; reason?: string; source?: string }): Promise<RunRecord>;
  queueDepth(url: string): Promise<{ visible: number; inFlight: number; delayed: number }>;
  close(): Promise<void>;
}

export interface LocalAwsOptions {
  /** Gate name → concurrency. */
  readonly gates: Readonly<Record<string, number>>;
  /** Task → gate. */
  readonly tasks: Readonly<Record<string, string>>;
  /** The `ui` URL written to local.json (a fake control server in the tests). */
  readonly ui?: string;
  /** The control server's token written to local.json. */
  readonly token?: string;
}

export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  // Own servers, not globalSetup's: this suite's queue and table names would collide with others'.
  const servers = await startLocalServers();
  const { sqsEndpoint, dynamodbEndpoint } = servers;
  const sqs = sqsClient(sqsEndpoint);
  const raw = dynamoClient(dynamodbEndpoint);
  const dynamodb = DynamoDBDocumentClient.from(raw);
  const gates: Record<string, { queueUrl: string; dlqUrl: string; concurrency: number }> = {};
  for (const [gate, concurrency] of Object.entries(options.gates)) {
    // As the Gate construct does: concurrency 1 is a FIFO queue (and DLQ) with one message group.
    const queues = concurrency === 1 ? await createFifoGateQueues(sqs, gate) : await createGateQueues(sqs, `${gate}-tasks`, 5);
    gates[gate] = { ...queues, concurrency };
  }
  const ledgerTable = 'taskgate-ledger';
  await createLedgerTable(raw, ledgerTable);

  const config: LocalConfig = {
    region,
    sqsEndpoint,
    dynamodbEndpoint,
    ledgerTable,
    ui: options.ui ?? 'http://127.0.0.1:9/',
    token: options.token ?? 'no-control-server',
    gates,
    tasks: options.tasks,
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-cli-'));
  const configFile = path.join(dir, '.taskgate', 'local.json');
  fs.mkdirSync(path.dirname(configFile));
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));

  return {
    sqs,
    dynamodb,
    config,
    configFile,
    dir,
    async putRun(run) {
      const finished = run.status === 'running' ? undefined : new Date(run.startedAt.getTime() + 1500);
      const record: RunRecord = {
        pk: runKey(run.task, run.id),
        task: run.task,
        id: run.id,
        status: run.status,
        gate: run.gate ?? options.tasks[run.task] ?? 'default',
        source: run.source ?? 'manual',
        attempts: 1,
        scheduledAt: run.startedAt.toISOString(),
        startedAt: run.startedAt.toISOString(),
        day: run.startedAt.toISOString().slice(0, 10),
        ...(finished ? { finishedAt: finished.toISOString(), durationMs: 1500 } : {}),
        latenessSeconds: 0,
        ...(run.error ? { error: run.error } : {}),
        ...(run.reason ? { reason: run.reason } : {}),
        expiresAt: Math.floor(run.startedAt.getTime() / 1000) + 30 * 86_400,
      };
      await dynamodb.send(new PutCommand({ TableName: ledgerTable, Item: record }));
      return record;
    },
    async queueDepth(url) {
      const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
      return {
        visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
      };
    },
    async close() {
      sqs.destroy();
      raw.destroy();
      await servers.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function createFifoGateQueues(sqs: SQSClient, gate: string): Promise<{ queueUrl: string; dlqUrl: string }> {
  const fifo = { FifoQueue: 'true', ContentBasedDeduplication: 'true' };
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${gate}-dlq.fifo`, Attributes: fifo }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${gate}-tasks.fifo`,
      Attributes: { ...fifo, VisibilityTimeout: '30', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: 5 }) },
    }),
  );
  return { queueUrl: queue.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}
