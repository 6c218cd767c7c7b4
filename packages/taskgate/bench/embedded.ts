/**
 * Embedded runtime benchmark (part of `npm run bench`; alone: npx tsx bench/embedded.ts [--quick]).
 * One runtime of the fixture app (test/fixtures/app), three phases:
 *
 * 1. Throughput, send → run → ledger: N task messages through gate `default` (concurrency 2,
 *    batches of 10), counted when the run line reports `succeeded`, against the ceiling of the
 *    embedded DynamoDB itself: the ledger's claim + finish alone, 10 at once (goal >= 0.9x). Beside
 *    it: the same ceiling on dynalite as published (the embedded server adds an expression cache),
 *    and a bare SDK send/receive/delete loop on the same embedded SQS.
 * 2. Cost model (bench/support/cost-model.ts): K runs through gate `wide` (batch 1) and `default`
 *    (batch 10), counting the requests the servers serve and each invocation's duration.
 * 3. Drain: a backlog of M messages through gate `wide` (concurrency C = 20, one message a batch)
 *    with a task that sleeps d ms, against the limit C/d (goal >= 0.95x); the peak of runs in
 *    flight, from the task's own start/end trace, must be exactly C.
 *
 * Sizes (full; --quick divides them): N = 2000, K = 1000, M = 10000, d = 250 ms.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FunctionHost } from '../src/local/function-host';
import { parseRuntimeOptions } from '../src/local/options';
import { startRuntime } from '../src/local/runtime';
import { startDynamoDbServer } from '../src/local/servers';
import type { LocalRuntime } from '../src/local/runtime-types';
import { hideSdkNodeWarning } from '../src/local/sdk-warning';
import { TRACE_ENV } from '../src/local/trace';
import { DynamoLedger } from '../src/worker/ledger/dynamo-ledger';
import { forEachBounded } from '../src/worker/for-each-bounded';
import { createLedgerTable } from '../test/helpers/local-servers';
import { peakInFlight, traceEvents } from '../test/helpers/taskgate-dev';
import { atLeast, exactly, info, quick, ratioRow, runIfMain, valueRow, type BenchRow } from './report';
import { costRows, priceRows, type CostSample } from './support/cost-model';

const root = path.resolve(__dirname, '..');
const C = 20;
const D = 250;
const LOCAL = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

async function sendAll(sqs: SQSClient, queueUrl: string, count: number, body: (i: number) => string): Promise<void> {
  // Four senders, as an app with a few instances would enqueue.
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < count) {
        const start = next;
        next += 10;
        const entries = Array.from({ length: Math.min(10, count - start) }, (_, j) => ({ Id: String(j), MessageBody: body(start + j) }));
        await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      }
    }),
  );
}

async function bareLoop(sqs: SQSClient, count: number): Promise<number> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `bench-baseline-${Date.now()}` }));
  const started = performance.now();
  let done = 0;
  const consumers = Array.from({ length: 2 }, async () => {
    while (done < count) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      if (Messages.length === 0) continue;
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      done += Messages.length;
    }
  });
  await Promise.all([sendAll(sqs, QueueUrl!, count, (i) => JSON.stringify({ task: 'fixture-fast', payload: { n: i } })), ...consumers]);
  return count / ((performance.now() - started) / 1000);
}

/** Runs per second the ledger itself sustains on the embedded DynamoDB: the bound on the runtime's throughput. */
async function ledgerCeiling(endpoint: string, table: string, count: number): Promise<number> {
  const client = new DynamoDBClient({ endpoint, ...LOCAL });
  const ledger = new DynamoLedger(client, table, 1);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < count) {
        const id = `ceiling-${Date.now()}-${next++}`;
        const claim = await ledger.claim({ task: 'bench-ceiling', id, gate: 'default', source: 'api', scheduledAt: new Date(), attempt: 1, now: Date.now(), sentAt: Date.now() }, 60_000);
        if (claim.outcome !== 'claimed') throw new Error(`ledger ceiling: ${id} was not claimable`);
        await ledger.finish('bench-ceiling', id, claim.token, { status: 'succeeded', attempt: 1, finishedAt: Date.now(), durationMs: 0 });
      }
    }),
  );
  client.destroy();
  return count / ((performance.now() - started) / 1000);
}

