import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import {
  expiredHolds,
  type HoldStore,
  type InventoryHold,
  releaseExpiredHolds,
  releaseExpiredInventoryHolds,
  simulatedHoldStore,
} from '../lambdas/tasks/release-expired-inventory-holds';
import type { TaskContext, TaskLogger } from 'taskgate';

const NOW = new Date('2026-11-25T14:00:00Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);
const hold = (holdId: string, minutes: number, quantity = 1): InventoryHold => ({ holdId, sku: 'MUG-BLUE', quantity, placedAt: minutesAgo(minutes) });

function logger(): TaskLogger & { lines: unknown[][] } {
  const lines: unknown[][] = [];
  const log = (...args: unknown[]) => void lines.push(args);
  return { lines, debug: log, info: log, warn: log, error: log };
}

/** A store that keeps what it was asked to release. */
function store(holds: InventoryHold[]): HoldStore & { released: string[][] } {
  const released: string[][] = [];
  return { released, listHolds: async () => holds, release: async (ids) => void released.push([...ids]) };
}

describe('release-expired-inventory-holds', () => {
  it('picks the holds at least maxAgeMinutes old', () => {
    const holds = [hold('fresh', 14), hold('boundary', 15), hold('old', 40)];
    expect(expiredHolds(holds, NOW, 15).map((h) => h.holdId)).toEqual(['boundary', 'old']);
  });

  it('releases the expired holds in one call and reports what it did', async () => {
    const holds = store([hold('a', 3), hold('b', 16, 2), hold('c', 29, 3)]);
    const log = logger();
    const result = await releaseExpiredHolds(holds, NOW, 15, new AbortController().signal, log);
    expect(result).toEqual({ released: 2, units: 5, stillHeld: 1 });
    expect(holds.released).toEqual([['b', 'c']]);
    expect(log.lines).toEqual([['released expired inventory holds', { released: 2, units: 5, stillHeld: 1, maxAgeMinutes: 15 }]]);
  });

  it('makes no release call when nothing expired, and none after its deadline', async () => {
    const holds = store([hold('a', 3)]);
    expect(await releaseExpiredHolds(holds, NOW, 15, new AbortController().signal, logger())).toEqual({ released: 0, units: 0, stillHeld: 1 });
    const late = new AbortController();
    late.abort(new Error('deadline'));
    const expired = store([hold('b', 20)]);
    await expect(releaseExpiredHolds(expired, NOW, 15, late.signal, logger())).rejects.toThrow('deadline');
    expect(holds.released).toEqual([]);
    expect(expired.released).toEqual([]);
  });

  it('runs on a simulated store that gives the same holds for the same tick', async () => {
    const first = await simulatedHoldStore(NOW).listHolds(new AbortController().signal);
    expect(first).toEqual(await simulatedHoldStore(new Date(NOW.getTime() + 59_000)).listHolds(new AbortController().signal));
    // One hold every third whole minute of the last half hour.
    expect(first).toHaveLength(10);
    expect(first.every((h) => h.placedAt < NOW && h.placedAt >= minutesAgo(30))).toBe(true);
    const context = { scheduledAt: NOW, signal: new AbortController().signal, logger: logger() } as Partial<TaskContext> as TaskContext;
    const payload = z.parse(releaseExpiredInventoryHolds.payload, {}) as { maxAgeMinutes: number };
    expect(payload).toEqual({ maxAgeMinutes: 15 });
    expect(await releaseExpiredInventoryHolds.run(payload, context)).toEqual({ released: 6, units: 15, stillHeld: 4 });
  });

  it('takes maxAgeMinutes from 1 to 1440', () => {
    const parse = (payload: object) => z.parse(releaseExpiredInventoryHolds.payload, payload);
    expect(parse({ maxAgeMinutes: 30 })).toEqual({ maxAgeMinutes: 30 });
    expect(() => parse({ maxAgeMinutes: 0 })).toThrow(/maxAgeMinutes/);
    expect(() => parse({ maxAgeMinutes: 1.5 })).toThrow(/maxAgeMinutes/);
  });
});
