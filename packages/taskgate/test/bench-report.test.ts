import { describe, expect, it } from 'vitest';
import { SendMessageCommand, CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { atLeast, atMost, exactly, formatTable, ratioRow, valueRow } from '../bench/report';
import { costRows } from '../bench/support/cost-model';
import { startSqsServer } from '../src/local/servers';

describe('the benchmark report', () => {
  it('judges each goal on the ratio, or on the value without a baseline', () => {
    expect(ratioRow('worker per record', 4, 10, 'µs', atMost(0.5))).toEqual({ name: 'worker per record', value: 4, unit: 'µs', baseline: 10, ratio: 0.4, goal: '<= 0.5x', met: true });
    expect(ratioRow('drain', 70, 80, 'runs/s', atLeast(0.95)).met).toBe(false);
    expect(valueRow('peak in flight', 20, 'runs', exactly(20))).toMatchObject({ baseline: null, ratio: null, goal: '== 20', met: true });
    expect(valueRow('peak in flight', 21, 'runs', exactly(20)).met).toBe(false);
  });

  it('prints one table with a header, a line per figure and the goals met, readings without a verdict', () => {
    const table = formatTable([ratioRow('cold start', 100, 230, 'ms', atMost(0.5)), ratioRow('drain', 70, 80, 'runs/s', atLeast(0.95)), valueRow('bundle share', 31, 'KB')]);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^figure +value +baseline \(same run\) +ratio +goal +met$/);
    expect(lines[2]).toMatch(/^cold start +100 ms +230 ms +0\.43x +<= 0\.5x +yes$/);
    expect(lines[3]).toMatch(/^drain +70\.0 runs\/s +80\.0 runs\/s +0\.88x +>= 0\.95x +NO$/);
    expect(lines[4]).toMatch(/^bundle share +31\.0 KB +- +- +info$/);
    expect(lines.at(-1)).toBe('goals met: 1 of 2');
  });

  it('prices the ledger writes and durations a run adds to a bare SQS → Lambda consumer', () => {
    // 100 runs at batch size 1: one receive, one delete and one invocation each; two ledger writes each.
    const sample = { runs: 100, sqs: { ReceiveMessage: 100, DeleteMessageBatch: 100, SendMessageBatch: 10 }, dynamodb: { UpdateItem: 200, BatchGetItem: 100 }, invocationMs: Array(100).fill(9.2), memoryMb: 256 };
    const [requests, gbSeconds, usd] = costRows('batch 1', sample, Array(100).fill(0.4));
    // The runtime's own ledger reads (BatchGetItem) are not AWS requests a deployed gate makes.
    expect(requests).toMatchObject({ value: 5.1, baseline: 3.1 });
    // Billed per started millisecond: 10 ms against 1 ms, a quarter of a GB.
    expect(gbSeconds!.value).toBeCloseTo(2500);
    expect(gbSeconds!.baseline).toBeCloseTo(250);
    expect(usd!.value).toBeCloseTo(2.1 * 0.4 + 0.2 + 2 * 0.625 + 2500 * 0.0000133334);
  });
});

describe('the embedded SQS server', () => {
  it('counts the requests it serves by operation', async () => {
    const server = await startSqsServer({ port: 0, flag: '--sqs-port', envVar: 'TASKGATE_SQS_PORT', what: 'embedded SQS server' });
    const sqs = new SQSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'counted' }));
      for (let i = 0; i < 3; i++) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `m${i}` }));
      await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
      expect(await server.requestCounts()).toEqual({ CreateQueue: 1, SendMessage: 3, ReceiveMessage: 1 });
    } finally {
      sqs.destroy();
      await server.close();
    }
  });
});
