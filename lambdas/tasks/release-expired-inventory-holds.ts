import * as z from 'zod/mini';
import { defineTask, type TaskLogger } from 'taskgate';

/** Units of one SKU a checkout set aside, which go back on sale unless an order claims them. */
export interface InventoryHold {
  readonly holdId: string;
  readonly sku: string;
  readonly quantity: number;
  readonly placedAt: Date;
}

/** Where the holds live: the shop's inventory database in a real app. */
export interface HoldStore {
  listHolds(signal: AbortSignal): Promise<readonly InventoryHold[]>;
  release(holdIds: readonly string[], signal: AbortSignal): Promise<void>;
}

/** What one run did, as it logs it. */
export interface ReleaseResult {
  readonly released: number;
  readonly units: number;
  readonly stillHeld: number;
}

/** The holds at least `maxAgeMinutes` old at `now`: their checkout was abandoned. */
export function expiredHolds(holds: readonly InventoryHold[], now: Date, maxAgeMinutes: number): InventoryHold[] {
  const cutoff = now.getTime() - maxAgeMinutes * 60_000;
  return holds.filter((hold) => hold.placedAt.getTime() <= cutoff);
}

/** Releases the expired holds in one call; releasing a hold twice (a retried run) is harmless. */
export async function releaseExpiredHolds(store: HoldStore, now: Date, maxAgeMinutes: number, signal: AbortSignal, logger: TaskLogger): Promise<ReleaseResult> {
  const holds = await store.listHolds(signal);
  const expired = expiredHolds(holds, now, maxAgeMinutes);
  signal.throwIfAborted();
  if (expired.length > 0) await store.release(expired.map((hold) => hold.holdId), signal);
  const result = { released: expired.length, units: expired.reduce((sum, hold) => sum + hold.quantity, 0), stillHeld: holds.length - expired.length };
  logger.info('released expired inventory holds', { ...result, maxAgeMinutes });
  return result;
}

const SKUS = ['MUG-BLUE', 'MUG-RED', 'TEE-M', 'TEE-L', 'CAP'];
/** How far back the stand-in store has holds. */
const SIMULATED_MINUTES = 30;

/**
 * A stand-in for the inventory database, so that the example runs anywhere with nothing to set up:
 * the holds open at `now` are one every third whole minute of the last half hour, their SKU and
 * quantity derived from that minute. The same tick always gives the same holds, so a retried run
 * does the same work. Replace it with your database client.
 */
export function simulatedHoldStore(now: Date): HoldStore {
  const minute = Math.floor(now.getTime() / 60_000);
  const holds: InventoryHold[] = [];
  for (let m = minute - SIMULATED_MINUTES; m < minute; m++) {
    if (m % 3 !== 0) continue;
    holds.push({ holdId: `hold-${m}`, sku: SKUS[m % SKUS.length]!, quantity: 1 + (m % 4), placedAt: new Date(m * 60_000) });
  }
  return {
    listHolds: async () => holds,
    release: async () => undefined,
  };
}

/**
 * Example: an every-minute task. A checkout holds stock while the customer pays; a hold older than
 * the payment window was abandoned, and the stock it holds must go back on sale before the shop
 * turns customers away for items it has.
 */
export const releaseExpiredInventoryHolds = defineTask({
  name: 'release-expired-inventory-holds',
  description: 'Puts stock held by abandoned checkouts back on sale once the hold has expired.',
  payload: z.object({ maxAgeMinutes: z._default(z.int().check(z.minimum(1), z.maximum(1440)), 15) }),
  timeout: 30,
  retry: { maxAttempts: 3 },
  // Each run releases everything expired so far, so a tick delivered late adds nothing the next
  // one will not do: skip it, and ticks piled up in an outage collapse into one run.
  misfire: { maxLatenessSeconds: 60 },
  async run({ maxAgeMinutes }, { logger, scheduledAt, signal }) {
    return releaseExpiredHolds(simulatedHoldStore(scheduledAt), scheduledAt, maxAgeMinutes, signal, logger);
  },
});
