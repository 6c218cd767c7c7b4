import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient, type Message, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import { gateQueueEnv } from './env';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { FunctionHost } from '../../src/local/function-host';
import { MappingPoller, type BatchReport } from '../../src/local/poller';
import type { RunRecord } from '../../src/worker/ledger/record';
import { FaultProxy, type FaultProxyOptions } from './fault-proxy';
import { createLedgerTable, dynamoClient, sqsClient, startLocalServers, type LocalServers } from './local-servers';
import { bundleWorker, type WorkerBundle } from './worker-bundle';

const region = 'us-east-1';

export interface GateHarnessOptions {
  /** The worker entry to bundle (a module exporting `handler`). */
  readonly entry: string;
  readonly seed: () => number;
  readonly batchSize: number;
  /** Batches in flight at most (one execution environment each). */
  readonly concurrency: number;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly functionTimeoutSeconds: number;
  /** More environment variables of the worker function (beyond the Gate construct's and the endpoints). */
  readonly environment?: Readonly<Record<string, string>>;
  readonly onReceive?: FaultProxyOptions['onReceive'];
}

/**
 * A gate on the embedded servers, run the way `taskgate dev` runs one: the real worker bundle in
 * the FunctionHost's worker threads, fed by the real MappingPoller, both talking to fauxqs and
 * dynalite through fault-injecting proxies on 127.0.0.1 (nothing in the code under test changes:
 * the endpoints are its ordinary settings). The suite reads the outcome straight from the servers.
 */
export class GateHarness {
  readonly logLines: string[] = [];
  readonly batches: BatchReport[] = [];
  readonly pollerErrors: string[] = [];

  private constructor(
    readonly servers: LocalServers,
    readonly sqsProxy: FaultProxy,
    readonly dynamoProxy: FaultProxy,
    /** Straight to fauxqs, for the suite's own sends and reads. */
    readonly sqs: SQSClient,
    readonly queueUrl: string,
    readonly dlqUrl: string,
    readonly table: string,
    private readonly bundle: WorkerBundle,
    private readonly options: GateHarnessOptions,
    private host?: FunctionHost,
    private poller?: MappingPoller,
  ) {}

