import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import * as z from 'zod/mini';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../lambdas/worker/create-handler';
import { defineTask } from '../lambdas/task';
import { sqsEvent, sqsRecord } from './helpers/sqs-records';

const sqs = mockClient(SQSClient);
const DLQ = 'https://sqs.us-east-1.amazonaws.com/123456789012/tasks-dlq';
const ran: Array<{ task: string; payload: unknown }> = [];

const greet = defineTask({
  name: 'greet',
  payload: z.object({ who: z.string() }),
  run: (payload) => void ran.push({ task: 'greet', payload }),
});
const explode = defineTask({
  name: 'explode',
  run: () => {
    throw new Error('downstream answered 503');
  },
});
const handler = createHandler([greet, explode], { TASKGATE_GATE: 'default', TASKGATE_DLQ_URL: DLQ });
const invoke = (...bodies: Array<string | object>) => handler(sqsEvent(...bodies.map((body) => sqsRecord(body))), {} as Context);

function deadLetters() {
  return sqs.commandCalls(SendMessageCommand).map((call) => ({
    body: call.args[0].input.MessageBody,
    queue: call.args[0].input.QueueUrl,
    reason: call.args[0].input.MessageAttributes?.['taskgate.reason']?.StringValue,
    error: call.args[0].input.MessageAttributes?.['taskgate.error']?.StringValue,
  }));
}

beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'dead-1' });
  ran.length = 0;
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

describe('gate worker', () => {
  it('runs a good message with its parsed payload and reports no failure', async () => {
    const response = await invoke({ task: 'greet', payload: { who: 'ops' } });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(ran).toEqual([{ task: 'greet', payload: { who: 'ops' } }]);
    expect(deadLetters()).toEqual([]);
  });

  it.each([
    ['bad JSON', '{"task": "greet"', 'invalid-json', /not JSON/],
    ['an unknown task', { task: 'greeet' }, 'unknown-task', /unknown task "greeet" \(did you mean "greet"\?\)/],
    ['a payload failing its schema', { task: 'greet', payload: { who: 42 } }, 'invalid-payload', /payload for task greet fails its schema: .*who/],
    ['an unknown envelope field', { task: 'greet', payload: { who: 'x' }, payl0ad: {} }, 'invalid-envelope', /unknown field\(s\) "payl0ad"/],
  ])('sends %s to the DLQ with its reason, without failing the batch', async (_label, body, reason, error) => {
    const response = await invoke(body, { task: 'greet', payload: { who: 'still runs' } });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(ran).toEqual([{ task: 'greet', payload: { who: 'still runs' } }]);
    const [dead] = deadLetters();
    expect(dead).toMatchObject({ queue: DLQ, reason, body: typeof body === 'string' ? body : JSON.stringify(body) });
    expect(dead!.error).toMatch(error);
  });

  it('reports a throwing task as a batch item failure while the others succeed', async () => {
    const records = [sqsRecord({ task: 'greet', payload: { who: 'a' } }), sqsRecord({ task: 'explode' }), sqsRecord({ task: 'greet', payload: { who: 'b' } })];
    const response = await handler(sqsEvent(...records), {} as Context);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]!.messageId }] });
    expect(ran.map((r) => r.payload)).toEqual([{ who: 'a' }, { who: 'b' }]);
    expect(deadLetters()).toEqual([]);
  });

  it('keeps a permanent failure on the queue when the DLQ cannot be reached, so nothing is lost', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('AccessDenied'));
    const record = sqsRecord('not json');
    const response = await handler(sqsEvent(record), {} as Context);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
  });

  it('refuses to start without the environment the Gate construct sets, naming the variable', async () => {
    const bare = createHandler([greet], {});
    await expect(bare(sqsEvent(sqsRecord({ task: 'greet' })), {} as Context)).rejects.toThrow(/TASKGATE_GATE is not set/);
  });
});
