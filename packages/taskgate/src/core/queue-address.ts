import { createHash } from 'node:crypto';

/**
 * The one source of truth for a gate's queue names and for a queue's URL and ARN from its name.
 * The constructs name the queues with it, the worker derives every gate's queue from it (instead of
 * a variable listing every gate's URL, which would outgrow Lambda's 4 KB environment with many
 * gates), and the CLI derives the queues of a stack whose outputs do not list them.
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
 * A gate's queue name from its Taskgate's name prefix (`Taskgate-`, see taskgateNamePrefix):
 * `Taskgate-email-api`, `Taskgate-email-api-dlq`, `.fifo` for a FIFO gate; at most 80 characters.
 * Switching a gate to or from FIFO changes the name, so CloudFormation can replace the queue.
 */
export function gateQueueNameOf(prefix: string, gate: string, kind: 'queue' | 'dlq', fifo: boolean): string {
  const suffix = fifo ? '.fifo' : '';
  return `${boundedName(`${prefix}${gate}${kind === 'dlq' ? '-dlq' : ''}`, 80 - suffix.length)}${suffix}`;
}

/** Where a queue's URL and ARN start: everything but the queue's name. */
export interface QueueBase {
  /** `https://sqs.<region>.amazonaws.com/<account>/` in AWS; an emulator's own (`http://sqs.<region>.localhost:PORT/<account>/`). */
  readonly url: string;
  /** `arn:<partition>:sqs:<region>:<account>:` */
  readonly arn: string;
}

/** The base of the queues of one account and region, as AWS names them. */
export function awsQueueBase(partition: string, region: string, account: string, urlSuffix = 'amazonaws.com'): QueueBase {
  return { url: `https://sqs.${region}.${urlSuffix}/${account}/`, arn: `arn:${partition}:sqs:${region}:${account}:` };
}

/** A queue's URL and ARN from its name and base. */
export function queueAddress(base: QueueBase, name: string): { readonly url: string; readonly arn: string } {
  return { url: `${withSlash(base.url)}${name}`, arn: `${base.arn}${name}` };
}

/** The base of a queue URL: everything before its name. */
export function queueUrlBase(queueUrl: string): string {
  return queueUrl.slice(0, queueUrl.lastIndexOf('/') + 1);
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
