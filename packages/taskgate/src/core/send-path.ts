import { createHash } from 'node:crypto';
import type { TaskSource } from './envelope';
import { taskMessageBody } from './task-message';

/** SQS's longest delivery delay; a run further ahead goes through a one-time Scheduler schedule. */
export const MAX_DELAY_SECONDS = 900;
/** Scheduler's limit on a schedule's name (of 0-9, a-z, A-Z, '-', '_', '.'). */
export const MAX_SCHEDULE_NAME_LENGTH = 64;
/** Scheduler's limit on a schedule's description. */
const MAX_DESCRIPTION_LENGTH = 512;

/** What the send path needs to know of a gate's task queue. */
export interface GateQueue {
  /** The gate's name: a FIFO gate's message group. */
  readonly gate: string;
  readonly url: string;
  /** The queue's ARN, a one-time schedule's target; an adapter may look it up when absent. */
  readonly arn?: string;
  readonly fifo: boolean;
}

/** Whether a queue URL names a FIFO queue: SQS requires the `.fifo` suffix on their names. */
export function isFifoQueueUrl(url: string): boolean {
  return url.endsWith('.fifo');
}

/** A gate's queue facts from its name and URL. */
export function gateQueue(gate: string, url: string, arn?: string): GateQueue {
  return { gate, url, ...(arn ? { arn } : {}), fifo: isFifoQueueUrl(url) };
}

/**
 * The FIFO group rule: a FIFO gate (concurrency 1) sends every message in one group named after
 * the gate, so one batch is in flight at a time; a standard queue takes no group.
 */
export function messageGroupId(gate: string, fifo: boolean): string | undefined {
  return fifo ? gate : undefined;
}

