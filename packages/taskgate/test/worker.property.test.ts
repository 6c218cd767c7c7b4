import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import * as z from 'zod/mini';
import { describe, expect, it } from 'vitest';
import { defineTask } from '../src/core/task';
import { backoffSeconds, MAX_VISIBILITY_SECONDS } from '../src/worker/backoff';
import { createHandler } from '../src/worker/create-handler';
import { readDeadLetter } from '../src/worker/dead-letter';
import { DLQ_URL, workerEnv } from './helpers/env';
import { sqsEvent, sqsRecord } from './helpers/sqs-records';
import { sqsAttributeProblems } from './helpers/sqs-rules';

const sqs = mockClient(SQSClient);
const dynamo = mockClient(DynamoDBDocumentClient);

const tasks = [
  defineTask({ name: 'ok', payload: z.object({ n: z.optional(z.number()) }), run: () => undefined }),
  defineTask({
    name: 'sometimes',
    payload: z.object({ fail: z.optional(z.boolean()) }),
    run: ({ fail }) => {
      if (fail) throw new Error('asked to fail');
    },
  }),
];
const handler = createHandler(tasks, workerEnv());

/** Bodies from pure noise to nearly valid messages, so every branch of the parser is reached. */
const body = fc.oneof(
  fc.string(),
  fc.json(),
  fc.record(
    {
      task: fc.oneof(fc.constantFrom('ok', 'sometimes', 'nope', ''), fc.string(), fc.integer()),
      payload: fc.oneof(fc.record({ n: fc.oneof(fc.integer(), fc.string()), fail: fc.boolean() }, { requiredKeys: [] }), fc.anything()),
      id: fc.oneof(fc.string({ minLength: 1 }), fc.constant('')),
      scheduledAt: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string()),
      source: fc.oneof(fc.constantFrom('schedule', 'manual', 'api'), fc.string()),
      extra: fc.anything(),
    },
    { requiredKeys: [] },
  ).map((message) => JSON.stringify(message)),
);

describe('gate worker over arbitrary message bodies', () => {
  it('never throws, and every record ends as success, batch item failure or DLQ with a reason', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(body, fc.integer({ min: 1, max: 6 })), { minLength: 1, maxLength: 10 }), async (bodies) => {
        sqs.reset();
        dynamo.reset();
        sqs.on(SendMessageCommand).resolves({ MessageId: 'x' });
        sqs.on(ChangeMessageVisibilityCommand).resolves({});
        dynamo.on(UpdateCommand).resolves({});
        dynamo.on(GetCommand).resolves({});
        const records = bodies.map(([text, receiveCount]) => sqsRecord(text, { receiveCount }));
        const response = await handler(sqsEvent(...records), { getRemainingTimeInMillis: () => 60_000 } as Context);
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        const dead = sqs.commandCalls(SendMessageCommand, { QueueUrl: DLQ_URL }).map((c) => c.args[0].input);
        for (const letter of dead) {
          expect(readDeadLetter(letter.MessageAttributes)?.reason).toMatch(/^[a-z-]+$/);
          // Whatever the body held, the reason's attribute is one SQS takes.
          expect(sqsAttributeProblems(letter.MessageAttributes)).toEqual([]);
        }
        const succeeded = dynamo
          .commandCalls(UpdateCommand)
          .filter((c) => c.args[0].input.ExpressionAttributeValues?.[':status'] === 'succeeded').length;
        // Exactly one ending per record: nothing dropped, nothing counted twice.
        expect(succeeded + dead.length + failed.size).toBe(records.length);
        for (const id of failed) expect(records.some((r) => r.messageId === id)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});

describe('backoff', () => {
  it('stays within [0, min(maxBackoff, minBackoff * 2^(attempt-1))] and under SQS’s 12 hours', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 43_200 }),
        fc.integer({ min: 0, max: 43_200 }),
        fc.double({ min: 0, max: 0.9999999, noNaN: true }),
        (attempt, a, b, r) => {
          const retry = { maxAttempts: 5, minBackoffSeconds: Math.min(a, b), maxBackoffSeconds: Math.max(a, b) };
          const seconds = backoffSeconds(attempt, retry, () => r);
          const ceiling = Math.min(retry.maxBackoffSeconds, retry.minBackoffSeconds * 2 ** Math.min(attempt - 1, 30));
          expect(Number.isInteger(seconds)).toBe(true);
          expect(seconds).toBeGreaterThanOrEqual(0);
          expect(seconds).toBeLessThanOrEqual(Math.min(ceiling, MAX_VISIBILITY_SECONDS));
        },
      ),
    );
  });

  it('spreads retries over the whole window (full jitter), not at its end', () => {
    const retry = { maxAttempts: 5, minBackoffSeconds: 10, maxBackoffSeconds: 900 };
    expect(backoffSeconds(3, retry, () => 0)).toBe(0);
    expect(backoffSeconds(3, retry, () => 0.9999)).toBe(40);
    expect(backoffSeconds(20, retry, () => 0.9999)).toBe(900);
  });

  it('takes a Retry-After hint as given, capped at 12 hours', () => {
    const retry = { maxAttempts: 5, minBackoffSeconds: 10, maxBackoffSeconds: 900 };
    expect(backoffSeconds(1, retry, () => 0.5, 7.2)).toBe(8);
    expect(backoffSeconds(1, retry, () => 0.5, 10 ** 9)).toBe(MAX_VISIBILITY_SECONDS);
  });
});
