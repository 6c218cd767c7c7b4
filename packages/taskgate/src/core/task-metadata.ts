import { toJSONSchema } from 'zod/v4/core';
import type { AnyTask, MisfireOptions, RetryOptions } from './task';
import type { WebhookMethod } from './webhook-task';
import type { WebhookUrl } from './webhook-url';

/**
 * What the template says about one task (metadata `taskgate:tasks` on its gate's worker function):
 * enough for the CLI and the embedded runtime to know the app's tasks without importing its code.
 */
export interface TaskMetadata {
  readonly name: string;
  readonly gate: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly retry: Required<RetryOptions>;
  readonly misfire: MisfireOptions;
  /** The payload's JSON Schema (draft 2020-12) as a trigger must send it: defaults may be left out. */
  readonly payload: Record<string, unknown>;
  /** A webhook task's request: where its URL comes from and the names (not values) of its own headers. */
  readonly webhook?: { readonly method: WebhookMethod; readonly url: WebhookUrl; readonly headers: readonly string[] };
}

/** The task as the template records it; zod and zod/mini schemas convert alike. */
export function taskMetadata(task: AnyTask): TaskMetadata {
  return {
    name: task.name,
    gate: task.gate,
    description: task.description,
    timeoutSeconds: task.timeout,
    retry: task.retry,
    misfire: task.misfire,
    // `any` for what JSON Schema cannot say (a transform, a custom check): the worker still checks it.
    payload: toJSONSchema(task.payload, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
    ...(task.webhook ? { webhook: { method: task.webhook.method, url: task.webhook.url, headers: Object.keys(task.webhook.headers) } } : {}),
  };
}
