import * as z from 'zod/mini';
import { payloadIssues, type PayloadIssue } from '../core/registry';

/** The longest delay a request may ask for: a year (beyond SQS's 15 minutes, a one-time schedule). */
export const MAX_REQUEST_DELAY_SECONDS = 366 * 86_400;

/** The body of `POST /tasks/{name}`. */
export interface TaskRequestBody {
  readonly payload: object;
  readonly id?: string;
  readonly delaySeconds?: number;
  readonly at?: Date;
}

const BODY = z.strictObject({
  payload: z.optional(z.record(z.string(), z.unknown())),
  id: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
  delaySeconds: z.optional(z.int().check(z.minimum(0), z.maximum(MAX_REQUEST_DELAY_SECONDS))),
  at: z.optional(z.iso.datetime({ offset: true })),
});

/**
 * The request body, or every field at fault (`delaySeconds`, `payload`, …). The payload's own
 * fields are the task schema's to check.
 */
export function parseTaskRequest(text: string): { body: TaskRequestBody } | { issues: PayloadIssue[] } {
  let json: unknown;
  try {
    json = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    return { issues: [{ field: '(body)', message: `not JSON (${(error as Error).message}); send {"payload":{...}}` }] };
  }
  const result = z.safeParse(BODY, json);
  if (!result.success) {
    return { issues: payloadIssues(result.error.issues).map((issue) => ({ ...issue, field: issue.field === '(payload)' ? '(body)' : issue.field })) };
  }
  const { payload = {}, id, delaySeconds, at } = result.data;
  if (delaySeconds !== undefined && at !== undefined) {
    return { issues: [{ field: 'at', message: 'give at or delaySeconds, not both' }] };
  }
  return { body: { payload, id, delaySeconds, at: at === undefined ? undefined : new Date(at) } };
}
