import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { ConfigurationError } from '../core/errors';
import type { TaskRegistry } from '../core/registry';
import { dedupeId, gateQueue, sendTask, type SendRequest } from '../core/send-path';
import { SdkSendPorts } from './send-adapter';
import { WORKER_ENV } from './worker-env';

/** A gate's task queue, as the worker derives it from its environment (core/queue-address.ts). */
export interface GateQueueEnv {
  readonly url: string;
  readonly arn?: string;
}

export interface TriggersOptions {
  readonly registry: TaskRegistry;
  readonly sqs: SQSClient;
  /** Every gate's task queue, by gate name. */
  readonly queues: Readonly<Record<string, GateQueueEnv>>;
  /**
   * Needed only for runs more than 15 minutes ahead (or delayed on a FIFO gate); a factory, so
   * that a worker that never schedules once does not load the Scheduler client at cold start.
   */
  readonly scheduler?: () => Promise<SchedulerClient>;
  readonly onceScheduleRoleArn?: string;
  readonly scheduleGroup?: string;
  readonly now?: () => number;
}

/** A run requested from inside a run: the send path's request, due now, at `at` or after `delaySeconds`. */
export type TriggerRequest = Omit<SendRequest, 'scheduledAt' | 'preferSchedule'>;

/**
 * Puts task messages on gate queues from inside a run: `chain()` and `scheduleOnce()`, through the
 * one send path. The payload is checked against the target task's schema before anything is sent,
 * so a bad chain fails the run that made it, not a run later.
 */
export class Triggers {
  private readonly now: () => number;
  private readonly ports: SdkSendPorts;

  constructor(private readonly options: TriggersOptions) {
    this.now = options.now ?? Date.now;
    const { scheduler, onceScheduleRoleArn, scheduleGroup } = options;
    this.ports = new SdkSendPorts({
      sqs: options.sqs,
      onceScheduling: async () => {
        if (!scheduler || !onceScheduleRoleArn || !scheduleGroup) {
          throw new ConfigurationError(
            `a run delayed on a FIFO gate or more than 15 minutes ahead needs a one-time EventBridge Scheduler schedule, and this worker has no schedule role/group (${WORKER_ENV.onceScheduleRoleArn}, ${WORKER_ENV.scheduleGroup})`,
          );
        }
        return { scheduler: await scheduler(), group: scheduleGroup, roleArn: onceScheduleRoleArn };
      },
    });
  }

  async send(request: TriggerRequest): Promise<void> {
    const task = this.options.registry.get(request.task);
    this.options.registry.parsePayload(task, request.payload ?? {});
    const queue = this.options.queues[task.gate];
    if (!queue) {
      throw new ConfigurationError(`no queue is known for gate ${task.gate} (${WORKER_ENV.queueNamePrefix}); deploy the stack again so the worker gets every gate's queue`);
    }
    await sendTask({ ...request, task: task.name }, gateQueue(task.gate, queue.url, queue.arn), this.ports, new Date(this.now()));
  }
}

/** A stable id derived from another: the same run chaining twice (a retry) sends the same id. */
export function derivedId(runId: string, suffix: string): string {
  return `${suffix}-${dedupeId(`${runId}#${suffix}`).slice(0, 32)}`;
}
