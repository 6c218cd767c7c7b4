import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as LedgerModule from '../src/worker/ledger/ledger';

// A path in a variable: the project's module resolution wants an extension on an import() literal.
const LEDGER_MODULE = '../src/worker/ledger/ledger';

/** A fresh copy of ledger.ts, as a new execution environment loads it. */
async function freshLedgerModule(): Promise<typeof LedgerModule> {
  vi.resetModules();
  return (await import(LEDGER_MODULE)) as typeof LedgerModule;
}

afterEach(() => {
  vi.doUnmock('node:crypto');
  vi.resetModules();
});

describe('claimToken', () => {
  it('never repeats within an environment', async () => {
    const { claimToken } = await freshLedgerModule();
    const tokens = new Set(Array.from({ length: 10_000 }, () => claimToken()));
    expect(tokens.size).toBe(10_000);
  });

  it('differs between environments: each draws its own random prefix', async () => {
    const first = (await freshLedgerModule()).claimToken();
    const second = (await freshLedgerModule()).claimToken();
    expect(first).not.toBe(second);
    expect(first.split('.')[0]).not.toBe(second.split('.')[0]);
  });

  it('draws the prefix at the first claim, not at load, so environments restored from one snapshot do not share it', async () => {
    const randomUUID = vi.fn(() => '00000000-0000-4000-8000-000000000000');
    vi.doMock('node:crypto', async (original) => ({ ...(await original<typeof import('node:crypto')>()), randomUUID }));
    const { claimToken } = await freshLedgerModule();
    expect(randomUUID).not.toHaveBeenCalled();
    expect([claimToken(), claimToken()]).toEqual(['00000000-0000-4000-8000-000000000000.1', '00000000-0000-4000-8000-000000000000.2']);
    expect(randomUUID).toHaveBeenCalledTimes(1);
  });
});
