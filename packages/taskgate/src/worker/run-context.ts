import type { Envelope } from '../core/envelope';
import type { TaskContext, TaskLogger } from '../core/task';
import { derivedId, type Triggers } from './triggers';

/**
 * What a task's `run` gets. A class with lazy parts rather than an object literal: most tasks never
 * read `signal` or `logger`, and creating an AbortController and four bound log functions for
 * every record was the larger part of the worker's per-record cost.
 */
export class RunContext implements TaskContext {
  readonly runId: string;
  readonly task: string;
  readonly scheduledAt: Date;
  private controller?: AbortController;
  private abortReason?: unknown;
  private boundLogger?: TaskLogger;
  private boundChain?: TaskContext['chain'];
  private boundScheduleOnce?: TaskContext['scheduleOnce'];

  constructor(
    private readonly envelope: Envelope,
    readonly attempt: number,
    readonly deadline: number,
    private readonly baseLogger: TaskLogger,
    private readonly triggers: Triggers,
  ) {
    this.runId = envelope.id;
    this.task = envelope.task;
    this.scheduledAt = envelope.scheduledAt;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  get logger(): TaskLogger {
    if (!this.boundLogger) {
      const keys = { task: this.task, runId: this.runId, attempt: this.attempt };
      const base = this.baseLogger;
      this.boundLogger = {
        debug: (message, ...extra) => base.debug(message, keys, ...extra),
        info: (message, ...extra) => base.info(message, keys, ...extra),
        warn: (message, ...extra) => base.warn(message, keys, ...extra),
        error: (message, ...extra) => base.error(message, keys, ...extra),
      };
    }
    return this.boundLogger;
  }

  /** Fires the signal (now, or when a task first reads it). */
  abort(reason: unknown): void {
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  // Getters that bind on first use: tasks destructure `{ chain }` from their context.
  get chain(): TaskContext['chain'] {
    return (this.boundChain ??= this.sendChain.bind(this));
  }

  get scheduleOnce(): TaskContext['scheduleOnce'] {
    return (this.boundScheduleOnce ??= this.sendOnce.bind(this));
  }

  private sendChain(options: { readonly delaySeconds?: number; readonly payload?: object } = {}): Promise<void> {
    return this.triggers.send({
      task: this.task,
      payload: options.payload ?? (this.envelope.payload as object),
      id: derivedId(this.runId, 'chain'),
      source: 'chain',
      delaySeconds: options.delaySeconds ?? 0,
    });
  }

  private sendOnce(at: Date, task: string, payload?: object): Promise<void> {
    return this.triggers.send({ task, payload, id: derivedId(this.runId, `once-${task}-${at.toISOString()}`), source: 'once', at });
  }
}
