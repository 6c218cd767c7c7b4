import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ApiRouter } from '../api/router';
import type { UiRoutes } from '../ui/server';
import type { ControlTarget } from './control-server';
import type { OnceSchedules } from './once-schedules';
import type { GateRuntime } from './runtime-types';
import type { Scheduler } from './scheduler';

/** What the control server (`/api/...` and the Scheduler API) serves, over the runtime's schedules and gates. */
export function controlTarget(
  scheduler: () => Scheduler,
  gates: () => readonly GateRuntime[],
  sqs: SQSClient,
  onceSchedules: OnceSchedules | undefined,
  ui: () => UiRoutes | undefined,
  api: () => ApiRouter | undefined = () => undefined,
): ControlTarget {
  return {
    onceSchedules,
    ui,
    api,
    list: () => [...scheduler().list(), ...(onceSchedules?.views() ?? [])],
    pause: (name) => scheduler().pause(name),
    resume: (name) => scheduler().resume(name),
    fire: (name) => scheduler().fire(name),
    names: () => scheduler().names(),
    gates: async () =>
      Promise.all(
        gates().map(async (gate) => {
          const { Attributes = {} } = await sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: gate.queue.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
          );
          const delayed = Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
          return {
            name: gate.name,
            concurrency: gate.concurrency,
            queueUrl: gate.queue.url,
            dlqUrl: gate.deadLetterQueue?.url ?? null,
            visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
            inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
            delayed,
            // A rate gate: its rate, its bucket now, and the messages re-sent to wait for a token (delayed).
            rate: gate.rate ? { ...gate.rate, ...(await gate.rateUsage?.()), waiting: delayed } : null,
            peakBatchesInFlight: gate.poller?.peakInFlight ?? null,
            // Messages in flight past their tasks' timeout: only the poller knows how long each has been.
            stalled: gate.poller?.stalledMessages() ?? null,
          };
        }),
      ),
  };
}
