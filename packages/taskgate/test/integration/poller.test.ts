import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, expect, inject, it } from 'vitest';
import type { FunctionHost, InvokeResult } from '../../src/local/function-host';
import { MappingPoller, type PollerOptions } from '../../src/local/poller';
import { receiveClient } from '../../src/local/receive-client';
import { FaultProxy } from '../helpers/fault-proxy';
import { sqsClient } from '../helpers/local-servers';
import { waitFor } from '../helpers/taskgate-dev';

const sqs = sqsClient(inject('sqsEndpoint'));
afterAll(() => sqs.destroy());

/** A poller of a new queue, one batch at a time, in front of a function that succeeds and records what it was handed. */
async function recordingPoller(name: string, visibilityTimeout: number, clients: Pick<PollerOptions, 'sqs' | 'receiver'>, maxBatchingWindowSeconds: number) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-${randomUUID().slice(0, 8)}`, Attributes: { VisibilityTimeout: String(visibilityTimeout) } }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const invoked: string[] = [];
  const errors: string[] = [];
  const host = {
    invoke: async (event: SQSEvent): Promise<InvokeResult> => {
      invoked.push(...event.Records.map((record) => record.messageId));
      return { ok: true, result: { batchItemFailures: [] }, durationMs: 1 };
    },
  } as unknown as FunctionHost; // only `invoke` is used by the poller
  const poller = new MappingPoller({
    ...clients,
    queue: { logicalId: 'Queue', name, url: QueueUrl!, arn: Attributes!.QueueArn! },
    mapping: { logicalId: 'Mapping', queue: 'Queue', function: 'Worker', batchSize: 10, maxBatchingWindowSeconds, reportBatchItemFailures: true, enabled: true },
    host,
    concurrency: 1,
    region: 'us-east-1',
    onBatch: () => undefined,
    onError: (message) => errors.push(message),
    waitTimeSeconds: 1,
  });
  return { poller, queueUrl: QueueUrl!, invoked, errors };
}

it('runs the messages a batching window gathered when a later receive of the window fails, instead of leaving them in flight', async () => {
  // The server answers the first receive; the second one, while the window gathers more, fails.
  let receives = 0;
  const flaky = {
    send: (command: object) => {
      if (command instanceof ReceiveMessageCommand && ++receives === 2) return Promise.reject(new Error('socket hang up'));
      return sqs.send(command as never);
    },
  } as unknown as SQSClient; // only `send` is used by the poller
  const { poller, queueUrl: QueueUrl, invoked, errors } = await recordingPoller('window', 600, { sqs: flaky }, 3);
  const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"task":"sweep"}' }));
  poller.start();
  try {
    await waitFor('the gathered message to reach the function', () => (invoked.includes(MessageId!) ? true : undefined), 10_000);
    await waitFor('the message to be deleted', async () => {
      const { Attributes: depth } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      return depth?.ApproximateNumberOfMessages === '0' && depth.ApproximateNumberOfMessagesNotVisible === '0' ? true : undefined;
    });
    expect(errors.join('\n')).toMatch(/socket hang up.*running the 1 message\(s\) received so far/);
  } finally {
    await poller.stop(1000);
  }
});

it('says so when a receive loses its answer after the server took a message, instead of the SDK receiving again in silence, and runs the message when it comes back', async () => {
  // The first answer that carries a message is cut off after the server applied the receive.
  let lost = 0;
  const proxy = await FaultProxy.start({
    target: inject('sqsEndpoint'),
    service: 'sqs',
    random: () => 1,
    loseAnswer: (operation, body) => operation === 'ReceiveMessage' && body.includes('"Messages"') && ++lost === 1,
  });
  const deletes = sqsClient(proxy.endpoint);
  const receiver = receiveClient(proxy.endpoint, 'us-east-1');
  const { poller, queueUrl: QueueUrl, invoked, errors } = await recordingPoller('lost', 2, { sqs: deletes, receiver }, 0);
  poller.start();
  try {
    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"task":"sweep"}' }));
    await waitFor('the lost receive to be reported', () => (errors.length > 0 ? true : undefined), 10_000);
    expect(lost).toBe(1);
    expect(errors[0]).toMatch(/^receiving from lost failed: .*in flight until the queue's visibility timeout ends/);
    // Not gone: after its visibility timeout the message is delivered again and run.
    await waitFor('the message to run after its visibility timeout', () => (invoked.includes(MessageId!) ? true : undefined), 10_000);
  } finally {
    await poller.stop(1000);
    deletes.destroy();
    receiver.destroy();
    await proxy.close();
  }
});
