import { type CfnResource, Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigurationError } from '../core/errors';
import { messageGroupId } from '../core/send-path';
import type { AnyTask } from '../core/task';
import { taskMetadata } from '../core/task-metadata';
import { WORKER_ENV } from '../worker/worker-env';
import { METRICS } from '../worker/metric-names';
import { METADATA_KEYS, type TaskgateIdentity } from '../core/outputs';
import { bundlingRoot } from './bundling-root';
import { WORKER_NODE_FLAGS, workerBundling } from './worker-bundling';
import { checkRange } from './check-range';
import { wireGateWebhooks } from './gate-webhooks';
import { gateQueueName, gateWorkerName } from './physical-names';
import { rootStack } from './root-stack';
import { checkGateRate, fifoPacingSeconds } from './gate-rate';
import { encodeRateLimit, type RateLimit } from '../worker/rate/rate-limit';

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
   * Runs started per second across all of the gate's workers, with a burst: a token bucket in the
   * ledger table, one conditional write per run. A run that finds no token waits (re-sent with a
   * delay, which spends no retry); a FIFO gate (concurrency 1) sleeps until its token, and its
   * worker timeout grows by one token interval per record. perSecond from 1/60 to 500, burst 1 to
   * 1000 and at most 60 s of tokens.
   * @default - no rate: the gate limits concurrency only
   */
  readonly rate?: RateLimit;
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
  /**
   * The Secrets Manager secret that signs this gate's webhook tasks: one or two `whsec_` values,
   * space-separated (two during a rotation). Readable by this gate's worker only.
   * @default - a secret created for the gate when it has webhook tasks
   */
  readonly webhookSecret?: secretsmanager.ISecret;
}

export interface GateProps extends GateOptions {
  /** The gate's name, as tasks give it in `gate`. */
  readonly gateName: string;
  /** The tasks that run behind this gate; their timeouts size the function and the queue. */
  readonly tasks: readonly AnyTask[];
  /** The worker's handler file, which exports `handler = createHandler(tasks)`. */
  readonly workerEntry: string;
  /**
   * The Taskgate the gate belongs to, whose name its queue names carry unless it is the stack's default.
   * @default - the stack's default Taskgate: queues `<stack>-<gate>`
   */
  readonly taskgate?: TaskgateIdentity;
  /**
   * Values of the environment variables that the gate's webhook tasks read their URL from (`fromEnv`).
   * @default - none
   */
  readonly webhookUrls?: Readonly<Record<string, string>>;
  /**
   * Name the worker function `<stack>-<gate>` (see gateWorkerName), so that a dashboard in
   * another stack names its metrics without a cross-stack reference (a Taskgate in nested stacks).
   * @default false: CloudFormation generates the name
   */
  readonly nameWorker?: boolean;
}

/** Seconds the worker keeps for itself after the longest task's timeout (DLQ moves, logging). */
const WORKER_MARGIN_SECONDS = 10;
const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_LAMBDA_TIMEOUT_SECONDS = 900;

/** What a gate's options come to once checked: the numbers its queue and worker are built with. */
interface GateSizing {
  readonly concurrency: number;
  readonly fifo: boolean;
  readonly batchSize: number;
  readonly memorySize: number;
  readonly functionTimeout: number;
  readonly visibilityTimeout: number;
  readonly maxReceiveCount: number;
  readonly maxMessageAge: Duration;
  readonly rate?: RateLimit;
}

/**
 * Checks a gate's options against AWS's rules and sizes what is not given. A value known only at
 * deployment (a CfnParameter: an unresolved token) skips the checks that need its number, and a
 * size derived from it by arithmetic must then be given too, since CloudFormation cannot compute it.
 */
function sizeGate(props: GateProps): GateSizing {
  const gate = props.gateName;
  const subject = `gate ${gate}`;
  const concurrency = props.concurrency ?? 2;
  const batchSize = props.batchSize ?? 1;
  const memorySize = props.memorySize ?? 256;
  const window = (props.maxBatchingWindow ?? Duration.seconds(0)).toSeconds();
  if (props.tasks.length === 0) {
    throw new ConfigurationError(`gate ${gate} has no tasks; give a task \`gate: '${gate}'\` or remove the gate`);
  }
  checkRange(subject, 'concurrency', concurrency, 1, 1000);
  checkRange(subject, 'batchSize', batchSize, 1, 10);
  checkRange(subject, 'memorySize', memorySize, 128, 10_240);
  checkRange(subject, 'maxBatchingWindow (seconds)', window, 0, 300);
  // A concurrency known only at deployment cannot pick the queue type: the gate is a standard one.
  const fifo = concurrency === 1;
  const rate = checkGateRate(gate, props.rate);
  if (fifo && props.maxBatchingWindow !== undefined) {
    throw new ConfigurationError(
      `gate ${gate}: concurrency 1 makes the gate a FIFO queue, and Lambda has no batching window on FIFO queues; remove maxBatchingWindow or raise concurrency to 2`,
    );
  }
  const functionTimeout = sizeFunctionTimeout(props, fifo, batchSize, fifoPacingSeconds(rate, fifo, batchSize));
  const visibilityTimeout = sizeVisibilityTimeout(props, functionTimeout, window);
  const maxReceiveCount = props.maxReceiveCount ?? Math.max(5, ...props.tasks.map((task) => task.retry.maxAttempts));
  checkRange(subject, 'maxReceiveCount', maxReceiveCount, 5, 1000);
  const maxMessageAge = props.maxMessageAge ?? Duration.minutes(15);
  checkRange(subject, 'maxMessageAge (seconds)', maxMessageAge.toSeconds(), 60, 14 * 86_400);
  return { concurrency, fifo, batchSize, memorySize, functionTimeout, visibilityTimeout, maxReceiveCount, maxMessageAge, rate };
}

