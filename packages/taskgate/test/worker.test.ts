import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import * as z from 'zod/mini';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { PermanentError, RetryLaterError } from '../src/core/errors';
import { defineTask } from '../src/core/task';
import { createHandler } from '../src/worker/create-handler';
import { readDeadLetter } from '../src/worker/dead-letter';
import { DLQ_URL, QUEUE_ARN, QUEUE_URL, workerEnv } from './helpers/env';
import { sqsEvent, sqsRecord } from './helpers/sqs-records';

const sqs = mockClient(SQSClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const scheduler = mockClient(SchedulerClient);
const ran: Array<{ task: string; payload: unknown; attempt: number }> = [];
let behaviour: () => unknown = () => undefined;

const greet = defineTask({
  name: 'greet',
  payload: z.object({ who: z.string() }),
  run: (payload, { attempt }) => void ran.push({ task: 'greet', payload, attempt }),
});
const flaky = defineTask({
  name: 'flaky',
  retry: { maxAttempts: 3, minBackoffSeconds: 10, maxBackoffSeconds: 60 },
  misfire: { maxLatenessSeconds: 3600 },
  timeout: 1,
  run: async (_payload, context) => {
    ran.push({ task: 'flaky', payload: {}, attempt: context.attempt });
    return behaviour.call(context);
  },
});
const chainer = defineTask({
  name: 'chainer',
  payload: z.object({ n: z.int() }),
  run: async ({ n }, { chain, scheduleOnce }) => {
    await chain({ delaySeconds: 60, payload: { n: n + 1 } });
    await scheduleOnce(new Date(Date.now() + 3 * 3600_000), 'greet', { who: 'later' });
  },
});
const tasks = [greet, flaky, chainer];
const handler = createHandler(tasks, workerEnv({ TASKGATE_ONCE_ROLE_ARN: 'arn:aws:iam::123456789012:role/once', TASKGATE_SCHEDULE_GROUP: 'taskgate-once' }));
const context = { getRemainingTimeInMillis: () => 60_000 } as Context;
const invoke = (...records: ReturnType<typeof sqsRecord>[]) => handler(sqsEvent(...records), context);

function deadLetters() {
  return sqs.commandCalls(SendMessageCommand, { QueueUrl: DLQ_URL }).map((call) => ({
    body: call.args[0].input.MessageBody,
    reason: readDeadLetter(call.args[0].input.MessageAttributes)?.reason,
    error: readDeadLetter(call.args[0].input.MessageAttributes)?.error,
  }));
}
function ledgerWrites() {
  return dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);
}
function visibility() {
  return sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input.VisibilityTimeout);
}
/** The claim's conditional write fails, and the item read back is `existing`. */
function existingRun(existing: Record<string, unknown>) {
  dynamo.on(UpdateCommand).callsFake((input: { ConditionExpression?: string }) => {
    if (input.ConditionExpression?.includes('attribute_not_exists')) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    }
    return {};
  });
  dynamo.on(GetCommand).resolves({ Item: existing });
}

beforeEach(() => {
  sqs.reset();
  dynamo.reset();
  scheduler.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'sent-1' });
  dynamo.on(UpdateCommand).resolves({});
  ran.length = 0;
  behaviour = () => undefined;
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

describe('gate worker: the happy path', () => {
  it('claims the run, runs the task with its parsed payload, records success', async () => {
    const record = sqsRecord({ task: 'greet', payload: { who: 'ops' }, id: 'tick-1' });
    expect(await invoke(record)).toEqual({ batchItemFailures: [] });
    expect(ran).toEqual([{ task: 'greet', payload: { who: 'ops' }, attempt: 1 }]);
    const [claim, finish] = ledgerWrites();
    expect(claim).toMatchObject({ TableName: 'runs', Key: { pk: 'greet#tick-1' }, ExpressionAttributeValues: expect.objectContaining({ ':running': 'running', ':source': 'api' }) });
    expect(finish).toMatchObject({ Key: { pk: 'greet#tick-1' }, ConditionExpression: '#claimToken = :token', ExpressionAttributeValues: expect.objectContaining({ ':status': 'succeeded' }) });
    expect(deadLetters()).toEqual([]);
  });
});

