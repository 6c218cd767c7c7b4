import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Route } from '../api/http';
import { DynamoIdempotencyStore } from '../api/idempotency';
import { createRouter, type ApiRouter } from '../api/router';
import { scheduleRoutes } from '../api/schedule-routes';
import { TaskCatalog } from '../api/task-catalog';
import { taskRoutes } from '../api/task-routes';
import type { DynamicSchedulesConfig } from '../client/schedules';
import { DynamicScheduleError } from '../core/dynamic-schedule-error';
import { tasksFromMetadata } from '../core/metadata-tasks';
import { TaskRegistry } from '../core/registry';
import { gateQueue } from '../core/send-path';
import { DynamoLedger } from '../worker/ledger/dynamo-ledger';
import { SdkSendPorts } from '../worker/send-adapter';
import { LOCAL_CREDENTIALS } from './embedded-gates';
import { LOCAL_DYNAMIC_ROLE_ARN, type LocalTaskgate } from './local-config';
import type { GateRuntime, RuntimeOutput } from './runtime-types';
import type { AppTaskgate } from './taskgates';

export interface RuntimeApiOptions {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly region: string;
  /** The control server's URL: it serves EventBridge Scheduler's API, for requests beyond SQS's 15 minutes and the schedule routes. */
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
 * function (tasks, runs, and schedules created at run time, over the runtime's own Scheduler API),
 * over the embedded SQS and DynamoDB servers, for the app's first Taskgate. Without IAM: the
 * control server admits only local requests with JSON bodies (see `ui/guard.ts`).
 */
export function runtimeApi(options: RuntimeApiOptions): { router: ApiRouter; close(): Promise<void> } {
  const { local, taskgate } = options;
  const mine = options.gates.filter((gate) => gate.taskgate === taskgate.key);
  const queues = new Map(mine.map((gate) => [gate.gate, gateQueue(gate.gate, gate.queue.url, gate.queue.arn)]));
  let scheduler: SchedulerClient | undefined;
  // Signed as the SDK signs (scope `scheduler`), so that the control server hands its calls to the Scheduler API, not back to these routes.
  const schedulerClient = () => (scheduler ??= new SchedulerClient({ endpoint: options.schedulerEndpoint, region: options.region, credentials: LOCAL_CREDENTIALS }));
  const ports = new SdkSendPorts({
    sqs: options.sqs,
    onceScheduling: () => {
      if (!local.scheduleGroup || !local.onceScheduleRoleArn) throw new Error('this app has no Scheduler group for one-time schedules; request a run at most 15 minutes ahead');
      return { scheduler: schedulerClient(), group: local.scheduleGroup, roleArn: local.onceScheduleRoleArn };
    },
  });
  let registry: TaskRegistry | undefined;
  const scheduleConfig = (): DynamicSchedulesConfig => {
    const group = local.dynamicScheduleGroup;
    if (!group) throw new DynamicScheduleError('invalid', 'this app has no group for schedules created at run time; synthesize it with this version of taskgate and restart taskgate dev');
    registry ??= new TaskRegistry(tasksFromMetadata(taskgate.model.tasks));
    return {
      scheduler: schedulerClient(),
      group,
      roleArn: LOCAL_DYNAMIC_ROLE_ARN,
      queues: Object.fromEntries(mine.map((gate) => [gate.gate, { url: gate.queue.url, arn: gate.queue.arn }])),
      registry,
      // The stack's own schedules keep their names, so that `taskgate pause NAME` names one schedule.
      reservedNames: [...taskgate.model.rules, ...taskgate.model.schedules].map((trigger) => trigger.name),
    };
  };
  // Marks of idempotency keys still being written after their answers; the runtime's stop waits for them.
  const marks = new Set<Promise<void>>();
  const afterAnswer = (mark: Promise<void>) => {
    const settled = mark
      .catch((error: unknown) => options.out.line(`error: marking an idempotency key sent: ${(error as Error).message}; a repeat of its request after 60 s sends the run again (the worker runs it once)`))
      .finally(() => marks.delete(settled));
    marks.add(settled);
  };
  const routes = taskRoutes({
    catalog: new TaskCatalog(taskgate.model.tasks),
    queue: (gate) => queues.get(gate),
    ports,
    idempotency: new DynamoIdempotencyStore(options.dynamodb, local.ledgerTable),
    runs: new DynamoLedger(options.dynamodb, local.ledgerTable, 1),
    afterAnswer,
  });
  const router = createRouter([...routes, ...scheduleRoutes(scheduleConfig), ...(options.extraRoutes ?? [])], {
    onError: (error, request) => options.out.line(`error: ${request.method} ${request.path}: ${(error as Error).message}`),
  });
  return {
    router,
    close: async () => {
      await Promise.all(marks);
      scheduler?.destroy();
    },
  };
}