/** The worker's timeout: the given one, checked, or the longest task's (a FIFO batch's) plus the margin. */
function sizeFunctionTimeout(props: GateProps, fifo: boolean, batchSize: number, pacingSeconds: number): number {
  const gate = props.gateName;
  const longest = props.tasks.reduce((a, b) => (b.timeout > a.timeout ? b : a));
  // A FIFO worker runs its batch in order, one record after another; a standard one runs them together.
  const batchTime = fifo && Token.isUnresolved(batchSize) ? undefined : (fifo ? batchSize : 1) * longest.timeout + pacingSeconds;
  if (props.timeout === undefined && batchTime === undefined) {
    throw new ConfigurationError(
      `gate ${gate}: a FIFO batch runs one record after another and its batchSize is known only at deployment, so the worker timeout cannot be derived; give timeout`,
    );
  }
  if (props.timeout === undefined && batchTime! + WORKER_MARGIN_SECONDS > MAX_LAMBDA_TIMEOUT_SECONDS) {
    throw new ConfigurationError(
      `gate ${gate}: a FIFO batch of ${batchSize} runs one after another, up to ${batchSize} x ${longest.timeout}s (task ${longest.name}) = ${batchTime}s, above Lambda's ${MAX_LAMBDA_TIMEOUT_SECONDS}s; lower batchSize to ${Math.max(1, Math.floor((MAX_LAMBDA_TIMEOUT_SECONDS - WORKER_MARGIN_SECONDS) / longest.timeout))}`,
    );
  }
  const functionTimeout = props.timeout?.toSeconds() ?? Math.min(MAX_LAMBDA_TIMEOUT_SECONDS, batchTime! + WORKER_MARGIN_SECONDS);
  checkRange(`gate ${gate}`, 'timeout (seconds)', functionTimeout, 1, MAX_LAMBDA_TIMEOUT_SECONDS);
  if (batchTime !== undefined && !Token.isUnresolved(functionTimeout) && functionTimeout < batchTime) {
    throw new ConfigurationError(
      `gate ${gate}: the worker timeout ${functionTimeout}s is shorter than ${fifo && batchSize > 1 ? `a FIFO batch of ${batchSize} x ` : ''}task ${longest.name}'s timeout ${longest.timeout}s; raise the gate's timeout to at least ${batchTime}s or shorten the task's`,
    );
  }
  return functionTimeout;
}

