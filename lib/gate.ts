import * as path from 'node:path';
import { type CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigurationError } from '../lambdas/errors';
import type { AnyTask } from '../lambdas/task';
import { WORKER_ENV } from '../lambdas/worker/create-handler';
import { METRICS } from '../lambdas/worker/metric-names';
import { METADATA_KEYS } from './outputs';
import { gateQueueName } from './physical-names';

/** The repository root, for the worker entry and the lockfile the bundler reads. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');
/** The example app's worker; an app with its own task list passes its own entry. */
export const DEFAULT_WORKER_ENTRY = path.join(PROJECT_ROOT, 'lambdas', 'worker', 'handler.ts');

/** How one gate limits the throughput to its downstream. */
export interface GateOptions {
  /**
   * Worker invocations at once, at most: with the default batch size of 1, the runs in flight
   * against the downstream. 1 makes the gate a FIFO queue with one message group (SQS's
   * `maxConcurrency` cannot go below 2); 2 to 1000 is the event source's maximum concurrency,
   * with the function's reserved concurrency at the same value as a hard cap.
   * @default 2
   */
  readonly concurrency?: number;
  /**
   * Messages handed to one invocation (1 to 10). On a standard gate the records of a batch run at
   * the same time, so up to `concurrency x batchSize` runs are in flight: raise it for many short
   * tasks against a downstream that takes that many. On a FIFO gate (concurrency 1) they run one
   * after another, and the worker's timeout grows with the batch.
   * @default 1
   */
  readonly batchSize?: number;
  /**
   * How long the poller gathers a batch before invoking (at most 300 s). Lambda has no batching
   * window on FIFO queues, so a gate of concurrency 1 cannot have one.
   * @default - no batching window
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Receives before SQS moves a message to the DLQ (5 to 1000).
   * @default - the largest `retry.maxAttempts` of the gate's tasks, and at least 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Memory of the worker function, in MiB (128 to 10240).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * The worker function's timeout; at least the longest task timeout on the gate.
   * @default - the longest task timeout plus 10 s for the worker's own calls, at most 900 s
   */
  readonly timeout?: Duration;
  /**
   * The task queue's visibility timeout; at least 6 x the function timeout + the batching window
   * (AWS's rule, so a throttled or retried batch does not become visible while it still runs).
   * @default - exactly 6 x the function timeout + the batching window
   */
  readonly visibilityTimeout?: Duration;
  /**
   * The age of the oldest waiting message above which the gate's backlog alarm fires.
   * @default Duration.minutes(15)
   */
  readonly maxMessageAge?: Duration;
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
const MAX_LAMBDA_TIMEOUT_SECONDS = 900;

function checkInteger(gate: string, field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`gate ${gate}: ${field} must be between ${min} and ${max} (given ${value})`);
  }
}

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
  /** True for a gate of concurrency 1: FIFO queues, one message group named after the gate. */
  readonly fifo: boolean;
  /** The message group every message of a FIFO gate carries; undefined on a standard gate. */
  readonly messageGroupId?: string;
  readonly functionTimeout: Duration;
  readonly maxMessageAge: Duration;

  constructor(scope: Construct, id: string, props: GateProps) {
    super(scope, id);
    const gate = props.gateName;
    const concurrency = props.concurrency ?? 2;
    const batchSize = props.batchSize ?? 1;
    const memorySize = props.memorySize ?? 256;
    const window = props.maxBatchingWindow ?? Duration.seconds(0);
    if (props.tasks.length === 0) {
      throw new ConfigurationError(`gate ${gate} has no tasks; give a task \`gate: '${gate}'\` or remove the gate`);
    }
    checkInteger(gate, 'concurrency', concurrency, 1, 1000);
    checkInteger(gate, 'batchSize', batchSize, 1, 10);
    checkInteger(gate, 'memorySize', memorySize, 128, 10_240);
    checkInteger(gate, 'maxBatchingWindow (seconds)', window.toSeconds(), 0, 300);
    const fifo = concurrency === 1;
    if (fifo && props.maxBatchingWindow !== undefined) {
      throw new ConfigurationError(
        `gate ${gate}: concurrency 1 makes the gate a FIFO queue, and Lambda has no batching window on FIFO queues; remove maxBatchingWindow or raise concurrency to 2`,
      );
    }
    const longest = props.tasks.reduce((a, b) => (b.timeout > a.timeout ? b : a));
    // A FIFO worker runs its batch in order, one record after another; a standard one runs them together.
    const batchTime = (fifo ? batchSize : 1) * longest.timeout;
    if (props.timeout === undefined && batchTime + WORKER_MARGIN_SECONDS > MAX_LAMBDA_TIMEOUT_SECONDS) {
      throw new ConfigurationError(
        `gate ${gate}: a FIFO batch of ${batchSize} runs one after another, up to ${batchSize} x ${longest.timeout}s (task ${longest.name}) = ${batchTime}s, above Lambda's ${MAX_LAMBDA_TIMEOUT_SECONDS}s; lower batchSize to ${Math.max(1, Math.floor((MAX_LAMBDA_TIMEOUT_SECONDS - WORKER_MARGIN_SECONDS) / longest.timeout))}`,
      );
    }
    const functionTimeout = props.timeout?.toSeconds() ?? Math.min(MAX_LAMBDA_TIMEOUT_SECONDS, batchTime + WORKER_MARGIN_SECONDS);
    checkInteger(gate, 'timeout (seconds)', functionTimeout, 1, MAX_LAMBDA_TIMEOUT_SECONDS);
    if (functionTimeout < batchTime) {
      throw new ConfigurationError(
        `gate ${gate}: the worker timeout ${functionTimeout}s is shorter than ${fifo && batchSize > 1 ? `a FIFO batch of ${batchSize} x ` : ''}task ${longest.name}'s timeout ${longest.timeout}s; raise the gate's timeout to at least ${batchTime}s or shorten the task's`,
      );
    }
    const minimumVisibility = 6 * functionTimeout + window.toSeconds();
    const visibilityTimeout = props.visibilityTimeout?.toSeconds() ?? minimumVisibility;
    if (visibilityTimeout < minimumVisibility) {
      throw new ConfigurationError(
        `gate ${gate}: visibilityTimeout ${visibilityTimeout}s is below 6 x the worker timeout ${functionTimeout}s + batching window ${window.toSeconds()}s = ${minimumVisibility}s; raise visibilityTimeout to at least ${minimumVisibility}s or leave it unset`,
      );
    }
    if (visibilityTimeout > MAX_VISIBILITY_SECONDS) {
      throw new ConfigurationError(
        `gate ${gate}: visibility timeout ${visibilityTimeout}s is above SQS's ${MAX_VISIBILITY_SECONDS}s (it must be at least 6 x the worker timeout ${functionTimeout}s + batching window ${window.toSeconds()}s = ${minimumVisibility}s); lower visibilityTimeout`,
      );
    }
    const maxReceiveCount = props.maxReceiveCount ?? Math.max(5, ...props.tasks.map((task) => task.retry.maxAttempts));
    checkInteger(gate, 'maxReceiveCount', maxReceiveCount, 5, 1000);
    const maxMessageAge = props.maxMessageAge ?? Duration.minutes(15);
    checkInteger(gate, 'maxMessageAge (seconds)', maxMessageAge.toSeconds(), 60, 14 * 86_400);

    this.gateName = gate;
    this.concurrency = concurrency;
    this.fifo = fifo;
    this.messageGroupId = fifo ? gate : undefined;
    this.functionTimeout = Duration.seconds(functionTimeout);
    this.maxMessageAge = maxMessageAge;
    // A FIFO queue's DLQ must be FIFO too. Content-based deduplication lets a sender (a rule, the
    // worker moving a message to the DLQ) give only the message group: two sends of one body within
    // 5 minutes are one message, which for a task message with an `id` is the behaviour wanted.
    const fifoProps = fifo ? { fifo: true, contentBasedDeduplication: true } : {};
    const stackName = Stack.of(this).stackName;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...fifoProps,
      queueName: gateQueueName(stackName, gate, 'dlq', fifo),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...fifoProps,
      queueName: gateQueueName(stackName, gate, 'queue', fifo),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(visibilityTimeout),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
    const logGroup = new logs.LogGroup(this, 'WorkerLogs', { retention: logs.RetentionDays.ONE_MONTH });
    // Its own role instead of AWSLambdaBasicExecutionRole, which may write to every log group.
    const role = new iam.Role(this, 'WorkerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `taskgate worker of gate ${gate}`,
    });
    logGroup.grantWrite(role);
    this.worker = new nodejs.NodejsFunction(this, 'Worker', {
      role,
      entry: props.workerEntry ?? DEFAULT_WORKER_ENTRY,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout: this.functionTimeout,
      // The hard cap. On a standard gate it equals the event source's maxConcurrency (the
      // throttle, which unlike reserved concurrency alone does not over-pull messages it cannot
      // deliver); on a FIFO gate it is 1, matching the one message group.
      reservedConcurrentExecutions: concurrency,
      environment: {
        [WORKER_ENV.gate]: gate,
        [WORKER_ENV.deadLetterQueueUrl]: this.deadLetterQueue.queueUrl,
        POWERTOOLS_SERVICE_NAME: METRICS.service,
        POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
        NODE_OPTIONS: '--enable-source-maps',
      },
      logGroup,
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node22',
        externalModules: ['@aws-sdk/*'],
        forceDockerBundling: false,
      },
      description: `taskgate worker for gate ${gate} (${Stack.of(this).stackName})`,
    });
    for (const construct of [this.queue, this.deadLetterQueue, this.worker]) {
      (construct.node.defaultChild as CfnResource).addMetadata(METADATA_KEYS.gate, gate);
    }
    (this.worker.node.defaultChild as CfnResource).addMetadata(METADATA_KEYS.tasks, props.tasks.map((task) => task.name));
    // The embedded runtime warns about a batch still running past its tasks' timeouts.
    (this.worker.node.defaultChild as CfnResource).addMetadata(METADATA_KEYS.taskTimeouts, Object.fromEntries(props.tasks.map((task) => [task.name, task.timeout])));
    this.deadLetterQueue.grantSendMessages(this.worker);
    this.worker.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize,
        maxBatchingWindow: props.maxBatchingWindow,
        // FIFO: Lambda invokes at most one batch per message group at a time, and this gate has
        // one group, so the queue itself is the throttle. maxConcurrency is left unset there:
        // its floor is 2, and AWS advises never to set it above the reserved concurrency (1),
        // which would only invite throttles. (AWS Lambda guide, "Configuring scaling behavior
        // for SQS event source mappings": FIFO concurrency = min(message groups, maxConcurrency).)
        maxConcurrency: fifo ? undefined : concurrency,
        reportBatchItemFailures: true,
      }),
    );
  }
}
