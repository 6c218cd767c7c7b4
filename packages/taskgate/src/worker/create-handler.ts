import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { NodeHttpHandlerOptions } from '@smithy/node-http-handler';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ConfigurationError } from '../core/errors';
import { DynamoLedger } from './ledger/dynamo-ledger';
import { TaskRegistry } from '../core/registry';
import type { AnyTask } from '../core/task';
import { PowertoolsRunMetrics } from './run-metrics';
import { Triggers, type GateQueueEnv } from './triggers';
import { Worker } from './worker';
import { WORKER_ENV } from './worker-env';
import { parseScheduleClock, parseSchedulesEnv } from './schedules-env';

export { WORKER_ENV } from './worker-env';

const DEFAULT_RETENTION_DAYS = 30;

/**
 * Time limits of the worker's SQS, DynamoDB and Scheduler calls. The SDK sets none by default (a
 * call waits on a silent connection for ever), so one hung connection would hold the whole batch
 * until the Lambda timeout, and its messages for the visibility timeout after that. With these the call fails as a TimeoutError, which the SDK's retry strategy retries
 * (3 attempts); a record whose ledger or SQS call still fails stays on the queue for another try.
 * These calls take milliseconds, so the limits are far from a healthy call.
 *
 * Options rather than a handler instance: each client builds the SDK's own NodeHttpHandler from
 * them (the runtime's SDK in Lambda), so the bundle carries no second HTTP handler (+128 KB).
 * `throwOnRequestTimeout`: without it, this handler only logs a warning when requestTimeout passes.
 */
export const WORKER_HTTP_OPTIONS: NodeHttpHandlerOptions = { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true };

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigurationError(`environment variable ${name} is not set; the Gate construct sets it on the worker function`);
  return value;
}

function parseQueues(env: NodeJS.ProcessEnv): Record<string, GateQueueEnv> {
  const raw = required(env, WORKER_ENV.queues);
  try {
    return JSON.parse(raw) as Record<string, GateQueueEnv>;
  } catch {
    throw new ConfigurationError(`${WORKER_ENV.queues} is not JSON: ${raw.slice(0, 80)}`);
  }
}

/** Builds the worker from the environment the `Gate` construct sets; exported for the embedded runtime's checks. */
export function workerFromEnvironment(registry: TaskRegistry, logger: Logger, env: NodeJS.ProcessEnv): Worker {
  const gate = required(env, WORKER_ENV.gate);
  const queues = parseQueues(env);
  const own = queues[gate];
  if (!own) throw new ConfigurationError(`${WORKER_ENV.queues} has no queue for this worker's gate ${gate}`);
  const retentionDays = Number(env[WORKER_ENV.retentionDays] ?? DEFAULT_RETENTION_DAYS);
  let schedulerClient: SchedulerClient | undefined;
  // The regional endpoint, not the queue URL's host: the same in AWS, and it lets AWS_ENDPOINT_URL_SQS
  // point the worker at LocalStack or the embedded server, whose queue URLs name unresolvable hosts.
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false, requestHandler: WORKER_HTTP_OPTIONS });
  return new Worker({
    registry,
    gate,
    queueUrl: own.url,
    deadLetterQueueUrl: required(env, WORKER_ENV.deadLetterQueueUrl),
    sqs,
    ledger: new DynamoLedger(new DynamoDBClient({ requestHandler: WORKER_HTTP_OPTIONS }), required(env, WORKER_ENV.ledgerTable), retentionDays > 0 ? retentionDays : DEFAULT_RETENTION_DAYS),
    triggers: new Triggers({
      registry,
      sqs,
      queues,
      scheduler: async () => (schedulerClient ??= new (await import('@aws-sdk/client-scheduler')).SchedulerClient({ requestHandler: WORKER_HTTP_OPTIONS })),
      onceScheduleRoleArn: env[WORKER_ENV.onceScheduleRoleArn],
      scheduleGroup: env[WORKER_ENV.scheduleGroup],
    }),
    logger,
    metrics: new PowertoolsRunMetrics(),
    schedules: parseSchedulesEnv(env[WORKER_ENV.schedules]),
    scheduleNow: parseScheduleClock(env[WORKER_ENV.scheduleClock]),
  });
}

/**
 * The Lambda entry of a gate worker: a middy handler over {@link Worker}, configured from the
 * environment the `Gate` construct sets.
 *
 * @example
 * // a custom worker entry (the Taskgate construct generates one like it from `taskModule`)
 * import { createHandler } from 'taskgate/worker';
 * import { tasks } from './tasks';
 * export const handler = createHandler(tasks);
 */
export function createHandler(tasks: readonly AnyTask[], env: NodeJS.ProcessEnv = process.env) {
  const registry = new TaskRegistry(tasks);
  const logger = new Logger({ serviceName: 'taskgate' });
  // Built on the first event, so that a module load (a test, a bundle check) needs no environment.
  let worker: Worker | undefined;
  const lambdaHandler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    worker ??= workerFromEnvironment(registry, logger, env);
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? () => context.getRemainingTimeInMillis() : undefined;
    const { response } = await worker.processBatch(event.Records, remaining);
    return response;
  };
  // `tasks` lets the Taskgate construct check at synth that a custom entry serves the sized tasks.
  // No early timeout: middy's would fail the invocation just before Lambda's timeout and keep the
  // environment, so a runaway task (see Worker.awaitRunaways) would resume in its next invocation.
  // Lambda's own timeout recycles the environment, which is what stops it.
  return Object.assign(middy<SQSEvent, SQSBatchResponse>({ timeoutEarlyInMillis: 0 }).handler(lambdaHandler), { tasks: registry.all() as readonly AnyTask[] });
}
