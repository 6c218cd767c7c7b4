import { randomUUID } from 'node:crypto';
import type { ClaimResult, Ledger, RunEnd, RunStart, RunVerdict } from '../../src/worker/ledger/ledger';
import { RECLAIMABLE } from '../../src/worker/ledger/ledger';
import { runKey, type RunStatus } from '../../src/worker/ledger/record';

interface Entry {
  status: RunStatus;
  leaseUntil?: number;
  token?: string;
  finishedAt?: number;
}

/** The ledger's claim rules on a Map: a stand-in for benchmarks and unit tests, not for runtime use. */
export class MemoryLedger implements Ledger {
  readonly entries = new Map<string, Entry>();

  private claimable(key: string, run: RunStart): boolean {
    const entry = this.entries.get(key);
    if (!entry) return true;
    if (entry.status === 'dead') return (entry.finishedAt ?? Infinity) < run.sentAt;
    return RECLAIMABLE.includes(entry.status) || (entry.status === 'running' && (entry.leaseUntil ?? 0) < run.now);
  }

  async claim(run: RunStart, leaseMs: number): Promise<ClaimResult> {
    const key = runKey(run.task, run.id);
    if (this.claimable(key, run)) {
      const token = randomUUID();
      this.entries.set(key, { status: 'running', leaseUntil: run.now + leaseMs, token });
      return { outcome: 'claimed', token };
    }
    const entry = this.entries.get(key)!;
    return entry.status === 'running' ? { outcome: 'leased', leaseUntil: entry.leaseUntil ?? run.now } : { outcome: 'duplicate', status: entry.status };
  }

  async finish(task: string, id: string, token: string, end: RunEnd): Promise<boolean> {
    const key = runKey(task, id);
    if (this.entries.get(key)?.token !== token) return false;
    this.entries.set(key, { status: end.status, finishedAt: end.finishedAt });
    return true;
  }

  async record(verdict: RunVerdict): Promise<boolean> {
    const key = runKey(verdict.task, verdict.id);
    if (!this.claimable(key, verdict)) return false;
    this.entries.set(key, { status: verdict.status, finishedAt: verdict.now });
    return true;
  }
}