/** A FIFO dedupe id from any key: SQS allows 128 characters of a limited alphabet, a SHA-256 in hex fits. */
export function dedupeId(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** One SQS message as SendMessage takes it, without the queue: AWS's field names, so an adapter passes it through. */
export interface QueueEntry {
  readonly MessageBody: string;
  readonly DelaySeconds?: number;
  readonly MessageGroupId?: string;
  readonly MessageDeduplicationId?: string;
  /** Numeric message attributes (the rate gate's carried attempts). */
  readonly MessageAttributes?: Readonly<Record<string, { readonly DataType: 'Number'; readonly StringValue: string }>>;
}

/**
 * The SQS entry of a body: the group when one is given, a dedupe id hashed from `dedupeKey`, and a
 * delay only above 0 (FIFO queues take no per-message delay; the send plan never asks for one there).
 */
export function queueEntry(
  body: string,
  delivery: { readonly groupId?: string; readonly dedupeKey?: string; readonly delaySeconds?: number; readonly attributes?: Readonly<Record<string, string>> } = {},
): QueueEntry {
  return {
    MessageBody: body,
    ...(delivery.delaySeconds ? { DelaySeconds: delivery.delaySeconds } : {}),
    ...(delivery.attributes
      ? { MessageAttributes: Object.fromEntries(Object.entries(delivery.attributes).map(([name, value]) => [name, { DataType: 'Number' as const, StringValue: value }])) }
      : {}),
    ...(delivery.groupId !== undefined ? { MessageGroupId: delivery.groupId } : {}),
    ...(delivery.dedupeKey !== undefined ? { MessageDeduplicationId: dedupeId(delivery.dedupeKey) } : {}),
  };
}

/**
 * A one-time schedule as CreateSchedule takes it, AWS's field names, without what the adapter
 * knows: the group, the target queue's ARN and the role.
 */
export interface OnceSchedule {
  readonly Name: string;
  readonly ScheduleExpression: string;
  readonly ScheduleExpressionTimezone: 'UTC';
  readonly FlexibleTimeWindow: { readonly Mode: 'OFF' };
  /** It deletes itself once it has sent the message. */
  readonly ActionAfterCompletion: 'DELETE';
  readonly Description: string;
  readonly Target: { readonly Input: string; readonly SqsParameters?: { readonly MessageGroupId: string } };
}

/**
 * A one-time schedule's name, from the task and run id alone: a retried request for the same run
 * names the same schedule, which Scheduler refuses to create twice (ConflictException). Readable
 * (the task's first 30 characters) and within Scheduler's 64 characters.
 */
export function onceScheduleName(task: string, id: string): string {
  return `taskgate-${task.slice(0, 30)}-${dedupeId(`${task}#${id}`).slice(0, 24)}`;
}

/** One request to run a task. */
export interface SendRequest {
  readonly task: string;
  /** @default {} */
  readonly payload?: object;
  /** The run id: the ledger's dedupe key, the FIFO dedupe id's and the one-time schedule name's source. */
  readonly id: string;
  readonly source: TaskSource;
  /**
   * When the run is due.
   * @default - now, or `delaySeconds` from now
   */
  readonly at?: Date;
  /** Due this many seconds from now (instead of `at`). */
  readonly delaySeconds?: number;
  /**
   * The message's `scheduledAt`: a time, or a schedule's tick as written (tickTime).
   * @default - the due time when `at` or `delaySeconds` is given, else none (the worker takes SQS's sent time)
   */
  readonly scheduledAt?: Date | string;
  /**
   * Every later run through a one-time schedule, even within SQS's delay (the CLI on AWS: the
   * schedule shows in the console and can be deleted before it fires).
   * @default false
   */
  readonly preferSchedule?: boolean;
}

/** How a request is sent: its body and id, and either an SQS entry or a one-time schedule. */
export type SendPlan =
  | { readonly via: 'now' | 'delay'; readonly id: string; readonly body: string; readonly entry: QueueEntry }
  | { readonly via: 'schedule'; readonly id: string; readonly body: string; readonly at: Date; readonly schedule: OnceSchedule };

/**
 * Decides how one task message is sent: the body (through the contract checks), the FIFO group and
 * dedupe id, and "send now" vs "SQS delay of at most 15 minutes (standard queues only: FIFO queues
 * have no per-message delay)" vs "a one-time EventBridge Scheduler at() schedule".
 *
 * @throws PermanentError when the worker would refuse the message (checkTaskMessage).
 * @example
 * planSend({ task: 'cleanup-stray-instances', id: 'sweep-1', source: 'manual', delaySeconds: 600 }, gateQueue('default', url), new Date())
 * // { via: 'delay', entry: { MessageBody: '...', DelaySeconds: 600 }, ... }
 */
export function planSend(request: SendRequest, queue: GateQueue, now: Date): SendPlan {
  const due = dueTime(request, now);
  const body = requestBody(request, now);
  const delaySeconds = due ? Math.max(0, Math.ceil((due.getTime() - now.getTime()) / 1000)) : 0;
  if (due && (request.preferSchedule || delaySeconds > MAX_DELAY_SECONDS || (queue.fifo && delaySeconds > 0))) {
    return { via: 'schedule', id: request.id, body, at: due, schedule: onceSchedule(request, due, body, queue) };
  }
  return { via: delaySeconds > 0 ? 'delay' : 'now', id: request.id, body, entry: entryOf(body, request.id, queue, delaySeconds) };
}

/**
 * The SQS entry of a message sent now with the `scheduledAt` it names (a backfilled tick): what
 * {@link planSend} sends for a request without a due time.
 *
 * @throws PermanentError when the worker would refuse the message (checkTaskMessage).
 */
export function nowEntry(request: Omit<SendRequest, 'at' | 'delaySeconds' | 'preferSchedule'>, queue: GateQueue): QueueEntry {
  return entryOf(requestBody(request, new Date()), request.id, queue, 0);
}

/** On a FIFO gate: the gate's group and a dedupe id from the run id, never a delay. */
function entryOf(body: string, id: string, queue: GateQueue, delaySeconds: number): QueueEntry {
  return queueEntry(body, { groupId: messageGroupId(queue.gate, queue.fifo), dedupeKey: queue.fifo ? id : undefined, delaySeconds: queue.fifo ? 0 : delaySeconds });
}

function onceSchedule(request: SendRequest, due: Date, body: string, queue: GateQueue): OnceSchedule {
  const { task, id, source } = request;
  const groupId = messageGroupId(queue.gate, queue.fifo);
  const iso = due.toISOString();
  return {
    Name: onceScheduleName(task, id),
    // Scheduler's at() takes no zone suffix and no fraction; the zone is its own field.
    ScheduleExpression: `at(${iso.slice(0, 19)})`,
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    Description: `taskgate: ${source} run of ${task} at ${iso}, run id ${id}`.slice(0, MAX_DESCRIPTION_LENGTH),
    Target: { Input: body, ...(groupId !== undefined ? { SqsParameters: { MessageGroupId: groupId } } : {}) },
  };
}

/** When a request is due: `at`, `delaySeconds` from now, or undefined for now. */
function dueTime(request: SendRequest, now: Date): Date | undefined {
  return request.at ?? (request.delaySeconds !== undefined ? new Date(now.getTime() + request.delaySeconds * 1000) : undefined);
}

/**
 * The body a request sends, checked against the contract; what {@link planSend} sends, for a
 * caller that checks its arguments before it knows the queue.
 *
 * @throws PermanentError when the worker would refuse the message (checkTaskMessage).
 */
export function requestBody(request: SendRequest, now: Date): string {
  const { task, payload, id, source } = request;
  const scheduledAt = request.scheduledAt ?? dueTime(request, now);
  return taskMessageBody({ task, payload, id, scheduledAt: scheduledAt instanceof Date ? scheduledAt.toISOString() : scheduledAt, source });
}

/** What sends for the send path: SQS and Scheduler behind two calls (the SDK adapter in worker/, or a test's). */
export interface SendPorts {
  /** Sends the entries to the queue; resolves to their SQS message ids, in order. */
  sendMessages(queueUrl: string, entries: readonly QueueEntry[]): Promise<string[]>;
  /** Creates the one-time schedule targeting `queue`; `exists` when one of its name is there already (ConflictException). */
  createSchedule(schedule: OnceSchedule, queue: GateQueue): Promise<'created' | 'exists'>;
}

/** What was done with a request. */
export interface SendResult {
  readonly via: SendPlan['via'];
  readonly id: string;
  readonly messageId?: string;
  readonly scheduleName?: string;
  /** A schedule of this run's name existed already: a retried request, scheduled once. */
  readonly alreadyScheduled?: boolean;
}

/**
 * Sends one task message as {@link planSend} decides. A one-time schedule that exists already is
 * the same run asked for again (its name comes from the run id), so it counts as scheduled.
 *
 * @throws PermanentError when the worker would refuse the message; whatever the ports throw.
 */
export async function sendTask(request: SendRequest, queue: GateQueue, ports: SendPorts, now = new Date()): Promise<SendResult> {
  const plan = planSend(request, queue, now);
  if (plan.via === 'schedule') {
    const created = await ports.createSchedule(plan.schedule, queue);
    return { via: plan.via, id: plan.id, scheduleName: plan.schedule.Name, alreadyScheduled: created === 'exists' };
  }
  const [messageId] = await ports.sendMessages(queue.url, [plan.entry]);
  return { via: plan.via, id: plan.id, messageId };
}
