import * as net from 'node:net';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHandler } from '../src/worker/create-handler';
import { fixtureTask } from './helpers/apps';
import { workerEnv } from './helpers/env';
import { sqsRecord } from './helpers/sqs-records';

// A server that accepts connections and never answers: the hung connection the SDK, without a
// request timeout, would wait on for its socket timeout (15 minutes for SQS), holding the batch.
const sockets = new Set<net.Socket>();
const silent = net.createServer((socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

beforeAll(async () => {
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  // The worker builds its clients as in Lambda; the SDK reads these from the process environment.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SQS: endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    // One attempt, so the test waits for one request timeout, not for the SDK's retries as well.
    AWS_MAX_ATTEMPTS: '1',
  });
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

it('a worker call on a connection that never answers fails, and its record stays on the queue for another try', async () => {
  const handler = createHandler([fixtureTask('sweep')], workerEnv());
  // One record whose first call is the ledger claim (DynamoDB), one whose first call is the move to the DLQ (SQS).
  const event: SQSEvent = { Records: [sqsRecord('{"task":"sweep"}', { messageId: 'valid' }), sqsRecord('{"task": "x", "payload": {oops', { messageId: 'malformed' })] };
  const context = { getRemainingTimeInMillis: () => 60_000, functionName: 'worker', awsRequestId: 'r1' } as unknown as Context;
  const response = await handler(event, context);
  expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(['malformed', 'valid']);
}, 25_000);
