import * as z from 'zod/mini';
import { defineTask } from 'taskgate';

/**
 * Example: an hourly sweep. Replace the body with the real work (an EC2 DescribeInstances call
 * filtered by tag, say); keep the signal so the call stops with the run's deadline.
 */
export const cleanupStrayInstances = defineTask({
  name: 'cleanup-stray-instances',
  description: 'Terminates test instances left running longer than the allowed age.',
  payload: z.object({
    olderThanHours: z._default(z.int().check(z.positive()), 24),
    dryRun: z._default(z.boolean(), true),
  }),
  timeout: 120,
  misfire: { maxLatenessSeconds: 3600 },
  async run({ olderThanHours, dryRun }, { logger, scheduledAt }) {
    const cutoff = new Date(scheduledAt.getTime() - olderThanHours * 3_600_000);
    logger.info('sweeping instances', { cutoff: cutoff.toISOString(), dryRun });
    return { cutoff: cutoff.toISOString(), dryRun };
  },
});
