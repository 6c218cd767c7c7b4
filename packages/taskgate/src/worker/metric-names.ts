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
  /** The attempt number of a retry (a run's second delivery or later); first attempts add no value. */
  attempts: 'RunAttempts',
  /** Webhook runs: milliseconds from sending the request to the response's last byte. */
  responseTime: 'WebhookResponseTime',
  /** Webhook runs: bytes of response body. */
  responseSize: 'WebhookResponseSize',
  /** Webhook runs: a count per response by status class, `WebhookResponses2xx` ... `WebhookResponses5xx`, or `WebhookResponsesNone` when none came. */
  responseClassPrefix: 'WebhookResponses',
} as const;

/** The metric that counts a webhook response of this status (see METRICS.responseClassPrefix). */
export function responseClassMetric(status: number | undefined): string {
  return `${METRICS.responseClassPrefix}${status === undefined ? 'None' : `${Math.floor(status / 100)}xx`}`;
}