/** Counts run lines as the runtime prints them, and resolves when `count` more of one gate/task succeeded. */
class RunCounter {
  private waiting?: { gate: string; task: string; left: number; resolve: () => void };

  line(text: string): void {
    const waiting = this.waiting;
    if (waiting && new RegExp(` run {2}${waiting.gate} +${waiting.task} +succeeded`).test(text) && --waiting.left === 0) waiting.resolve();
  }

  until(gate: string, task: string, count: number): Promise<void> {
    return new Promise((resolve) => (this.waiting = { gate, task, left: count, resolve }));
  }
}

async function throughput(runtime: LocalRuntime, sqs: SQSClient, runs: RunCounter, n: number): Promise<BenchRow[]> {
  const rates = { bare: [] as number[], runtime: [] as number[], ceiling: [] as number[], stockCeiling: [] as number[] };
  // dynalite as published: the embedded server without its expression cache.
  const stock = await startDynamoDbServer({ port: 0, flag: '-', envVar: '-', what: 'DynamoDB' }, { expressionCache: false });
  try {
    const stockClient = new DynamoDBClient({ endpoint: stock.endpoint, ...LOCAL });
    await createLedgerTable(stockClient, 'ledger');
    stockClient.destroy();
    // Interleaved, best of two each: the machines are shared.
    for (let round = 0; round < 2; round++) {
      rates.bare.push(await bareLoop(sqs, n));
      const started = performance.now();
      const finished = runs.until('default', 'fixture-fast', n);
      await sendAll(sqs, runtime.config.gates.default!.queueUrl, n, (i) => JSON.stringify({ task: 'fixture-fast', payload: { n: i } }));
      await finished;
      rates.runtime.push(n / ((performance.now() - started) / 1000));
      rates.ceiling.push(await ledgerCeiling(runtime.config.dynamodbEndpoint, runtime.config.ledgerTable, n));
      rates.stockCeiling.push(await ledgerCeiling(stock.endpoint, 'ledger', n));
    }
  } finally {
    await stock.close();
  }
  const best = (values: number[]) => Math.max(...values);
  return [
    ratioRow('embedded throughput send → run → ledger vs the embedded DynamoDB ledger ceiling', best(rates.runtime), best(rates.ceiling), 'runs/s', atLeast(0.9)),
    // The alternative, "a faster embedded DynamoDB-compatible server": the embedded server
    // is dynalite with an expression cache; this compares against dynalite as published.
    ratioRow('embedded throughput send → run → ledger vs the ledger ceiling of dynalite as published', best(rates.runtime), best(rates.stockCeiling), 'runs/s', info),
    ratioRow('embedded throughput send → run → ledger vs bare SDK send/receive/delete loop', best(rates.runtime), best(rates.bare), 'runs/s', info),
  ];
}

/**
 * Each invocation's billed duration (ms) in the function host's trace: from the event's post to the
 * environment (after its init) to the answer, as the host measures the bare consumer's
 * (InvokeResult.durationMs). Not from the invoke call: that would count cold starts' bundle loads
 * and the wait for an environment on taskgate's side only (they made the first cost model's batch-1
 * duration 231x the bare consumer's). Per million runs, init phases amortize to nothing on both sides.
 */
