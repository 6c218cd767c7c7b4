import type * as Sqs from '@aws-sdk/client-sqs';
import type * as SqsCommands from './sqs-commands';

let loaded: Promise<typeof SqsCommands> | undefined;

/**
 * The SQS client module, loaded on its first use. A run that succeeds calls no SQS API (SQS
 * deletes the batch's records itself), so a worker's cold start does not load it; backoff, the
 * DLQ, chaining and the rate gate's re-sends do, when they first happen.
 */
export function sqsModule(): Promise<typeof SqsCommands> {
  return (loaded ??= import('./sqs-commands.js'));
}

/**
 * An SQS client that loads the module and builds the client on its first call. Only `send` is
 * ever called on the worker's client (WorkerOptions.sqs, the triggers, the rate gate).
 */
export function lazySqsClient(config: Sqs.SQSClientConfig): Sqs.SQSClient {
  let client: Promise<Sqs.SQSClient> | undefined;
  const send = (...args: Parameters<Sqs.SQSClient['send']>) => (client ??= sqsModule().then((module) => new module.SQSClient(config))).then((built) => built.send(...args));
  // A stand-in with the one method the worker calls; the SDK's overloads of send all go through it.
  return { send } as unknown as Sqs.SQSClient;
}
