import { describe, expect, it } from 'vitest';
import { TaskTimeoutError } from '../src/core/errors';
import { defineTask } from '../src/core/task';
import { RunContext } from '../src/worker/run-context';
import { Deadlines } from '../src/worker/run-task';
import { Triggers } from '../src/worker/triggers';
import { TaskRegistry } from '../src/core/registry';
import type { SQSClient } from '@aws-sdk/client-sqs';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const triggers = new Triggers({ registry: new TaskRegistry([]), sqs: {} as SQSClient, queues: {} });
/** As the worker awaits a run: a synchronous result or throw becomes the promise's. */
const run = async (deadlines: Deadlines, ...args: Parameters<Deadlines['start']>) => deadlines.start(...args);
const context = (task: string) =>
  new RunContext({ task, id: task, payload: {}, scheduledAt: new Date(), source: 'api' }, 1, 0, silent, triggers);

describe('Deadlines: one timer for every run in flight', () => {
  it('times out each run at its own deadline, earliest first, and leaves finished runs alone', async () => {
    const deadlines = new Deadlines();
    const forever = defineTask({ name: 'forever', run: () => new Promise(() => undefined) });
    const quick = defineTask({ name: 'quick', run: async () => 'done' });
    const order: string[] = [];
    const slow = run(deadlines, forever, {}, context('slow'), 300).catch((error: Error) => order.push(`slow:${error.name}`));
    const fast = run(deadlines, forever, {}, context('fast'), 100).catch((error: Error) => order.push(`fast:${error.name}`));
    await expect(run(deadlines, quick, {}, context('quick'), 50)).resolves.toBe('done');
    await Promise.all([slow, fast]);
    expect(order).toEqual(['fast:TaskTimeoutError', 'slow:TaskTimeoutError']);
  });

  it('fires the signal of a task that reads it, with the timeout as the reason', async () => {
    const deadlines = new Deadlines();
    let signal: AbortSignal | undefined;
    const cooperative = defineTask({
      name: 'cooperative',
      run: (_p, ctx) =>
        new Promise((_, reject) => {
          signal = ctx.signal;
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        }),
    });
    await expect(run(deadlines, cooperative, {}, context('c'), 50)).rejects.toBeInstanceOf(TaskTimeoutError);
    expect(signal?.aborted).toBe(true);
  });

  it('gives a synchronous task its result or its throw as they are, with no promise of its own', () => {
    const thrower = defineTask({
      name: 'thrower',
      run: () => {
        throw new Error('sync');
      },
    });
    const sum = defineTask({ name: 'sum', run: () => 3 });
    expect(() => new Deadlines().start(thrower, {}, context('t'), 1000)).toThrow('sync');
    expect(new Deadlines().start(sum, {}, context('s'), 1000)).toBe(3);
  });
});
