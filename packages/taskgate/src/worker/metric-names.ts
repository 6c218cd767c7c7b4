/**
 * The worker's CloudWatch metrics (EMF through Powertools Metrics): one metric name per outcome so
 * that the dashboard graphs them without metric math. Dimensions: `service` and `task`.
 */
export const METRICS = {
  namespace: 'Taskgate',
  service: 'taskgate',
  taskDimension: 'task',
  runs: {
    succeeded: 'RunsSucceeded',
    failed: 'RunsFailed',
    skipped: 'RunsSkipped',
    dead: 'RunsDead',
    duplicate: 'RunsDuplicate',
  },
  /** Milliseconds. */
  duration: 'RunDuration',
  /** Seconds between scheduledAt and the start of the run. */
  lateness: 'RunLateness',
  /** The delivery's attempt number. */
  attempts: 'RunAttempts',
} as const;
