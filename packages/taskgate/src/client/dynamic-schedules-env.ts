import { WORKER_ENV } from '../worker/worker-env';

/**
 * Environment variables `Taskgate.grantDynamicSchedules(fn)` sets on a Lambda function, from which
 * `dynamicSchedulesConfigFromEnv` builds the client's config. No imports but the worker's names, so
 * that the constructs learn these without loading the SDK.
 */
export const DYNAMIC_SCHEDULES_ENV = {
  /** The Scheduler group of the schedules created at run time. */
  group: 'TASKGATE_DYNAMIC_SCHEDULE_GROUP',
  /** The role those schedules send as. */
  roleArn: 'TASKGATE_DYNAMIC_SCHEDULE_ROLE_ARN',
  /** JSON `{ "<gate>": { "url", "arn" } }` of every gate's task queue, as the workers get it. */
  queues: WORKER_ENV.queues,
} as const;
