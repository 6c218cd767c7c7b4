import * as z from 'zod/mini';
import { defineTask } from 'taskgate';

/**
 * Example: a daily job against a rate-limited e-mail API, so it runs behind the `email-api` gate
 * with the other tasks that call that API.
 */
export const sendDeliveryReminders = defineTask({
  name: 'send-delivery-reminders',
  description: 'E-mails customers whose delivery is due in the next days.',
  gate: 'email-api',
  payload: z.object({
    daysAhead: z._default(z.int().check(z.minimum(1), z.maximum(14)), 1),
    market: z.enum(['de', 'at', 'ch']),
  }),
  timeout: 300,
  retry: { maxAttempts: 5, minBackoffSeconds: 30, maxBackoffSeconds: 1800 },
  misfire: { maxLatenessSeconds: 6 * 3600 },
  async run({ daysAhead, market }, { logger, signal }) {
    const due = new Date(Date.now() + daysAhead * 86_400_000).toISOString().slice(0, 10);
    signal.throwIfAborted();
    logger.info('sending delivery reminders', { market, due });
    return { market, due };
  },
});
