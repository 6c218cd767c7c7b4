/**
 * `taskgate`: what a task module imports. Light on purpose (zod's core, no AWS SDK, no CDK), since
 * it is bundled into every worker and loaded by the constructs at synth.
 *
 * @example
 * import * as z from 'zod';
 * import { defineTask, PermanentError } from 'taskgate';
 *
 * export const rotateApiKeys = defineTask({
 *   name: 'rotate-api-keys',
 *   payload: z.object({ tenant: z.string() }),
 *   async run({ tenant }, { logger }) { logger.info('rotating', { tenant }); },
 * });
 */
export { defineTask, DEFAULT_GATE } from './core/task';
export type { AnyTask, MisfireOptions, RetryOptions, TaskContext, TaskDefinition, TaskInput, TaskLogger, TaskOptions } from './core/task';
export { ConfigurationError, PermanentError, RetryLaterError, TaskgateError, TaskTimeoutError, type PermanentReason } from './core/errors';
export { SOURCES, type TaskMessage, type TaskSource } from './core/envelope';
export { defineWebhookTask, type StatusOverride, type WebhookMethod, type WebhookSpec, type WebhookTaskOptions } from './core/webhook-task';
export { fromEnv, fromSsm, type EnvWebhookUrl, type SsmWebhookUrl, type WebhookUrl } from './core/webhook-url';
// node:crypto only: a receiver written in TypeScript verifies with taskgate's own implementation.
export { verifyWebhook, WebhookVerificationError, WebhookSecretError, type VerifiedWebhook, type VerifyOptions, type WebhookRequestHeaders } from './worker/webhook/signature';
