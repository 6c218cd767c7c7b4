import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import * as z from 'zod/mini';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineTask } from '../src/core/task';
import { createHandler } from '../src/worker/create-handler';
import { RunLog } from '../src/worker/run-log';
import { workerEnv } from './helpers/env';
import { sqsEvent, sqsRecord } from './helpers/sqs-records';

let stdout: string[];
let stderr: string[];

beforeEach(() => {
  // The suite silences Powertools (vitest.config.mts); these tests read its lines.
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  stdout = [];
  stderr = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => stdout.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => stderr.push(String(chunk)) > 0);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const lines = (writes: string[]) => writes.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('RunLog', () => {
  it('holds the info lines of one turn and writes them in one write, each a Powertools line of its own', () => {
    const log = new RunLog({ serviceName: 'taskgate' });
    log.info('first', { runId: 'a' });
    log.info('second', { runId: 'b' });
    expect(stdout).toEqual([]);
    log.flushLines();
    expect(stdout).toHaveLength(1);
    expect(lines(stdout)).toMatchObject([
      { level: 'INFO', message: 'first', service: 'taskgate', runId: 'a' },
      { level: 'INFO', message: 'second', service: 'taskgate', runId: 'b' },
    ]);
    log.flushLines();
    expect(stdout).toHaveLength(1);
  });

  it('lets the held lines out on the next turn of the event loop without a flush', async () => {
    const log = new RunLog({ serviceName: 'taskgate' });
    log.info('held');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines(stdout)).toMatchObject([{ message: 'held' }]);
  });

  it('writes a warning at once, after the lines held before it', () => {
    const log = new RunLog({ serviceName: 'taskgate' });
    log.info('before');
    log.warn('careful', { runId: 'c' });
    expect(lines(stdout)).toMatchObject([{ message: 'before' }]);
    expect(lines(stderr)).toMatchObject([{ level: 'WARN', message: 'careful', runId: 'c' }]);
  });

  it('writes errors and bigints through Powertools\' replacer, and a caller\'s replacer on every line', () => {
    const log = new RunLog({ serviceName: 'taskgate' });
    log.info('objects', { count: 10n, cause: new Error('boom') });
    log.info('flat', { runId: 'r', attempt: 2, ok: true, none: null });
    const masked = new RunLog({ serviceName: 'taskgate', jsonReplacerFn: (key, value) => (key === 'token' ? '***' : value) });
    masked.info('masked', { token: 'secret' });
    log.flushLines();
    masked.flushLines();
    const [objects, flat, hidden] = lines(stdout);
    expect(objects).toMatchObject({ count: '10', cause: { name: 'Error', message: 'boom' } });
    expect(flat).toMatchObject({ message: 'flat', runId: 'r', attempt: 2, ok: true });
    // Powertools drops empty values before either path writes the line.
    expect(flat).not.toHaveProperty('none');
    expect(hidden).toMatchObject({ message: 'masked', token: '***' });
  });

  it('keeps the log level: a debug line below it is not written', () => {
    const log = new RunLog({ serviceName: 'taskgate', logLevel: 'INFO' });
    log.debug('hidden');
    log.flushLines();
    expect(stdout).toEqual([]);
  });
});

describe('the worker handler', () => {
  const dynamo = mockClient(DynamoDBDocumentClient);
  beforeEach(() => {
    dynamo.reset();
    dynamo.on(UpdateCommand).resolves({});
  });

  it("has written each run's line when its invocation returns", async () => {
    const greet = defineTask({ name: 'greet', payload: z.object({ who: z.string() }), run: () => undefined });
    const handler = createHandler([greet], workerEnv());
    const records = [sqsRecord({ task: 'greet', id: 'r-1', payload: { who: 'a' } }), sqsRecord({ task: 'greet', id: 'r-2', payload: { who: 'b' } })];
    const response = await handler(sqsEvent(...records), { getRemainingTimeInMillis: () => 60_000 } as Context);
    expect(response.batchItemFailures).toEqual([]);
    const runs = lines(stdout).filter((line) => line.message === 'run succeeded');
    expect(runs.map((line) => line.runId).sort()).toEqual(['r-1', 'r-2']);
    expect(runs[0]).toMatchObject({ level: 'INFO', service: 'taskgate', task: 'greet', outcome: 'succeeded' });
  });
});
