/**
 * The request API: route modules (`taskRoutes`), the router that serves them (`createRouter`), the
 * idempotency-key store, and the Lambda handler behind API Gateway's HTTP API (`createApiHandler`).
 * The embedded runtime's control server serves the same routes.
 */
export type { ApiRequest, ApiResponse, Route } from './http';
export { createRouter, type ApiRouter, type RouterOptions } from './router';
export { taskRoutes, IDEMPOTENCY_HEADER, type TaskRouteDeps } from './task-routes';
export { TaskCatalog } from './task-catalog';
export { DynamoIdempotencyStore, IDEMPOTENCY_HOLD_SECONDS, IDEMPOTENCY_KEY_PREFIX, idempotencyRecordKey, type IdempotencyStore } from './idempotency';
export { createApiHandler, apiRequestOf, type ApiHandlerOptions } from './lambda-handler';
