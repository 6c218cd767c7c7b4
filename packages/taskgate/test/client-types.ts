/**
 * Type test of `taskgate/client`, checked by `tsc -p .` in `npm test` (never run): each
 * `@ts-expect-error` marks a send that must not compile, so the check fails if the error goes away.
 */
import * as z from 'zod/mini';
import { createClient } from '../src/client';
import { defineTask } from '../src/core/task';

const reminders = defineTask({
  name: 'send-reminders',
  payload: z.object({ market: z.enum(['de', 'at']), daysAhead: z._default(z.int(), 1) }),
  run: () => undefined,
});
const sweep = defineTask({ name: 'sweep', payload: z.object({ dryRun: z._default(z.boolean(), true) }), run: () => undefined });
const tasks = [reminders, sweep] as const;

export async function typeChecks(): Promise<void> {
  const client = createClient(tasks, { queues: {} });
  // What compiles: the payload as the schema's input, defaults optional; a payload that may be {} may be left out.
  await client.send('send-reminders', { market: 'de' }, { id: 'r-1', delaySeconds: 60 });
  await client.send('sweep');
  await client.send('sweep', { dryRun: false }, { at: new Date() });
  // @ts-expect-error market must be one of 'de' | 'at'
  await client.send('send-reminders', { market: 'fr' });
  // @ts-expect-error daysAhead is a number, not a string
  await client.send('send-reminders', { market: 'de', daysAhead: '2' });
  // @ts-expect-error market is required: a payload cannot be left out
  await client.send('send-reminders');
  // @ts-expect-error no such task
  await client.send('send-remindres', { market: 'de' });
  // @ts-expect-error another task's payload
  await client.send('sweep', { market: 'de' });
}
