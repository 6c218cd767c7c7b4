import type { SQSClient } from '@aws-sdk/client-sqs';
import { sqsModule } from './sqs-lazy';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { ConfigurationError, TaskgateError } from '../core/errors';
import type { GateQueue, OnceSchedule, QueueEntry, SendPorts } from '../core/send-path';

/** SQS's largest batch. */
const MAX_BATCH = 10;

/** Where one-time schedules go: a Scheduler client, the group that holds them, and the role they send as. */
export interface OnceScheduling {
  readonly scheduler: SchedulerClient;
  readonly group: string;
  readonly roleArn: string;
}

export interface SdkSendPortsOptions {
  readonly sqs: SQSClient;
  /**
   * Called only when a run needs a one-time schedule, so that a worker that never schedules one
   * does not load the Scheduler client at cold start; throws when none is configured.
   * @default - a run that needs a schedule fails with a ConfigurationError
   */
  readonly onceScheduling?: () => OnceScheduling | Promise<OnceScheduling>;
  /**
   * The ARN of a queue whose facts have none (the CLI asks SQS).
   * @default - a queue without an ARN cannot be a schedule's target
   */
  readonly queueArn?: (queueUrl: string) => Promise<string>;
}

/** Some entries of a batch were refused by SQS; `sent` were sent. */
export class SendRefusedError extends TaskgateError {
  override name = 'SendRefusedError';
  constructor(
    message: string,
    readonly sent: number,
  ) {
    super(message);
  }
}

/**
 * The send path's AWS SDK adapter: SendMessage for one entry, SendMessageBatch for more, and
 * CreateSchedule for a one-time schedule in the group, sending as the role.
 *
 * @example
 * await sendTask(request, gateQueue('default', url), new SdkSendPorts({ sqs }));
 */
export class SdkSendPorts implements SendPorts {
  constructor(private readonly options: SdkSendPortsOptions) {}

  async sendMessages(queueUrl: string, entries: readonly QueueEntry[]): Promise<string[]> {
    const { SendMessageBatchCommand, SendMessageCommand } = await sqsModule();
    if (entries.length === 1) {
      const { MessageId } = await this.options.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, ...entries[0]! }));
      return [MessageId ?? ''];
    }
    const ids: string[] = [];
    for (let start = 0; start < entries.length; start += MAX_BATCH) {
      const chunk = entries.slice(start, start + MAX_BATCH);
      const result = await this.options.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((entry, index) => ({ Id: String(index), ...entry })) }));
      const failed = result.Failed ?? [];
      if (failed.length > 0) {
        const sent = ids.length + (result.Successful?.length ?? 0);
        const first = failed[0]!;
        throw new SendRefusedError(`${failed.length} of ${entries.length} messages were refused by the queue (${first.Code}${first.Message ? `: ${first.Message}` : ''}); ${sent} were sent`, sent);
      }
      const byId = new Map((result.Successful ?? []).map((entry) => [entry.Id, entry.MessageId ?? '']));
      ids.push(...chunk.map((_, index) => byId.get(String(index)) ?? ''));
    }
    return ids;
  }

  async createSchedule(schedule: OnceSchedule, queue: GateQueue): Promise<'created' | 'exists'> {
    const once = await this.onceScheduling();
    const arn = queue.arn ?? (await this.options.queueArn?.(queue.url));
    if (!arn) throw new ConfigurationError(`a one-time schedule needs the ARN of gate ${queue.gate}'s queue, and none is known; deploy the stack again so the worker gets every gate's queue`);
    // Loaded here: the worker needs the Scheduler client only for runs it schedules.
    const { ConflictException, CreateScheduleCommand } = await import('@aws-sdk/client-scheduler');
    try {
      await once.scheduler.send(new CreateScheduleCommand({ ...schedule, GroupName: once.group, Target: { ...schedule.Target, Arn: arn, RoleArn: once.roleArn } }));
      return 'created';
    } catch (error) {
      // The name comes from the run id: a schedule of that name is this run, asked for again.
      if (error instanceof ConflictException) return 'exists';
      throw error;
    }
  }

  private async onceScheduling(): Promise<OnceScheduling> {
    if (!this.options.onceScheduling) {
      throw new ConfigurationError('a run delayed on a FIFO gate or more than 15 minutes ahead needs a one-time EventBridge Scheduler schedule, and none is configured here');
    }
    return this.options.onceScheduling();
  }
}