/** The task queue's visibility timeout: at least 6 x the worker timeout + the batching window (AWS's rule). */
function sizeVisibilityTimeout(props: GateProps, functionTimeout: number, window: number): number {
  const gate = props.gateName;
  if (Token.isUnresolved(functionTimeout) || Token.isUnresolved(window)) {
    if (props.visibilityTimeout === undefined) {
      const unknown = Token.isUnresolved(functionTimeout) ? 'the worker timeout is' : 'the batching window is';
      throw new ConfigurationError(
        `gate ${gate}: ${unknown} known only at deployment, so the visibility timeout (at least 6 x the worker timeout + batching window) cannot be derived; give visibilityTimeout`,
      );
    }
    const visibilityTimeout = props.visibilityTimeout.toSeconds();
    checkRange(`gate ${gate}`, 'visibilityTimeout (seconds)', visibilityTimeout, 0, MAX_VISIBILITY_SECONDS);
    return visibilityTimeout;
  }
  const minimumVisibility = 6 * functionTimeout + window;
  const visibilityTimeout = props.visibilityTimeout?.toSeconds() ?? minimumVisibility;
  if (Token.isUnresolved(visibilityTimeout)) return visibilityTimeout;
  if (visibilityTimeout < minimumVisibility) {
    throw new ConfigurationError(
      `gate ${gate}: visibilityTimeout ${visibilityTimeout}s is below 6 x the worker timeout ${functionTimeout}s + batching window ${window}s = ${minimumVisibility}s; raise visibilityTimeout to at least ${minimumVisibility}s or leave it unset`,
    );
  }
  if (visibilityTimeout > MAX_VISIBILITY_SECONDS) {
    throw new ConfigurationError(
      `gate ${gate}: visibility timeout ${visibilityTimeout}s is above SQS's ${MAX_VISIBILITY_SECONDS}s (it must be at least 6 x the worker timeout ${functionTimeout}s + batching window ${window}s = ${minimumVisibility}s); lower visibilityTimeout`,
    );
  }
  return visibilityTimeout;
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
  /** The secret that signs the gate's webhook tasks; undefined on a gate without them. */
  readonly webhookSecret?: secretsmanager.ISecret;
  /** The variables the gate's webhook tasks add to its worker's environment (the secret's ARN, fromEnv URLs). */
  readonly webhookEnvironment: Readonly<Record<string, string>>;
  /** The task queue's name, known at synth. */
  readonly queueName: string;
  /** The DLQ's name, known at synth. */
  readonly deadLetterQueueName: string;
  /** The worker function's name where the Gate gives one (`nameWorker`); otherwise CloudFormation generates it. */
  readonly workerName?: string;
  /** Runs per second across the gate's workers, when it has a rate. */
  readonly rate?: RateLimit;

  constructor(scope: Construct, id: string, props: GateProps) {
    super(scope, id);
    const gate = props.gateName;
    const { concurrency, fifo, batchSize, memorySize, functionTimeout, visibilityTimeout, maxReceiveCount, maxMessageAge, rate } = sizeGate(props);
    this.rate = rate;
    this.gateName = gate;
    this.concurrency = concurrency;
    this.fifo = fifo;
    this.messageGroupId = messageGroupId(gate, fifo);
    this.functionTimeout = Duration.seconds(functionTimeout);
    this.maxMessageAge = maxMessageAge;
    // A FIFO queue's DLQ must be FIFO too. Content-based deduplication lets a sender (a rule, the
    // worker moving a message to the DLQ) give only the message group: two sends of one body within
    // 5 minutes are one message, which for a task message with an `id` is the behaviour wanted.
    const fifoProps = fifo ? { fifo: true, contentBasedDeduplication: true } : {};
    const stackName = rootStack(this).stackName;
    this.queueName = gateQueueName(stackName, gate, 'queue', fifo, props.taskgate);
    this.deadLetterQueueName = gateQueueName(stackName, gate, 'dlq', fifo, props.taskgate);
    this.workerName = props.nameWorker ? gateWorkerName(stackName, gate, props.taskgate) : undefined;
    this.deadLetterQueue = this.queueOf('DeadLetterQueue', { ...fifoProps, queueName: this.deadLetterQueueName, retentionPeriod: Duration.days(14) });
    this.queue = this.queueOf('Queue', {
      ...fifoProps,
      queueName: this.queueName,
      visibilityTimeout: Duration.seconds(visibilityTimeout),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
    this.worker = this.workerOf(props, { memorySize, concurrency, rate, stackName });
    for (const construct of [this.queue, this.deadLetterQueue, this.worker]) {
      (construct.node.defaultChild as CfnResource).addMetadata(METADATA_KEYS.gate, gate);
    }
    (this.worker.node.defaultChild as CfnResource).addMetadata(METADATA_KEYS.tasks, props.tasks.map(taskMetadata));
    if (rate) (this.worker.node.defaultChild as CfnResource).addMetadata(METADATA_KEYS.rate, { perSecond: rate.perSecond, burst: rate.burst });
    // SendMessage only: grantSendMessages adds GetQueueAttributes and GetQueueUrl, which the worker never calls on its DLQ.
    this.deadLetterQueue.grant(this.worker, 'sqs:SendMessage');
    const webhooks = wireGateWebhooks(this, { gateName: gate, tasks: props.tasks, worker: this.worker, secret: props.webhookSecret, urls: props.webhookUrls ?? {} });
    this.webhookSecret = webhooks.secret;
    this.webhookEnvironment = webhooks.environment;
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

  /** A queue of the gate: encrypted with SQS-managed keys, TLS-only. */
  private queueOf(id: string, props: sqs.QueueProps): sqs.Queue {
    return new sqs.Queue(this, id, { ...props, encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true });
  }

  /** The worker function, with a role and log group of its own. */
  private workerOf(props: GateProps, sized: { memorySize: number; concurrency: number; rate?: RateLimit; stackName: string }): nodejs.NodejsFunction {
    const gate = props.gateName;
    const { memorySize, concurrency, rate, stackName } = sized;
    const logGroup = new logs.LogGroup(this, 'WorkerLogs', { retention: logs.RetentionDays.ONE_MONTH });
    // Its own role instead of AWSLambdaBasicExecutionRole, which may write to every log group.
    const role = new iam.Role(this, 'WorkerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `taskgate worker of gate ${gate}`,
    });
    logGroup.grantWrite(role);
    return new nodejs.NodejsFunction(this, 'Worker', {
      role,
      functionName: this.workerName,
      entry: props.workerEntry,
      handler: 'handler',
      ...bundlingRoot(),
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
        ...(rate ? { [WORKER_ENV.rate]: encodeRateLimit(rate) } : {}),
        POWERTOOLS_SERVICE_NAME: METRICS.service,
        POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
        ...(WORKER_NODE_FLAGS.length > 0 ? { NODE_OPTIONS: WORKER_NODE_FLAGS.join(' ') } : {}),
      },
      logGroup,
      bundling: workerBundling(),
      description: `taskgate worker for gate ${gate} (${stackName})`,
    });
  }
}
