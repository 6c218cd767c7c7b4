import { TaskTimeoutError } from '../core/errors';
import type { AnyTask } from '../core/task';
import type { RunContext } from './run-context';

/** How long a timed-out task has to return after its signal fired before it counts as a runaway. */
const RUNAWAY_GRACE_MS = 500;

interface Pending {
  readonly deadline: number;
  expire(): void;
}

/**
 * A run's timeout while its task has not returned: the task ignored its signal and still runs.
 * `settled` resolves when it finally returns or throws (never, if it hangs).
 */
export class RunawayTimeoutError extends TaskTimeoutError {
  constructor(
    task: string,
    timeoutSeconds: number,
    readonly settled: Promise<void>,
  ) {
    super(task, timeoutSeconds);
    this.message = `${this.message}, and it ignored its signal: it was still running when the deadline passed`;
  }
}

/**
 * Runs tasks under deadlines with one timer for all of them, set for the earliest deadline, instead
 * of a timer per record: arming and clearing a timer for every record cost more than the rest of
 * the dispatch. A deadline fires the run's signal so a cooperative task stops; a task that ignores
 * it loses the race with a {@link RunawayTimeoutError} and is tracked as a runaway until it
 * settles (nothing can cancel a JavaScript function from outside: the invocation has to end for
 * it to stop, see {@link Deadlines.runawaysSettled}). A task that returns after its deadline, as a
 * busy-wait that blocked the timer does, is a timeout too, never a success.
 */
export class Deadlines {
  private readonly pending = new Set<Pending>();
  private readonly runaways = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Runs the task under its deadline. A task that returns without a promise gives its result, or
   * its error thrown, with no promise of its own: the worker awaits only what is a promise, one
   * turn of the microtask queue less per record. A task's own promise-like result comes back as a
   * native Promise that rejects at the deadline.
   */
  start(task: AnyTask, payload: unknown, context: RunContext, timeoutMs: number): unknown {
    const startedAt = this.now();
    const timeoutSeconds = Math.round(timeoutMs / 100) / 10;
    const result: unknown = task.run(payload, context);
    // A task that returned without a promise has finished: nothing is left to time out, and no
    // deadline entry, timer or promise of its own is needed (a third of the core's per-record cost).
    if (typeof (result as PromiseLike<unknown> | null)?.then !== 'function') {
      if (this.now() - startedAt <= timeoutMs) return result;
      // It held the event loop past its deadline (a busy wait): late is not a success.
      const error = new TaskTimeoutError(task.name, timeoutSeconds);
      context.abort(error);
      throw error;
    }
    const running = result as PromiseLike<unknown>;
    return new Promise((resolve, reject) => {
      let finished!: () => void;
      const settledLate = new Promise<void>((done) => (finished = done));
      const entry: Pending = {
        // From the call, not from its return: a task may hold the event loop before its first await.
        deadline: startedAt + timeoutMs,
        expire: () => {
          const error = new TaskTimeoutError(task.name, timeoutSeconds);
          context.abort(error);
          // A task that heeds its signal still settles a few ticks later (an aborted fetch rejects
          // asynchronously): only one still running after the grace is a runaway.
          let grace: NodeJS.Timeout | undefined;
          void Promise.race([settledLate.then(() => true), new Promise<false>((resolve) => (grace = setTimeout(resolve, RUNAWAY_GRACE_MS, false)))]).then((settled) => {
            clearTimeout(grace);
            if (settled) return reject(error);
            this.runaways.add(settledLate);
            void settledLate.then(() => this.runaways.delete(settledLate));
            reject(new RunawayTimeoutError(task.name, timeoutSeconds, settledLate));
          });
        },
      };
      const settle = (fn: (value: unknown) => void) => (value: unknown) => {
        finished();
        if (!this.pending.delete(entry)) return; // expired already: the timeout was reported
        if (this.now() > entry.deadline) {
          // The timer could not fire (a synchronous task held the event loop): late is not a success.
          const error = new TaskTimeoutError(task.name, timeoutSeconds);
          context.abort(error);
          return reject(error);
        }
        fn(value);
      };
      this.pending.add(entry);
      this.arm(entry.deadline);
      Promise.resolve(running).then(settle(resolve), settle(reject));
    });
  }

  /** Tasks past their deadline that have not returned yet. */
  get runawayCount(): number {
    return this.runaways.size;
  }

  /**
   * Waits until every runaway task has returned, or `withinMs` passed; true when none is left.
   * The worker waits here before it ends an invocation, so that a runaway never resumes in a later
   * invocation of the same environment, beside its own retry.
   */
  async runawaysSettled(withinMs: number): Promise<boolean> {
    if (this.runaways.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, withinMs))));
    await Promise.race([Promise.all([...this.runaways]), timedOut]);
    clearTimeout(timer);
    const settled = this.runaways.size === 0;
    // Past the invocation's end its environment is gone (Lambda recycles it): later batches must not wait for these.
    this.runaways.clear();
    return settled;
  }

  private arm(deadline: number): void {
    if (deadline >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(() => this.fire(), Math.max(0, deadline - this.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.now();
    let next = Infinity;
    for (const entry of this.pending) {
      if (entry.deadline <= now) {
        this.pending.delete(entry);
        entry.expire();
      } else if (entry.deadline < next) {
        next = entry.deadline;
      }
    }
    if (next !== Infinity) this.arm(next);
  }
}
