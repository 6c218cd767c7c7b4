import { randomUUID } from 'node:crypto';
import { DeleteMessageCommand, type Message, type MessageAttributeValue, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoLedger } from '../../src/worker/ledger/dynamo-ledger';
import { defineTask } from '../../src/core/task';
import { queueUrlBase } from '../../src/core/queue-address';
import { createHandler } from '../../src/worker/create-handler';
import { PermanentError } from '../../src/core/errors';
import { DEAD_LETTER_ATTRIBUTE, MAX_ERROR_BYTES, ownAttributes, readDeadLetter } from '../../src/worker/dead-letter';
import { redriveByLoop } from '../../src/cli/dead-letters';
import { pollOnce } from '../helpers/event-source';
import { createGateQueues, createLedgerTable, dynamoClient, sqsClient } from '../helpers/local-servers';
import { sqsAttributeProblems } from '../helpers/sqs-rules';

const sqsEndpoint = inject('sqsEndpoint');
const dynamodbEndpoint = inject('dynamodbEndpoint');
// The worker builds its own clients the way it does in Lambda; the SDK takes endpoints from here.
Object.assign(process.env, {
  AWS_ENDPOINT_URL_SQS: sqsEndpoint,
  AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
});
const sqs = sqsClient(sqsEndpoint);
const dynamo = dynamoClient(dynamodbEndpoint);
const table = `runs-${randomUUID().slice(0, 8)}`;
const ledger = new DynamoLedger(dynamo, table, 30);

const runs: string[] = [];
const sum = defineTask({
  name: 'sum',
  payload: z.object({ a: z.number(), b: z.number() }),
  run: ({ a, b }, { runId }) => void runs.push(`${runId}=${a + b}`),
});
const broken = defineTask({
  name: 'broken',
  retry: { maxAttempts: 3, minBackoffSeconds: 1, maxBackoffSeconds: 1 },
  run: () => {
    throw new Error('downstream refused the connection');
  },
});

/** A task error as a CLI tool's output can make it: colour codes, NUL, a lone surrogate, 300 KB of text. */
const NOISY_ERROR = `\u001b[31mpg_dump failed\u001b[0m: \u0000 in column \ud800 ${'x'.repeat(300 * 1024)}`;
const refused = defineTask({
  name: 'refused',
  run: (_payload, { runId }) => {
    throw new PermanentError(runId === 'noisy' ? NOISY_ERROR : 'customer 42 does not exist');
  },
});

let gate: { queueUrl: string; dlqUrl: string };
let handler: ReturnType<typeof createHandler>;

beforeAll(async () => {
  await createLedgerTable(dynamo, table);
  // Named as a Taskgate names a gate's queue, `<prefix>default`: the worker derives its URL from the prefix and the server's base.
  const prefix = `t${randomUUID().slice(0, 8)}-`;
  gate = await createGateQueues(sqs, `${prefix}default`, 3);
  handler = createHandler([sum, broken, refused], {
    TASKGATE_GATE: 'default',
    TASKGATE_DLQ_URL: gate.dlqUrl,
    TASKGATE_LEDGER_TABLE: table,
    TASKGATE_QUEUE_PREFIX: prefix,
    TASKGATE_QUEUE_URL_BASE: queueUrlBase(gate.queueUrl),
    TASKGATE_QUEUE_ARN_BASE: 'arn:aws:sqs:us-east-1:000000000000:',
  });
});

async function drain(until: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await until())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the queue to drain');
    await pollOnce(sqs, gate.queueUrl, handler, 1);
  }
}

