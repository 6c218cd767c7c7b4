/**
 * `taskgate/worker`: the Lambda side. Never loads aws-cdk-lib; the Taskgate construct generates an
 * entry that calls {@link createHandler} with the app's task module.
 */
export { createHandler } from './create-handler';
export { WORKER_ENV } from './worker-env';
export { Worker, type WorkerOptions, type RecordOutcome, type BatchResult } from './worker';
export * from './ledger';
export { METRICS } from './metric-names';
export { DEAD_LETTER_ATTRIBUTE, readDeadLetter, ownAttributes, type DeadLetterFacts } from './dead-letter';
