import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { isFifoQueueUrl } from '../../core/send-path';
import type { TaskLogger } from '../../core/task';
import { SdkSendPorts } from '../send-adapter';
import { WORKER_ENV } from '../worker-env';
import { QueueBacklog } from './queue-backlog';
import { RateGate } from './rate-gate';
import { decodeRateLimit, pacedRate } from './rate-limit';
import { DynamoTokenBucket } from './token-bucket';

export interface RateGateParts {
  readonly gate: string;
  readonly queueUrl: string;
  readonly ledgerTable: string;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly logger: TaskLogger;
}

/**
 * The gate's rate from the worker environment the `Gate` construct sets: a bucket on the ledger
 * table and re-sends through the send path; undefined for a gate without a rate.
 * @throws ConfigurationError when the variable is set but not a valid rate.
 */
export function rateGateFromEnvironment(env: NodeJS.ProcessEnv, parts: RateGateParts): RateGate | undefined {
  const rate = decodeRateLimit(env[WORKER_ENV.rate], `environment variable ${WORKER_ENV.rate}`);
  if (!rate) return undefined;
  return new RateGate({
    bucket: new DynamoTokenBucket(parts.dynamodb, parts.ledgerTable, parts.gate, pacedRate(rate)),
    ports: new SdkSendPorts({ sqs: parts.sqs }),
    queueUrl: parts.queueUrl,
    fifo: isFifoQueueUrl(parts.queueUrl),
    backlog: new QueueBacklog(parts.sqs, parts.queueUrl),
    logger: parts.logger,
  });
}
