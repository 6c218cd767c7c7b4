/** Counting semaphore whose waiters get `false` once it is closed: the poller's concurrency slots. */
export class Semaphore {
  private available: number;
  private closed = false;
  private readonly waiters: Array<(granted: boolean) => void> = [];

  constructor(size: number) {
    this.available = size;
  }

  acquire(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.available > 0) {
      this.available -= 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Takes up to `most` slots that are free now, without waiting; how many it took. */
  tryAcquire(most: number): number {
    if (this.closed) return 0;
    const taken = Math.max(0, Math.min(most, this.available));
    this.available -= taken;
    return taken;
  }

  release(count = 1): void {
    for (let i = 0; i < count; i++) {
      const next = this.waiters.shift();
      if (next && !this.closed) next(true);
      else this.available += 1;
    }
  }

  close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter(false);
  }
}
