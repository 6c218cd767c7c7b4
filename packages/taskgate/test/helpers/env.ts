/** The environment a Gate construct gives its worker, with fake AWS URLs: stack `App`, gate `default`. */
export const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/App-default';
export const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:App-default';
export const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/App-default-dlq';

export function workerEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    TASKGATE_GATE: 'default',
    TASKGATE_DLQ_URL: DLQ_URL,
    TASKGATE_LEDGER_TABLE: 'runs',
    TASKGATE_QUEUE_PREFIX: 'App-',
    TASKGATE_QUEUE_URL_BASE: 'https://sqs.us-east-1.amazonaws.com/123456789012/',
    TASKGATE_QUEUE_ARN_BASE: 'arn:aws:sqs:us-east-1:123456789012:',
    AWS_REGION: 'us-east-1',
    ...overrides,
  };
}
