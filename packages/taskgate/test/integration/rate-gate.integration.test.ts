import { randomUUID } from 'node:crypto';
import { queueUrlBase } from '../../src/core/queue-address';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { defineTask } from '../../src/core/task';
import { createHandler } from '../../src/worker/create-handler';
import { DynamoLedger } from '../../src/worker/ledger/dynamo-ledger';
import { bucketKey, tokensInLastMinute } from '../../src/worker/rate/bucket-item';
import { DynamoTokenBucket } from '../../src/worker/rate/token-bucket';
import { ATTEMPTS_ATTRIBUTE } from '../../src/worker/rate/wait-message';
import { RateGate } from '../../src/worker/rate/rate-gate';
import { SdkSendPorts } from '../../src/worker/send-adapter';
import { Triggers } from '../../src/worker/triggers';
import { Worker } from '../../src/worker/worker';
import { TaskRegistry } from '../../src/core/registry';
import { toRecord } from '../../src/local/poller';
import { createGateQueues, createLedgerTable, dynamoClient, sqsClient } from '../helpers/local-servers';

const sqsEndpoint = inject('sqsEndpoint');
const dynamodbEndpoint = inject('dynamodbEndpoint');
Object.assign(process.env, { AWS_ENDPOINT_URL_SQS: sqsEndpoint, AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
const sqs = sqsClient(sqsEndpoint);
const dynamo = dynamoClient(dynamodbEndpoint);
const table = `rate-${randomUUID().slice(0, 8)}`;

const ran: string[] = [];
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const call = defineTask({ name: 'call', gate: 'paced', run: (_payload, { runId }) => void ran.push(runId) });

beforeAll(async () => {
  await createLedgerTable(dynamo, table);
});

/** The bucket item's key of a bucket. */
function bucketKeyOf(bucket: DynamoTokenBucket): string {
  return (bucket as unknown as { key: string }).key;
}

/** The most grants inside any window of `windowMs`, over sorted times. */
function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

describe('the token bucket on dynalite', () => {
  it('gives the burst at once, then one token per interval, and counts them by minute', async () => {
    // Slow enough that a busy machine takes the six tokens within one interval.
    const bucket = new DynamoTokenBucket(dynamo, table, `burst-${randomUUID()}`, { perSecond: 1, burst: 5 });
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await bucket.reserve(1));
    expect(results.slice(0, 5).every((r) => r.slots.length === 1)).toBe(true);
    expect(results[5]).toEqual({ slots: [], nextAt: expect.any(Number) });
    const nextMs = results[5]!.nextAt - Date.now();
    expect(nextMs).toBeGreaterThan(0);
    // One interval, give or take the milliseconds between the bucket's clock readings and this one
    // (a full run of `npm test` once measured 1001).
    expect(nextMs).toBeLessThanOrEqual(1000 + 20);
    await new Promise((resolve) => setTimeout(resolve, nextMs + 5));
    expect((await bucket.reserve(1)).slots).toHaveLength(1);
    expect(bucket.writes).toBe(6);
    const { Item } = await dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: bucketKeyOf(bucket) } }, ConsistentRead: true }));
    expect(tokensInLastMinute(unmarshall(Item!), Date.now())).toBeGreaterThanOrEqual(6);
  });

  it("reserves a batch's tokens in one write: the burst at once, the rest an interval apart within the horizon, none beyond it", async () => {
    const bucket = new DynamoTokenBucket(dynamo, table, `batch-${randomUUID()}`, { perSecond: 10, burst: 3 });
    // 3 tokens now, then one each 100 ms: 3 more within a horizon of 300 ms; the other 2 of 8 get none.
    const reservation = await bucket.reserve(8, 300);
    expect(bucket.writes).toBe(1);
    const { slots } = reservation;
    expect(slots).toHaveLength(6);
    expect(new Set(slots.slice(0, 3)).size).toBe(1);
    for (let j = 3; j < 6; j++) expect(slots[j]! - slots[j - 1]!).toBeCloseTo(100, 6);
    // The two without a token hear when the next one comes: an interval after the last slot.
    expect(reservation.nextAt - slots[5]!).toBeCloseTo(100, 6);
    const { Item } = await dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: bucketKeyOf(bucket) } }, ConsistentRead: true }));
    expect(tokensInLastMinute(unmarshall(Item!), Date.now())).toBe(6);
  });

  it('after a refused write reads the bucket back and reserves only what is still free', async () => {
    const gate = `refused-${randomUUID()}`;
    const rate = { perSecond: 1, burst: 5 };
    const [first, second] = [new DynamoTokenBucket(dynamo, table, gate, rate), new DynamoTokenBucket(dynamo, table, gate, rate)];
    expect((await first.reserve(3)).slots).toHaveLength(3);
    // The second worker reads the bucket and takes the 2 tokens left of the burst.
    expect((await second.reserve(2)).slots).toHaveLength(2);
    // The first still believes 2 are left: its write is refused, it reads the bucket back, finds it empty and stops there.
    const late = await first.reserve(2);
    expect(late.slots).toEqual([]);
    expect(late.nextAt).toBeGreaterThan(Date.now());
    expect(first.writes).toBe(2);
    expect(second.writes).toBe(1);
  });

  it('never issues more than the rate to 20 workers reserving batches at once, each up to a second ahead as workers do', async () => {
    const gate = `race-${randomUUID()}`;
    const rate = { perSecond: 40, burst: 4 };
    const slots: number[] = [];
    const until = Date.now() + 2_500;
    await Promise.all(
      Array.from({ length: 20 }, async (_, worker) => {
        const bucket = new DynamoTokenBucket(dynamo, table, gate, rate);
        for (let round = 0; Date.now() < until; round++) {
          // Batches of 1 to 10 records, as a gate with batchSize 10 receives them.
          const reservation = await bucket.reserve(1 + ((worker + round) % 10), 1000);
          // A reserved token's slot: when its run may start.
          slots.push(...reservation.slots);
          const next = reservation.slots.at(-1) ?? Math.min(reservation.nextAt, Date.now() + 100);
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
        }
      }),
    );
    // GCRA: at most burst + rate x window in any window.
    expect(busiestWindow(slots, 1000)).toBeLessThanOrEqual(rate.burst + rate.perSecond);
    // And it issues beyond the burst: the bucket refills (how fast the machine lets it is the benchmark's business).
    expect(slots.length).toBeGreaterThan(rate.burst);
    // Not asserted here: writes per token. Refused writes (lost races between the 20 workers) grow
    // with the machine's load (a loaded run measured 161 writes for 137 tokens); it is the rate
    // benchmark's figure, and one write per batch reservation is asserted above.
  });
});

