import { randomBytes, randomUUID } from 'node:crypto';
import * as net from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { TaskRegistry } from '../../src/core/registry';
import type { TaskLogger } from '../../src/core/task';
import { defineWebhookTask } from '../../src/core/webhook-task';
import { fromEnv } from '../../src/core/webhook-url';
import { toRecord } from '../../src/local/poller';
import { workerFromEnvironment } from '../../src/worker/create-handler';
import { readDeadLetter } from '../../src/worker/dead-letter';
import { DynamoLedger } from '../../src/worker/ledger/dynamo-ledger';
import type { RecordOutcome, Worker } from '../../src/worker/worker';
import { webhookSecretVariable } from '../../src/worker/worker-env';
import { verifyWebhook } from '../../src/worker/webhook/signature';
import { createGateQueues, createLedgerTable, dynamoClient, sqsClient } from '../helpers/local-servers';
import { startWebhookReceiver, type Answer, type ReceivedRequest, type WebhookReceiver } from '../helpers/webhook-receiver';

const sqsEndpoint = inject('sqsEndpoint');
const dynamodbEndpoint = inject('dynamodbEndpoint');
const NEW_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const OLD_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
Object.assign(process.env, {
  AWS_ENDPOINT_URL_SQS: sqsEndpoint,
  AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  // Both secrets active, as in a rotation: every request carries two signatures.
  [webhookSecretVariable('hooks')]: `${NEW_SECRET} ${OLD_SECRET}`,
});
const sqs = sqsClient(sqsEndpoint);
const dynamo = dynamoClient(dynamodbEndpoint);
const table = `webhook-runs-${randomUUID().slice(0, 8)}`;
const ledger = new DynamoLedger(dynamo, table, 30);

/** What the receiver answers for each run (by the payload's orderId, which is the run id), per attempt. */
const script = new Map<string, (request: ReceivedRequest, nth: number) => Answer>();
const attempts = new Map<string, number>();
let receiver: WebhookReceiver;
let gate: { queueUrl: string; dlqUrl: string };
let worker: Worker;
const logged: string[] = [];

const notify = defineWebhookTask({
  name: 'notify',
  gate: 'hooks',
  url: fromEnv('HOOK_URL'),
  payload: z.object({ orderId: z.string() }),
  timeout: 1,
  retry: { maxAttempts: 3, minBackoffSeconds: 0, maxBackoffSeconds: 5 },
  statusOverrides: { 409: 'success' },
});

beforeAll(async () => {
  receiver = await startWebhookReceiver((request) => {
    const id = (JSON.parse(request.body) as { orderId: string }).orderId;
    const nth = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, nth);
    return script.get(id)?.(request, nth) ?? { status: 200, body: 'ok' };
  });
  process.env.HOOK_URL = `${receiver.url}/hook`;
  await createLedgerTable(dynamo, table);
  gate = await createGateQueues(sqs, `hooks-${randomUUID().slice(0, 8)}`, 5);
  // Every line the worker logs, with every key it gives, as the Lambda's log would have it.
  const record = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => void logged.push(JSON.stringify({ level, message, ...Object.assign({}, ...extra) }));
  const logger: TaskLogger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  // workerFromEnvironment takes Powertools' Logger; the worker uses only its TaskLogger slice.
  worker = workerFromEnvironment(new TaskRegistry([notify]), logger as Logger, {
    TASKGATE_GATE: 'hooks',
    TASKGATE_DLQ_URL: gate.dlqUrl,
    TASKGATE_LEDGER_TABLE: table,
    TASKGATE_QUEUES: JSON.stringify({ hooks: { url: gate.queueUrl } }),
  });
});

afterAll(async () => {
  await receiver?.close();
});

/** Sends a run of `notify` whose request the receiver answers with `answer`. */
async function send(id: string, answer: (request: ReceivedRequest, nth: number) => Answer): Promise<string> {
  script.set(id, answer);
  await sqs.send(new SendMessageCommand({ QueueUrl: gate.queueUrl, MessageBody: JSON.stringify({ task: 'notify', id, payload: { orderId: id } }) }));
  return id;
}

