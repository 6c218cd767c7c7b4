import type { ClaimResult, Ledger, RunEnd, RunStart, RunVerdict, TaskLeaseResult, TaskLeases } from '../../src/worker/ledger/ledger';
import { claimToken, RECLAIMABLE } from '../../src/worker/ledger/ledger';
import { runKey, type RunStatus } from '../../src/worker/ledger/record';

interface Entry {
  status: RunStatus;
  leaseUntil?: number;
  token?: string;
  finishedAt?: number;
}

interface TaskLease {
  holder?: string;
  leaseUntil: number;
  waiter?: string;
  waitUntil?: number;
  wakeHandle?: string;
}

/** The ledger's claim rules on a Map: a stand-in for benchmarks and unit tests, not for runtime use. */
export class MemoryLedger implements Ledger {
  readonly entries = new Map<string, Entry>();
  readonly taskLeases = new Map<string, TaskLease>();

  private claimable(key: string, run: RunStart): boolean {
    const entry = this.entries.get(key);
    if (!entry) return true;
    if ((entry.leaseUntil ?? 0) >= run.now) return false;
    if (entry.status === 'dead') return (entry.finishedAt ?? Infinity) < run.sentAt;
    return RECLAIMABLE.includes(entry.status) || entry.status === 'running';
  }

  async claim(run: RunStart, leaseMs: number): Promise<ClaimResult> {
    const key = runKey(run.task, run.id);
    if (this.claimable(key, run)) {
      const token = claimToken();
      this.entries.set(key, { status: 'running', leaseUntil: run.now + leaseMs, token });
      return { outcome: 'claimed', token };
    }
    const entry = this.entries.get(key)!;
    // Running, or a failed (or redriven dead) run under a hold: leased; a copy of a dead run: a duplicate.
    const held = entry.status === 'running' || entry.status === 'failed' || (entry.status === 'dead' && (entry.finishedAt ?? Infinity) < run.sentAt);
    return held
      ? { outcome: 'leased', leaseUntil: entry.leaseUntil ?? run.now }
      : { outcome: 'duplicate', status: entry.status };
  }

  async finish(task: string, id: string, token: string, end: RunEnd): Promise<boolean> {
    const key = runKey(task, id);
    if (this.entries.get(key)?.token !== token) return false;
    this.entries.set(key, { status: end.status, leaseUntil: end.holdUntil, finishedAt: end.finishedAt });
    return true;
  }

  async record(verdict: RunVerdict): Promise<boolean> {
    const key = runKey(verdict.task, verdict.id);
    if (!this.claimable(key, verdict)) return false;
    this.entries.set(key, { status: verdict.status, finishedAt: verdict.now });
    return true;
  }

  async acquireTaskLease({ task, runId, now, leaseMs, buffer }: Parameters<TaskLeases['acquireTaskLease']>[0]): Promise<TaskLeaseResult> {
    const lease = this.taskLeases.get(task) ?? { leaseUntil: 0 };
    const free = lease.holder === undefined || lease.leaseUntil < now || lease.holder === runId;
    const noOtherWaiter = lease.waiter === undefined || lease.waiter === runId || (lease.waitUntil ?? 0) < now;
    if (free && noOtherWaiter) {
      this.taskLeases.set(task, { holder: runId, leaseUntil: now + leaseMs });
      return { outcome: 'acquired' };
    }
    const holder = lease.holder ?? lease.waiter ?? 'unknown';
    const waiting = Boolean(buffer) && !free && noOtherWaiter;
    if (waiting) Object.assign(lease, { waiter: runId, waitUntil: lease.leaseUntil + leaseMs, wakeHandle: buffer!.wakeHandle });
    return { outcome: 'held', holder, leaseUntil: lease.leaseUntil, waiting };
  }

  async releaseTaskLease(task: string, runId: string): Promise<string | undefined> {
    const lease = this.taskLeases.get(task);
    if (lease?.holder !== runId) return undefined;
    lease.holder = undefined;
    lease.leaseUntil = 0;
    return lease.waiter !== undefined && (lease.waitUntil ?? 0) >= Date.now() ? lease.wakeHandle : undefined;
  }
}
