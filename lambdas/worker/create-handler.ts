import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ConfigurationError } from '../errors';
import { TaskRegistry } from '../registry';
import type { AnyTask } from '../task';
import { Worker } from './worker';

/** Environment variables the `Gate` construct sets on its worker function. */
export const WORKER_ENV = {
  gate: 'TASKGATE_GATE',
  deadLetterQueueUrl: 'TASKGATE_DLQ_URL',
  /** The run ledger's table name. */
  ledgerTable: 'TASKGATE_LEDGER_TABLE',
  /** Days a run record is kept before its TTL deletes it. */
  retentionDays: 'TASKGATE_RETENTION_DAYS',
  /** JSON `{ "<gate>": { "url": "...", "arn": "..." } }` of every gate's task queue, for chain() and scheduleOnce(). */
  queues: 'TASKGATE_QUEUES',
  /** The role EventBridge Scheduler assumes to send a one-time schedule's message. */
  onceScheduleRoleArn: 'TASKGATE_ONCE_ROLE_ARN',
  /** The Scheduler schedule group that holds one-time schedules. */
  scheduleGroup: 'TASKGATE_SCHEDULE_GROUP',
} as const;

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigurationError(`environment variable ${name} is not set; the Gate construct sets it on the worker function`);
  return value;
}

/**
 * The Lambda entry of a gate worker: a middy handler over {@link Worker}, configured from the
 * environment the `Gate` construct sets.
 *
 * @example
 * // lambdas/worker/handler.ts
 * export const handler = createHandler(tasks);
 */
export function createHandler(tasks: readonly AnyTask[], env: NodeJS.ProcessEnv = process.env) {
  const registry = new TaskRegistry(tasks);
  const logger = new Logger({ serviceName: 'taskgate' });
  // Built on the first event, so that a module load (a test, a bundle check) needs no environment.
  let worker: Worker | undefined;
  const lambdaHandler = async (event: SQSEvent, _context: Context): Promise<SQSBatchResponse> => {
    worker ??= new Worker({
      registry,
      gate: required(env, WORKER_ENV.gate),
      deadLetterQueueUrl: required(env, WORKER_ENV.deadLetterQueueUrl),
      sqs: new SQSClient({}),
      logger,
    });
    const { response } = await worker.processBatch(event.Records);
    return response;
  };
  return middy<SQSEvent, SQSBatchResponse>().handler(lambdaHandler);
}
