import * as z from 'zod/mini';
import { defineWebhookTask, fromEnv } from 'taskgate';

/**
 * Example: a webhook task. No code of its own: the worker POSTs the payload as JSON to the
 * partner's endpoint, signed the Standard Webhooks way with the `partner-api` gate's secret, and
 * the answer decides (2xx done; 429 and 5xx retried, honouring Retry-After; 410 and other 4xx to
 * the DLQ). The URL comes from PARTNER_WEBHOOK_URL, which `lib/app-stack.ts` sets per deployment.
 */
export const notifyPartnerOfOrder = defineWebhookTask({
  name: 'notify-partner-of-order',
  description: 'Tells the fulfilment partner about a paid order (a signed webhook).',
  gate: 'partner-api',
  url: fromEnv('PARTNER_WEBHOOK_URL'),
  payload: z.object({ orderId: z.string(), total: z.number() }),
  timeout: 10,
  retry: { maxAttempts: 6, maxBackoffSeconds: 600 },
  // The partner answers 409 for an order it already has: a delivery that arrived twice is done.
  statusOverrides: { 409: 'success' },
});
