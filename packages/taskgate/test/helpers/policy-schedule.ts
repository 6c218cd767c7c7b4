import { taskMessageBody, tickTime } from '../../src/core/task-message';
import type { RuntimeClock } from '../../src/local/clock';
import { queueSender } from '../../src/local/runtime-schedules';
import { Scheduler } from '../../src/local/scheduler';
import type { TriggerModel } from '../../src/local/template';
import type { PolicyGate } from './policy-gate';

/**
 * The embedded runtime's scheduler firing `rate(1 minute)` for each task into its gate's queue, on
 * a RuntimeClock sped up, as `taskgate dev --speed` runs it. Resolves `fired` when
 * every schedule has fired `ticks` times; the schedules keep firing until stop() or `endDate`.
 */
export function scheduleEveryMinute(targets: ReadonlyArray<{ task: string; gate: PolicyGate }>, clock: RuntimeClock, ticks: number, endDate?: Date) {
  const gateOf = new Map(targets.map(({ task, gate }) => [task, gate]));
  const triggers: TriggerModel[] = targets.map(({ task }) => ({
    kind: 'rule',
    logicalId: `Schedule${task}`,
    name: task,
    task,
    cdkPath: `Policies/Schedule-${task}`,
    expression: 'rate(1 minute)',
    timeZone: 'UTC',
    enabled: true,
    queue: task,
    ...(endDate ? { endDate: endDate.toISOString() } : {}),
    render: (tick: Date) => taskMessageBody({ task, id: tickTime(tick), scheduledAt: tickTime(tick), source: 'schedule' }),
  }));
  const firedTicks = new Map<string, Date[]>(targets.map(({ task }) => [task, []]));
  let resolveFired!: () => void;
  const fired = new Promise<void>((resolve) => (resolveFired = resolve));
  const errors: string[] = [];
  const send = queueSender(targets[0]!.gate.sqs);
  const scheduler = new Scheduler({
    triggers,
    clock,
    send: (trigger, entry) => send(gateOf.get(trigger.task!)!.queueUrl, entry),
    needsDeduplicationId: () => false,
    onFire: (trigger, tick) => {
      firedTicks.get(trigger.task!)!.push(tick);
      if ([...firedTicks.values()].every((list) => list.length >= ticks)) resolveFired();
    },
    onError: (message) => errors.push(message),
  });
  scheduler.start();
  return { clock, scheduler, fired, firedTicks, errors, stop: () => scheduler.stop() };
}
