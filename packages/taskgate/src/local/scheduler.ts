import { parseSchedule, type ParsedSchedule } from '../core/schedule-expression';
import { queueEntry, type QueueEntry } from '../core/send-path';
import type { ClockTimer, RuntimeClock } from './clock';
import type { TriggerModel } from './template';

/** A schedule as `GET /api/schedules` shows it (the CLI's contract). */
export interface ScheduleView {
  readonly name: string;
  readonly task: string | null;
  readonly kind: 'rule' | 'schedule';
  readonly expression: string;
  readonly timeZone: string;
  readonly enabled: boolean;
  /** The next tick (simulated time at speed > 1), or null when paused or none is left. */
  readonly next: string | null;
}

/** Sends one tick's message to the trigger's queue; resolves to the SQS message id. */
export type SendTick = (trigger: TriggerModel, entry: QueueEntry) => Promise<string>;

export interface SchedulerOptions {
  readonly triggers: readonly TriggerModel[];
  readonly clock: RuntimeClock;
  readonly send: SendTick;
  /** Whether the trigger's queue is FIFO without content-based deduplication (needs an explicit id). */
  readonly needsDeduplicationId: (trigger: TriggerModel) => boolean;
  readonly onFire: (trigger: TriggerModel, tick: Date, messageId: string, manual: boolean) => void;
  readonly onError: (message: string) => void;
}

interface Entry {
  readonly trigger: TriggerModel;
  readonly parsed: ParsedSchedule;
  enabled: boolean;
  next?: Date;
  timer?: ClockTimer;
}

/**
 * Fires the template's rules and Scheduler schedules into their queues with AWS's semantics, using
 * the one schedule evaluator (`lib/schedule-expression.ts`): rate, six-field cron, at(), time
 * zones with DST, start and end dates, and flexible windows (fired at a random point within the
 * window, the message still carrying the tick). Schedules can be paused, resumed and fired now.
 */
export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;
  /** Triggers that could not be parsed, each with why. */
  readonly warnings: string[] = [];

  constructor(private readonly options: SchedulerOptions) {
    for (const trigger of options.triggers) {
      let parsed: ParsedSchedule;
      try {
        parsed = parseSchedule(trigger.expression, {
          ...(trigger.kind === 'schedule' ? { timeZone: trigger.timeZone } : {}),
          target: trigger.kind === 'rule' ? 'rule' : 'scheduler',
          allowPast: true,
        });
      } catch (error) {
        this.warnings.push(`${trigger.cdkPath}: ${(error as Error).message}; it is not fired locally`);
        continue;
      }
      if (this.entries.has(trigger.name)) {
        this.warnings.push(`${trigger.cdkPath}: another schedule is also named ${trigger.name}; only the first is controllable by name`);
        continue;
      }
      this.entries.set(trigger.name, { trigger, parsed, enabled: trigger.enabled });
    }
  }

  start(): void {
    for (const entry of this.entries.values()) if (entry.enabled) this.arm(entry, this.options.clock.now());
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.entries.values()) entry.timer?.cancel();
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  list(): ScheduleView[] {
    return [...this.entries.values()].map((entry) => this.view(entry));
  }

  get(name: string): ScheduleView | undefined {
    const entry = this.entries.get(name);
    return entry && this.view(entry);
  }

  pause(name: string): ScheduleView | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    entry.enabled = false;
    entry.timer?.cancel();
    entry.next = undefined;
    return this.view(entry);
  }

  resume(name: string): ScheduleView | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    if (!entry.enabled) {
      entry.enabled = true;
      this.arm(entry, this.options.clock.now());
    }
    return this.view(entry);
  }

  /** Sends one message now, as a tick at the current (simulated) time, whether or not the schedule is paused. */
  async fire(name: string): Promise<ScheduleView | undefined> {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    // Whole seconds, as EventBridge's event time and Scheduler's scheduled-time are.
    const tick = new Date(Math.floor(this.options.clock.now().getTime() / 1000) * 1000);
    await this.send(entry, tick, true);
    return this.view(entry);
  }

  private view(entry: Entry): ScheduleView {
    return {
      name: entry.trigger.name,
      task: entry.trigger.task ?? null,
      kind: entry.trigger.kind,
      expression: entry.trigger.expression,
      timeZone: entry.trigger.timeZone,
      enabled: entry.enabled,
      next: entry.enabled && entry.next ? entry.next.toISOString() : null,
    };
  }

  /** The first tick after `after` inside the schedule's start and end dates. */
  private nextTick(entry: Entry, after: Date): Date | undefined {
    const { startDate, endDate } = entry.trigger;
    const from = startDate && new Date(startDate).getTime() - 1 > after.getTime() ? new Date(new Date(startDate).getTime() - 1) : after;
    const next = entry.parsed.next(from);
    if (!next || (endDate && next.getTime() > new Date(endDate).getTime())) return undefined;
    return next;
  }

  private arm(entry: Entry, after: Date): void {
    entry.timer?.cancel();
    entry.next = this.nextTick(entry, after);
    if (!entry.next || this.stopped) return;
    const tick = entry.next;
    const windowMs = (entry.trigger.flexibleWindowMinutes ?? 0) * 60_000 * Math.random();
    const fireAt = new Date(tick.getTime() + windowMs);
    entry.timer = this.options.clock.after(this.options.clock.delayUntil(fireAt), () => {
      void this.send(entry, tick, false).finally(() => {
        if (entry.enabled && entry.next === tick) this.arm(entry, tick);
      });
    });
  }

  private async send(entry: Entry, tick: Date, manual: boolean): Promise<void> {
    const body = entry.trigger.render(tick);
    // As EventBridge and Scheduler deliver: the target's group as the template gives it; a dedupe
    // id only where the queue cannot derive one from the body.
    const dedupeKey = this.options.needsDeduplicationId(entry.trigger) ? body : undefined;
    try {
      const messageId = await this.options.send(entry.trigger, queueEntry(body, { groupId: entry.trigger.messageGroupId, dedupeKey }));
      this.options.onFire(entry.trigger, tick, messageId, manual);
    } catch (error) {
      this.options.onError(`schedule ${entry.trigger.name}: sending the tick of ${tick.toISOString()} failed: ${(error as Error).message}`);
      if (manual) throw error;
    }
  }
}
