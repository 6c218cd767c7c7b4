import { checkTaskMessage, type TaskMessage, type TaskSource } from './envelope';

/** The fields of one task message; the body is written in this order (the contract's). */
export interface MessageFields {
  readonly task: string;
  /** @default {} */
  readonly payload?: object;
  readonly id: string;
  /** An ISO time, or a placeholder the sending service fills in (a schedule's tick). */
  readonly scheduledAt?: string;
  readonly source: TaskSource;
}

/** The message object in the contract's field order; `payload` always present. */
export function taskMessage(fields: MessageFields): TaskMessage {
  const { task, payload = {}, id, scheduledAt, source } = fields;
  return scheduledAt === undefined ? { task, payload, id, source } : { task, payload, id, scheduledAt, source };
}

/**
 * The body of a task message, checked with the worker's own contract checks (size, id length,
 * fields) before anything sends it: what the worker would move to the DLQ at once is refused here.
 *
 * @throws PermanentError as checkTaskMessage does.
 * @example
 * taskMessageBody({ task: 'cleanup-stray-instances', id: 'sweep-1', source: 'manual' }) // '{"task":"cleanup-stray-instances","payload":{},"id":"sweep-1","source":"manual"}'
 */
export function taskMessageBody(fields: MessageFields): string {
  const body = JSON.stringify(taskMessage(fields));
  checkTaskMessage(body);
  return body;
}

/**
 * A tick's time as EventBridge's event time and Scheduler's scheduled-time write it: whole
 * seconds, no milliseconds. A tick's `id` and `scheduledAt` are this string, so the embedded
 * runtime and a backfill name a tick exactly as AWS does.
 */
export function tickTime(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The message a schedule sends at each tick: `placeholder` (the service's tick time, a CDK token)
 * as its `id` and `scheduledAt`, so two deliveries of one tick share an id. A schedule created at
 * run time gives `idPrefix` (`<name>@`), so that two of one task at one minute are two runs.
 * Checked against the contract with a sample tick, so a schedule whose message the worker would
 * refuse fails the synth (or is refused before it is created).
 *
 * @throws PermanentError as checkTaskMessage does.
 */
export function tickMessage(task: string, payload: object | undefined, placeholder: string, idPrefix = ''): TaskMessage {
  taskMessageBody({ task, payload, id: `${idPrefix}${tickTime(new Date(0))}`, scheduledAt: tickTime(new Date(0)), source: 'schedule' });
  return taskMessage({ task, payload, id: `${idPrefix}${placeholder}`, scheduledAt: placeholder, source: 'schedule' });
}
