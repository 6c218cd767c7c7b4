/**
 * Request API benchmark: the latency of `POST /tasks/{name}` on the embedded runtime's control
 * URL (p50/p99, one request at a time over a kept-alive connection), with and without an
 * Idempotency-Key, against a bare SQS SendMessage of the same body to the same embedded SQS server
 * in the same run (what the route does at least: check, then send). The three series are
 * interleaved in rounds.
 *
 * Run: npm run bench:api [-- N]   (default 300 requests per series)
 */
import type { BenchRow } from './report';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseRuntimeOptions } from '../src/local/options';
import { startRuntime } from '../src/local/runtime';
import { hideSdkNodeWarning } from '../src/local/sdk-warning';

const root = path.resolve(__dirname, '..');

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function post(agent: http.Agent, base: string, task: string, body: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(new URL(`/tasks/${task}`, base), { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } }, (response) => {
      response.resume();
      response.on('end', () => (response.statusCode === 202 ? resolve(response.statusCode) : reject(new Error(`POST /tasks/${task} answered ${response.statusCode}`))));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** Rounds the series are interleaved over, each in a rotating order: the machines are shared, and a series measured in one block took whatever state the machine was in then. */
const ROUNDS = 6;
/** Unmeasured calls before each block of a series. */
const WARM_UP = 10;

/** Milliseconds of each of `count` calls, one after another, after a few unmeasured ones; `next` numbers every call, so each has its own message id. */
async function timed(count: number, call: (i: number) => Promise<unknown>, next: () => number): Promise<number[]> {
  for (let i = 0; i < WARM_UP; i++) await call(next());
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await call(next());
    times.push(performance.now() - started);
  }
  return times;
}

/** The calls of each series in ROUNDS interleaved blocks (about `count` each in all), each round in a rotating order. */
async function interleaved<K extends string>(count: number, calls: Record<K, (i: number) => Promise<unknown>>): Promise<Record<K, number[]>> {
  const names = Object.keys(calls) as K[];
  const times = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  let counter = 0;
  const next = () => counter++;
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]!;
      times[name].push(...(await timed(Math.ceil(count / ROUNDS), calls[name], next)));
    }
  }
  return times;
}

/** The latency rows of POST /tasks on the embedded runtime, against a bare SendMessage measured in the same run. */
export async function measure(count = 300): Promise<BenchRow[]> {
  fs.mkdirSync(path.join(root, '.taskgate'), { recursive: true });
  const stateDir = fs.mkdtempSync(path.join(root, '.taskgate', 'bench-api-'));
  hideSdkNodeWarning();
  const runtime = await startRuntime(
    root,
    // Paused and with the fixture's tasks only: the gates' pollers drain the queue meanwhile, as they would in use.
    parseRuntimeOptions(['--app', 'npx tsx test/fixtures/app/app.ts', '--state-dir', path.relative(root, stateDir), '--sqs-port', '0', '--dynamodb-port', '0', '--ui-port', '0', '--paused']),
    { line: () => undefined },
  );
  const sqs = new SQSClient({ endpoint: runtime.config.sqsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const body = (i: number) => JSON.stringify({ payload: { n: i } });
    const queueUrl = runtime.config.gates.default!.queueUrl;
    const { bare, plain, keyed } = await interleaved(count, {
      bare: (i) => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ task: 'fixture-fast', payload: { n: i }, id: `bare-${i}`, source: 'api' }) })),
      plain: (i) => post(agent, runtime.config.ui, 'fixture-fast', body(i)),
      keyed: (i) => post(agent, runtime.config.ui, 'fixture-fast', body(i), { 'idempotency-key': `bench-${Date.now()}-${i}` }),
    });
    const rows: BenchRow[] = [];
    for (const [series, times, goalRatio] of [
      ['POST /tasks', plain, 3],
      ['POST /tasks with Idempotency-Key', keyed, 5],
    ] as const) {
      for (const p of [50, 99]) {
        const value = percentile(times, p);
        const baseline = percentile(bare, p);
        const ratio = value / baseline;
        rows.push({ name: `${series} p${p} (embedded runtime)`, value, unit: 'ms', baseline, ratio, goal: `<= ${goalRatio}x a bare SendMessage's p${p}`, met: ratio <= goalRatio });
      }
    }
    return rows;
  } finally {
    agent.destroy();
    sqs.destroy();
    await runtime.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const [count = 300] = process.argv.slice(2).map(Number);
  measure(count)
    .then((rows) => {
      for (const row of rows) {
        console.log(`${row.name.padEnd(52)} ${row.value.toFixed(2).padStart(7)} ${row.unit}  baseline ${row.baseline?.toFixed(2)} ${row.unit}  ${row.ratio?.toFixed(2)}x  goal ${row.goal}: ${row.met ? 'met' : 'NOT met'}`);
      }
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
