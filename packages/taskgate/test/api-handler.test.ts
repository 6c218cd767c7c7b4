import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_KEY_PREFIX } from '../src/api/idempotency';
import { createApiHandler } from '../src/api/lambda-handler';
import { WORKER_ENV } from '../src/worker/worker-env';
import { API_ENV, apiMocks, httpApiEvent, QUEUES, TASKS } from './helpers/api-events';

describe('the request API Lambda handler', () => {
  let handler: ReturnType<typeof createApiHandler>;
  const call = async (...args: Parameters<typeof httpApiEvent>) => {
    const result = await handler(httpApiEvent(...args));
    return { status: result.statusCode, body: JSON.parse(result.body ?? '{}') as Record<string, unknown>, headers: result.headers ?? {} };
  };

  beforeEach(() => {
    for (const mock of Object.values(apiMocks)) mock.reset();
    apiMocks.sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    apiMocks.dynamo.on(PutCommand).resolves({});
    apiMocks.scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:111122223333:schedule/App-schedules/x' });
    handler = createApiHandler(TASKS, { env: API_ENV });
  });

  it('sends the task message to its gate\'s queue and answers 202 with the run id', async () => {
    const answer = await call('POST', '/tasks/send-reminders', { body: JSON.stringify({ payload: { market: 'de' } }) });
    expect(answer.status).toBe(202);
    const runId = answer.body.runId as string;
    expect(answer.headers.location).toBe(`/runs/send-reminders/${runId}`);
    const [send] = apiMocks.sqs.commandCalls(SendMessageCommand);
    expect(send!.args[0].input.QueueUrl).toBe(QUEUES['email-api'].url);
    expect(JSON.parse(send!.args[0].input.MessageBody!)).toEqual({ task: 'send-reminders', payload: { market: 'de' }, id: runId, source: 'api' });
    // No key, no idempotency record.
    expect(apiMocks.dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('reads a base64 body and a named stage\'s path', async () => {
    const answer = await call('POST', '/tasks/sweep', { body: '{"id":"sweep-7"}', base64: true, stage: 'prod' });
    expect(answer).toMatchObject({ status: 202, body: { runId: 'sweep-7' } });
    expect(apiMocks.sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.QueueUrl).toBe(QUEUES.default.url);
  });

  it('claims the Idempotency-Key with a conditional put before it sends, with a TTL of at least 24 hours', async () => {
    const answer = await call('POST', '/tasks/sweep', { body: '{}', headers: { 'idempotency-key': 'k-1' } });
    expect(answer).toMatchObject({ status: 202, body: { runId: 'k-1' } });
    const put = apiMocks.dynamo.commandCalls(PutCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ TableName: 'App-Ledger', ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now' });
    expect(put.Item!.pk).toBe(`${IDEMPOTENCY_KEY_PREFIX}sweep#k-1`);
    expect(put.Item!.expiresAt - Date.now() / 1000).toBeGreaterThanOrEqual(24 * 3600 - 5);
  });

  it('answers a repeat 200 with the held run id and sends nothing', async () => {
    const first = await call('POST', '/tasks/sweep', { body: '{}', headers: { 'idempotency-key': 'k-2' } });
    const held = apiMocks.dynamo.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    apiMocks.sqs.resetHistory();
    apiMocks.dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    apiMocks.dynamo.on(GetCommand).resolves({ Item: held });
    const repeat = await call('POST', '/tasks/sweep', { body: '{}', headers: { 'idempotency-key': 'k-2' } });
    expect(repeat).toMatchObject({ status: 200, body: { runId: first.body.runId, repeated: true } });
    expect(apiMocks.sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    const changed = await call('POST', '/tasks/sweep', { body: '{"delaySeconds":60}', headers: { 'idempotency-key': 'k-2' } });
    expect(changed.status).toBe(422);
  });

  it('answers a repeat from the held claim the refused put returns (ALL_OLD), without reading it again', async () => {
    await call('POST', '/tasks/sweep', { body: '{}', headers: { 'idempotency-key': 'k-5' } });
    const put = apiMocks.dynamo.commandCalls(PutCommand)[0]!.args[0].input;
    expect(put.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    const held = put.Item!;
    apiMocks.sqs.resetHistory();
    // As DynamoDB answers: the old item in its attribute values, which the document client passes through.
    const item = { pk: { S: held.pk }, runId: { S: held.runId }, fingerprint: { S: held.fingerprint }, createdAt: { S: held.createdAt }, sentAt: { S: new Date().toISOString() } };
    apiMocks.dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: item }));
    const repeat = await call('POST', '/tasks/sweep', { body: '{}', headers: { 'idempotency-key': 'k-5' } });
    expect(repeat).toMatchObject({ status: 200, body: { runId: 'k-5', repeated: true } });
    expect(apiMocks.dynamo.commandCalls(GetCommand)).toHaveLength(0);
    expect(apiMocks.sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect((await call('POST', '/tasks/sweep', { body: '{"id":"k-5","delaySeconds":5}', headers: { 'idempotency-key': 'k-5' } })).status).toBe(422);
  });

  it('marks a claim sent after its send, and sends a claim that never was once it is stale (its request died)', async () => {
    apiMocks.dynamo.on(UpdateCommand).resolves({});
    await call('POST', '/tasks/sweep', { body: '{}', headers: { 'idempotency-key': 'k-4' } });
    expect(apiMocks.dynamo.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({ Key: { pk: `${IDEMPOTENCY_KEY_PREFIX}sweep#k-4` }, ConditionExpression: 'runId = :runId' });
    const held = apiMocks.dynamo.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    apiMocks.sqs.resetHistory();
    apiMocks.dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'held', $metadata: {} }));
    let stored: Record<string, unknown> = held;
    apiMocks.dynamo.on(GetCommand).callsFake(() => ({ Item: stored }));
    // Not marked sent, but young: a request may still be sending it.
    expect((await call('POST', '/tasks/sweep', { body: '{}', headers: { 'idempotency-key': 'k-4' } })).status).toBe(200);
    expect(apiMocks.sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    // Not marked sent two minutes on: its request died between the put and the send.
    stored = { ...held, createdAt: new Date(Date.now() - 120_000).toISOString() };
    const recovered = await call('POST', '/tasks/sweep', { body: '{}', headers: { 'idempotency-key': 'k-4' } });
    expect(recovered).toMatchObject({ status: 200, body: { runId: 'k-4' } });
    expect(apiMocks.sqs.commandCalls(SendMessageCommand).map((c) => JSON.parse(c.args[0].input.MessageBody!).id)).toEqual(['k-4']);
    // Marked sent: nothing more, however old.
    stored = { ...stored, sentAt: new Date().toISOString() };
    await call('POST', '/tasks/sweep', { body: '{}', headers: { 'idempotency-key': 'k-4' } });
    expect(apiMocks.sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('gives the key back when the send fails, so a retry can succeed', async () => {
    apiMocks.sqs.on(SendMessageCommand).rejects(Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' }));
    apiMocks.dynamo.on(DeleteCommand).resolves({});
    const answer = await call('POST', '/tasks/sweep', { body: '{}', headers: { 'idempotency-key': 'k-3' } });
    expect(answer.status).toBe(500);
    expect(answer.body.error).toMatch(/retry it/);
    const del = apiMocks.dynamo.commandCalls(DeleteCommand)[0]!.args[0].input;
    expect(del).toMatchObject({ Key: { pk: `${IDEMPOTENCY_KEY_PREFIX}sweep#k-3` }, ConditionExpression: 'runId = :runId', ExpressionAttributeValues: { ':runId': 'k-3' } });
  });

  it('schedules a run beyond 15 minutes as a one-time schedule in the app\'s group', async () => {
    const at = new Date(Date.now() + 2 * 3600_000).toISOString();
    const answer = await call('POST', '/tasks/sweep', { body: JSON.stringify({ at, id: 'later-1' }) });
    expect(answer.status).toBe(202);
    const input = apiMocks.scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ GroupName: 'App-schedules', Target: { Arn: QUEUES.default.arn, RoleArn: API_ENV[WORKER_ENV.onceScheduleRoleArn] } });
  });

  it('answers 400, 404, 413 and 415 without calling AWS', async () => {
    const bad = await call('POST', '/tasks/send-reminders', { body: JSON.stringify({ payload: { market: 'fr', daysAhead: 0 } }) });
    expect(bad.status).toBe(400);
    expect((bad.body.issues as Array<{ field: string }>).map((i) => i.field)).toEqual(['payload.market', 'payload.daysAhead']);
    const unknown = await call('POST', '/tasks/send-remindres', { body: '{}' });
    expect(unknown).toMatchObject({ status: 404, body: { error: expect.stringMatching(/did you mean "send-reminders"/) } });
    const large = await call('POST', '/tasks/sweep', { body: JSON.stringify({ payload: { blob: 'x'.repeat(300_000) } }) });
    expect(large.status).toBe(413);
    const text = await call('POST', '/tasks/sweep', { body: 'hi', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(apiMocks.sqs.calls()).toHaveLength(0);
    expect(apiMocks.dynamo.calls()).toHaveLength(0);
  });

  it('reads a run from the ledger for GET /runs/{task}/{runId}', async () => {
    apiMocks.dynamo.on(GetCommand).resolves({});
    apiMocks.dynamo.on(GetCommand, { Key: { pk: 'sweep#run-9' } }).resolves({
      Item: { pk: 'sweep#run-9', task: 'sweep', id: 'run-9', status: 'failed', attempts: 3, error: 'downstream 503', source: 'api', scheduledAt: '2026-12-02T10:00:00.000Z', startedAt: '2026-12-02T10:00:01.000Z' },
    });
    const answer = await call('GET', '/runs/sweep/run-9');
    expect(answer).toMatchObject({ status: 200, body: { task: 'sweep', runId: 'run-9', status: 'failed', attempts: 3, error: 'downstream 503' } });
    const missing = await call('GET', '/runs/sweep/run-10');
    expect(missing.status).toBe(404);
  });
});
