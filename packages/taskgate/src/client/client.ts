import { randomUUID } from 'node:crypto';
import { SQSClient, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { ConfigurationError } from '../core/errors';
import { TaskRegistry } from '../core/registry';
import { gateQueue, sendTask, type SendResult } from '../core/send-path';
import type { AnyTask, TaskInput } from '../core/task';
import { SdkSendPorts } from '../worker/send-adapter';
import type { ClientConfig, ClientConfigSource } from './client-config';

/** When and as which run a task is requested. */
export interface SendOptions {
  /**
   * The run id: the worker runs a task once per id, so a retried send with the same id does not
   * run it twice (the client sends the message; the worker records the duplicate and skips it).
   * @default - a random UUID
   */
  readonly id?: string;
  /** Due this many seconds from now: up to 900 an SQS delay, beyond a one-time Scheduler schedule. */
  readonly delaySeconds?: number;
  /** Due at this time (instead of `delaySeconds`). */
  readonly at?: Date;
}

/** What a send did: the run id to look the run up by (`GET /runs/{task}/{runId}`, `taskgate history`). */
export interface SendReceipt {
  readonly runId: string;
  readonly via: SendResult['via'];
  readonly messageId?: string;
  readonly scheduleName?: string;
}

/** The payload argument: optional for a task whose payload may be `{}`. */
type PayloadArgs<T extends AnyTask> = {} extends TaskInput<T> ? [payload?: TaskInput<T>, options?: SendOptions] : [payload: TaskInput<T>, options?: SendOptions];

/** The task of name `N`; a task whose name is only known as `string` (made by a factory) may be any of them. */
type TaskNamed<T extends AnyTask, N extends string> = T extends unknown ? (N extends T['name'] ? T : never) : never;

/** Sends typed task messages from the team's own code. */
export interface TaskClient<T extends AnyTask> {
  /**
   * Requests one run of `task`. The payload's type comes from the task's schema; its value is
   * checked against the schema before anything is sent.
   *
   * @throws PermanentError (reason invalid-payload or unknown-task) before sending anything.
   */
  send<N extends T['name']>(task: N, ...args: PayloadArgs<TaskNamed<T, N>>): Promise<SendReceipt>;
  /** Closes the SDK clients. */
  close(): void;
}

/**
 * A typed client over the app's task list (the list `lambdas/tasks/index.ts` exports): messages go
 * through the one send path, as the CLI's and a task's `chain()` do.
 *
 * @example
 * import { createClient, clientConfig } from 'taskgate/client';
 * import { tasks } from '../lambdas/tasks';
 * const client = createClient(tasks, clientConfig.fromEnvironment());
 * const { runId } = await client.send('send-delivery-reminders', { market: 'de' }, { id: `reminders-${orderId}` });
 */
export function createClient<const Tasks extends readonly AnyTask[]>(tasks: Tasks, source: ClientConfigSource): TaskClient<Tasks[number]> {
  const registry = new TaskRegistry<AnyTask>(tasks);
  let ready: Promise<{ config: ClientConfig; sqs: SQSClient; ports: SdkSendPorts }> | undefined;
  let scheduler: SchedulerClient | undefined;
  const connect = async () => {
    const config = typeof source === 'function' ? await source(registry.gates()) : source;
    const common = { region: config.region, credentials: config.credentials };
    // The regional endpoint, not the queue URL's host: the same in AWS, and it reaches the embedded server.
    const sqs = new SQSClient({ ...common, endpoint: config.sqsEndpoint, useQueueUrlAsEndpoint: false });
    const ports = new SdkSendPorts({
      sqs,
      queueArn: async (url) => (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '',
      onceScheduling: async () => {
        if (!config.onceScheduleRoleArn || !config.scheduleGroup) {
          throw new ConfigurationError('a run more than 15 minutes ahead (or delayed on a FIFO gate) needs a one-time schedule, and this client has no schedule role and group in its config');
        }
        scheduler ??= new (await import('@aws-sdk/client-scheduler')).SchedulerClient({ ...common, endpoint: config.schedulerEndpoint });
        return { scheduler, group: config.scheduleGroup, roleArn: config.onceScheduleRoleArn };
      },
    });
    return { config, sqs, ports };
  };
  return {
    async send(name, ...[payload = {}, options = {}]) {
      const task = registry.get(name);
      // Before anything loads or sends: a payload the worker would refuse never leaves.
      registry.parsePayload(task, payload);
      ready ??= connect();
      const { config, ports } = await ready;
      const queue = config.queues[task.gate];
      if (!queue) throw new ConfigurationError(`the client's config has no queue for gate ${task.gate} (task ${task.name}); it has ${Object.keys(config.queues).join(', ') || 'none'}`);
      const result = await sendTask(
        { task: task.name, payload: payload as object, id: options.id ?? randomUUID(), source: 'api', at: options.at, delaySeconds: options.delaySeconds },
        gateQueue(task.gate, queue.url, queue.arn),
        ports,
      );
      return { runId: result.id, via: result.via, messageId: result.messageId, scheduleName: result.scheduleName };
    },
    close() {
      void ready?.then(({ sqs }) => sqs.destroy());
      scheduler?.destroy();
    },
  };
}
