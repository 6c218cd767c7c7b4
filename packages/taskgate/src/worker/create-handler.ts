import middy from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ConfigurationError } from '../core/errors';
import { gateQueuesFromEnvironment } from '../core/gate-queues';
import { DynamoLedger } from './ledger/dynamo-ledger';
import { TaskRegistry } from '../core/registry';
import type { AnyTask } from '../core/task';
import { PowertoolsRunMetrics } from './run-metrics';
import { RunLog } from './run-log';
import { lazySqsClient } from './sqs-lazy';
import { rateGateFromEnvironment } from './rate/rate-from-environment';
import { Triggers, type GateQueueEnv } from './triggers';
import { Worker } from './worker';
import { WORKER_HTTP_OPTIONS } from './http-options';
import { WORKER_ENV } from './worker-env';
import { installLazySourceMaps } from './lazy-source-maps';
import { lazySchedulesEnv, parseScheduleClock } from './schedules-env';

export { WORKER_ENV } from './worker-env';

const DEFAULT_RETENTION_DAYS = 30;

export { WORKER_HTTP_OPTIONS } from './http-options';

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigurationError(`environment variable ${name} is not set; the Gate construct sets it on the worker function`);
  return value;
}

/**
 * Every gate's task queue, derived from the queue name prefix and bases the Taskgate sets: the
 * registry holds every task of the app, so its gates are every gate a run may chain to.
 */
function gateQueues(registry: TaskRegistry, env: NodeJS.ProcessEnv): Record<string, GateQueueEnv> {
  return gateQueuesFromEnvironment(registry.gates(), env, 'the Gate construct');
}

/** Builds the worker from the environment the `Gate` construct sets; exported for the embedded runtime's checks. */
export function workerFromEnvironment(registry: TaskRegistry, logger: Logger, env: NodeJS.ProcessEnv): Worker {
  const gate = required(env, WORKER_ENV.gate);
  const queues = gateQueues(registry, env);
  const own = queues[gate];
  if (!own) throw new ConfigurationError(`this worker's gate ${gate} runs none of its tasks; the Gate construct sizes each gate for its tasks, so deploy the stack again`);
  const retentionDays = Number(env[WORKER_ENV.retentionDays] ?? DEFAULT_RETENTION_DAYS);
  let schedulerClient: SchedulerClient | undefined;
  // The regional endpoint, not the queue URL's host: the same in AWS, and it lets AWS_ENDPOINT_URL_SQS
  // point the worker at LocalStack or the embedded server, whose queue URLs name unresolvable hosts.
  const sqs = lazySqsClient({ useQueueUrlAsEndpoint: false, requestHandler: WORKER_HTTP_OPTIONS });
  const dynamodb = new DynamoDBClient({ requestHandler: WORKER_HTTP_OPTIONS });
  const ledgerTable = required(env, WORKER_ENV.ledgerTable);
  return new Worker({
    registry,
    gate,
    queueUrl: own.url,
    deadLetterQueueUrl: required(env, WORKER_ENV.deadLetterQueueUrl),
    sqs,
    ledger: new DynamoLedger(dynamodb, ledgerTable, retentionDays > 0 ? retentionDays : DEFAULT_RETENTION_DAYS),
    rate: rateGateFromEnvironment(env, { gate, queueUrl: own.url, ledgerTable, sqs, dynamodb, logger }),
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
    schedules: lazySchedulesEnv(env[WORKER_ENV.schedules]),
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
  // In a function (Lambda, LocalStack, the embedded runtime), not in a test or a synth that imports this.
  if (env.AWS_LAMBDA_FUNCTION_NAME) installLazySourceMaps();
  const registry = new TaskRegistry(tasks);
  const logger = new RunLog({ serviceName: 'taskgate' });
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