/** One receive and one batch through the real worker, as the event source mapping does it; the outcomes by run id. */
async function pollOnce(waitSeconds = 1): Promise<Map<string, RecordOutcome>> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: gate.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }),
  );
  const byId = new Map<string, RecordOutcome>();
  if (Messages.length === 0) return byId;
  const records = Messages.map((message: Message) => toRecord(message, 'arn:aws:sqs:us-east-1:000000000000:hooks', 'us-east-1'));
  const { outcomes } = await worker.processBatch(records, () => 60_000);
  const done = records.filter((record) => outcomes.get(record.messageId)?.status !== 'retry');
  if (done.length > 0) {
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: gate.queueUrl, Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })) }));
  }
  for (const record of records) {
    const id = (JSON.parse(record.body) as { id: string }).id;
    const outcome = outcomes.get(record.messageId)!;
    byId.set(id, outcome);
    history.set(id, [...(history.get(id) ?? []), outcome]);
  }
  return byId;
}

/** Every outcome of each run so far, in order: a poll may finish several runs at once. */
const history = new Map<string, RecordOutcome[]>();
const taken = new Map<string, number>();

/** Polls until run `id` has a new outcome for which `until` holds; the run's new outcomes in order. */
async function runUntil(id: string, until: (outcome: RecordOutcome) => boolean, timeoutMs = 20_000): Promise<RecordOutcome[]> {
  const deadline = Date.now() + timeoutMs;
  let seen: RecordOutcome[] = [];
  while (Date.now() < deadline) {
    seen = (history.get(id) ?? []).slice(taken.get(id) ?? 0);
    const index = seen.findIndex(until);
    if (index >= 0) {
      taken.set(id, (taken.get(id) ?? 0) + index + 1);
      return seen.slice(0, index + 1);
    }
    await pollOnce();
  }
  throw new Error(`run ${id}: no final outcome within ${timeoutMs} ms (seen: ${seen.map((o) => o.status).join(', ')})`);
}

const final = (outcome: RecordOutcome) => outcome.status !== 'retry';
const requestsOf = (id: string) => receiver.requests.filter((request) => JSON.parse(request.body).orderId === id);

async function deadLetterOf(id: string): Promise<Message> {
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: gate.dlqUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 0 }));
  const found = Messages.find((message) => JSON.parse(message.Body!).id === id);
  if (!found) throw new Error(`run ${id} is not in the DLQ`);
  return found;
}

