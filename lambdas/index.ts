export * from './errors';
export * from './envelope';
export * from './registry';
export * from './task';
export { createHandler, WORKER_ENV } from './worker/create-handler';
export { Worker, type WorkerOptions, type RecordOutcome, type BatchResult } from './worker/worker';
