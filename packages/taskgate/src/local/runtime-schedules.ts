import type { SQSClient } from '@aws-sdk/client-sqs';
import type { QueueEntry } from '../core/send-path';
import { SdkSendPorts } from '../worker/send-adapter';
import type { RuntimeClock } from './clock';
import type { OnceScheduleView } from './once-schedule-view';
import type { RuntimeOptions } from './options';
import type { LocalQueue } from './provision';
import type { RuntimeOutput } from './runtime-types';
import { Scheduler } from './scheduler';
import { qualifiedName, taskgateOf, type AppTaskgate } from './taskgates';
import type { AppModel, TriggerModel } from './template';

/** The send path's SQS adapter, one message at a time: how the runtime's schedules deliver. */
export function queueSender(sqs: SQSClient): (queueUrl: string, entry: QueueEntry) => Promise<string> {
  const ports = new SdkSendPorts({ sqs });
  return async (queueUrl, entry) => (await ports.sendMessages(queueUrl, [entry]))[0]!;
}

/** The template's rules and schedules, on the runtime's clock, sending through the send path. */
export function buildScheduler(
  models: AppModel[],
  taskgates: readonly AppTaskgate[],
  queueUrls: ReadonlyMap<string, LocalQueue>,
  clock: RuntimeClock,
  out: RuntimeOutput,
  send: (queueUrl: string, entry: QueueEntry) => Promise<string>,
): Scheduler {
  const stackOf = new Map<TriggerModel, AppModel>();
  for (const model of models) {
    for (const trigger of [...model.rules, ...model.schedules]) {
      // Another Taskgate's schedule is `<taskgate>/<name>`: two Taskgates may have schedules of one name.
      stackOf.set({ ...trigger, name: qualifiedName(taskgateOf(taskgates, model.stackName, trigger.taskgate), trigger.name) }, model);
    }
  }
  const queueOf = (trigger: TriggerModel) => queueUrls.get(`${stackOf.get(trigger)!.stackName}/${trigger.queue}`)!;
  return new Scheduler({
    triggers: [...stackOf.keys()],
    clock,
    needsDeduplicationId: (trigger) => {
      const queue = stackOf.get(trigger)!.queues.get(trigger.queue);
      return Boolean(queue?.fifo && !queue.contentBasedDeduplication);
    },
    send: (trigger, entry) => send(queueOf(trigger).url, entry),
    onFire: (trigger, tick, messageId, manual) =>
      out.line(`${new Date().toTimeString().slice(0, 8)}  fire ${trigger.name} → ${queueOf(trigger).name}  tick ${tick.toISOString()}${manual ? ' (fired by hand)' : ''}  message ${messageId}`),
    onError: (message) => out.line(`error: ${message}`),
  });
}

/** The time of day in run lines. */
export function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

/** A one-time schedule's name in run lines: `group/name`, or the bare name in the default group. */
export function onceName(schedule: OnceScheduleView): string {
  return schedule.oneTime.group === 'default' ? schedule.name : `${schedule.oneTime.group}/${schedule.name}`;
}

/** Applies --paused and --fire-now, then starts the template's schedules. */
export function startSchedules(scheduler: Scheduler, options: RuntimeOptions): void {
  const names = scheduler.names();
  const fireNow = options.fireNow.includes('all') ? names : options.fireNow;
  for (const name of fireNow) {
    if (!names.includes(name)) throw new Error(`--fire-now ${name}: no schedule has that name; schedules: ${names.join(', ') || 'none'}`);
  }
  if (options.paused) for (const name of names) scheduler.pause(name);
  scheduler.start();
  for (const name of fireNow) void scheduler.fire(name);
}
