import { TaskTimeoutError } from '../core/errors';
import type { AnyTask } from '../core/task';
import type { RunContext } from './run-context';

interface Pending {
  readonly deadline: number;
  expire(): void;
}

/**
 * Runs tasks under deadlines with one timer for all of them, set for the earliest deadline, instead
 * of a timer per record: arming and clearing a timer for every record cost more than the rest of
 * the dispatch. A deadline fires the run's signal so a cooperative task stops; a task that ignores
 * it still loses the race and is recorded as timed out (its promise is left to settle on its own:
 * nothing can cancel a JavaScript function from outside).
 */
export class Deadlines {
  private readonly pending = new Set<Pending>();
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;

  constructor(private readonly now: () => number = Date.now) {}

  run(task: AnyTask, payload: unknown, context: RunContext, timeoutMs: number): Promise<unknown> {
    let result: unknown;
    try {
      result = task.run(payload, context);
    } catch (error) {
      return Promise.reject(error);
    }
    // A task that returned without a promise has finished: nothing is left to time out, and no
    // deadline entry, timer or promise of its own is needed (a third of the core's per-record cost).
    if (typeof (result as PromiseLike<unknown> | null)?.then !== 'function') return Promise.resolve(result);
    const running = result as PromiseLike<unknown>;
    return new Promise((resolve, reject) => {
      const entry: Pending = {
        deadline: this.now() + timeoutMs,
        expire: () => {
          const error = new TaskTimeoutError(task.name, Math.round(timeoutMs / 100) / 10);
          context.abort(error);
          reject(error);
        },
      };
      const settle = (fn: (value: unknown) => void) => (value: unknown) => {
        this.pending.delete(entry);
        fn(value);
      };
      this.pending.add(entry);
      this.arm(entry.deadline);
      Promise.resolve(running).then(settle(resolve), settle(reject));
    });
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
