import type { $ZodType } from 'zod/v4/core';
import type * as z from 'zod/mini';
import { ConfigurationError } from './errors';
import { defineTask, type TaskContext, type TaskDefinition, type TaskOptions } from './task';
import { checkWebhookUrl, type WebhookUrl } from './webhook-url';

/** The outcomes a task may give a status code in `statusOverrides`. */
export type StatusOverride = 'success' | 'transient' | 'permanent';

/** Methods a webhook sends its JSON body with. */
export type WebhookMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What makes a task a webhook: the request its run sends. Part of the task's definition. */
export interface WebhookSpec {
  readonly url: WebhookUrl;
  readonly method: WebhookMethod;
  /** Sent with every request, after taskgate's own headers were checked not to be among them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly statusOverrides: Readonly<Record<number, StatusOverride>>;
}

/** The object literal given to {@link defineWebhookTask}: a task's options without `run`, and the request. */
export interface WebhookTaskOptions<Name extends string, Schema extends $ZodType> extends Omit<TaskOptions<Name, Schema>, 'run'> {
  /** `https://...` (plain `http://` only to 127.0.0.1, ::1 or localhost), `fromEnv(NAME)` or `fromSsm(parameter)`. */
  readonly url: WebhookUrl;
  /** @default 'POST' */
  readonly method?: WebhookMethod;
  /**
   * Extra request headers. Not for secrets: they are part of the task's definition, in the bundle.
   * @default - none
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Status codes this receiver uses differently, say `{ 409: 'success' }` for "already done".
   * @default - the table in the README's "Webhook tasks"
   */
  readonly statusOverrides?: Readonly<Record<number, StatusOverride>>;
}

/** Headers taskgate sets itself; a task's `headers` may not replace them. */
const OWN_HEADERS = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type', 'content-length', 'host', 'taskgate-task']);
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const METHODS: readonly WebhookMethod[] = ['POST', 'PUT', 'PATCH', 'DELETE'];
const OVERRIDES: readonly StatusOverride[] = ['success', 'transient', 'permanent'];

/**
 * Declares a webhook task: its run sends the validated payload as JSON to `url`, signed the
 * Standard Webhooks way with the gate's secret, and the response decides the outcome (2xx
 * succeeds; 408, 425, 429, 5xx, no answer and the timeout are retried, honouring `Retry-After`;
 * 410 and other 3xx and 4xx go to the DLQ after one attempt). It is an ordinary task otherwise:
 * the registry, the CLI, schedules and the gates treat it as any other.
 *
 * @example
 * export const notifyPartner = defineWebhookTask({
 *   name: 'notify-partner',
 *   gate: 'partner-api',
 *   url: fromEnv('PARTNER_WEBHOOK_URL'),
 *   payload: z.object({ orderId: z.string() }),
 *   timeout: 10,
 *   statusOverrides: { 409: 'success' },
 * });
 */
export function defineWebhookTask<const Name extends string, Schema extends $ZodType = z.ZodMiniObject<{}>>(
  options: WebhookTaskOptions<Name, Schema>,
): TaskDefinition<Name, Schema> {
  const { url, method, headers, statusOverrides, ...taskOptions } = options;
  const webhook: WebhookSpec = {
    url,
    method: method ?? 'POST',
    headers: checkHeaders(options.name, headers ?? {}),
    statusOverrides: checkOverrides(options.name, statusOverrides ?? {}),
  };
  if (!METHODS.includes(webhook.method)) throw new ConfigurationError(`task ${options.name}: method must be one of ${METHODS.join(', ')} (given ${String(method)})`);
  if (typeof url === 'string') checkWebhookUrl(url, `task ${options.name}: url`);
  else if (typeof url !== 'object' || url === null || (url.from !== 'env' && url.from !== 'ssm')) {
    throw new ConfigurationError(`task ${options.name}: url must be a URL string, fromEnv(NAME) or fromSsm(parameter)`);
  }
  let definition: TaskDefinition<Name, Schema> | undefined;
  const task = defineTask<Name, Schema>({
    ...taskOptions,
    async run(payload: unknown, context: TaskContext) {
      // Loaded at the first run: synth and the CLI load task modules and need none of the HTTP side.
      const { deliverWebhook } = await import('../worker/webhook/deliver.js');
      return deliverWebhook(definition!, payload, context);
    },
  });
  definition = { ...task, webhook };
  return definition;
}

function checkHeaders(task: string, headers: Readonly<Record<string, string>>): Record<string, string> {
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) throw new ConfigurationError(`task ${task}: header name "${name}" is not a valid HTTP header name`);
    if (OWN_HEADERS.has(name.toLowerCase())) {
      throw new ConfigurationError(`task ${task}: header ${name} is set by taskgate (${[...OWN_HEADERS].join(', ')}); remove it from headers`);
    }
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw new ConfigurationError(`task ${task}: header ${name} must be a string without line breaks`);
  }
  return { ...headers };
}

function checkOverrides(task: string, overrides: Readonly<Record<number, StatusOverride>>): Record<number, StatusOverride> {
  for (const [code, outcome] of Object.entries(overrides)) {
    const status = Number(code);
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw new ConfigurationError(`task ${task}: statusOverrides key ${code} is not an HTTP status code (100 to 599)`);
    }
    if (!OVERRIDES.includes(outcome)) throw new ConfigurationError(`task ${task}: statusOverrides[${code}] must be one of ${OVERRIDES.join(', ')} (given ${String(outcome)})`);
  }
  return { ...overrides };
}
