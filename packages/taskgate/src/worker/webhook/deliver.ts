import { PermanentError, RetryLaterError, TaskgateError } from '../../core/errors';
import { type HttpExchange, withHttpExchange } from '../../core/http-exchange';
import type { AnyTask, TaskContext } from '../../core/task';
import { callEndpoint, EndpointUnreachableError, type EndpointResponse } from './caller';
import { classifyStatus, retryAfterSeconds } from './outcome';
import { resolveUrl } from './resolve-url';
import { signingKeys } from './secret-source';
import { signatureHeader, WEBHOOK_HEADERS, webhookId } from './signature';

/** A transient answer (or none) without a Retry-After: the worker retries it with its backoff. */
export class EndpointError extends TaskgateError {
  override name = 'EndpointError';
}

/** What a succeeded webhook run returns (and the worker records). */
export interface WebhookResult {
  readonly status: number;
  readonly bytes: number;
  readonly durationMs: number;
}

/**
 * A webhook task's run: sends the payload as JSON to the task's URL, signed with the gate's
 * secret(s), and turns the answer into the run's outcome. Every result and error carries the
 * exchange (status, duration, size) for the ledger and the metrics.
 */
export async function deliverWebhook(task: AnyTask, payload: unknown, context: TaskContext): Promise<WebhookResult> {
  const spec = task.webhook;
  if (!spec) throw new PermanentError(`task ${task.name} is not a webhook task`, { reason: 'webhook-config' });
  const url = await resolveUrl(task, spec.url);
  const keys = await signingKeys(task.gate);
  const body = JSON.stringify(payload ?? {});
  const id = webhookId(task.name, context.runId);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    ...spec.headers,
    'content-type': 'application/json',
    [WEBHOOK_HEADERS.id]: id,
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.signature]: signatureHeader(keys, id, timestamp, body),
    'taskgate-task': task.name,
  };
  let response: EndpointResponse;
  try {
    response = await callEndpoint({ url, method: spec.method, headers, body, signal: context.signal });
  } catch (error) {
    if (!(error instanceof EndpointUnreachableError)) throw error;
    throw withHttpExchange(new EndpointError(error.message, { cause: error.cause }), { durationMs: error.durationMs, bytes: 0 });
  }
  const exchange: HttpExchange = { status: response.status, durationMs: response.durationMs, bytes: response.bytes };
  const target = `${spec.method} ${url.origin}${url.pathname}`;
  switch (classifyStatus(response.status, spec.statusOverrides)) {
    case 'success':
      return withHttpExchange({ status: response.status, durationMs: response.durationMs, bytes: response.bytes }, exchange);
    case 'transient': {
      const wait = retryAfterSeconds(response.headers.get('retry-after'));
      const message = `${target} answered ${response.status}${excerpt(response)}`;
      // The hint is honoured, up to the task's own largest backoff: a receiver cannot park a run for days.
      const error = wait === undefined ? new EndpointError(message) : new RetryLaterError(`${message} (Retry-After ${wait}s)`, Math.min(wait, task.retry.maxBackoffSeconds));
      throw withHttpExchange(error, exchange);
    }
    case 'gone':
      throw withHttpExchange(new PermanentError(`${target} answered ${response.status}: the endpoint is gone${excerpt(response)}`, { reason: 'endpoint-gone' }), exchange);
    case 'permanent':
      throw withHttpExchange(new PermanentError(`${target} answered ${response.status}${excerpt(response)}`, { reason: 'endpoint-rejected' }), exchange);
  }
}

/** `: <the body's first kilobyte>`, or nothing for an empty body. */
function excerpt(response: EndpointResponse): string {
  return response.excerpt ? `: ${response.excerpt}` : '';
}
