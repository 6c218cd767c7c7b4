import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, expect, inject, it } from 'vitest';
import { MessageDeleter } from '../../src/local/message-deleter';
import { interceptedSqs, sqsClient } from '../helpers/local-servers';

const sqs = sqsClient(inject('sqsEndpoint'));
afterAll(() => sqs.destroy());

/** A new queue holding `count` messages, all received (in flight). */
async function receivedMessages(count: number): Promise<{ url: string; messages: Message[] }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `deleter-${randomUUID().slice(0, 8)}`, Attributes: { VisibilityTimeout: '600' } }));
  for (let i = 0; i < count; i += 10) {
    const entries = Array.from({ length: Math.min(10, count - i) }, (_, j) => ({ Id: String(j), MessageBody: `{"task":"t","id":"${i + j}"}` }));
    await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries }));
  }
  const messages: Message[] = [];
  while (messages.length < count) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    messages.push(...Messages);
  }
  return { url: QueueUrl!, messages };
}

/** The SQS client, counting the entries of each DeleteMessageBatch it sends. */
function countingClient(calls: number[]): SQSClient {
  return interceptedSqs(sqs, (command) => {
    if (command instanceof DeleteMessageBatchCommand) calls.push(command.input.Entries?.length ?? 0);
    return undefined;
  });
}

async function depth(url: string): Promise<string | undefined> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }));
  return Attributes?.ApproximateNumberOfMessagesNotVisible;
}

it('deletes a lone batch at once, and the batches that answer while a delete is in flight together, ten a request', async () => {
  const { url, messages } = await receivedMessages(25);
  const calls: number[] = [];
  const errors: string[] = [];
  const deleter = new MessageDeleter(countingClient(calls), { name: 'deleter', url }, (message) => errors.push(message));
  // Three invocations answer in the same turn: the first one's delete goes alone, the next two wait for it.
  await Promise.all([deleter.delete(messages.slice(0, 1)), deleter.delete(messages.slice(1, 13)), deleter.delete(messages.slice(13))]);
  expect(calls).toEqual([1, 10, 10, 4]);
  expect(errors).toEqual([]);
  expect(await depth(url)).toBe('0');
});

it('reports a delete that fails and still resolves every caller: those messages are delivered again', async () => {
  const { url, messages } = await receivedMessages(2);
  const errors: string[] = [];
  let deletes = 0;
  const flaky = interceptedSqs(sqs, (command) => (command instanceof DeleteMessageBatchCommand && ++deletes === 1 ? Promise.reject(new Error('socket hang up')) : undefined));
  const deleter = new MessageDeleter(flaky, { name: 'deleter', url }, (message) => errors.push(message));
  await Promise.all([deleter.delete([messages[0]!]), deleter.delete([messages[1]!])]);
  expect(errors).toEqual(['deleting processed messages from deleter failed (socket hang up); they will be delivered again']);
  expect(await depth(url)).toBe('1');
});
