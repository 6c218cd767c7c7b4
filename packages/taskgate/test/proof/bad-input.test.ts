import * as fs from 'node:fs';
import { gateQueueEnv } from '../helpers/env';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, type Message } from '@aws-sdk/client-sqs';
import { CommanderError } from 'commander';
import * as z from 'zod/mini';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CliError } from '../../src/cli/errors';
import { buildProgram } from '../../src/cli/program';
import { TaskRegistry } from '../../src/core/registry';
import { defineTask } from '../../src/core/task';
import { toRecord } from '../../src/local/poller';
import { workerFromEnvironment } from '../../src/worker/create-handler';
import { readDeadLetter } from '../../src/worker/dead-letter';
import type { RecordOutcome, Worker } from '../../src/worker/worker';
import { badMessages, cliArguments, type BadMessage } from '../helpers/bad-input';
import { createLedgerTable, dynamoClient, sqsClient, startLocalServers, type LocalServers } from '../helpers/local-servers';
import { runCli } from '../helpers/run-cli';
import { sqsAttributeProblems } from '../helpers/sqs-rules';
import { formatTable, suiteSize } from '../helpers/suite-table';

// Issue 17's bad-input suite. `npm test` sends 500 generated messages and 300 command lines;
// `npm run test:stress` 10,000 of each (TASKGATE_FUZZ_MESSAGES, TASKGATE_FUZZ_ARGUMENTS).
const MESSAGES = suiteSize('TASKGATE_FUZZ_MESSAGES', 500);
const ARGUMENTS = suiteSize('TASKGATE_FUZZ_ARGUMENTS', 300);
const SEED = suiteSize('TASKGATE_FUZZ_SEED', 1717);

const ran: string[] = [];
const strict = defineTask({ name: 'fuzz-strict', payload: z.object({ n: z.int(), tag: z.string() }), run: (_payload, { runId }) => void ran.push(runId) });
const otherGate = defineTask({ name: 'fuzz-other-gate', gate: 'other', run: () => undefined });

let servers: LocalServers;
let worker: Worker;
let queueUrl: string;
let dlqUrl: string;
const sqs = () => sqsClient(servers.sqsEndpoint);

beforeAll(async () => {
  servers = await startLocalServers();
  const client = sqs();
  const dlq = await client.send(new CreateQueueCommand({ QueueName: 'fuzz-dlq' }));
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
  const queue = await client.send(new CreateQueueCommand({ QueueName: 'fuzz-default', Attributes: { VisibilityTimeout: '30', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: 5 }) } }));
  [queueUrl, dlqUrl] = [queue.QueueUrl!, dlq.QueueUrl!];
  const dynamo = dynamoClient(servers.dynamodbEndpoint);
  await createLedgerTable(dynamo, 'fuzz-ledger');
  // The worker as createHandler builds it in Lambda, with the SDK's endpoints from the environment.
  vi.stubEnv('AWS_ENDPOINT_URL_SQS', servers.sqsEndpoint);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', servers.dynamodbEndpoint);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  worker = workerFromEnvironment(new TaskRegistry([strict, otherGate]), new Logger({ serviceName: 'taskgate' }), {
    TASKGATE_GATE: 'default',
    TASKGATE_DLQ_URL: dlqUrl,
    TASKGATE_LEDGER_TABLE: 'fuzz-ledger',
    ...gateQueueEnv(queueUrl),
  });
}, 60_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await servers?.close();
});

/** Sends the messages, then runs the worker over the queue until it is empty: each message's outcome by SQS message id. */
async function throughTheWorker(messages: readonly BadMessage[]): Promise<{ outcomes: Map<string, RecordOutcome>; thrown: unknown[]; sent: Map<string, BadMessage>; refused: number }> {
  const client = sqs();
  const sent = new Map<string, BadMessage>();
  let refused = 0;
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const { Successful = [], Failed = [] } = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((m, index) => ({ Id: String(index), MessageBody: m.body, MessageAttributes: m.attributes })) }));
    // fauxqs refuses characters past U+FFFF, which SQS takes: such a message never reaches a worker here.
    expect(Failed.filter((failure) => failure.Code !== 'InvalidMessageContents')).toEqual([]);
    refused += Failed.length;
    for (const entry of Successful) sent.set(entry.MessageId!, chunk[Number(entry.Id)]!);
  }
  const outcomes = new Map<string, RecordOutcome>();
  const thrown: unknown[] = [];
  while (outcomes.size < sent.size) {
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }));
    if (Messages.length === 0) break;
    const records = Messages.map((message) => toRecord(message, 'arn:aws:sqs:us-east-1:000000000000:fuzz-default', 'us-east-1'));
    try {
      const { outcomes: batch } = await worker.processBatch(records, () => 60_000);
      for (const [id, outcome] of batch) outcomes.set(id, outcome);
    } catch (error) {
      thrown.push(error);
    }
    const done = records.filter((record) => outcomes.get(record.messageId) && outcomes.get(record.messageId)!.status !== 'retry');
    if (done.length > 0) await client.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.map((record, i) => ({ Id: String(i), ReceiptHandle: record.receiptHandle })) }));
  }
  client.destroy();
  return { outcomes, thrown, sent, refused };
}

async function deadLetters(): Promise<Message[]> {
  const client = sqs();
  const all: Message[] = [];
  for (;;) {
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 60 }));
    if (Messages.length === 0) break;
    all.push(...Messages);
    await client.send(new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
  client.destroy();
  return all;
}

