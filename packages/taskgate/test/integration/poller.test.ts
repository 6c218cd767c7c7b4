import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, expect, inject, it } from 'vitest';
import type { FunctionHost, InvokeResult } from '../../src/local/function-host';
import { MappingPoller, type PollerOptions } from '../../src/local/poller';
import { receiveClient } from '../../src/local/receive-client';
import { FaultProxy } from '../helpers/fault-proxy';
import { interceptedSqs, sqsClient } from '../helpers/local-servers';
import { waitFor } from '../helpers/taskgate-dev';

const sqs = sqsClient(inject('sqsEndpoint'));
afterAll(() => sqs.destroy());

/** A poller of a new queue, one batch at a time, in front of a function that succeeds and records what it was handed. */
async function recordingPoller(
  name: string,
  visibilityTimeout: number,
  clients: Pick<PollerOptions, 'sqs' | 'receiver'>,
  batching: { readonly batchSize: number; readonly maxBatchingWindowSeconds: number },
  concurrency = 1,
  invoke: (event: SQSEvent) => Promise<void> = async () => undefined,
) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-${randomUUID().slice(0, 8)}`, Attributes: { VisibilityTimeout: String(visibilityTimeout) } }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const invoked: string[] = [];
  const errors: string[] = [];
  let reports = 0;
  const host = {
    invoke: async (event: SQSEvent): Promise<InvokeResult> => {
      invoked.push(...event.Records.map((record) => record.messageId));
      await invoke(event);
      return { ok: true, result: { batchItemFailures: [] }, durationMs: 1 };
    },
  } as unknown as FunctionHost; // only `invoke` is used by the poller
  const poller = new MappingPoller({
    ...clients,
    queue: { logicalId: 'Queue', name, url: QueueUrl!, arn: Attributes!.QueueArn! },
    mapping: { logicalId: 'Mapping', queue: 'Queue', function: 'Worker', ...batching, reportBatchItemFailures: true, enabled: true },
    host,
    concurrency,
    region: 'us-east-1',
    onBatch: () => void reports++,
    onError: (message) => errors.push(message),
    waitTimeSeconds: 1,
  });
  return { poller, queueUrl: QueueUrl!, invoked, errors, reported: () => reports };
}

it('runs the messages a batching window gathered when a later receive of the window fails, instead of leaving them in flight', async () => {
  // The server answers the first receive; the second one, while the window gathers more, fails.
  let receives = 0;
  const flaky = interceptedSqs(sqs, (command) => (command instanceof ReceiveMessageCommand && ++receives === 2 ? Promise.reject(new Error('socket hang up')) : undefined));
  const { poller, queueUrl: QueueUrl, invoked, errors } = await recordingPoller('window', 600, { sqs: flaky }, { batchSize: 10, maxBatchingWindowSeconds: 3 });
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
  const { poller, queueUrl: QueueUrl, invoked, errors } = await recordingPoller('lost', 2, { sqs: deletes, receiver }, { batchSize: 10, maxBatchingWindowSeconds: 0 });
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

it("frees a batch's slot when the function answers, deletes beside the next receive, and a stop waits for those deletes", async () => {
  // Every delete waits until the test lets it through.
  let letDeletesThrough!: () => void;
  const deletesHeld = new Promise<void>((resolve) => (letDeletesThrough = resolve));
  const held = interceptedSqs(sqs, (command) => (command instanceof DeleteMessageBatchCommand ? deletesHeld.then(() => sqs.send(command)) : undefined));
  const { poller, queueUrl: QueueUrl, invoked, errors, reported } = await recordingPoller('slots', 600, { sqs: held }, { batchSize: 1, maxBatchingWindowSeconds: 0 });
  for (const n of [1, 2]) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `{"task":"sweep","id":"${n}"}` }));
  poller.start();
  // One slot: the second message reaches the function while the first one's delete is still held.
  await waitFor('both messages to reach the function', () => (invoked.length === 2 ? true : undefined), 10_000);
  expect(reported()).toBe(0);
  const stopped = poller.stop(1000);
  letDeletesThrough();
  await stopped;
  // Reported once deleted, and the stop waited for both.
  expect(reported()).toBe(2);
  expect(errors).toEqual([]);
  const { Attributes: depth } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  expect(depth).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
});

it('fills several free slots of a batch-1 gate with one receive, one message a batch, never more batches than slots', async () => {
  // The function holds every invocation until the test lets them go, so the slots stay taken.
  let letGo!: () => void;
  const held = new Promise<void>((resolve) => (letGo = resolve));
  let inFlight = 0;
  let peak = 0;
  const sizes: number[] = [];
  const invoke = async (event: SQSEvent) => {
    sizes.push(event.Records.length);
    peak = Math.max(peak, ++inFlight);
    await held;
    inFlight--;
  };
  let receivedBatches = 0;
  const counting = interceptedSqs(sqs, (command) =>
    command instanceof ReceiveMessageCommand
      ? sqs.send(command).then((answer) => {
          if (answer.Messages?.length) receivedBatches++;
          return answer;
        })
      : undefined,
  );
  const { poller, queueUrl: QueueUrl, invoked, errors } = await recordingPoller('fill', 600, { sqs, receiver: counting }, { batchSize: 1, maxBatchingWindowSeconds: 0 }, 8, invoke);
  for (let n = 0; n < 12; n++) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `{"task":"sweep","id":"${n}"}` }));
  poller.start();
  await waitFor('eight invocations', () => (invoked.length === 8 ? true : undefined), 10_000);
  // Five pollers took a slot each; the first to receive also took the three free ones.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(invoked.length).toBe(8);
  expect(receivedBatches).toBeLessThan(8);
  letGo();
  await waitFor('all twelve invocations', () => (invoked.length === 12 ? true : undefined), 10_000);
  await poller.stop(1000);
  expect(new Set(invoked).size).toBe(12);
  expect(sizes.every((size) => size === 1)).toBe(true);
  expect(peak).toBe(8);
  expect(poller.peakInFlight).toBe(8);
  expect(errors).toEqual([]);
});
