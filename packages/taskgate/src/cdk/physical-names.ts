import { createHash } from 'node:crypto';

/**
 * Physical names taskgate gives its resources. Rules and Scheduler schedules are named so that one
 * ARN pattern covers them all in the operator policy; queues are named after their gate so that a
 * queue URL stays short (every worker carries every gate's queue URL and ARN in its environment,
 * which Lambda caps at 4 KB) and readable in the console.
 */

/** 8 hex characters of SHA-256: a short, stable stand-in for `text` in a name. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** `text` with characters AWS rejects replaced by `-`, cut to `max` with a hash suffix when too long. */
export function boundedName(text: string, max: number): string {
  const clean = text.replace(/[^A-Za-z0-9._-]/g, '-');
  return clean.length <= max ? clean : `${clean.slice(0, max - 9)}-${shortHash(clean)}`;
}

/**
 * The start of every rule and queue name of one stack (`Taskgate-`), so that one ARN pattern
 * (`rule/Taskgate-*`) names all of the app's rules. A long stack name is cut and made unique with
 * a hash so that a schedule or gate name still fits.
 */
export function stackNamePrefix(stackName: string): string {
  return stackName.length <= 32 ? `${stackName}-` : `${stackName.slice(0, 23)}${shortHash(stackName)}-`;
}

/** A rule or Scheduler schedule name: at most 64 of `[A-Za-z0-9._-]`. */
export function physicalScheduleName(prefix: string, name: string): string {
  return boundedName(`${prefix}${name}`, 64);
}

/**
 * A gate's queue name (`Taskgate-email-api`, `Taskgate-email-api-dlq`, `.fifo` for a FIFO gate):
 * at most 80 characters. Switching a gate to or from FIFO changes the name, so CloudFormation can
 * replace the queue.
 */
export function gateQueueName(stackName: string, gate: string, kind: 'queue' | 'dlq', fifo: boolean): string {
  const suffix = fifo ? '.fifo' : '';
  return `${boundedName(`${stackNamePrefix(stackName)}${gate}${kind === 'dlq' ? '-dlq' : ''}`, 80 - suffix.length)}${suffix}`;
}