describe('gate worker against fauxqs and dynalite', () => {
  it('takes a message from send to a succeeded run in the ledger', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: gate.queueUrl, MessageBody: JSON.stringify({ task: 'sum', payload: { a: 2, b: 3 }, id: 'calc-1', source: 'manual' }) }));
    await drain(() => runs.includes('calc-1=5'));
    const record = await ledger.get('sum', 'calc-1');
    expect(record).toMatchObject({ status: 'succeeded', task: 'sum', id: 'calc-1', source: 'manual', attempts: 1, gate: 'default' });
    expect(record!.durationMs).toBeGreaterThanOrEqual(0);
    expect(record!.expiresAt).toBeGreaterThan(Date.now() / 1000 + 29 * 86_400);
  });

  it('runs two deliveries of one tick once', async () => {
    const body = JSON.stringify({ task: 'sum', payload: { a: 1, b: 1 }, id: '2026-11-22T12:00:00Z', scheduledAt: new Date().toISOString(), source: 'schedule' });
    await sqs.send(new SendMessageCommand({ QueueUrl: gate.queueUrl, MessageBody: body }));
    await sqs.send(new SendMessageCommand({ QueueUrl: gate.queueUrl, MessageBody: body }));
    await drain(async () => (await pollOnce(sqs, gate.queueUrl, handler, 1)) === 0);
    expect(runs.filter((r) => r.startsWith('2026-11-22T12:00:00Z'))).toEqual(['2026-11-22T12:00:00Z=2']);
  });

  it('retries a failing task with backoff, then dead-letters it with the reason after maxReceiveCount', async () => {
    const sentAt = Date.now();
    await sqs.send(new SendMessageCommand({ QueueUrl: gate.queueUrl, MessageBody: JSON.stringify({ task: 'broken', id: 'b-1' }) }));
    let dead: Message[] = [];
    await drain(async () => {
      ({ Messages: dead = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: gate.dlqUrl, MessageAttributeNames: ['All'], VisibilityTimeout: 0 })));
      return dead.length > 0;
    }, 30_000);
    expect(dead[0]!.Body).toBe(JSON.stringify({ task: 'broken', id: 'b-1' }));
    expect(readDeadLetter(dead[0]!.MessageAttributes)).toMatchObject({
      reason: 'retries-exhausted',
      error: 'attempt 3 of 3 failed: downstream refused the connection',
      task: 'broken',
      attempts: 3,
    });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: gate.dlqUrl, ReceiptHandle: dead[0]!.ReceiptHandle! }));
    const record = await ledger.get('broken', 'b-1');
    expect(record).toMatchObject({ status: 'dead', attempts: 3, reason: 'retries-exhausted' });
    // Two backoffs of at most 1 s each: the third attempt cannot come sooner than the jitter allows,
    // and not as late as the queue's 30 s visibility timeout would make it without the backoff.
    expect(Date.now() - sentAt).toBeLessThan(15_000);
  }, 40_000);
});

describe('dead letters SQS accepts, with their own attributes', () => {
  /** Runs the gate until the message with this body is in the DLQ; takes it out of the DLQ. */
  async function deadLetterOf(body: string): Promise<Message> {
    let found: Message | undefined;
    await drain(async () => {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: gate.dlqUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 0 }));
      found = Messages.find((message) => message.Body === body);
      return found !== undefined;
    });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: gate.dlqUrl, ReceiptHandle: found!.ReceiptHandle! }));
    return found!;
  }

  it('dead-letters an error with colour codes, NUL and 300 KB of text, its reason readable', async () => {
    const body = JSON.stringify({ task: 'refused', id: 'noisy' });
    await sqs.send(new SendMessageCommand({ QueueUrl: gate.queueUrl, MessageBody: body }));
    const dead = await deadLetterOf(body);
    // fauxqs takes any attribute value; real SQS refuses these characters, empty values, an 11th attribute.
    expect(sqsAttributeProblems(dead.MessageAttributes)).toEqual([]);
    const facts = readDeadLetter(dead.MessageAttributes)!;
    expect(facts).toMatchObject({ reason: 'task-permanent', task: 'refused', attempts: 1 });
    expect(facts.error.startsWith(NOISY_ERROR.slice(0, 60))).toBe(true);
    expect(facts.error).toMatch(/ \[cut: \d+ bytes in all\]$/);
    expect(Buffer.byteLength(dead.MessageAttributes![DEAD_LETTER_ATTRIBUTE]!.StringValue!)).toBeLessThan(MAX_ERROR_BYTES + 200);
    expect(await ledger.get('refused', 'noisy')).toMatchObject({ status: 'dead', reason: 'task-permanent' });
  });

  it('keeps a message\'s 10 own attributes: the first 9 by name as attributes, the 10th in taskgate\'s JSON, all 10 back on redrive', async () => {
    const own: Record<string, MessageAttributeValue> = {
      tenant: { DataType: 'String', StringValue: 'acme' },
      Zone: { DataType: 'String', StringValue: 'eu' },
      priority: { DataType: 'Number', StringValue: '3' },
      signature: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 255]) },
      ...Object.fromEntries(['a1', 'a2', 'a3', 'a4', 'a5', 'trace'].map((name) => [name, { DataType: 'String.custom', StringValue: `value of ${name}` }])),
    };
    const body = JSON.stringify({ task: 'refused', id: 'ten-attributes' });
    await sqs.send(new SendMessageCommand({ QueueUrl: gate.queueUrl, MessageBody: body, MessageAttributes: own }));
    const dead = await deadLetterOf(body);
    expect(sqsAttributeProblems(dead.MessageAttributes)).toEqual([]);
    // ASCII order: Zone a1 a2 a3 a4 a5 priority signature tenant | trace.
    expect(Object.keys(dead.MessageAttributes!).sort()).toEqual(['Zone', 'a1', 'a2', 'a3', 'a4', 'a5', 'priority', 'signature', DEAD_LETTER_ATTRIBUTE, 'tenant']);
    expect(readDeadLetter(dead.MessageAttributes)).toMatchObject({ reason: 'task-permanent', error: 'customer 42 does not exist' });
    expect(normalized(ownAttributes(dead.MessageAttributes))).toEqual(normalized(own));

    await sqs.send(new SendMessageCommand({ QueueUrl: gate.dlqUrl, MessageBody: dead.Body!, MessageAttributes: dead.MessageAttributes }));
    expect((await redriveByLoop(sqs, gate.dlqUrl, gate.queueUrl)).moved).toBe(1);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: gate.queueUrl, MessageAttributeNames: ['All'], VisibilityTimeout: 0 }));
    expect(Messages.map((message) => message.Body)).toEqual([body]);
    expect(normalized(Messages[0]!.MessageAttributes!)).toEqual(normalized(own));
    await sqs.send(new DeleteMessageCommand({ QueueUrl: gate.queueUrl, ReceiptHandle: Messages[0]!.ReceiptHandle! }));
  });
});

