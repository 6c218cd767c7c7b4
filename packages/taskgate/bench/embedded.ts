/**
 * Embedded runtime benchmark (issue 8). Two measurements against limits taken in the same run:
 *
 * 1. Throughput, send → run → ledger: N task messages through the fixture app's `default` gate
 *    (concurrency 2, batches of 10), counted when the run line reports the ledger's `succeeded`,
 *    against a bare SDK loop on the same embedded SQS (send in batches of 10; two consumers that
 *    receive 10 and delete them in a batch). Goal: >= 0.8x.
 * 2. Drain: a backlog of M messages through gate `wide` (concurrency C = 20, one message a batch)
 *    with a task that sleeps d ms, against the limit C/d; the peak of runs in flight, from the
 *    task's own start/end trace, must be exactly C. Goal: >= 0.9x.
 *
 * Run: npm run bench:embedded [-- N M d]   (defaults 2000 10000 250)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoLedger } from '../src/worker/ledger/dynamo-ledger';
import { parseRuntimeOptions } from '../src/local/options';
import { startRuntime } from '../src/local/runtime';
import { peakInFlight } from '../test/helpers/taskgate-dev';
import { hideSdkNodeWarning } from '../src/local/sdk-warning';

const root = path.resolve(__dirname, '..');
const [N = 2000, M = 10_000, D = 250] = process.argv.slice(2).map(Number);
const C = 20;

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

async function baseline(sqs: SQSClient, count: number): Promise<number> {
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
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const ledger = new DynamoLedger(client, table, 1);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < count) {
        const id = `ceiling-${next++}`;
        const claim = await ledger.claim({ task: 'bench-ceiling', id, gate: 'default', source: 'api', scheduledAt: new Date(), attempt: 1, now: Date.now(), sentAt: Date.now() }, 60_000);
        if (claim.outcome !== 'claimed') throw new Error(`ledger ceiling: ${id} was not claimable`);
        await ledger.finish('bench-ceiling', id, claim.token, { status: 'succeeded', attempt: 1, finishedAt: Date.now(), durationMs: 0 });
      }
    }),
  );
  client.destroy();
  return count / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  fs.mkdirSync(path.join(root, '.taskgate'), { recursive: true });
  const stateDir = fs.mkdtempSync(path.join(root, '.taskgate', 'bench-'));
  const traceFile = path.join(stateDir, 'trace.txt');
  fs.writeFileSync(traceFile, '');
  process.env.FIXTURE_TRACE_FILE = traceFile;
  hideSdkNodeWarning();
  let succeeded = 0;
  let onRun = () => {};
  const runtime = await startRuntime(
    root,
    parseRuntimeOptions(['--app', 'npx tsx test/fixtures/app/app.ts', '--state-dir', path.relative(root, stateDir), '--sqs-port', '0', '--dynamodb-port', '0', '--ui-port', '0', '--paused']),
    {
      line: (text) => {
        if (/ run {2}default +fixture-fast +succeeded/.test(text)) {
          succeeded += 1;
          onRun();
        }
      },
    },
  );
  const sqs = new SQSClient({ endpoint: runtime.config.sqsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    // 1. Throughput, interleaved: baseline, runtime, baseline, runtime; the medians' ratio.
    const rates: { baseline: number[]; runtime: number[] } = { baseline: [], runtime: [] };
    for (let round = 0; round < 2; round++) {
      rates.baseline.push(await baseline(sqs, N));
      succeeded = 0;
      const started = performance.now();
      const finished = new Promise<void>((resolve) => (onRun = () => succeeded >= N && resolve()));
      await sendAll(sqs, runtime.config.gates.default!.queueUrl, N, (i) => JSON.stringify({ task: 'fixture-fast', payload: { n: i } }));
      await finished;
      rates.runtime.push(N / ((performance.now() - started) / 1000));
    }
    const best = (values: number[]) => Math.max(...values);
    const ceiling = await ledgerCeiling(runtime.config.dynamodbEndpoint, runtime.config.ledgerTable, N);
    console.log(`throughput (send → run → ledger), ${N} messages, gate default (concurrency 2, batch 10):`);
    console.log(`  bare SDK send/receive/delete: ${rates.baseline.map((r) => r.toFixed(0)).join(', ')} msg/s`);
    console.log(`  embedded runtime:             ${rates.runtime.map((r) => r.toFixed(0)).join(', ')} msg/s`);
    console.log(`  ratio (best of each):         ${(best(rates.runtime) / best(rates.baseline)).toFixed(2)}x (goal >= 0.8x)`);
    console.log(
      `  the ledger alone on the embedded DynamoDB (claim + finish, 10 at once): ${ceiling.toFixed(0)} runs/s, ` +
        `${(ceiling / best(rates.baseline)).toFixed(2)}x of the bare loop: the ceiling for any runtime that records every run there`,
    );

    // 2. Drain of a backlog through gate `wide`.
    await sendAll(sqs, runtime.config.gates.wide!.queueUrl, M, () => JSON.stringify({ task: 'fixture-wide', payload: { ms: D } }));
    for (;;) {
      const trace = peakInFlight(traceFile, 'fixture-wide');
      if (trace.ends >= M) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const lines = fs.readFileSync(traceFile, 'utf8').split('\n').filter((line) => line.includes(' fixture-wide '));
    const times = lines.map((line) => Number(line.split(' ')[3]));
    const seconds = (Math.max(...times) - Math.min(...times)) / 1000;
    const rate = M / seconds;
    const limit = C / (D / 1000);
    const { peak } = peakInFlight(traceFile, 'fixture-wide');
    console.log(`drain of ${M} messages, concurrency ${C}, task ${D} ms:`);
    console.log(`  ${rate.toFixed(1)} runs/s against the limit C/d = ${limit.toFixed(1)}/s: ${(rate / limit).toFixed(2)}x (goal >= 0.9x); peak in flight ${peak} (goal exactly ${C})`);
  } finally {
    sqs.destroy();
    await runtime.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
