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

/**
 * The variables from which a worker derives gate `gate`'s queue (core/gate-queues.ts), for a queue
 * on a local server named as a Taskgate names it, `<prefix><gate>`.
 */
export function gateQueueEnv(queueUrl: string, gate = 'default'): Record<string, string> {
  const name = queueUrl.slice(queueUrl.lastIndexOf('/') + 1);
  if (!name.endsWith(gate)) throw new Error(`queue ${name} is not named <prefix>${gate}`);
  return {
    TASKGATE_QUEUE_PREFIX: name.slice(0, -gate.length),
    TASKGATE_QUEUE_URL_BASE: queueUrl.slice(0, queueUrl.lastIndexOf('/') + 1),
    TASKGATE_QUEUE_ARN_BASE: 'arn:aws:sqs:us-east-1:000000000000:',
  };
}
