import * as path from 'node:path';
import { type CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigurationError } from '../lambdas/errors';
import type { AnyTask } from '../lambdas/task';
import { WORKER_ENV } from '../lambdas/worker/create-handler';
import { METADATA_KEYS } from './outputs';

/** The repository root, for the worker entry and the lockfile the bundler reads. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');
/** The example app's worker; an app with its own task list passes its own entry. */
export const DEFAULT_WORKER_ENTRY = path.join(PROJECT_ROOT, 'lambdas', 'worker', 'handler.ts');

/** How one gate limits the throughput to its downstream. */
export interface GateOptions {
  /**
   * Runs in flight at once, at most: the event source's maximum concurrency, and the function's
   * reserved concurrency as a hard cap. Must be at least 2 (SQS's lower bound).
   * @default 2
   */
  readonly concurrency?: number;
  /**
   * Messages handed to one invocation.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * How long the poller gathers a batch before invoking.
   * @default - no batching window
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Receives before SQS moves a message to the DLQ.
   * @default - the largest `retry.maxAttempts` of the gate's tasks, and at least 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Memory of the worker function, in MiB.
   * @default 256
   */
  readonly memorySize?: number;
}

export interface GateProps extends GateOptions {
  /** The gate's name, as tasks give it in `gate`. */
  readonly gateName: string;
  /** The tasks that run behind this gate; their timeouts size the function and the queue. */
  readonly tasks: readonly AnyTask[];
  /**
   * The worker's handler file, which exports `handler = createHandler(tasks)`.
   * @default - lambdas/worker/handler.ts of this repository
   */
  readonly workerEntry?: string;
}

/** Seconds the worker keeps for itself after the longest task's timeout (DLQ moves, logging). */
const WORKER_MARGIN_SECONDS = 10;
const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * A throughput limit in front of one downstream endpoint: an SQS task queue, its DLQ, and one
 * worker function whose concurrency is capped. Every task that calls the same endpoint goes
 * through the same gate, so a backlog drains at the gate's pace.
 *
 * @example
 * new Gate(this, 'EmailApi', { gateName: 'email-api', tasks: registry.onGate('email-api'), concurrency: 5 });
 */
export class Gate extends Construct {
  readonly gateName: string;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly worker: nodejs.NodejsFunction;
  readonly concurrency: number;

  constructor(scope: Construct, id: string, props: GateProps) {
    super(scope, id);
    const concurrency = props.concurrency ?? 2;
    const batchSize = props.batchSize ?? 10;
    const window = props.maxBatchingWindow ?? Duration.seconds(0);
    if (props.tasks.length === 0) {
      throw new ConfigurationError(`gate ${props.gateName} has no tasks; give a task \`gate: '${props.gateName}'\` or remove the gate`);
    }
    if (!Number.isInteger(concurrency) || concurrency < 2 || concurrency > 1000) {
      throw new ConfigurationError(`gate ${props.gateName}: concurrency must be between 2 and 1000 (given ${concurrency})`);
    }
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
      throw new ConfigurationError(`gate ${props.gateName}: batchSize must be between 1 and 10 (given ${batchSize})`);
    }
    const longestTask = Math.max(...props.tasks.map((task) => task.timeout));
    const functionTimeout = Math.min(900, longestTask + WORKER_MARGIN_SECONDS);
    const visibilityTimeout = 6 * functionTimeout + window.toSeconds();
    if (visibilityTimeout > MAX_VISIBILITY_SECONDS) {
      throw new ConfigurationError(
        `gate ${props.gateName}: visibility timeout 6 x ${functionTimeout}s + batching window would be ${visibilityTimeout}s, above SQS's ${MAX_VISIBILITY_SECONDS}s; shorten the longest task timeout`,
      );
    }
    const maxReceiveCount = props.maxReceiveCount ?? Math.max(5, ...props.tasks.map((task) => task.retry.maxAttempts));
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 5 || maxReceiveCount > 1000) {
      throw new ConfigurationError(`gate ${props.gateName}: maxReceiveCount must be between 5 and 1000 (given ${maxReceiveCount})`);
    }

    this.gateName = props.gateName;
    this.concurrency = concurrency;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(visibilityTimeout),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
    this.worker = new nodejs.NodejsFunction(this, 'Worker', {
      entry: props.workerEntry ?? DEFAULT_WORKER_ENTRY,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: Duration.seconds(functionTimeout),
      // A hard cap at the gate's concurrency; the event source's maxConcurrency is the throttle
      // that keeps the poller from pulling messages it cannot deliver.
      reservedConcurrentExecutions: concurrency,
      environment: {
        [WORKER_ENV.gate]: props.gateName,
        [WORKER_ENV.deadLetterQueueUrl]: this.deadLetterQueue.queueUrl,
        POWERTOOLS_SERVICE_NAME: 'taskgate',
        NODE_OPTIONS: '--enable-source-maps',
      },
      logGroup: new logs.LogGroup(this, 'WorkerLogs', { retention: logs.RetentionDays.ONE_MONTH }),
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node22',
        externalModules: ['@aws-sdk/*'],
        forceDockerBundling: false,
      },
      description: `taskgate worker for gate ${props.gateName} (${Stack.of(this).stackName})`,
    });
    for (const construct of [this.queue, this.deadLetterQueue, this.worker]) {
      (construct.node.defaultChild as CfnResource).addMetadata(METADATA_KEYS.gate, props.gateName);
    }
    this.deadLetterQueue.grantSendMessages(this.worker);
    this.worker.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize,
        maxBatchingWindow: props.maxBatchingWindow,
        maxConcurrency: concurrency,
        reportBatchItemFailures: true,
      }),
    );
  }
}
