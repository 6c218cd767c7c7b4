import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TaskRegistry } from '../src/core/registry';
import { parseSchedule } from '../src/core/schedule-expression';
import { defineTask } from '../src/core/task';
import { Triggers } from '../src/worker/triggers';
import { Worker } from '../src/worker/worker';
import { MemoryLedger } from './helpers/memory-ledger';
import { sqsRecord } from './helpers/sqs-records';

const sqs = mockClient(SQSClient);
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const pending: Array<() => void> = [];
/** Lets every run in progress end. */
const release = () => pending.splice(0).forEach((resolve) => resolve());
const ran: string[] = [];
const slow = (name: string, overlap: 'allow' | 'skip' | 'bufferOne') =>
  defineTask({ name, overlap, run: (_p, { runId }) => new Promise<void>((resolve) => (ran.push(`${name}:${runId}`), pending.push(resolve))) });
const tasks = [slow('nightly', 'skip'), slow('buffered', 'bufferOne'), slow('parallel', 'allow'), defineTask({ name: 'latest', misfire: { catchUp: 'latest' }, run: (_p, { runId }) => void ran.push(`latest:${runId}`) })];
const registry = new TaskRegistry(tasks);
let ledger: MemoryLedger;
let clock: number;

function worker(): Worker {
  return new Worker({
    registry,
    gate: 'default',
    queueUrl: 'q',
    deadLetterQueueUrl: 'dlq',
    sqs: new SQSClient({ region: 'us-east-1' }),
    ledger,
    triggers: new Triggers({ registry, sqs: new SQSClient({ region: 'us-east-1' }), queues: {} }),
    logger: silent,
    schedules: new Map([['latest', [parseSchedule('rate(1 minute)')]]]),
    scheduleNow: () => clock,
  });
}
const tick = (task: string, id: string, source = 'schedule') => sqsRecord({ task, id, scheduledAt: new Date(clock).toISOString(), source });

beforeEach(() => {
  sqs.reset();
  ledger = new MemoryLedger();
  ran.length = 0;
  clock = Date.parse('2026-12-01T10:00:30Z');
});

describe('worker: overlap policy at dispatch', () => {
  it('skip: a tick while the last run runs is recorded as skipped with the run that holds the task; a manual run still runs', async () => {
    const w = worker();
    const first = w.processRecord(tick('nightly', 't1'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await w.processRecord(tick('nightly', 't2'))).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^overlap: run t1 of nightly is still running .*; overlap is skip$/) });
    const manual = w.processRecord(tick('nightly', 'by-hand', 'manual'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(ran).toEqual(['nightly:t1', 'nightly:by-hand']);
    release();
    await Promise.all([first, manual]);
    // Released: the next tick runs.
    const third = w.processRecord(tick('nightly', 't3'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    expect(await third).toMatchObject({ status: 'succeeded' });
  });

  it('bufferOne: the first tick waits (delayed to the lease end), the next is skipped, and the holder wakes the waiter when it ends', async () => {
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    const w = worker();
    const first = w.processRecord(tick('buffered', 't1'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const waiting = tick('buffered', 't2');
    expect(await w.processRecord(waiting)).toMatchObject({ status: 'retry', error: 'waits for run t1 (overlap bufferOne)' });
    expect(await w.processRecord(tick('buffered', 't3'))).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/another run already waits for it; overlap is bufferOne$/) });
    release();
    await first;
    const wakes = sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input);
    expect(wakes.at(-1)).toEqual({ QueueUrl: 'q', ReceiptHandle: waiting.receiptHandle, VisibilityTimeout: 0 });
  });

  it('allow: runs beside the last run', async () => {
    const w = worker();
    const runs = [w.processRecord(tick('parallel', 't1')), w.processRecord(tick('parallel', 't2'))];
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(ran).toEqual(['parallel:t1', 'parallel:t2']);
    release();
    expect((await Promise.all(runs)).map((outcome) => outcome.status)).toEqual(['succeeded', 'succeeded']);
  });
});

describe('worker: catch-up policy at dispatch', () => {
  it('latest: a tick with a newer tick due by the schedules clock is skipped with its reason; the newest runs', async () => {
    const w = worker();
    const old = sqsRecord({ task: 'latest', id: 'old', scheduledAt: '2026-12-01T09:58:00Z', source: 'schedule' });
    const newest = sqsRecord({ task: 'latest', id: 'newest', scheduledAt: '2026-12-01T10:00:00Z', source: 'schedule' });
    expect(await w.processRecord(old)).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/^catch-up: at least 1 newer tick/) });
    expect(await w.processRecord(newest)).toMatchObject({ status: 'succeeded' });
    // A manual run of an old tick (backfill) is not subject to it.
    expect(await w.processRecord(sqsRecord({ task: 'latest', id: 'backfill-1', scheduledAt: '2026-12-01T08:00:00Z', source: 'manual' }))).toMatchObject({ status: 'succeeded' });
    expect(ran).toEqual(['latest:newest', 'latest:backfill-1']);
  });
});
