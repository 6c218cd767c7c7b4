/**
 * The per-record measurement of bench/worker.ts, run bundled in a child process of its own (see
 * there why) with stdout going nowhere: both libraries format their log lines and EMF documents
 * as in Lambda, and neither pays for a terminal. Writes `PerRecordResult` as JSON to argv[2].
 *
 * Four handlers, interleaved in rounds, each timing batches of 10 fresh records of a no-op task:
 * taskgate's worker as createHandler builds it — its RunLog (Powertools Logger, a line per run, the
 * lines of a batch written together) and Powertools Metrics — against the fair baseline (fair-baseline.ts);
 * and taskgate's worker core (no log output, no metrics) against Powertools batch + zod alone.
 */
import * as fs from 'node:fs';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { TaskRegistry } from '../../src/core/registry';
import { defineTask } from '../../src/core/task';
import type { TaskLogger } from '../../src/core/task';
import { RunLog } from '../../src/worker/run-log';
import { PowertoolsRunMetrics, noMetrics, type RunMetrics } from '../../src/worker/run-metrics';
import { Triggers } from '../../src/worker/triggers';
import { Worker } from '../../src/worker/worker';
import { MemoryLedger } from '../../test/helpers/memory-ledger';
import { sqsRecord } from '../../test/helpers/sqs-records';
import { fairBaselineHandler, sink } from './fair-baseline';
import { MemoryPersistenceLayer } from './memory-persistence';

/** CPU microseconds per record, the median over rounds. */
export interface PerRecordResult {
  readonly taskgate: number;
  readonly fairBaseline: number;
  readonly taskgateCore: number;
  readonly batchZod: number;
}

type Handler = (event: SQSEvent, context: Context) => Promise<unknown>;

const schema = z.object({ orderId: z.string(), quantity: z.int().check(z.positive()), express: z._default(z.boolean(), false) });

function taskgateHandler(logger: TaskLogger, metrics: RunMetrics, ledger: MemoryLedger): Handler {
  const task = defineTask({ name: 'ship-order', payload: schema, run: (payload) => void (sink.total += payload.quantity) });
  const registry = new TaskRegistry([task]);
  const sqs = {} as SQSClient; // never called on the success path
  const worker = new Worker({ registry, gate: 'default', queueUrl: 'q', deadLetterQueueUrl: 'dlq', sqs, ledger, triggers: new Triggers({ registry, sqs, queues: {} }), logger, metrics });
  return middy<SQSEvent, unknown>().handler(async (event: SQSEvent) => (await worker.processBatch(event.Records)).response);
}

function batchZodHandler(): Handler {
  const processor = new BatchProcessor(EventType.SQS);
  return middy<SQSEvent, unknown>().handler(async (event, context) =>
    processPartialResponse(
      event,
      async (record: { body: string }) => {
        const message = JSON.parse(record.body) as { task: string; payload: unknown };
        if (message.task !== 'ship-order') throw new Error('unknown task');
        sink.total += schema.parse(message.payload).quantity;
      },
      processor,
      { context },
    ),
  );
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  // A fourth argument names handlers to run alone, for a profile: node --cpu-prof <bundle> <out> 5 taskgate
  const [, , outFile, roundsArg, only] = process.argv;
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const ledgers = [new MemoryLedger(), new MemoryLedger()];
  const persistence = new MemoryPersistenceLayer();
  const handlers: Record<keyof PerRecordResult, Handler> = {
    taskgate: taskgateHandler(new RunLog({ serviceName: 'taskgate' }), new PowertoolsRunMetrics(), ledgers[0]!),
    fairBaseline: fairBaselineHandler(persistence),
    taskgateCore: taskgateHandler(silent, noMetrics, ledgers[1]!),
    batchZod: batchZodHandler(),
  };
  let counter = 0;
  // Fresh ids each batch: the ledger and the persistence layer must claim, not short-circuit on duplicates.
  const batch = (): SQSEvent => ({
    Records: Array.from({ length: 10 }, () => sqsRecord({ task: 'ship-order', id: `o-${counter++}`, payload: { orderId: `A-${counter}`, quantity: 2 } })),
  });
  const context = { getRemainingTimeInMillis: () => 60_000, functionName: 'bench', awsRequestId: 'r' } as unknown as Context;
  const time = async (handler: Handler, batches: SQSEvent[]) => {
    // CPU time, not wall time: the benchmark machines are shared, and another process's burst
    // would count against whichever handler it interrupted.
    const start = process.cpuUsage();
    for (const event of batches) await handler(event, context);
    const { user, system } = process.cpuUsage(start);
    return (user + system) / (batches.length * 10);
  };
  const rounds = Number(roundsArg ?? 15);
  const perRound = 400;
  const samples = Object.fromEntries(Object.keys(handlers).map((name) => [name, [] as number[]])) as Record<keyof PerRecordResult, number[]>;
  for (let round = 0; round < rounds + 2; round++) {
    for (const [name, handler] of Object.entries(handlers) as Array<[keyof PerRecordResult, Handler]>) {
      if (only && !only.split(',').includes(name)) continue;
      const elapsed = await time(handler, Array.from({ length: perRound }, batch));
      // The first two rounds warm the JIT.
      if (round >= 2) samples[name].push(elapsed);
    }
    for (const ledger of ledgers) ledger.entries.clear();
    persistence.clear();
  }
  if (sink.total === 0) throw new Error('tasks did not run');
  const result = Object.fromEntries(Object.entries(samples).filter(([, values]) => values.length > 0).map(([name, values]) => [name, median(values)])) as unknown as PerRecordResult;
  fs.writeFileSync(outFile!, JSON.stringify(result));
  // The deadline timer of the last runs would hold the process for the task's timeout.
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
