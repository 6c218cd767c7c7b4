import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoLedger } from '../../src/worker/ledger/dynamo-ledger';
import { createLedgerTable, dynamoClient } from '../helpers/local-servers';

// The DynamoDB side of issue 17's policies on the embedded DynamoDB server: a runaway's hold and
// the overlap policy's per-task lease, each one conditional update.
const dynamo = dynamoClient(inject('dynamodbEndpoint'));
const table = `runs-${randomUUID().slice(0, 8)}`;
const ledger = new DynamoLedger(dynamo, table, 30);
const T0 = Date.parse('2026-12-01T00:00:00Z');
const start = (id: string, now: number) => ({ task: 'sweep', id, gate: 'default', source: 'schedule', scheduledAt: new Date(T0), attempt: 1, now, sentAt: now });

beforeAll(() => createLedgerTable(dynamo, table));

describe('a runaway run keeps its lease after it failed', () => {
  it('refuses the retry until the hold has passed, then lets it claim the run', async () => {
    const claim = await ledger.claim(start('held', T0), 60_000);
    if (claim.outcome !== 'claimed') throw new Error('not claimed');
    await ledger.finish('sweep', 'held', claim.token, { status: 'failed', attempt: 1, finishedAt: T0 + 1_000, durationMs: 1_000, error: 'ignored its signal', reason: 'timeout', holdUntil: T0 + 20_000 });
    expect(await ledger.claim(start('held', T0 + 19_000), 60_000)).toEqual({ outcome: 'leased', leaseUntil: T0 + 20_000 });
    expect(await ledger.claim(start('held', T0 + 20_001), 60_000)).toMatchObject({ outcome: 'claimed' });
  });

  it('a failure without a hold is claimable at once, as before', async () => {
    const claim = await ledger.claim(start('plain', T0), 60_000);
    if (claim.outcome !== 'claimed') throw new Error('not claimed');
    await ledger.finish('sweep', 'plain', claim.token, { status: 'failed', attempt: 1, finishedAt: T0, durationMs: 5, error: 'boom' });
    expect(await ledger.claim(start('plain', T0 + 1), 60_000)).toMatchObject({ outcome: 'claimed' });
  });
});

describe("the overlap policy's task lease", () => {
  it('is taken by one run at a time, again by the same run, and by another once released or run out', async () => {
    const task = 'lease-a';
    expect(await ledger.acquireTaskLease({ task, runId: 'tick-1', now: T0, leaseMs: 10_000 })).toEqual({ outcome: 'acquired' });
    expect(await ledger.acquireTaskLease({ task, runId: 'tick-1', now: T0 + 1, leaseMs: 10_000 })).toEqual({ outcome: 'acquired' });
    expect(await ledger.acquireTaskLease({ task, runId: 'tick-2', now: T0 + 2, leaseMs: 10_000 })).toEqual({ outcome: 'held', holder: 'tick-1', leaseUntil: T0 + 10_001, waiting: false });
    expect(await ledger.releaseTaskLease(task, 'tick-2')).toBeUndefined(); // not its lease: nothing changes
    expect(await ledger.acquireTaskLease({ task, runId: 'tick-2', now: T0 + 3, leaseMs: 10_000 })).toMatchObject({ outcome: 'held', holder: 'tick-1' });
    expect(await ledger.releaseTaskLease(task, 'tick-1')).toBeUndefined();
    expect(await ledger.acquireTaskLease({ task, runId: 'tick-2', now: T0 + 4, leaseMs: 10_000 })).toEqual({ outcome: 'acquired' });
    // tick-2 never released it (its worker crashed): the lease runs out.
    expect(await ledger.acquireTaskLease({ task, runId: 'tick-3', now: T0 + 10_005, leaseMs: 10_000 })).toEqual({ outcome: 'acquired' });
  });

  it('bufferOne: one run waits, with the handle its holder wakes it by; no other run may wait or jump ahead of it', async () => {
    const task = 'lease-b';
    const now = Date.now();
    await ledger.acquireTaskLease({ task, runId: 'tick-1', now, leaseMs: 60_000 });
    expect(await ledger.acquireTaskLease({ task, runId: 'tick-2', now, leaseMs: 60_000, buffer: { wakeHandle: 'receipt-2' } })).toMatchObject({ outcome: 'held', holder: 'tick-1', waiting: true });
    expect(await ledger.acquireTaskLease({ task, runId: 'tick-3', now, leaseMs: 60_000, buffer: { wakeHandle: 'receipt-3' } })).toMatchObject({ outcome: 'held', waiting: false });
    expect(await ledger.releaseTaskLease(task, 'tick-1')).toBe('receipt-2');
    // Released, but tick-2 waits for it: tick-3 may not take it first.
    expect(await ledger.acquireTaskLease({ task, runId: 'tick-3', now: now + 1, leaseMs: 60_000 })).toMatchObject({ outcome: 'held', waiting: false });
    expect(await ledger.acquireTaskLease({ task, runId: 'tick-2', now: now + 2, leaseMs: 60_000, buffer: { wakeHandle: 'receipt-2' } })).toEqual({ outcome: 'acquired' });
  });
});