describe('a worker on a rate gate', () => {
  const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

  async function receive(queueUrl: string, count: number, waitSeconds = 0): Promise<Message[]> {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: count, WaitTimeSeconds: waitSeconds, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }),
    );
    return Messages;
  }

  /** The worker derives gate `paced`'s queue from its name, `<prefix>paced`, and the server's base. */
  function queueEnvironment(queueUrl: string): Record<string, string> {
    const name = queueUrl.slice(queueUrl.lastIndexOf('/') + 1);
    return {
      TASKGATE_QUEUE_PREFIX: name.slice(0, -'paced'.length),
      TASKGATE_QUEUE_URL_BASE: queueUrlBase(queueUrl),
      TASKGATE_QUEUE_ARN_BASE: 'arn:aws:sqs:us-east-1:000000000000:',
    };
  }

  function handlerFor(queueUrl: string, dlqUrl: string, ledgerTable = table) {
    return createHandler([call], {
      TASKGATE_GATE: 'paced',
      TASKGATE_DLQ_URL: dlqUrl,
      TASKGATE_LEDGER_TABLE: ledgerTable,
      ...queueEnvironment(queueUrl),
      TASKGATE_RATE: JSON.stringify({ perSecond: 0.5, burst: 1 }),
    });
  }

  it('runs what has a token and re-sends the rest with a delay, its attempts carried, reporting it done', async () => {
    const gate = await createGateQueues(sqs, `p${randomUUID().slice(0, 8)}-paced`, 5);
    const handler = handlerFor(gate.queueUrl, gate.dlqUrl);
    for (const id of ['w-1', 'w-2', 'w-3']) await sqs.send(new SendMessageCommand({ QueueUrl: gate.queueUrl, MessageBody: JSON.stringify({ task: 'call', id, source: 'manual' }) }));
    const messages = await receive(gate.queueUrl, 3);
    expect(messages).toHaveLength(3);
    const records = messages.map((message) => toRecord(message, 'arn:aws:sqs:us-east-1:000000000000:paced', 'us-east-1'));
    // The third came back for its second delivery: its receive count counts, and one attempt was carried.
    (records[2]!.attributes as { ApproximateReceiveCount: string }).ApproximateReceiveCount = '2';
    const response = await handler({ Records: records } as SQSEvent, context);
    expect(response.batchItemFailures).toEqual([]);
    expect(ran.filter((id) => id.startsWith('w-'))).toHaveLength(1);
    const waiting = ['w-1', 'w-2', 'w-3'].filter((id) => !ran.includes(id));
    // Re-sent with a delay: not visible at once, back after it (the next token at 0.5/s is 2 s away).
    expect(await receive(gate.queueUrl, 10)).toEqual([]);
    const back: Message[] = [];
    const deadline = Date.now() + 8_000;
    while (back.length < 2 && Date.now() < deadline) back.push(...(await receive(gate.queueUrl, 10, 1)));
    expect(back.map((m) => JSON.parse(m.Body!).id).sort()).toEqual(waiting.sort());
    for (const message of back) {
      const id = JSON.parse(message.Body!).id as string;
      expect(JSON.parse(message.Body!)).toMatchObject({ task: 'call', id, source: 'manual' });
      const carried = message.MessageAttributes?.[ATTEMPTS_ATTRIBUTE]?.StringValue;
      expect(carried).toBe(id === JSON.parse(records[2]!.body).id ? '1' : '0');
    }
  });

  it("shares one write among a batch's records: each runs at its own slot, the one beyond the horizon is re-sent", async () => {
    const gate = await createGateQueues(sqs, `p${randomUUID().slice(0, 8)}-paced`, 5);
    // 2 tokens at once, then one each 500 ms: a worker waits up to a second in place, so 4 of 5 fit.
    const bucket = new DynamoTokenBucket(dynamo, table, `shared-${randomUUID()}`, { perSecond: 2, burst: 2 });
    const registry = new TaskRegistry([call]);
    const worker = new Worker({
      registry,
      gate: 'paced',
      queueUrl: gate.queueUrl,
      deadLetterQueueUrl: gate.dlqUrl,
      sqs,
      ledger: new DynamoLedger(dynamo, table, 30),
      triggers: new Triggers({ registry, sqs, queues: {} }),
      logger: silent,
      rate: new RateGate({ bucket, ports: new SdkSendPorts({ sqs }), queueUrl: gate.queueUrl, fifo: false, logger: silent }),
    });
    const ids = ['s-1', 's-2', 's-3', 's-4', 's-5'];
    for (const id of ids) await sqs.send(new SendMessageCommand({ QueueUrl: gate.queueUrl, MessageBody: JSON.stringify({ task: 'call', id }) }));
    const messages: Message[] = [];
    while (messages.length < ids.length) messages.push(...(await receive(gate.queueUrl, ids.length - messages.length)));
    const { outcomes } = await worker.processBatch(messages.map((message) => toRecord(message, 'arn:aws:sqs:us-east-1:000000000000:paced', 'us-east-1')));
    expect(bucket.writes).toBe(1);
    const statuses = [...outcomes.values()].map((outcome) => outcome.status).sort();
    expect(statuses).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'waiting']);
    expect(ran.filter((id) => id.startsWith('s-'))).toHaveLength(4);
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: gate.queueUrl, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }));
    expect(Attributes?.ApproximateNumberOfMessagesDelayed).toBe('1');
  });

  it('records the carried attempts in the ledger when a re-sent message runs', async () => {
    const gate = await createGateQueues(sqs, `p${randomUUID().slice(0, 8)}-paced`, 5);
    const handler = handlerFor(gate.queueUrl, gate.dlqUrl, table);
    await new Promise((resolve) => setTimeout(resolve, 2_100)); // the earlier test's token interval
    await sqs.send(new SendMessageCommand({ QueueUrl: gate.queueUrl, MessageBody: JSON.stringify({ task: 'call', id: 'carried-1' }), MessageAttributes: { [ATTEMPTS_ATTRIBUTE]: { DataType: 'Number', StringValue: '2' } } }));
    const [message] = await receive(gate.queueUrl, 1);
    await handler({ Records: [toRecord(message!, 'arn:aws:sqs:us-east-1:000000000000:paced', 'us-east-1')] } as SQSEvent, context);
    expect(ran).toContain('carried-1');
    expect(await new DynamoLedger(dynamo, table, 30).get('call', 'carried-1')).toMatchObject({ status: 'succeeded', attempts: 3 });
  });

  it('paces a FIFO batch inside its one worker: each record sleeps until its token, none is re-sent', async () => {
    const gate = await createGateQueues(sqs, `p${randomUUID().slice(0, 8)}-paced`, 5);
    // A table of its own: the other tests' bucket for gate `paced` runs at another rate.
    const fifoTable = `rate-fifo-${randomUUID().slice(0, 8)}`;
    await createLedgerTable(dynamo, fifoTable);
    const handler = createHandler([call], {
      TASKGATE_GATE: 'paced',
      TASKGATE_DLQ_URL: gate.dlqUrl,
      TASKGATE_LEDGER_TABLE: fifoTable,
      // A FIFO gate (its queue URL ends in .fifo): the worker paces in place; nothing is sent to it.
      ...queueEnvironment(gate.queueUrl),
      TASKGATE_FIFO_GATES: 'paced',
      TASKGATE_RATE: JSON.stringify({ perSecond: 4, burst: 1 }),
    });
    for (const id of ['f-1', 'f-2', 'f-3']) await sqs.send(new SendMessageCommand({ QueueUrl: gate.queueUrl, MessageBody: JSON.stringify({ task: 'call', id }) }));
    const records = (await receive(gate.queueUrl, 3)).map((message) => {
      const record = toRecord(message, 'arn:aws:sqs:us-east-1:000000000000:paced.fifo', 'us-east-1');
      return { ...record, attributes: { ...record.attributes, MessageGroupId: 'paced' } };
    });
    const started = Date.now();
    const response = await handler({ Records: records } as SQSEvent, { getRemainingTimeInMillis: () => 120_000 } as Context);
    expect(response.batchItemFailures).toEqual([]);
    expect(ran.filter((id) => id.startsWith('f-'))).toEqual(['f-1', 'f-2', 'f-3']);
    // One token every 250 ms, the first at once: at least 2 intervals for 3 records.
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
  });

  it('fails closed: when the bucket cannot be written, the message waits and does not run', async () => {
    const gate = await createGateQueues(sqs, `p${randomUUID().slice(0, 8)}-paced`, 5);
    const handler = handlerFor(gate.queueUrl, gate.dlqUrl, 'no-such-table');
    await sqs.send(new SendMessageCommand({ QueueUrl: gate.queueUrl, MessageBody: JSON.stringify({ task: 'call', id: 'closed-1' }) }));
    const [message] = await receive(gate.queueUrl, 1);
    const response = await handler({ Records: [toRecord(message!, 'arn:aws:sqs:us-east-1:000000000000:paced', 'us-east-1')] } as SQSEvent, context);
    expect(ran).not.toContain('closed-1');
    // Re-sent to wait (5 to 10 s), so this delivery is done and spends no retry.
    expect(response.batchItemFailures).toEqual([]);
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: gate.queueUrl, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }));
    expect(Attributes?.ApproximateNumberOfMessagesDelayed).toBe('1');
  });
});

describe('the bucket item', () => {
  it('lives beside the runs under a key no run can have', () => {
    expect(bucketKey('email-api')).toBe('taskgate:rate#email-api');
  });
});
