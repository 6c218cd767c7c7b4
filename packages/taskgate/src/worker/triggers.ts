import { createHash } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { TaskMessage, TaskSource } from '../core/envelope';
import { ConfigurationError } from '../core/errors';
import type { TaskRegistry } from '../core/registry';

/** SQS's longest delivery delay; later runs go through a one-time Scheduler schedule. */
export const MAX_DELAY_SECONDS = 900;

export interface GateQueue {
  readonly url: string;
  readonly arn?: string;
}

export interface TriggersOptions {
  readonly registry: TaskRegistry;
  readonly sqs: SQSClient;
  /** Every gate's task queue, by gate name (TASKGATE_QUEUES). */
  readonly queues: Readonly<Record<string, GateQueue>>;
  /**
   * Needed only for runs more than 15 minutes ahead; a factory, so that a worker that never
   * schedules once does not load the Scheduler client at cold start.
   */
  readonly scheduler?: () => Promise<SchedulerClient>;
  readonly onceScheduleRoleArn?: string;
  readonly scheduleGroup?: string;
  readonly now?: () => number;
}

export interface TriggerRequest {
  readonly task: string;
  readonly payload?: object;
  readonly id: string;
  readonly source: TaskSource;
  /** When the run is due; now when absent. */
  readonly at?: Date;
}

/**
 * Puts task messages on gate queues from inside a run: `chain()` and `scheduleOnce()`. The payload is
 * checked against the target task's schema before anything is sent, so a bad chain fails the run
 * that made it, not a run later.
 */
export class Triggers {
  private readonly now: () => number;

  constructor(private readonly options: TriggersOptions) {
    this.now = options.now ?? Date.now;
  }

  async send(request: TriggerRequest): Promise<void> {
    const task = this.options.registry.get(request.task);
    this.options.registry.parsePayload(task, request.payload ?? {});
    const queue = this.options.queues[task.gate];
    if (!queue) {
      throw new ConfigurationError(`no queue is known for gate ${task.gate} (TASKGATE_QUEUES); deploy the stack again so the worker gets every gate's queue`);
    }
    const due = request.at ?? new Date(this.now());
    const message: TaskMessage = { task: task.name, payload: request.payload ?? {}, id: request.id, scheduledAt: due.toISOString(), source: request.source };
    const delaySeconds = Math.max(0, Math.ceil((due.getTime() - this.now()) / 1000));
    const fifo = queue.url.endsWith('.fifo');
    if (delaySeconds <= MAX_DELAY_SECONDS && !(fifo && delaySeconds > 0)) {
      await this.options.sqs.send(
        new SendMessageCommand({
          QueueUrl: queue.url,
          MessageBody: JSON.stringify(message),
          DelaySeconds: fifo ? undefined : delaySeconds,
          ...(fifo ? { MessageGroupId: task.gate, MessageDeduplicationId: dedupeId(request.id) } : {}),
        }),
      );
      return;
    }
    await this.scheduleOnce(message, queue, fifo ? task.gate : undefined, due);
  }

  private async scheduleOnce(message: TaskMessage, queue: GateQueue, groupId: string | undefined, due: Date): Promise<void> {
    const { scheduler, onceScheduleRoleArn, scheduleGroup } = this.options;
    if (!scheduler || !onceScheduleRoleArn || !scheduleGroup || !queue.arn) {
      throw new ConfigurationError(
        `a run ${groupId ? 'delayed on a FIFO gate' : 'more than 15 minutes ahead'} needs a one-time EventBridge Scheduler schedule, and this worker has no schedule role/group (TASKGATE_ONCE_ROLE_ARN, TASKGATE_SCHEDULE_GROUP)`,
      );
    }
    const { CreateScheduleCommand } = await import('@aws-sdk/client-scheduler');
    await (await scheduler()).send(
      new CreateScheduleCommand({
        Name: `taskgate-${dedupeId(`${message.task}#${message.id}`).slice(0, 40)}`,
        GroupName: scheduleGroup,
        ScheduleExpression: `at(${due.toISOString().slice(0, 19)})`,
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: {
          Arn: queue.arn,
          RoleArn: onceScheduleRoleArn,
          Input: JSON.stringify(message),
          ...(groupId ? { SqsParameters: { MessageGroupId: groupId } } : {}),
        },
      }),
    );
  }
}

/** A stable id derived from another: the same run chaining twice (a retry) sends the same id. */
export function derivedId(runId: string, suffix: string): string {
  return `${suffix}-${dedupeId(`${runId}#${suffix}`).slice(0, 32)}`;
}

function dedupeId(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
