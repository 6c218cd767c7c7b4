/**
 * `taskgate/client`: typed sends from a team's own code (a web handler, a script, another Lambda
 * function) through the same send path as the CLI and `chain()`.
 *
 * @example
 * import { createClient, clientConfig } from 'taskgate/client';
 * import { tasks } from './lambdas/tasks';
 * const client = createClient(tasks, clientConfig.fromEnvironment());
 * await client.send('send-delivery-reminders', { market: 'de' });
 */
export { createClient, type SendOptions, type SendReceipt, type TaskClient } from './client';
export { clientConfig, type ClientConfig, type ClientConfigSource } from './client-config';
