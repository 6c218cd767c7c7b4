import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import * as z from 'zod/mini';
import { defineTask } from '../../src/core/task';
import { taskMetadata } from '../../src/core/task-metadata';
import { DYNAMIC_SCHEDULES_ENV } from '../../src/client/dynamic-schedules-env';
import { WORKER_ENV } from '../../src/worker/worker-env';

/** The request API handler's test app: two tasks on two gates, and the environment the construct sets. */
const reminders = defineTask({
  name: 'send-reminders',
  gate: 'email-api',
  payload: z.object({ market: z.enum(['de', 'at']), daysAhead: z._default(z.int().check(z.minimum(1)), 1) }),
  run: () => undefined,
});
const sweep = defineTask({ name: 'sweep', run: () => undefined });
export const TASKS = [reminders, sweep].map(taskMetadata);
export const QUEUES = {
  'email-api': { url: 'https://sqs.eu-west-1.amazonaws.com/111122223333/App-email-api', arn: 'arn:aws:sqs:eu-west-1:111122223333:App-email-api' },
  default: { url: 'https://sqs.eu-west-1.amazonaws.com/111122223333/App-default', arn: 'arn:aws:sqs:eu-west-1:111122223333:App-default' },
};
export const API_ENV = {
  [WORKER_ENV.queueNamePrefix]: 'App-',
  [WORKER_ENV.fifoGates]: '',
  [WORKER_ENV.queueUrlBase]: 'https://sqs.eu-west-1.amazonaws.com/111122223333/',
  [WORKER_ENV.queueArnBase]: 'arn:aws:sqs:eu-west-1:111122223333:',
  [WORKER_ENV.ledgerTable]: 'App-Ledger',
  [WORKER_ENV.onceScheduleRoleArn]: 'arn:aws:iam::111122223333:role/taskgate/App-Once',
  [WORKER_ENV.scheduleGroup]: 'App-schedules',
  [DYNAMIC_SCHEDULES_ENV.group]: 'App-dynamic',
  [DYNAMIC_SCHEDULES_ENV.roleArn]: 'arn:aws:iam::111122223333:role/taskgate/App-Dynamic',
  AWS_REGION: 'eu-west-1',
};

/** The route key API Gateway matched for a path. */
function routeKeyOf(path: string): string {
  if (path.startsWith('/tasks/')) return '/tasks/{name}';
  if (path.startsWith('/runs/')) return '/runs/{task}/{runId}';
  return path.startsWith('/schedules/') ? '/schedules/{name}' : '/schedules';
}

/** An HTTP API (payload format 2.0) event as API Gateway sends it for an IAM-authorized route; a `?query` on `path` becomes `rawQueryString`. */
export function httpApiEvent(method: string, pathAndQuery: string, options: { body?: string; headers?: Record<string, string>; stage?: string; base64?: boolean } = {}): APIGatewayProxyEventV2 {
  const stage = options.stage ?? '$default';
  const [path = '', query = ''] = pathAndQuery.split('?', 2);
  const rawPath = stage === '$default' ? path : `/${stage}${path}`;
  return {
    version: '2.0',
    routeKey: `${method} ${routeKeyOf(path)}`,
    rawPath,
    rawQueryString: query,
    headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'content-type': 'application/json', ...options.headers },
    requestContext: {
      accountId: '111122223333',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'awscurl' },
      requestId: 'req-1',
      routeKey: `${method} ${path}`,
      stage,
      time: '02/Dec/2026:10:00:00 +0000',
      timeEpoch: 1_796_205_600_000,
    },
    ...(options.body === undefined ? {} : { body: options.base64 ? Buffer.from(options.body).toString('base64') : options.body }),
    isBase64Encoded: Boolean(options.base64),
  };
}

export const apiMocks = { sqs: mockClient(SQSClient), dynamo: mockClient(DynamoDBDocumentClient), scheduler: mockClient(SchedulerClient) };