describe('gate worker: permanent failures go to the DLQ at once, with their reason', () => {
  it.each([
    ['bad JSON', '{"task": "greet"', 'invalid-json', /not JSON/],
    ['an unknown task', { task: 'greeet' }, 'unknown-task', /unknown task "greeet" \(did you mean "greet"\?\)/],
    ['a payload failing its schema', { task: 'greet', payload: { who: 42 } }, 'invalid-payload', /payload for task greet fails its schema: who: Invalid input: expected string, received number/],
    ['an unknown envelope field', { task: 'greet', payload: { who: 'x' }, payl0ad: {} }, 'invalid-envelope', /unknown field\(s\) "payl0ad"/],
  ])('%s, without failing the rest of the batch', async (_label, body, reason, error) => {
    const response = await invoke(sqsRecord(body), sqsRecord({ task: 'greet', payload: { who: 'still runs' } }));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(ran).toEqual([{ task: 'greet', payload: { who: 'still runs' }, attempt: 1 }]);
    const [dead] = deadLetters();
    expect(dead).toMatchObject({ reason, body: typeof body === 'string' ? body : JSON.stringify(body) });
    expect(dead!.error).toMatch(error);
  });

  it('records a dead run in the ledger when the message names a run', async () => {
    await invoke(sqsRecord({ task: 'greet', payload: {}, id: 'r-9' }));
    expect(ledgerWrites()).toEqual([
      expect.objectContaining({ Key: { pk: 'greet#r-9' }, ExpressionAttributeValues: expect.objectContaining({ ':status': 'dead', ':reason': 'invalid-payload' }) }),
    ]);
  });

  it('sends a task that throws PermanentError to the DLQ without a retry', async () => {
    behaviour = () => {
      throw new PermanentError('customer 7 does not exist');
    };
    const response = await invoke(sqsRecord({ task: 'flaky' }));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(deadLetters()).toEqual([expect.objectContaining({ reason: 'task-permanent', error: 'customer 7 does not exist' })]);
    expect(ledgerWrites().at(-1)).toMatchObject({ ExpressionAttributeValues: expect.objectContaining({ ':status': 'dead', ':reason': 'task-permanent' }) });
  });

  it('keeps a permanent failure on the queue when the DLQ cannot be reached, so nothing is lost', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('AccessDenied'));
    const record = sqsRecord('not json');
    expect(await invoke(record)).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
  });
});

describe('gate worker: transient failures retry with backoff', () => {
  it('reports a throwing task as a batch item failure with a jittered backoff, while the others succeed', async () => {
    behaviour = () => {
      throw new Error('downstream answered 503');
    };
    const records = [sqsRecord({ task: 'greet', payload: { who: 'a' } }), sqsRecord({ task: 'flaky' }, { receiveCount: 2 }), sqsRecord({ task: 'greet', payload: { who: 'b' } })];
    const response = await invoke(...records);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]!.messageId }] });
    expect(ran.filter((r) => r.task === 'greet').map((r) => r.payload)).toEqual([{ who: 'a' }, { who: 'b' }]);
    // attempt 2 of a task with minBackoff 10 s: full jitter within [0, 20].
    const [delay] = visibility();
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThanOrEqual(20);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]!.args[0].input.QueueUrl).toBe(QUEUE_URL);
    expect(ledgerWrites().some((w) => w.ExpressionAttributeValues?.[':status'] === 'failed' && w.ExpressionAttributeValues?.[':error'] === 'downstream answered 503')).toBe(true);
    expect(deadLetters()).toEqual([]);
  });

  it("honours a task's RetryAfter hint", async () => {
    behaviour = () => {
      throw new RetryLaterError('rate limited', 120);
    };
    await invoke(sqsRecord({ task: 'flaky' }));
    expect(visibility()).toEqual([120]);
  });

  it('moves the message to the DLQ itself after the last attempt, with the last error', async () => {
    behaviour = () => {
      throw new Error('still down');
    };
    const response = await invoke(sqsRecord({ task: 'flaky' }, { receiveCount: 3 }));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(deadLetters()).toEqual([expect.objectContaining({ reason: 'retries-exhausted', error: 'attempt 3 of 3 failed: still down' })]);
  });

  it('times a run out at its timeout, aborting its signal, and retries it', async () => {
    let signal: AbortSignal | undefined;
    behaviour = function (this: { signal: AbortSignal }) {
      signal = this.signal;
      return new Promise(() => undefined); // ignores the signal and never settles
    };
    const record = sqsRecord({ task: 'flaky' });
    // An invocation with 4.5 s left: the run times out after 1 s, the invocation waits for the runaway to its end.
    const invocationEnd = Date.now() + 4_500;
    const response = await handler(sqsEvent(record), { getRemainingTimeInMillis: () => Math.max(0, invocationEnd - Date.now()) } as Context);
    expect(Date.now()).toBeGreaterThanOrEqual(invocationEnd - 50);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(signal?.aborted).toBe(true);
    const failed = ledgerWrites().at(-1)!;
    expect(failed).toMatchObject({ ExpressionAttributeValues: expect.objectContaining({ ':status': 'failed', ':reason': 'timeout', ':error': expect.stringMatching(/TaskTimeoutError: task flaky did not finish within its timeout of 1s, and it ignored its signal/) }) });
    // The run stays leased past the invocation's end, and its retry comes back only then.
    const holdUntil = failed.ExpressionAttributeValues![':holdUntil'] as number;
    expect(holdUntil).toBeGreaterThan(invocationEnd);
    expect(visibility().at(-1)! * 1000).toBeGreaterThanOrEqual(holdUntil - invocationEnd);
  }, 15_000);

  it('stops a FIFO message group at its first failure', async () => {
    behaviour = () => {
      throw new Error('boom');
    };
    const records = [sqsRecord({ task: 'flaky' }, { groupId: 'g' }), sqsRecord({ task: 'greet', payload: { who: 'x' } }, { groupId: 'g' }), sqsRecord({ task: 'greet', payload: { who: 'y' } }, { groupId: 'h' })];
    const response = await invoke(...records);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([records[0]!.messageId, records[1]!.messageId]);
    expect(ran.filter((r) => r.task === 'greet').map((r) => r.payload)).toEqual([{ who: 'y' }]);
  });
});