/** Attributes compared by value (binary as bytes, whatever array type the SDK returned). */
function normalized(attributes: Record<string, MessageAttributeValue>) {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [name, { DataType: value.DataType, StringValue: value.StringValue, BinaryValue: value.BinaryValue && [...value.BinaryValue] }]),
  );
}

describe('run ledger conditional writes on dynalite', () => {
  const start = (now: number) => ({ task: 'sum', id: `lease-${now}`, gate: 'default', source: 'api', scheduledAt: new Date(now), attempt: 1, now, sentAt: now });

  it("respects a live lease, takes an expired one, and refuses the old holder's outcome", async () => {
    const t0 = Date.now();
    const first = await ledger.claim(start(t0), 1_000);
    expect(first.outcome).toBe('claimed');
    const id = `lease-${t0}`;
    expect(await ledger.claim({ ...start(t0), now: t0 + 500, attempt: 2 }, 1_000)).toEqual({ outcome: 'leased', leaseUntil: t0 + 1_000 });
    const second = await ledger.claim({ ...start(t0), now: t0 + 1_500, attempt: 2 }, 1_000);
    expect(second.outcome).toBe('claimed');
    const end = { status: 'succeeded' as const, attempt: 1, finishedAt: t0 + 1_600, durationMs: 1_600 };
    expect(await ledger.finish('sum', id, (first as { token: string }).token, end)).toBe(false);
    expect(await ledger.finish('sum', id, (second as { token: string }).token, { ...end, attempt: 2 })).toBe(true);
    expect(await ledger.claim({ ...start(t0), now: t0 + 2_000, attempt: 3 }, 1_000)).toEqual({ outcome: 'duplicate', status: 'succeeded' });
    expect(await ledger.get('sum', id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('lets a failed run be claimed again (a retry), and a dead one by a message sent after it died (a redrive)', async () => {
    const t0 = Date.now() + 10;
    const claim = (await ledger.claim(start(t0), 60_000)) as { token: string };
    await ledger.finish('sum', `lease-${t0}`, claim.token, { status: 'failed', attempt: 1, finishedAt: t0, durationMs: 1, error: 'x' });
    const retry = (await ledger.claim({ ...start(t0), attempt: 2 }, 60_000)) as { outcome: string; token: string };
    expect(retry.outcome).toBe('claimed');
    await ledger.finish('sum', `lease-${t0}`, retry.token, { status: 'dead', attempt: 2, finishedAt: t0 + 5, durationMs: 1, reason: 'retries-exhausted', error: 'x' });
    // A second copy of the message that died (sent with it) is a duplicate: a permanent failure is not repeated.
    expect(await ledger.claim({ ...start(t0), now: t0 + 10, sentAt: t0 }, 60_000)).toEqual({ outcome: 'duplicate', status: 'dead' });
    // A redrive is a message sent after the run died (SQS gives a redriven message a new sent time).
    expect((await ledger.claim({ ...start(t0), now: t0 + 20, sentAt: t0 + 15 }, 60_000)).outcome).toBe('claimed');
  });
});