function invocationDurations(traceFile: string): number[] {
  const started = new Map<string, number>();
  const durations: number[] = [];
  for (const line of fs.readFileSync(traceFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const point = JSON.parse(line) as { t: number; at: string; requestId?: string; pending?: boolean };
    if (point.at === 'host.post') started.set(point.requestId!, point.t);
    if (point.at === 'host.answer' && point.pending && started.has(point.requestId!)) durations.push(point.t - started.get(point.requestId!)!);
  }
  return durations;
}

/** The cost phase's message bodies: a sleepy task of 0 ms behind `wide`, fixture-fast behind `default`. */
function costBody(gate: 'wide' | 'default', i: number): string {
  return gate === 'wide' ? JSON.stringify({ task: 'fixture-wide', payload: { ms: 0 } }) : JSON.stringify({ task: 'fixture-fast', payload: { n: i } });
}

/**
 * K runs through one gate, with the servers' request counts and the host's trace around them. A
 * warm-up of `warmUp` runs goes first: per million runs an environment's first invocations (lazy
 * SDK clients, first connections, code not yet optimized) amortize to nothing, and the bare
 * consumer is measured warm too.
 */
async function costSample(runtime: LocalRuntime, sqs: SQSClient, runs: RunCounter, gate: 'wide' | 'default', k: number, warmUp: number, dir: string): Promise<CostSample> {
  const task = gate === 'wide' ? 'fixture-wide' : 'fixture-fast';
  const traceFile = path.join(dir, `cost-${gate}.trace`);
  const warm = runs.until(gate, task, warmUp);
  await sendAll(sqs, runtime.config.gates[gate]!.queueUrl, warmUp, (i) => costBody(gate, i));
  await warm;
  const before = await runtime.requestCounts!();
  process.env[TRACE_ENV] = traceFile;
  const finished = runs.until(gate, task, k);
  await sendAll(sqs, runtime.config.gates[gate]!.queueUrl, k, (i) => costBody(gate, i));
  await finished;
  delete process.env[TRACE_ENV];
  const after = await runtime.requestCounts!();
  const delta = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.entries(a).map(([op, count]) => [op, count - (b[op] ?? 0)]));
  const model = runtime.models.flatMap((m) => [...m.functions.values()]).find((fn) => fn.gate === gate);
  // Lambda's default when the template leaves MemorySize out.
  return { runs: k, sqs: delta(after.sqs, before.sqs), dynamodb: delta(after.dynamodb, before.dynamodb), invocationMs: invocationDurations(traceFile), memoryMb: model?.memoryMb ?? 128 };
}

/**
 * The bare consumer's handler: the same task work as the fixture's, written the way a user would
 * without taskgate: parse each body, and for a sleepy task write its start/end trace lines and
 * sleep its `ms` (0 in the cost phase). No validation, ledger, retries, logs or metrics.
 */
const BARE_HANDLER = `const fs = require('node:fs');
const trace = (event, id) => process.env.BARE_TRACE_FILE && fs.appendFileSync(process.env.BARE_TRACE_FILE, event + ' bare ' + id + ' ' + (performance.timeOrigin + performance.now()).toFixed(3) + '\\n');
exports.handler = async (event) => {
  await Promise.all(event.Records.map(async (record) => {
    const { payload = {} } = JSON.parse(record.body);
    if (payload.ms === undefined) return;
    trace('start', record.messageId);
    await new Promise((resolve) => setTimeout(resolve, payload.ms));
    trace('end', record.messageId);
  }));
  return { batchItemFailures: [] };
};
`;

