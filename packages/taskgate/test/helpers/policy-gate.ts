import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { gateQueueEnv } from './env';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { build } from 'esbuild';
import { FunctionHost } from '../../src/local/function-host';
import { MappingPoller } from '../../src/local/poller';
import type { RunRecord } from '../../src/worker/ledger/record';
import { createLedgerTable, dynamoClient, sqsClient } from './local-servers';

const ROOT = path.resolve(__dirname, '..', '..');

/** One line a policy task wrote (test/fixtures/policies/worker.ts). */
export interface TaskEvent {
  readonly task: string;
  readonly runId: string;
  readonly attempt: number;
  readonly event: 'start' | 'end';
  readonly at: number;
  readonly scheduledAt?: string;
}

/** Bundles the policy suites' worker as `cdk synth` bundles a gate's worker: one file, the AWS SDK external. */
export async function bundlePolicyWorker(): Promise<{ dir: string; dispose(): void }> {
  fs.mkdirSync(path.join(ROOT, '.taskgate'), { recursive: true });
  // Inside the package, so that the bundle finds the project's @aws-sdk/* as a Lambda finds the runtime's.
  const dir = fs.mkdtempSync(path.join(ROOT, '.taskgate', 'policy-worker-'));
  await build({
    entryPoints: [path.join(ROOT, 'test', 'fixtures', 'policies', 'worker.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: path.join(dir, 'index.js'),
    external: ['@aws-sdk/*'],
    logLevel: 'error',
  });
  return { dir, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface PolicyGateOptions {
  readonly bundle: string;
  readonly endpoints: { readonly sqs: string; readonly dynamodb: string };
  /** Invocations in flight at most (the gate's cap). */
  readonly cap: number;
  readonly batchSize: number;
  readonly functionTimeoutSeconds: number;
  /** Extra worker environment (TASKGATE_SCHEDULES, TASKGATE_SCHEDULE_CLOCK, RUN_MS). */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * A gate on the embedded servers, wired as the embedded runtime wires one: its queue (visibility 6 x
 * the function timeout, as the Gate construct sizes it) and DLQ, a ledger table, the bundled worker
 * in a FunctionHost (worker threads, ended at the function timeout) and a MappingPoller capped at
 * `cap` invocations. The workers are down until start().
 */
export class PolicyGate {
  readonly sqs: SQSClient;
  readonly logFile: string;
  readonly table = `runs-${randomUUID().slice(0, 8)}`;
  queueUrl = '';
  private host?: FunctionHost;
  private poller?: MappingPoller;
  readonly errors: string[] = [];
  readonly logs: string[] = [];

  constructor(private readonly options: PolicyGateOptions) {
    this.sqs = sqsClient(options.endpoints.sqs);
    this.logFile = path.join(options.bundle, `events-${randomUUID().slice(0, 8)}.jsonl`);
    fs.writeFileSync(this.logFile, '');
  }

  async create(): Promise<this> {
    // Named as a Taskgate names a gate's queue, `<prefix>default`: the worker derives its URL from the name.
    const name = `policy-${randomUUID().slice(0, 8)}-default`;
    const dlq = await this.sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
    const { Attributes } = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
    const queue = await this.sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          VisibilityTimeout: String(6 * this.options.functionTimeoutSeconds),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: 10 }),
        },
      }),
    );
    this.queueUrl = queue.QueueUrl!;
    await createLedgerTable(dynamoClient(this.options.endpoints.dynamodb), this.table);
    const { endpoints, functionTimeoutSeconds, bundle } = this.options;
    this.host = new FunctionHost({
      functionName: name,
      assetPath: bundle,
      handler: 'index.handler',
      timeoutSeconds: functionTimeoutSeconds,
      memoryMb: 256,
      region: 'us-east-1',
      accountId: '000000000000',
      maxEnvironments: this.options.cap,
      environment: {
        TASKGATE_GATE: 'default',
        TASKGATE_DLQ_URL: dlq.QueueUrl!,
        TASKGATE_LEDGER_TABLE: this.table,
        ...gateQueueEnv(this.queueUrl),
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_SQS: endpoints.sqs,
        AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
        POWERTOOLS_METRICS_DISABLED: 'true',
        POLICY_LOG: this.logFile,
        ...this.options.environment,
      },
      onLog: (line) => this.logs.push(line),
    });
    return this;
  }

  /** Loads the bundle in one worker thread (a cold start), without taking any message. */
  async warm(): Promise<void> {
    await this.host!.warm();
  }

  /** The workers come up: the poller starts taking messages, at most `cap` invocations at once. */
  start(): void {
    this.poller = new MappingPoller({
      sqs: this.sqs,
      queue: { logicalId: 'Queue', name: 'policy', url: this.queueUrl, arn: 'arn:aws:sqs:us-east-1:000000000000:policy' },
      mapping: {
        logicalId: 'Mapping',
        queue: 'Queue',
        function: 'Worker',
        batchSize: this.options.batchSize,
        maxBatchingWindowSeconds: 0,
        maxConcurrency: this.options.cap,
        reportBatchItemFailures: true,
        enabled: true,
      },
      host: this.host!,
      concurrency: this.options.cap,
      region: 'us-east-1',
      waitTimeSeconds: 1,
      onBatch: () => undefined,
      onError: (message) => this.errors.push(message),
    });
    this.poller.start();
  }

  /** The most invocations that were in flight at once. */
  get peakInFlight(): number {
    return this.poller?.peakInFlight ?? 0;
  }

  events(): TaskEvent[] {
    return fs
      .readFileSync(this.logFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as TaskEvent);
  }

  /** Every run record in the ledger (the task leases left out). */
  async runs(): Promise<RunRecord[]> {
    const documents = DynamoDBDocumentClient.from(dynamoClient(this.options.endpoints.dynamodb));
    const items: RunRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(new ScanCommand({ TableName: this.table, ConsistentRead: true, ExclusiveStartKey: start }));
      items.push(...((page.Items ?? []) as RunRecord[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return items.filter((item) => item.task !== undefined);
  }

  /** Waits until `done` holds, polling; false when `withinMs` passed first. */
  async until(done: () => Promise<boolean> | boolean, withinMs: number): Promise<boolean> {
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      if (await done()) return true;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return done();
  }

  async stop(): Promise<void> {
    await this.poller?.stop(1_000);
    await this.host?.close();
    this.sqs.destroy();
  }
}

/** The most runs of one task that overlapped, from the start and end times the runs logged themselves. */
export function peakConcurrency(events: readonly TaskEvent[], task: string, until = Date.now()): number {
  const edges = new Map<string, { start: number; end: number }>();
  for (const event of events.filter((e) => e.task === task)) {
    const key = `${event.runId}#${event.attempt}`;
    const edge = edges.get(key) ?? { start: Infinity, end: until };
    if (event.event === 'start') edge.start = event.at;
    else edge.end = event.at;
    edges.set(key, edge);
  }
  const points = [...edges.values()].flatMap(({ start, end }) => [[start, 1] as const, [end, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let peak = 0;
  for (const [, delta] of points) peak = Math.max(peak, (running += delta));
  return peak;
}

/**
 * A suite's policy gates: bundles the policy worker once before the suite, stops every gate and
 * removes the bundle after it. Call at a test file's top level.
 */
export function policyGates(endpoints: PolicyGateOptions['endpoints']): (options: Omit<PolicyGateOptions, 'bundle' | 'endpoints'>) => Promise<PolicyGate> {
  let bundle: Awaited<ReturnType<typeof bundlePolicyWorker>> | undefined;
  const gates: PolicyGate[] = [];
  beforeAll(async () => {
    bundle = await bundlePolicyWorker();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(gates.map((gate) => gate.stop()));
    bundle?.dispose();
  });
  return async (options) => {
    if (!bundle) throw new Error('policyGates: the worker is bundled in beforeAll; create gates inside tests');
    const gate = await new PolicyGate({ bundle: bundle.dir, endpoints, ...options }).create();
    gates.push(gate);
    return gate;
  };
}