  static async start(options: GateHarnessOptions): Promise<GateHarness> {
    const [servers, bundle] = await Promise.all([startLocalServers(), bundleWorker(options.entry)]);
    const sqs = sqsClient(servers.sqsEndpoint);
    const dynamo = dynamoClient(servers.dynamodbEndpoint);
    const table = 'taskgate-ledger';
    await createLedgerTable(dynamo, table);
    dynamo.destroy();
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'gate-dlq' }));
    const dlqArn = await queueArn(sqs, dlq.QueueUrl!);
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'gate-default',
        Attributes: {
          VisibilityTimeout: String(options.visibilityTimeoutSeconds),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount }),
        },
      }),
    );
    const sqsProxy = await FaultProxy.start({ target: servers.sqsEndpoint, service: 'sqs', random: options.seed, noLostAnswer: ['SendMessage', 'SendMessageBatch'], onReceive: options.onReceive });
    const dynamoProxy = await FaultProxy.start({ target: servers.dynamodbEndpoint, service: 'dynamodb', random: options.seed });
    return new GateHarness(servers, sqsProxy, dynamoProxy, sqs, queue.QueueUrl!, dlq.QueueUrl!, table, bundle, options);
  }

  /** Starts the function host and the poller. */
  async run(): Promise<void> {
    const { options } = this;
    this.host = new FunctionHost({
      functionName: 'gate-worker',
      assetPath: this.bundle.assetPath,
      handler: this.bundle.handler,
      timeoutSeconds: options.functionTimeoutSeconds,
      memoryMb: 256,
      region,
      accountId: '000000000000',
      maxEnvironments: options.concurrency,
      environment: {
        TASKGATE_GATE: 'default',
        TASKGATE_DLQ_URL: this.dlqUrl,
        TASKGATE_LEDGER_TABLE: this.table,
        ...gateQueueEnv(this.queueUrl),
        AWS_REGION: region,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_SQS: this.sqsProxy.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: this.dynamoProxy.endpoint,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_METRICS_DISABLED: 'true',
        ...options.environment,
      },
      onLog: (line) => this.logLines.push(line),
    });
    await this.host.warm();
    this.poller = new MappingPoller({
      // The poller's own calls (receive, delete, release) go through the proxy too.
      sqs: new SQSClient({ endpoint: this.sqsProxy.endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, useQueueUrlAsEndpoint: false }),
      queue: { logicalId: 'Queue', name: 'gate-default', url: this.queueUrl, arn: await queueArn(this.sqs, this.queueUrl) },
      mapping: { logicalId: 'Mapping', queue: 'Queue', function: 'Worker', batchSize: options.batchSize, maxBatchingWindowSeconds: 0, reportBatchItemFailures: true, enabled: true },
      host: this.host,
      concurrency: options.concurrency,
      region,
      onBatch: (report) => this.batches.push(report),
      onError: (message) => this.pollerErrors.push(message),
      waitTimeSeconds: 1,
    });
    this.poller.start();
  }

  /** Sends bodies (with attributes) to the task queue, ten to a call, straight to the server. */
  async send(messages: ReadonlyArray<{ body: string; attributes?: Record<string, MessageAttributeValue> }>): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      const { Successful = [], Failed = [] } = await this.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: chunk.map((message, index) => ({ Id: String(index), MessageBody: message.body, MessageAttributes: message.attributes })) }),
      );
      if (Failed.length > 0) throw new Error(`sending to the task queue failed: ${Failed[0]!.Message}`);
      ids.push(...Successful.sort((a, b) => Number(a.Id) - Number(b.Id)).map((entry) => entry.MessageId!));
    }
    return ids;
  }

  /** Messages on the task queue: visible, in flight, delayed. */
  async queueDepth(url = this.queueUrl): Promise<number> {
    const { Attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
    );
    return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible) + Number(Attributes.ApproximateNumberOfMessagesDelayed);
  }

  /**
   * Waits until the task queue has stayed empty for two checks a second apart; fails when it has
   * not shrunk for `stuckMs` (on a busy machine a big run is slow, not stuck).
   */
  async waitUntilDrained(stuckMs: number): Promise<void> {
    let lowest = Infinity;
    let lowestAt = Date.now();
    let empty = 0;
    while (empty < 2) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const depth = await this.queueDepth();
      if (depth < lowest) [lowest, lowestAt] = [depth, Date.now()];
      if (Date.now() - lowestAt > stuckMs) throw new Error(`the task queue has held ${depth} message(s) for ${stuckMs / 1000} s without shrinking`);
      empty = depth === 0 ? empty + 1 : 0;
    }
  }

  /** Every message in the DLQ, taken out of it. */
  async drainDeadLetters(): Promise<Message[]> {
    const all: Message[] = [];
    for (;;) {
      const { Messages = [] } = await this.sqs.send(new ReceiveMessageCommand({ QueueUrl: this.dlqUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'], VisibilityTimeout: 60 }));
      if (Messages.length === 0 && (await this.queueDepth(this.dlqUrl)) === 0) return all;
      all.push(...Messages);
      if (Messages.length > 0) {
        await this.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: this.dlqUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }
    }
  }

  /** Every run record of the ledger. */
  async ledger(): Promise<RunRecord[]> {
    const dynamo = dynamoClient(this.servers.dynamodbEndpoint);
    const documents = DynamoDBDocumentClient.from(dynamo);
    const records: RunRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(new ScanCommand({ TableName: this.table, ExclusiveStartKey: start }));
      records.push(...((page.Items ?? []) as RunRecord[]));
      start = page.LastEvaluatedKey;
    } while (start);
    dynamo.destroy();
    return records;
  }

  async close(): Promise<void> {
    await this.poller?.stop(1_000);
    await this.host?.close();
    this.sqs.destroy();
    await Promise.all([this.sqsProxy.close(), this.dynamoProxy.close()]);
    await this.servers.close();
    this.bundle.dispose();
  }
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return Attributes!.QueueArn!;
}
