import { PermanentError } from '../core/errors';
import { gateQueue, sendTask, type GateQueue, type QueueEntry, type SendPorts, type SendRequest, type SendResult } from '../core/send-path';
import { SdkSendPorts, SendRefusedError } from '../worker/send-adapter';
import { queueArn } from './dead-letters';
import { CliError } from './errors';
import type { GateEndpoints, Target } from './target';

/** A gate of the target as the send path sees it. */
export function gateQueueOf(gate: GateEndpoints): GateQueue {
  return gateQueue(gate.name, gate.queueUrl);
}

/**
 * Makes a message with the send path, where one the worker would refuse is a one-line CliError:
 * the CLI checks every body with the worker's own contract checks before anything is sent.
 */
export function refusedAsCliError<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    throw asCliError(error);
  }
}

/** Sends one request through the send path on the target (SQS, or a one-time schedule in its Scheduler). */
export function sendCliTask(target: Target, request: SendRequest, queue: GateQueue, now: Date): Promise<SendResult> {
  return explained(() => sendTask(request, queue, cliSendPorts(target), now));
}

/** Sends planned entries (batches of 10); an entry the queue refuses is a CliError saying how many were sent. */
export function sendEntries(target: Target, queueUrl: string, entries: readonly QueueEntry[]): Promise<string[]> {
  return explained(() => cliSendPorts(target).sendMessages(queueUrl, entries));
}

async function explained<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw asCliError(error);
  }
}

function cliSendPorts(target: Target): SendPorts {
  return new SdkSendPorts({ sqs: target.sqs, onceScheduling: () => target.onceScheduling(), queueArn: (url) => queueArn(target.sqs, url) });
}

/** The one-line CliError of a refused message; other errors as they are. */
function asCliError(error: unknown): unknown {
  if (error instanceof PermanentError) return new CliError(`the worker would refuse this message (${error.reason}): ${error.message}; nothing was sent`);
  if (error instanceof SendRefusedError) return new CliError(error.message);
  return error;
}
