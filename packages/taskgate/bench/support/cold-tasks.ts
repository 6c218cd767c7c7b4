import * as z from 'zod/mini';
import { defineTask } from '../../src/core/task';

/** The cold-start benchmark's task module: the per-record benchmark's no-op task, as an app declares it. */
export const tasks = [
  defineTask({
    name: 'ship-order',
    payload: z.object({ orderId: z.string(), quantity: z.int().check(z.positive()), express: z._default(z.boolean(), false) }),
    run: () => undefined,
  }),
];