describe('gate worker: dedupe and misfire', () => {
  it('does not run a duplicate delivery of a succeeded run, and deletes it', async () => {
    existingRun({ pk: 'greet#tick-1', status: 'succeeded' });
    expect(await invoke(sqsRecord({ task: 'greet', payload: { who: 'x' }, id: 'tick-1' }))).toEqual({ batchItemFailures: [] });
    expect(ran).toEqual([]);
  });

  it("respects another worker's live lease: not run, back on the queue when the lease ends", async () => {
    existingRun({ pk: 'greet#tick-1', status: 'running', leaseUntil: Date.now() + 90_000 });
    const record = sqsRecord({ task: 'greet', payload: { who: 'x' }, id: 'tick-1' });
    expect(await invoke(record)).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(ran).toEqual([]);
    expect(visibility()[0]).toBeGreaterThanOrEqual(89);
    expect(visibility()[0]).toBeLessThanOrEqual(91);
  });

  it('skips a scheduled message later than misfire.maxLatenessSeconds and records it as skipped', async () => {
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000).toISOString();
    const response = await invoke(sqsRecord({ task: 'flaky', id: twoHoursAgo, scheduledAt: twoHoursAgo, source: 'schedule' }));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(ran).toEqual([]);
    expect(ledgerWrites()).toEqual([expect.objectContaining({ ExpressionAttributeValues: expect.objectContaining({ ':status': 'skipped', ':reason': 'misfire' }) })]);
  });

  it('runs a late manual trigger: misfire applies to scheduled ticks only', async () => {
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000).toISOString();
    await invoke(sqsRecord({ task: 'flaky', scheduledAt: twoHoursAgo, source: 'manual' }));
    expect(ran).toHaveLength(1);
  });
});