describe('bad input', () => {
  it(`parks each of ${MESSAGES} generated message bodies and attributes in the DLQ with its reason, at its first attempt, or runs it when it is valid`, async () => {
    const started = Date.now();
    const { outcomes, thrown, sent, refused } = await throughTheWorker(badMessages(MESSAGES, SEED));
    const dlq = await deadLetters();
    const seconds = (Date.now() - started) / 1000;

    const byStatus = (status: string) => [...outcomes.values()].filter((outcome) => outcome.status === status);
    const reasons = new Map<string, number>();
    for (const outcome of byStatus('dead')) reasons.set((outcome as { reason: string }).reason, (reasons.get((outcome as { reason: string }).reason) ?? 0) + 1);
    const facts = dlq.map((message) => readDeadLetter(message.MessageAttributes));
    const attributeProblems = dlq.flatMap((message) => sqsAttributeProblems(message.MessageAttributes).map((problem) => `${message.Body?.slice(0, 40)}: ${problem}`));
    console.log(
      [
        `bad input (messages): ${MESSAGES} generated, ${sent.size} through the worker (${refused} refused by the local SQS at send: characters past U+FFFF), seed ${SEED}, ${seconds.toFixed(1)} s`,
        formatTable(['reason', 'messages'], [...reasons].sort((a, b) => b[1] - a[1])),
        formatTable(['outcome', 'messages'], [
          ['dead-lettered with a reason', byStatus('dead').length],
          ['ran (a valid message)', byStatus('succeeded').length],
          ['duplicate of a valid one', byStatus('duplicate').length],
          ['retried', byStatus('retry').length],
          ['no outcome (lost)', sent.size - outcomes.size],
          ['errors thrown by the worker', thrown.length],
          ['DLQ messages SQS would refuse', attributeProblems.length],
        ]),
      ].join('\n'),
    );

    expect(thrown).toEqual([]);
    expect(outcomes.size).toBe(sent.size);
    expect(byStatus('retry')).toEqual([]);
    expect(byStatus('skipped')).toEqual([]);
    expect(dlq).toHaveLength(byStatus('dead').length);
    // Each parked with its reason, after one attempt: no retry was spent on what cannot succeed.
    expect(facts.filter((fact) => fact === undefined || !fact.reason || !fact.error || fact.attempts !== 1)).toEqual([]);
    expect(attributeProblems.slice(0, 10)).toEqual([]);
    expect(ran).toHaveLength(byStatus('succeeded').length);
  }, 120_000 + MESSAGES * 60);
});

/** How one command line ended, in-process: its output, or what it threw. */
async function runInProcess(args: string[]): Promise<{ kind: 'ok' | 'usage' | 'refused' | 'unhandled' | 'hung'; message: string }> {
  const program = buildProgram().exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 10_000)));
  try {
    const result = await Promise.race([program.parseAsync(['node', 'taskgate', ...args]), hung]);
    return result === 'hung' ? { kind: 'hung', message: '' } : { kind: 'ok', message: '' };
  } catch (error) {
    if (error instanceof CommanderError) return { kind: 'usage', message: error.message };
    if (error instanceof CliError) return { kind: 'refused', message: error.message };
    return { kind: 'unhandled', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

describe('bad command lines', () => {
  // No app, no runtime, no AWS: a command that gets past its own checks fails at "where is the app".
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-fuzz-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it(`answers ${ARGUMENTS} generated command lines with a usage error or one line of what is wrong, never an unhandled error`, async () => {
    const started = Date.now();
    const cwd = process.cwd();
    process.chdir(work);
    for (const [name, value] of Object.entries({ AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' })) vi.stubEnv(name, value);
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'TASKGATE_LOCAL_CONFIG', 'TASKGATE_STACK', 'TASKGATE_NAME']) vi.stubEnv(name, undefined);
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const lines = cliArguments(ARGUMENTS, SEED);
    const results: Array<{ args: string[]; kind: string; message: string }> = [];
    try {
      for (const args of lines) results.push({ args, ...(await runInProcess(args)) });
    } finally {
      process.chdir(cwd);
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
    }
    const count = (kind: string) => results.filter((result) => result.kind === kind).length;
    const multiline = results.filter((result) => result.kind === 'refused' && result.message.includes('\n'));
    console.log(
      [
        `bad input (command lines): ${results.length} generated, in-process, seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
        formatTable(['ended as', 'command lines'], [
          ['usage error (commander)', count('usage')],
          ['refused with one line (taskgate: ...)', count('refused')],
          ['ran (nothing wrong)', count('ok')],
          ['unhandled error', count('unhandled')],
          ['hung (10 s)', count('hung')],
          ['refused on several lines', multiline.length],
        ]),
      ].join('\n'),
    );
    expect(results.filter((result) => result.kind === 'unhandled' || result.kind === 'hung').slice(0, 10)).toEqual([]);
    expect(multiline.slice(0, 10)).toEqual([]);
  }, 60_000 + ARGUMENTS * 200);

  it('answers a handful of them as a subprocess, as a user sees them: one line on stderr, no stack trace', async () => {
    const lines = cliArguments(4, SEED + 1).map((args) => [...args, '--local']);
    for (const args of lines) {
      const { code, stderr } = await runCli(args, { cwd: work });
      const text = stderr.trim();
      if (code === 0) continue;
      expect(text, `taskgate ${JSON.stringify(args)}`).not.toMatch(/\n\s+at /);
      expect(text.split('\n')[0], `taskgate ${JSON.stringify(args)}`).toMatch(/^(taskgate: |error: )/);
    }
  }, 120_000);
});
