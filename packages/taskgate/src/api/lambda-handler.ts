import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ConfigurationError } from '../core/errors';
import { gateQueue, type GateQueue } from '../core/send-path';
import type { TaskMetadata } from '../core/task-metadata';
import { WORKER_HTTP_OPTIONS } from '../worker/http-options';
import { installLazySourceMaps } from '../worker/lazy-source-maps';
import { DynamoLedger } from '../worker/ledger/dynamo-ledger';
import { SdkSendPorts } from '../worker/send-adapter';
import { gateQueuesFromEnvironment } from '../core/gate-queues';
import { WORKER_ENV } from '../worker/worker-env';
import type { ApiRequest, ApiResponse, Route } from './http';
import { DynamoIdempotencyStore } from './idempotency';
import { createRouter, type ApiRouter } from './router';
import { TaskCatalog } from './task-catalog';
import { taskRoutes, type TaskRouteDeps } from './task-routes';

export interface ApiHandlerOptions {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** More route modules beside the task routes, built from the same clients and environment (`scheduleRoutesFromEnv`). */
  readonly routes?: (deps: TaskRouteDeps, env: NodeJS.ProcessEnv) => readonly Route[];
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigurationError(`environment variable ${name} is not set; the Taskgate construct's api option sets it on the API function`);
  return value;
}

/** The task routes' ports from the environment the construct sets: the gates' queues, the ledger, one-time scheduling. */
export function apiDepsFromEnvironment(tasks: readonly TaskMetadata[], env: NodeJS.ProcessEnv): TaskRouteDeps {
  const queues = gateQueuesFromEnvironment(new Set(tasks.map((task) => task.gate)), env, "the Taskgate construct's api option");
  const table = required(env, WORKER_ENV.ledgerTable);
  const dynamodb = new DynamoDBClient({ requestHandler: WORKER_HTTP_OPTIONS });
  let scheduler: SchedulerClient | undefined;
  const byGate = new Map<string, GateQueue>(Object.entries(queues).map(([gate, queue]) => [gate, gateQueue(gate, queue.url, queue.arn)]));
  return {
    catalog: new TaskCatalog(tasks),
    queue: (gate) => byGate.get(gate),
    ports: new SdkSendPorts({
      // The regional endpoint, not the queue URL's host, as the worker's client.
      sqs: new SQSClient({ useQueueUrlAsEndpoint: false, requestHandler: WORKER_HTTP_OPTIONS }),
      onceScheduling: async () => {
        scheduler ??= new (await import('@aws-sdk/client-scheduler')).SchedulerClient({ requestHandler: WORKER_HTTP_OPTIONS });
        return { scheduler, group: required(env, WORKER_ENV.scheduleGroup), roleArn: required(env, WORKER_ENV.onceScheduleRoleArn) };
      },
    }),
    idempotency: new DynamoIdempotencyStore(dynamodb, table),
    runs: new DynamoLedger(dynamodb, table, 1),
  };
}

/**
 * An API Gateway HTTP API event (payload format 2.0) as the router takes it. The path is the one
 * the route sees: a named stage's prefix is taken off (the `$default` stage has none), and
 * `?rawQueryString` added when there is one.
 */
export function apiRequestOf(event: APIGatewayProxyEventV2): ApiRequest {
  const { stage, http } = event.requestContext;
  const prefix = stage && stage !== '$default' ? `/${stage}` : '';
  const rawPath = prefix && event.rawPath.startsWith(`${prefix}/`) ? event.rawPath.slice(prefix.length) : event.rawPath;
  // The query string stays on the path, where the routes that take one read it (`GET /schedules?prefix=`).
  const path = event.rawQueryString ? `${rawPath}?${event.rawQueryString}` : rawPath;
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const body = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return { method: http.method, path, headers, body };
}

function resultOf(answer: ApiResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: answer.status, headers: { ...answer.headers, 'content-type': 'application/json' }, body: JSON.stringify(answer.body) };
}

/**
 * The request API's Lambda entry behind API Gateway's HTTP API. The construct generates an entry
 * that calls it with the app's task metadata (names, gates, payload JSON Schemas), so the function
 * carries no task code.
 *
 * @example
 * export const handler = createApiHandler(tasks, { routes: (_deps, env) => scheduleRoutesFromEnv(tasks, env) });
 */
export function createApiHandler(tasks: readonly TaskMetadata[], options: ApiHandlerOptions = {}) {
  const logger = new Logger({ serviceName: 'taskgate-api' });
  // As the worker: stack traces name source lines, with the map read when a stack is first formatted, not at every cold start.
  if ((options.env ?? process.env).AWS_LAMBDA_FUNCTION_NAME) installLazySourceMaps();
  // Built on the first event, so that loading the module (a test, a bundle check) needs no environment.
  let router: ApiRouter | undefined;
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    if (!router) {
      const env = options.env ?? process.env;
      const deps = apiDepsFromEnvironment(tasks, env);
      router = createRouter([...taskRoutes(deps), ...(options.routes?.(deps, env) ?? [])], {
        // The method and path only: a body may carry what does not belong in logs.
        onError: (error, request) => logger.error('request failed', { method: request.method, path: request.path, error: error as Error }),
      });
    }
    return resultOf(await router.handle(apiRequestOf(event)));
  };
}
