import * as z from 'zod/mini';
import { defineTask } from 'taskgate';

/**
 * Example: a frequent poll of a partner API that tolerates one caller at a time, so its gate has
 * concurrency 1 (a FIFO queue with one message group).
 */
export const refreshExchangeRates = defineTask({
  name: 'refresh-exchange-rates',
  description: 'Fetches the latest exchange rates into the pricing cache.',
  gate: 'rates-api',
  payload: z.object({ currencies: z._default(z.array(z.string().check(z.regex(/^[A-Z]{3}$/))), ['EUR', 'USD']) }),
  timeout: 30,
  misfire: { maxLatenessSeconds: 300 },
  async run({ currencies }, { logger }) {
    logger.info('refreshing exchange rates', { currencies });
    return { currencies };
  },
});
