import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, expect, inject, it } from 'vitest';
import type { FunctionHost, InvokeResult } from '../../src/local/function-host';
import { MappingPoller } from '../../src/local/poller';
import { sqsClient } from '../helpers/local-servers';
import { waitFor } from '../helpers/taskgate-dev';

const sqs = sqsClient(inject('sqsEndpoint'));
afterAll(() => sqs.destroy());

it('runs the messages a batching window gathered when a later receive of the window fails, instead of leaving them in flight', async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `window-${randomUUID().slice(0, 8)}`, Attributes: { VisibilityTimeout: '600' } }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"task":"sweep"}' }));
  // The server answers the first receive; the second one, while the window gathers more, fails.
  let receives = 0;
  const flaky = {
    send: (command: object) => {
      if (command instanceof ReceiveMessageCommand && ++receives === 2) return Promise.reject(new Error('socket hang up'));
      return sqs.send(command as never);
    },
  } as unknown as SQSClient; // only `send` is used by the poller
  const invoked: string[] = [];
  const host = {
    invoke: async (event: SQSEvent): Promise<InvokeResult> => {
      invoked.push(...event.Records.map((record) => record.messageId));
      return { ok: true, result: { batchItemFailures: [] }, durationMs: 1 };
    },
  } as unknown as FunctionHost; // only `invoke` is used by the poller
  const errors: string[] = [];
  const poller = new MappingPoller({
    sqs: flaky,
    queue: { logicalId: 'Queue', name: 'window', url: QueueUrl!, arn: Attributes!.QueueArn! },
    mapping: { logicalId: 'Mapping', queue: 'Queue', function: 'Worker', batchSize: 10, maxBatchingWindowSeconds: 3, reportBatchItemFailures: true, enabled: true },
    host,
    concurrency: 1,
    region: 'us-east-1',
    onBatch: () => undefined,
    onError: (message) => errors.push(message),
    waitTimeSeconds: 1,
  });
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

it("frees a batch's slot when the function answers, deletes beside the next receive, and a stop waits for those deletes", async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `slots-${randomUUID().slice(0, 8)}`, Attributes: { VisibilityTimeout: '600' } }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  for (const n of [1, 2]) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `{"task":"sweep","id":"${n}"}` }));
  // Every delete waits until the test lets it through.
  let letDeletesThrough!: () => void;
  const deletesHeld = new Promise<void>((resolve) => (letDeletesThrough = resolve));
  const held = {
    send: async (command: object) => {
      if (command instanceof DeleteMessageBatchCommand) await deletesHeld;
      return sqs.send(command as never);
    },
  } as unknown as SQSClient; // only `send` is used by the poller
  const invoked: string[] = [];
  const host = {
    invoke: async (event: SQSEvent): Promise<InvokeResult> => {
      invoked.push(...event.Records.map((record) => record.messageId));
      return { ok: true, result: { batchItemFailures: [] }, durationMs: 1 };
    },
  } as unknown as FunctionHost; // only `invoke` is used by the poller
  let reported = 0;
  const poller = new MappingPoller({
    sqs: held,
    queue: { logicalId: 'Queue', name: 'slots', url: QueueUrl!, arn: Attributes!.QueueArn! },
    mapping: { logicalId: 'Mapping', queue: 'Queue', function: 'Worker', batchSize: 1, maxBatchingWindowSeconds: 0, reportBatchItemFailures: true, enabled: true },
    host,
    concurrency: 1,
    region: 'us-east-1',
    onBatch: () => void reported++,
    onError: (message) => expect.fail(message),
    waitTimeSeconds: 1,
  });
  poller.start();
  // One slot: the second message reaches the function while the first one's delete is still held.
  await waitFor('both messages to reach the function', () => (invoked.length === 2 ? true : undefined), 10_000);
  expect(reported).toBe(0);
  const stopped = poller.stop(1000);
  letDeletesThrough();
  await stopped;
  // Reported once deleted, and the stop waited for both.
  expect(reported).toBe(2);
  const { Attributes: depth } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  expect(depth).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
});