describe('webhook tasks through the real worker, fauxqs, dynalite and an HTTP server on 127.0.0.1', () => {
  it('a 2xx succeeds once, signed with both secrets: a receiver holding either verifies, and the ledger has the response', async () => {
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => send(`ok-${i}`, () => ({ status: 201, body: '{"accepted":true}' }))));
    for (const id of ids) expect(await runUntil(id, final)).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    let failedVerifications = 0;
    for (const id of ids) {
      const [request] = requestsOf(id);
      expect(request).toMatchObject({ method: 'POST', headers: expect.objectContaining({ 'content-type': 'application/json', 'webhook-id': id, 'taskgate-task': 'notify' }) });
      expect(JSON.parse(request!.body)).toEqual({ orderId: id });
      expect(request!.headers['webhook-signature']!.toString().split(' ')).toHaveLength(2);
      for (const secret of [OLD_SECRET, NEW_SECRET]) {
        try {
          verifyWebhook(secret, request!.headers, request!.body, { toleranceSeconds: 60 });
        } catch {
          failedVerifications++;
        }
      }
      expect(await ledger.get('notify', id)).toMatchObject({ status: 'succeeded', attempts: 1, responseStatus: 201, responseBytes: 17, responseMs: expect.any(Number) });
    }
    expect(failedVerifications).toBe(0);
  });

  it('a 503 is retried with the backoff, then a 200 succeeds on the second attempt', async () => {
    const id = await send('flaky', (_request, nth) => (nth === 1 ? { status: 503, body: 'maintenance' } : { status: 200 }));
    const outcomes = await runUntil(id, final);
    expect(outcomes.map((o) => o.status)).toEqual(['retry', 'succeeded']);
    expect(outcomes[0]).toMatchObject({ error: expect.stringMatching(/^EndpointError: POST http:\/\/127\.0\.0\.1:\d+\/hook answered 503: maintenance$/) });
    expect(requestsOf(id)).toHaveLength(2);
    expect(await ledger.get('notify', id)).toMatchObject({ status: 'succeeded', attempts: 2, responseStatus: 200 });
  });

  it('honours Retry-After in seconds and as an HTTP-date as the record\'s visibility delay, clamped to the task\'s max backoff', async () => {
    const seconds = await send('retry-after-seconds', (_r, nth) => (nth === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    const [first] = await runUntil(seconds, () => true);
    expect(first).toMatchObject({ status: 'retry', delaySeconds: 2 });
    expect(await pollOnce(0)).not.toContain(seconds); // invisible for its 2 s
    expect((await runUntil(seconds, final)).at(-1)).toMatchObject({ status: 'succeeded' });
    const [a, b] = requestsOf(seconds);
    expect(b!.arrivedAt - a!.arrivedAt).toBeGreaterThanOrEqual(1_900);

    const date = await send('retry-after-date', (_r, nth) => (nth === 1 ? { status: 503, headers: { 'retry-after': new Date(Date.now() + 3_000).toUTCString() } } : { status: 200 }));
    const [dated] = await runUntil(date, () => true);
    expect(dated).toMatchObject({ status: 'retry' });
    // An HTTP-date has whole seconds: 3 s ahead is 2 or 3 s away when the answer is read.
    expect((dated as { delaySeconds: number }).delaySeconds).toBeGreaterThanOrEqual(2);
    expect((dated as { delaySeconds: number }).delaySeconds).toBeLessThanOrEqual(3);
    await runUntil(date, final);

    const clamped = await send('retry-after-hour', (_r, nth) => (nth === 1 ? { status: 429, headers: { 'retry-after': '3600' } } : { status: 200 }));
    expect((await runUntil(clamped, () => true))[0]).toMatchObject({ status: 'retry', delaySeconds: 5, error: expect.stringContaining('(Retry-After 3600s)') });
    await runUntil(clamped, final);
  }, 40_000);

  it('410, 404 and 302 go to the DLQ after exactly one request, with the status and the body\'s first kilobyte; no redirect is followed', async () => {
    const longBody = `${'é'.repeat(10)}${'x'.repeat(3_000)}`;
    const gone = await send('gone', () => ({ status: 410, body: 'unsubscribed' }));
    const missing = await send('missing', () => ({ status: 404, body: longBody }));
    const moved = await send('moved', () => ({ status: 302, headers: { location: `${receiver.url}/elsewhere` } }));
    expect(await runUntil(gone, final)).toEqual([expect.objectContaining({ status: 'dead', reason: 'endpoint-gone' })]);
    expect(await runUntil(missing, final)).toEqual([expect.objectContaining({ status: 'dead', reason: 'endpoint-rejected' })]);
    expect(await runUntil(moved, final)).toEqual([expect.objectContaining({ status: 'dead', reason: 'endpoint-rejected' })]);
    for (const id of [gone, missing, moved]) expect(requestsOf(id)).toHaveLength(1);
    expect(receiver.requests.filter((request) => request.path === '/elsewhere')).toEqual([]);

    expect(readDeadLetter((await deadLetterOf(gone)).MessageAttributes)).toMatchObject({ reason: 'endpoint-gone', error: expect.stringMatching(/answered 410: the endpoint is gone: unsubscribed$/), attempts: 1 });
    const facts = readDeadLetter((await deadLetterOf(missing)).MessageAttributes)!;
    const kilobyte = Buffer.from(longBody).subarray(0, 1024).toString('utf8');
    expect(facts.error).toBe(`POST ${receiver.url}/hook answered 404: ${kilobyte}`);
    expect(readDeadLetter((await deadLetterOf(moved)).MessageAttributes)!.error).toMatch(/answered 302$/);
    expect(await ledger.get('notify', missing)).toMatchObject({ status: 'dead', reason: 'endpoint-rejected', responseStatus: 404, responseBytes: Buffer.byteLength(longBody) });
  });

  it('a status override makes a 409 a success', async () => {
    const id = await send('conflict', () => ({ status: 409, body: 'already have it' }));
    expect(await runUntil(id, final)).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    expect(await ledger.get('notify', id)).toMatchObject({ status: 'succeeded', responseStatus: 409 });
  });

  it('aborts a slow endpoint at the task\'s timeout and retries it', async () => {
    const id = await send('slow', (_r, nth) => (nth === 1 ? { status: 200, delayMs: 5_000 } : { status: 200 }));
    const outcomes = await runUntil(id, final);
    expect(outcomes.map((o) => o.status)).toEqual(['retry', 'succeeded']);
    expect(outcomes[0]).toMatchObject({ error: 'TaskTimeoutError: task notify did not finish within its timeout of 1s' });
    const [first, second] = requestsOf(id);
    // The receiver saw the first request closed before it answered, and then a second one.
    await vi.waitFor(() => expect(first!.abortedByClient).toBe(true));
    expect(second!.abortedByClient).toBe(false);
    expect(await ledger.get('notify', id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it("a new attempt's record does not keep the last attempt's response", async () => {
    const id = await send('503-then-slow', (_r, nth) => (nth === 1 ? { status: 503 } : nth === 2 ? { status: 200, delayMs: 3_000 } : { status: 200 }));
    await runUntil(id, () => true);
    expect(await ledger.get('notify', id)).toMatchObject({ status: 'failed', attempts: 1, responseStatus: 503 });
    expect(await runUntil(id, () => true)).toEqual([expect.objectContaining({ status: 'retry', error: expect.stringContaining('TaskTimeoutError') })]);
    const second = await ledger.get('notify', id);
    expect(second).toMatchObject({ status: 'failed', attempts: 2 });
    expect(second).not.toHaveProperty('responseStatus');
    await runUntil(id, final);
  });

  it('a refused connection is transient, recorded without a status', async () => {
    const closed = await freePort();
    process.env.HOOK_URL = `http://127.0.0.1:${closed}/hook`;
    try {
      const id = await send('refused', () => ({ status: 200 }));
      const [outcome] = await runUntil(id, () => true);
      expect(outcome).toMatchObject({ status: 'retry', error: expect.stringMatching(/got no response \(ECONNREFUSED\)/) });
      const record = await ledger.get('notify', id);
      expect(record).toMatchObject({ status: 'failed', responseBytes: 0, responseMs: expect.any(Number) });
      expect(record).not.toHaveProperty('responseStatus');
      process.env.HOOK_URL = `${receiver.url}/hook`;
      expect((await runUntil(id, final)).at(-1)).toMatchObject({ status: 'succeeded' });
    } finally {
      process.env.HOOK_URL = `${receiver.url}/hook`;
    }
  });

  it('refuses plain http:// to another host at run time: DLQ, no request', async () => {
    process.env.HOOK_URL = 'http://partner.example.com/hook';
    try {
      const id = await send('insecure', () => ({ status: 200 }));
      expect(await runUntil(id, final)).toEqual([expect.objectContaining({ status: 'dead', reason: 'webhook-config', error: expect.stringContaining('plain http:// to partner.example.com is refused') })]);
      expect(requestsOf(id)).toEqual([]);
    } finally {
      process.env.HOOK_URL = `${receiver.url}/hook`;
    }
  });

  it('never writes a secret into a log line, a dead letter or a ledger record', async () => {
    const secrets = [NEW_SECRET, OLD_SECRET].flatMap((secret) => [secret, secret.slice('whsec_'.length)]);
    expect(logged.join('').length).toBeGreaterThan(0);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: gate.dlqUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 0 }));
    const records = await Promise.all(['ok-0', 'flaky', 'missing', 'refused', 'insecure'].map((id) => ledger.get('notify', id)));
    const everything = [logged.join(''), JSON.stringify(Messages), JSON.stringify(records)].join('\n');
    for (const secret of secrets) expect(everything.includes(secret)).toBe(false);
  });
});

/** A loopback port nothing listens on: bound, noted, released. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
