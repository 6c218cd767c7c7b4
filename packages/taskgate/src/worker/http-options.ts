import type { NodeHttpHandlerOptions } from '@smithy/node-http-handler';

/**
 * Time limits of the worker's (and the request API's) SQS, DynamoDB and Scheduler calls. The SDK sets none by default (a
 * call waits on a silent connection for ever), so one hung connection would hold the whole batch
 * until the Lambda timeout, and its messages for the visibility timeout after that. With these the call fails as a TimeoutError, which the SDK's retry strategy retries
 * (3 attempts); a record whose ledger or SQS call still fails stays on the queue for another try.
 * These calls take milliseconds, so the limits are far from a healthy call.
 *
 * Options rather than a handler instance: each client builds the SDK's own NodeHttpHandler from
 * them (the runtime's SDK in Lambda), so the bundle carries no second HTTP handler (+128 KB).
 * `throwOnRequestTimeout`: without it, this handler only logs a warning when requestTimeout passes.
 */
export const WORKER_HTTP_OPTIONS: NodeHttpHandlerOptions = { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true };
