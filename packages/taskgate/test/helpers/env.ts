/** The environment a Gate construct gives its worker, with fake AWS URLs. */
export const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/tasks';
export const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/tasks-dlq';

export function workerEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    TASKGATE_GATE: 'default',
    TASKGATE_DLQ_URL: DLQ_URL,
    TASKGATE_LEDGER_TABLE: 'runs',
    TASKGATE_QUEUES: JSON.stringify({ default: { url: QUEUE_URL, arn: 'arn:aws:sqs:us-east-1:123456789012:tasks' } }),
    AWS_REGION: 'us-east-1',
    ...overrides,
  };
}