/** The bare consumer's invocations: the same task work (BARE_HANDLER) on the same function host, as many, as large, as concurrent. */
async function bareInvocations(dir: string, sample: CostSample, batchSize: number, concurrency: number, body: string, warmUp: number): Promise<number[]> {
  const asset = path.join(dir, 'bare');
  fs.mkdirSync(asset, { recursive: true });
  fs.writeFileSync(path.join(asset, 'index.js'), BARE_HANDLER);
  const environment = { BARE_TRACE_FILE: path.join(dir, 'bare.trace') };
  const host = new FunctionHost({ functionName: 'bare', assetPath: asset, handler: 'index.handler', timeoutSeconds: 30, memoryMb: sample.memoryMb, environment, region: 'us-east-1', accountId: '000000000000', maxEnvironments: concurrency, onLog: () => undefined });
  const event = { Records: Array.from({ length: batchSize }, (_, i) => ({ messageId: `m-${i}`, receiptHandle: 'h', body, attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn', awsRegion: 'us-east-1' })) };
  const durations: number[] = [];
  try {
    await host.warm();
    await forEachBounded(Array.from({ length: warmUp }), concurrency, async () => void (await host.invoke(event)));
    await forEachBounded(sample.invocationMs, concurrency, async () => {
      const result = await host.invoke(event);
      durations.push(result.durationMs);
    });
  } finally {
    await host.close();
  }
  return durations;
}

async function drain(runtime: LocalRuntime, sqs: SQSClient, runs: RunCounter, traceFile: string, m: number): Promise<BenchRow[]> {
  // The drain's own trace lines only: the cost phase ran the same task through the same gate, and
  // its lines (and the time between the phases) counted in the drain's span before.
  const from = fs.statSync(traceFile).size;
  // Done when the run lines say so: polling the trace file meanwhile parsed all of it four times a
  // second on the thread that runs the pollers.
  const finished = runs.until('wide', 'fixture-wide', m);
  await sendAll(sqs, runtime.config.gates.wide!.queueUrl, m, () => JSON.stringify({ task: 'fixture-wide', payload: { ms: D } }));
  await finished;
  const times = traceEvents(traceFile, 'fixture-wide', from).map((event) => event.time);
  const rate = m / ((Math.max(...times) - Math.min(...times)) / 1000);
  const { peak, starts } = peakInFlight(traceFile, 'fixture-wide', from);
  if (starts !== m) throw new Error(`the drain traced ${starts} runs of fixture-wide, not the ${m} it sent`);
  return [
    ratioRow(`embedded drain of ${m} messages, gate of concurrency ${C}, task ${D} ms, vs the limit C/d`, rate, C / (D / 1000), 'runs/s', atLeast(0.95)),
    valueRow(`embedded drain: peak runs in flight (gate concurrency ${C})`, peak, 'runs', exactly(C)),
  ];
}

export async function measure(): Promise<BenchRow[]> {
  const [n, k, m] = quick() ? [500, 200, 2000] : [2000, 1000, 10_000];
  fs.mkdirSync(path.join(root, '.taskgate'), { recursive: true });
  const stateDir = fs.mkdtempSync(path.join(root, '.taskgate', 'bench-'));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-bench-'));
  const traceFile = path.join(stateDir, 'trace.txt');
  fs.writeFileSync(traceFile, '');
  process.env.FIXTURE_TRACE_FILE = traceFile;
  hideSdkNodeWarning();
  const runs = new RunCounter();
  const runtime = await startRuntime(
    root,
    parseRuntimeOptions(['--app', 'npx tsx test/fixtures/app/app.ts', '--state-dir', path.relative(root, stateDir), '--sqs-port', '0', '--dynamodb-port', '0', '--ui-port', '0', '--paused']),
    { line: (text) => runs.line(text) },
  );
  const sqs = new SQSClient({ endpoint: runtime.config.sqsEndpoint, ...LOCAL });
  try {
    const rows = await throughput(runtime, sqs, runs, n);
    for (const [gate, batchSize, concurrency] of [['wide', 1, C], ['default', 10, 2]] as const) {
      // Two rounds of every environment: each has run a batch or more before the sample counts.
      const warmUp = 2 * concurrency * batchSize;
      const sample = await costSample(runtime, sqs, runs, gate, k, warmUp, scratch);
      rows.push(...costRows(`gate batch ${batchSize}`, sample, await bareInvocations(scratch, sample, batchSize, concurrency, costBody(gate, 1), warmUp / batchSize)));
    }
    rows.push(...priceRows());
    rows.push(...(await drain(runtime, sqs, runs, traceFile, m)));
    return rows;
  } finally {
    sqs.destroy();
    await runtime.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

runIfMain(module, measure);
