/**
 * Worker benchmark (issue 5). Two measurements, each a ratio against a baseline in the same run:
 *
 * 1. Per-record overhead: taskgate's worker (envelope check, payload validation, dispatch, ledger
 *    claim + finish against an in-memory stand-in, partial batch response) against Powertools
 *    BatchProcessor + processPartialResponse + middy with the same zod/mini validation. Both run a
 *    no-op task, interleaved in rounds, in this process. Goal: <= 1.0x.
 * 2. Bundle: the worker bundled as the Gate construct bundles it (esbuild, minified, @aws-sdk
 *    external) against Powertools batch + middy + Logger + parser with full zod for the same
 *    handler: minified size and cold `require` in fresh node processes. Goal: <= 0.3x cold require.
 *
 * Run: npx tsx bench/worker.ts
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import * as esbuild from 'esbuild';
import * as z from 'zod/mini';
import type { Ledger } from '../src/worker/ledger/ledger';
import { TaskRegistry } from '../src/core/registry';
import { defineTask } from '../src/core/task';
import { Triggers } from '../src/worker/triggers';
import { Worker } from '../src/worker/worker';
import { MemoryLedger } from '../test/helpers/memory-ledger';
import { sqsRecord } from '../test/helpers/sqs-records';

/** The package's folder (the bundled copy of this file runs from bench/ too). */
const root = process.env.TASKGATE_ROOT ?? path.resolve(__dirname, '..');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function perRecord(): Promise<{ taskgate: number; taskgateNoLedger: number; baseline: number }> {
  const schema = z.object({ orderId: z.string(), quantity: z.int().check(z.positive()), express: z._default(z.boolean(), false) });
  let sink = 0;
  const task = defineTask({ name: 'ship-order', payload: schema, run: (payload) => void (sink += payload.quantity) });
  const registry = new TaskRegistry([task]);
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const sqs = {} as SQSClient; // never called on the success path
  const ledger = new MemoryLedger();
  const workerWith = (runLedger: Ledger) =>
    new Worker({ registry, gate: 'default', queueUrl: 'q', deadLetterQueueUrl: 'dlq', sqs, ledger: runLedger, triggers: new Triggers({ registry, sqs, queues: {} }), logger: silent });
  const handlerOf = (worker: Worker) => middy<SQSEvent, unknown>().handler(async (event) => (await worker.processBatch(event.Records)).response);
  const taskgate = handlerOf(workerWith(ledger));
  // The same worker with a ledger that answers at once: how much of the difference is the ledger's.
  const noLedger: Ledger = {
    claim: async () => ({ outcome: 'claimed', token: 't' }),
    finish: async () => true,
    record: async () => true,
    acquireTaskLease: async () => ({ outcome: 'acquired' }),
    releaseTaskLease: async () => undefined,
  };
  const taskgateNoLedger = handlerOf(workerWith(noLedger));

  const processor = new BatchProcessor(EventType.SQS);
  const baseline = middy<SQSEvent, unknown>().handler(async (event, context) =>
    processPartialResponse(
      event,
      async (record: { body: string }) => {
        const message = JSON.parse(record.body) as { task: string; payload: unknown };
        if (message.task !== 'ship-order') throw new Error('unknown task');
        const payload = schema.parse(message.payload);
        sink += payload.quantity;
      },
      processor,
      { context },
    ),
  );

  let counter = 0;
  // Fresh ids each batch: the ledger stand-in must claim, not short-circuit on duplicates.
  const batch = (): SQSEvent => ({
    Records: Array.from({ length: 10 }, () => sqsRecord({ task: 'ship-order', id: `o-${counter++}`, payload: { orderId: `A-${counter}`, quantity: 2 } })),
  });
  const context = {} as Context;
  const time = async (handler: (event: SQSEvent, context: Context) => Promise<unknown>, batches: SQSEvent[]) => {
    const start = process.hrtime.bigint();
    for (const event of batches) await handler(event, context);
    return Number(process.hrtime.bigint() - start) / (batches.length * 10);
  };
  const rounds = 15;
  const perRound = 400;
  const ours: number[] = [];
  const oursNoLedger: number[] = [];
  const theirs: number[] = [];
  for (let round = 0; round < rounds + 2; round++) {
    const t1 = await time(taskgate, Array.from({ length: perRound }, batch));
    const t2 = await time(baseline, Array.from({ length: perRound }, batch));
    const t3 = await time(taskgateNoLedger, Array.from({ length: perRound }, batch));
    if (round >= 2) {
      ours.push(t1);
      theirs.push(t2);
      oursNoLedger.push(t3);
    }
    ledger.entries.clear();
  }
  if (sink === 0) throw new Error('tasks did not run');
  return { taskgate: median(ours) / 1000, taskgateNoLedger: median(oursNoLedger) / 1000, baseline: median(theirs) / 1000 };
}

