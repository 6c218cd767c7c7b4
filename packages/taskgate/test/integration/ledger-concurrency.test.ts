import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbServer } from '../../src/local/servers';
import { DynamoLedger } from '../../src/worker/ledger/dynamo-ledger';
import type { ClaimResult } from '../../src/worker/ledger/ledger';
import { createLedgerTable, dynamoClient } from '../helpers/local-servers';

/**
 * The embedded DynamoDB parses each expression once (src/local/expression-cache.cjs), which makes it
 * a faster server than dynalite as published. Its conditional writes must decide races as the
 * published one does: the same concurrent claims and finishes on both, exactly one winner each time.
 */
const servers: Array<{ name: string; ledger: DynamoLedger; close: () => Promise<void> }> = [];

beforeAll(async () => {
  const port = { port: 0, flag: '-', envVar: '-', what: 'DynamoDB' };
  const [embedded, stock] = await Promise.all([startDynamoDbServer(port), startDynamoDbServer(port, { expressionCache: false })]);
  for (const [name, server] of [['embedded (expression cache)', embedded], ['dynalite as published', stock]] as const) {
    const client = dynamoClient(server.endpoint);
    await createLedgerTable(client, 'ledger');
    servers.push({ name, ledger: new DynamoLedger(client, 'ledger', 1), close: async () => (client.destroy(), await server.close()) });
  }
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

const start = (id: string, now: number, extra: { sentAt?: number; attempt?: number } = {}) => ({
  task: 'race',
  id,
  gate: 'default',
  source: 'api' as const,
  scheduledAt: new Date(now),
  attempt: extra.attempt ?? 1,
  now,
  sentAt: extra.sentAt ?? now,
});

/** How many claims ended each way; a lease's end relative to `t0`, so that both servers' tallies compare. */
function tally(results: ClaimResult[], t0: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const result of results) {
    const key = result.outcome === 'leased' ? `leased+${result.leaseUntil - t0}` : result.outcome === 'duplicate' ? `duplicate:${result.status}` : 'claimed';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function race(ledger: DynamoLedger): Promise<Record<string, unknown>> {
  const t0 = Date.now();
  const id = `run-${t0}-${Math.random()}`;
  // Twenty deliveries of one message at once: one runs, the others wait for its lease.
  const first = await Promise.all(Array.from({ length: 20 }, () => ledger.claim(start(id, t0), 60_000)));
  const winner = first.find((claim): claim is Extract<ClaimResult, { outcome: 'claimed' }> => claim.outcome === 'claimed');
  // The holder's outcome against five stale tokens, all at once: only the holder's is kept.
  const end = { status: 'failed' as const, attempt: 1, finishedAt: t0 + 10, durationMs: 10, error: 'boom' };
  const finishes = await Promise.all([winner?.token ?? 'none', 'stale-1', 'stale-2', 'stale-3', 'stale-4', 'stale-5'].map((token) => ledger.finish('race', id, token, end)));
  // Its retries, ten at once: a failed run is claimable again, by one of them.
  const retries = await Promise.all(Array.from({ length: 10 }, () => ledger.claim(start(id, t0 + 20, { attempt: 2 }), 60_000)));
  const retry = retries.find((claim): claim is Extract<ClaimResult, { outcome: 'claimed' }> => claim.outcome === 'claimed');
  await ledger.finish('race', id, retry?.token ?? 'none', { status: 'succeeded', attempt: 2, finishedAt: t0 + 30, durationMs: 5 });
  // Copies that arrive after it succeeded: duplicates, all of them.
  const late = await Promise.all(Array.from({ length: 10 }, () => ledger.claim(start(id, t0 + 40, { attempt: 3 }), 60_000)));
  // Fifty runs, four deliveries each, all at once: each run claimed exactly once.
  const many = await Promise.all(
    Array.from({ length: 50 }, async (_, run) => tally(await Promise.all(Array.from({ length: 4 }, () => ledger.claim(start(`${id}-${run}`, t0), 60_000))), t0)),
  );
  return {
    first: tally(first, t0),
    finishes,
    retries: tally(retries, t0 + 20),
    late: tally(late, t0),
    many: many.every((counts) => counts.claimed === 1 && counts['leased+60000'] === 3),
    record: await ledger.get('race', id).then((run) => run && { status: run.status, attempts: run.attempts }),
  };
}

describe('the ledger\'s conditional writes under concurrency', () => {
  it('decide every race with one winner, on the embedded DynamoDB exactly as on dynalite as published', async () => {
    const outcomes = await Promise.all(servers.map(async ({ name, ledger }) => ({ name, outcome: await race(ledger) })));
    const expected = {
      first: { claimed: 1, 'leased+60000': 19 },
      finishes: [true, false, false, false, false, false],
      retries: { claimed: 1, 'leased+60000': 9 },
      late: { 'duplicate:succeeded': 10 },
      many: true,
      record: { status: 'succeeded', attempts: 2 },
    };
    for (const { name, outcome } of outcomes) expect({ name, outcome }).toEqual({ name, outcome: expected });
  });
});
