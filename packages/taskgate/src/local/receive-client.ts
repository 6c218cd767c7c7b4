import { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS } from './embedded-gates';

/** SQS's longest long poll, plus room for a slow answer: a receive past it is hung, not waiting. */
const RECEIVE_LIMIT_MS = 25_000;

/**
 * The client the embedded runtime's pollers receive with (`PollerOptions.receiver`). One attempt
 * per call: the SDK's own retry would send a second receive after a first whose answer was lost,
 * and the messages the first took would sit in flight, unseen and unlogged, for the visibility
 * timeout. Without the SDK's retry the poller sees the failure, says so, and receives again.
 * A time limit, so that a receive the server never answers fails instead of holding its poller.
 */
export function receiveClient(endpoint: string, region: string): SQSClient {
  return new SQSClient({
    endpoint,
    region,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: RECEIVE_LIMIT_MS, throwOnRequestTimeout: true },
  });
}
