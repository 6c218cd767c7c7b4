import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Route } from '../api/http';
import { DynamoIdempotencyStore } from '../api/idempotency';
import { createRouter, type ApiRouter } from '../api/router';
import { TaskCatalog } from '../api/task-catalog';
import { taskRoutes } from '../api/task-routes';
import { gateQueue } from '../core/send-path';
import { DynamoLedger } from '../worker/ledger/dynamo-ledger';
import { SdkSendPorts } from '../worker/send-adapter';
import { LOCAL_CREDENTIALS } from './embedded-gates';
import type { LocalTaskgate } from './local-config';
import type { GateRuntime, RuntimeOutput } from './runtime-types';
import type { AppTaskgate } from './taskgates';

export interface RuntimeApiOptions {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly region: string;
  /** The control server's URL: it serves EventBridge Scheduler's API, for requests beyond SQS's 15 minutes. */
  readonly schedulerEndpoint: string;
  /** The app's first Taskgate, as the template and local.json describe it. */
  readonly taskgate: AppTaskgate;
  readonly local: LocalTaskgate;
  readonly gates: readonly GateRuntime[];
  readonly out: RuntimeOutput;
  /** More route modules beside the task routes (schedules at run time, say). */
  readonly extraRoutes?: readonly Route[];
}

/**
 * The request API on the embedded runtime's control URL: the same routes as the API's Lambda
 * function, over the embedded SQS and DynamoDB servers, for the app's first Taskgate. Without IAM:
 * the control server admits only local requests with JSON bodies (see `ui/guard.ts`).
 */
export function runtimeApi(options: RuntimeApiOptions): { router: ApiRouter; close(): void } {
  const { local, taskgate } = options;
  const queues = new Map(
    options.gates.filter((gate) => gate.taskgate === taskgate.key).map((gate) => [gate.gate, gateQueue(gate.gate, gate.queue.url, gate.queue.arn)]),
  );
  let scheduler: SchedulerClient | undefined;
  const ports = new SdkSendPorts({
    sqs: options.sqs,
    onceScheduling: () => {
      if (!local.scheduleGroup || !local.onceScheduleRoleArn) throw new Error('this app has no Scheduler group for one-time schedules; request a run at most 15 minutes ahead');
      scheduler ??= new SchedulerClient({ endpoint: options.schedulerEndpoint, region: options.region, credentials: LOCAL_CREDENTIALS });
      return { scheduler, group: local.scheduleGroup, roleArn: local.onceScheduleRoleArn };
    },
  });
  const routes = taskRoutes({
    catalog: new TaskCatalog(taskgate.model.tasks),
    queue: (gate) => queues.get(gate),
    ports,
    idempotency: new DynamoIdempotencyStore(options.dynamodb, local.ledgerTable),
    runs: new DynamoLedger(options.dynamodb, local.ledgerTable, 1),
  });
  const router = createRouter([...routes, ...(options.extraRoutes ?? [])], {
    onError: (error, request) => options.out.line(`error: ${request.method} ${request.path}: ${(error as Error).message}`),
  });
  return { router, close: () => scheduler?.destroy() };
}