describe('gate worker: task context', () => {
  it('chains the next run with a derived id and schedules a far run once through Scheduler', async () => {
    await invoke(sqsRecord({ task: 'chainer', payload: { n: 1 }, id: 'run-1' }));
    const [chained] = sqs.commandCalls(SendMessageCommand, { QueueUrl: QUEUE_URL });
    expect(chained!.args[0].input.DelaySeconds).toBe(60);
    const body = JSON.parse(chained!.args[0].input.MessageBody!);
    expect(body).toMatchObject({ task: 'chainer', payload: { n: 2 }, source: 'chain', id: expect.stringMatching(/^chain-[0-9a-f]{32}$/) });
    const [once] = scheduler.commandCalls(CreateScheduleCommand);
    expect(once!.args[0].input).toMatchObject({
      GroupName: 'taskgate-once',
      ActionAfterCompletion: 'DELETE',
      ScheduleExpression: expect.stringMatching(/^at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\)$/),
      Target: { Arn: QUEUE_ARN, RoleArn: 'arn:aws:iam::123456789012:role/once' },
    });
    expect(JSON.parse(once!.args[0].input.Target!.Input!)).toMatchObject({ task: 'greet', payload: { who: 'later' }, source: 'once' });
  });

  it("sends to another gate's queue as derived from the queue name prefix: a FIFO gate's `.fifo` name, its group, a one-time schedule's target ARN", async () => {
    const serial = defineTask({ name: 'serial-step', gate: 'serial', run: () => undefined });
    const handOff = defineTask({ name: 'hand-off', run: async (_payload, { scheduleOnce }) => {
      await scheduleOnce(new Date(Date.now() - 1000), 'serial-step');
      await scheduleOnce(new Date(Date.now() + 3 * 3600_000), 'serial-step');
    } });
    const env = workerEnv({ TASKGATE_FIFO_GATES: 'serial', TASKGATE_ONCE_ROLE_ARN: 'arn:aws:iam::123456789012:role/once', TASKGATE_SCHEDULE_GROUP: 'taskgate-once' });
    await createHandler([handOff, serial], env)(sqsEvent(sqsRecord({ task: 'hand-off', id: 'h-1' })), context);
    const [sent] = sqs.commandCalls(SendMessageCommand, { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/App-serial.fifo' });
    expect(sent!.args[0].input).toMatchObject({ MessageGroupId: 'serial', MessageDeduplicationId: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const [once] = scheduler.commandCalls(CreateScheduleCommand);
    expect(once!.args[0].input.Target).toMatchObject({ Arn: 'arn:aws:sqs:us-east-1:123456789012:App-serial.fifo', SqsParameters: { MessageGroupId: 'serial' } });
  });

  it('chains with the same id when the run is retried, so the ledger dedupes the second chain', async () => {
    await invoke(sqsRecord({ task: 'chainer', payload: { n: 1 }, id: 'run-1' }));
    await invoke(sqsRecord({ task: 'chainer', payload: { n: 1 }, id: 'run-1' }, { receiveCount: 2 }));
    const ids = sqs.commandCalls(SendMessageCommand, { QueueUrl: QUEUE_URL }).map((c) => JSON.parse(c.args[0].input.MessageBody!).id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
  });
});

describe('gate worker: configuration', () => {
  it('refuses to start without the environment the Gate construct sets, naming the variable', async () => {
    const bare = createHandler([greet], {});
    await expect(bare(sqsEvent(sqsRecord({ task: 'greet' })), context)).rejects.toThrow(/TASKGATE_GATE is not set/);
  });
});

describe('gate worker: an outcome write that fails after the effects happened', () => {
  /** Every outcome write (not the claim) fails `times` times, then lands. */
  function outcomeWritesFail(times: number) {
    let failures = 0;
    dynamo.on(UpdateCommand).callsFake((input: { ConditionExpression?: string }) => {
      if (input.ConditionExpression?.includes('attribute_not_exists') || failures >= times) return {};
      failures += 1;
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    });
  }

  it('a success is not run again: the write is tried again, and the record is done', async () => {
    outcomeWritesFail(2);
    expect(await invoke(sqsRecord({ task: 'greet', payload: { who: 'once' }, id: 'w-1' }))).toEqual({ batchItemFailures: [] });
    expect(ran).toHaveLength(1);
    expect(ledgerWrites().at(-1)).toMatchObject({ ExpressionAttributeValues: expect.objectContaining({ ':status': 'succeeded' }) });
  });

  it('a dead-lettered message is not dead-lettered again', async () => {
    outcomeWritesFail(2);
    behaviour = () => {
      throw new PermanentError('no such customer');
    };
    expect(await invoke(sqsRecord({ task: 'flaky', id: 'w-2' }))).toEqual({ batchItemFailures: [] });
    expect(deadLetters()).toHaveLength(1);
    expect(ledgerWrites().at(-1)).toMatchObject({ ExpressionAttributeValues: expect.objectContaining({ ':status': 'dead' }) });
  });

  it('when the ledger stays down, the outcome still stands once the invocation has no time left to try', async () => {
    outcomeWritesFail(Infinity);
    const short = { getRemainingTimeInMillis: () => 2_500 } as Context;
    expect(await handler(sqsEvent(sqsRecord({ task: 'greet', payload: { who: 'once' }, id: 'w-3' })), short)).toEqual({ batchItemFailures: [] });
    expect(ran).toHaveLength(1);
    // Tried while the invocation had time (2.5 s, less a second): the claim, then the outcome 3 times.
    expect(ledgerWrites()).toHaveLength(4);
  });
});

describe('gate worker: a claim whose answer was lost', () => {
  it('is recognized by its token when the SDK retry finds the run leased to itself, and the task runs at once', async () => {
    let token: unknown;
    dynamo.on(UpdateCommand).callsFake((input: { ConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown> }) => {
      if (input.ConditionExpression?.includes('attribute_not_exists')) {
        // The write landed; the client saw its condition fail on the retry.
        token = input.ExpressionAttributeValues?.[':token'];
        throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
      }
      return {};
    });
    dynamo.on(GetCommand).callsFake(() => ({ Item: { status: 'running', leaseUntil: Date.now() + 60_000, claimToken: token } }));
    expect(await invoke(sqsRecord({ task: 'greet', payload: { who: 'me' }, id: 'lost-1' }))).toEqual({ batchItemFailures: [] });
    expect(ran).toHaveLength(1);
    expect(visibility()).toEqual([]);
  });
});