async function bundles(): Promise<Record<'taskgate' | 'baseline', { bytes: number; requireMs: number; requireNoSdkMs: number }>> {
  // Outside the project: a bundle inside it would find the real SDK in its node_modules before NODE_PATH.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-bench-'));
  try {
    // The baseline's source sits in the project so that its imports resolve; its bundle does not.
    const baselineEntry = path.join(root, 'bench', `.tmp-baseline-${process.pid}.ts`);
    fs.writeFileSync(
      baselineEntry,
      `import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { SqsSchema } from '@aws-lambda-powertools/parser/schemas/sqs';
import { z } from 'zod';
const logger = new Logger({ serviceName: 'baseline' });
const payloads = {
  'cleanup-stray-instances': z.object({ olderThanHours: z.number().int().positive().default(24), dryRun: z.boolean().default(true) }),
  'send-delivery-reminders': z.object({ daysAhead: z.number().int().min(1).max(14).default(1), market: z.enum(['de', 'at', 'ch']) }),
  'refresh-exchange-rates': z.object({ currencies: z.array(z.string().regex(/^[A-Z]{3}$/)).default(['EUR', 'USD']) }),
};
const processor = new BatchProcessor(EventType.SQS);
export const handler = middy()
  .use(parser({ schema: SqsSchema }))
  .handler(async (event: any, context: any) => processPartialResponse(event, async (record: any) => {
    const message = JSON.parse(record.body);
    const schema = (payloads as any)[message.task];
    if (!schema) throw new Error('unknown task');
    logger.info('run', { task: message.task, payload: schema.parse(message.payload ?? {}) });
  }, processor, { context }));
`,
    );
    // The same three tasks as taskgate declares them (zod/mini), behind the entry the Taskgate construct generates.
    const taskgateEntry = path.join(root, 'bench', `.tmp-taskgate-${process.pid}.ts`);
    fs.writeFileSync(
      taskgateEntry,
      `import * as z from 'zod/mini';
import { defineTask } from '../src/core/task';
import { createHandler } from '../src/worker/create-handler';
const run = () => undefined;
const tasks = [
  defineTask({ name: 'cleanup-stray-instances', payload: z.object({ olderThanHours: z._default(z.int().check(z.positive()), 24), dryRun: z._default(z.boolean(), true) }), run }),
  defineTask({ name: 'send-delivery-reminders', payload: z.object({ daysAhead: z._default(z.int().check(z.minimum(1), z.maximum(14)), 1), market: z.enum(['de', 'at', 'ch']) }), run }),
  defineTask({ name: 'refresh-exchange-rates', payload: z.object({ currencies: z._default(z.array(z.string().check(z.regex(/^[A-Z]{3}$/))), ['EUR', 'USD']) }), run }),
];
export const handler = createHandler(tasks);
`,
    );
    const build = async (entry: string, outfile: string) => {
      // The Gate construct's bundling options (src/cdk/gate.ts).
      await esbuild.build({ entryPoints: [entry], outfile, bundle: true, minify: true, platform: 'node', target: 'node22', format: 'cjs', external: ['@aws-sdk/*'], logLevel: 'silent' });
      return fs.statSync(outfile).size;
    };
    const ours = path.join(dir, 'taskgate.js');
    const theirs = path.join(dir, 'baseline.js');
    const sizes = { taskgate: await build(taskgateEntry, ours), baseline: await build(baselineEntry, theirs) };
    // The AWS SDK stays external, as Lambda's runtime provides it. Measured twice: with the real SDK
    // from the project's node_modules, and with empty stand-ins, which shows the bundle's own cost.
    const stubs = path.join(dir, 'stubs');
    for (const file of [ours, theirs]) {
      for (const [, name] of fs.readFileSync(file, 'utf8').matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g)) {
        fs.mkdirSync(path.join(stubs, name!), { recursive: true });
        fs.writeFileSync(path.join(stubs, name!, 'index.js'), 'module.exports = new Proxy({}, { get: () => class {} });');
      }
    }
    const requireMs = (file: string, nodePath: string) =>
      Number(
        execFileSync(process.execPath, ['-e', `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`], {
          env: { ...process.env, NODE_PATH: nodePath },
        }).toString(),
      );
    // The node_modules folder that holds the SDK (the workspace's, where npm hoists it).
    const sdk = path.resolve(require.resolve('@aws-sdk/client-sqs/package.json'), '..', '..', '..');
    const times = { taskgate: [] as number[], baseline: [] as number[], taskgateNoSdk: [] as number[], baselineNoSdk: [] as number[] };
    for (let i = 0; i < 12; i++) {
      times.taskgate.push(requireMs(ours, sdk));
      times.baseline.push(requireMs(theirs, sdk));
      times.taskgateNoSdk.push(requireMs(ours, stubs));
      times.baselineNoSdk.push(requireMs(theirs, stubs));
    }
    return {
      taskgate: { bytes: sizes.taskgate, requireMs: median(times.taskgate), requireNoSdkMs: median(times.taskgateNoSdk) },
      baseline: { bytes: sizes.baseline, requireMs: median(times.baseline), requireNoSdkMs: median(times.baselineNoSdk) },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const name of ['baseline', 'taskgate']) fs.rmSync(path.join(root, 'bench', `.tmp-${name}-${process.pid}.ts`), { force: true });
  }
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${os.cpus().length} cores`);
  const record = await perRecord();
  console.log(
    `per record: taskgate ${record.taskgate.toFixed(2)} us, Powertools batch + middy + zod ${record.baseline.toFixed(2)} us -> ratio ${(record.taskgate / record.baseline).toFixed(2)}x (goal <= 1.0x)`,
  );
  console.log(
    `  of which the ledger stand-in: without it taskgate takes ${record.taskgateNoLedger.toFixed(2)} us -> ${(record.taskgateNoLedger / record.baseline).toFixed(2)}x`,
  );
  const bundle = await bundles();
  console.log(
    `bundle: taskgate ${(bundle.taskgate.bytes / 1024).toFixed(1)} KB, baseline ${(bundle.baseline.bytes / 1024).toFixed(1)} KB -> ratio ${(bundle.taskgate.bytes / bundle.baseline.bytes).toFixed(2)}x`,
  );
  console.log(
    `cold require, bundle only (SDK stubbed): taskgate ${bundle.taskgate.requireNoSdkMs.toFixed(1)} ms, baseline ${bundle.baseline.requireNoSdkMs.toFixed(1)} ms -> ratio ${(bundle.taskgate.requireNoSdkMs / bundle.baseline.requireNoSdkMs).toFixed(2)}x (goal <= 0.3x)`,
  );
  console.log(
    `cold require, with the AWS SDK clients the worker uses: taskgate ${bundle.taskgate.requireMs.toFixed(1)} ms, baseline ${bundle.baseline.requireMs.toFixed(1)} ms -> ratio ${(bundle.taskgate.requireMs / bundle.baseline.requireMs).toFixed(2)}x`,
  );
}

/**
 * tsx compiles with keepNames, which wraps every function the worker creates per record in a
 * naming helper; the deployed bundle has no such wrapper. So the benchmark bundles itself with
 * esbuild as the Gate construct does and runs that.
 */
async function runBundled(): Promise<void> {
  // Inside the project, so that its node_modules resolve.
  const outfile = path.join(root, 'bench', `.tmp-worker-${process.pid}.js`);
  await esbuild.build({ entryPoints: [__filename], outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', logLevel: 'silent' });
  try {
    execFileSync(process.execPath, [outfile], { stdio: 'inherit', cwd: root, env: { ...process.env, TASKGATE_BENCH_BUNDLED: '1', TASKGATE_ROOT: root } });
  } finally {
    fs.rmSync(outfile, { force: true });
  }
}

(process.env.TASKGATE_BENCH_BUNDLED ? main() : runBundled()).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
