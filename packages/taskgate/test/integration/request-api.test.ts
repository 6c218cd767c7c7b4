import * as fs from 'node:fs';
import * as http from 'node:http';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyRecordKey } from '../../src/api/idempotency';
import { clientConfig, createClient } from '../../src/client';
import { tasks } from '../fixtures/app/tasks';
import { LEDGER_SCHEMA, runKey } from '../../src/worker/ledger/record';
import { dynamoClient } from '../helpers/local-servers';
import { taskgateDev, waitFor, type TaskgateDev } from '../helpers/taskgate-dev';

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** One real HTTP request to the control URL; a fresh connection each, as independent callers make them. */
function call(base: string, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method, agent: false, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }), ...headers } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('the request API on the embedded runtime', () => {
  let app: TaskgateDev;
  let dynamo: DynamoDBClient;
  const post = (task: string, body: unknown, headers: Record<string, string> = {}) => call(app.config.ui, 'POST', `/tasks/${task}`, JSON.stringify(body), headers);

  beforeAll(async () => {
    app = await taskgateDev();
    dynamo = dynamoClient(app.config.dynamodbEndpoint);
  }, 120_000);
  afterAll(async () => {
    dynamo?.destroy();
    await app?.dispose();
  });

  it('answers 202 with a run id, and the run is recorded in the ledger and readable at GET /runs', async () => {
    const answer = await post('fixture-fast', { payload: { n: 7 } });
    expect(answer.status).toBe(202);
    const runId = answer.body.runId as string;
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    const item = await waitFor('the run in the ledger', async () => {
      const { Item } = await dynamo.send(new GetItemCommand({ TableName: app.config.ledgerTable, Key: { [LEDGER_SCHEMA.partitionKey]: { S: runKey('fixture-fast', runId) } }, ConsistentRead: true }));
      return Item?.status?.S === 'succeeded' ? Item : undefined;
    });
    expect(item.source?.S).toBe('api');
    expect(item.payload?.S).toBe('{"n":7}');
    const run = await call(app.config.ui, 'GET', `/runs/fixture-fast/${runId}`);
    expect(run).toMatchObject({ status: 200, body: { task: 'fixture-fast', runId, status: 'succeeded', attempts: 1, source: 'api' } });
  });

  it('takes the caller\'s id as the run id, with a delay', async () => {
    const answer = await post('fixture-fast', { payload: {}, id: 'order-42-reminder', delaySeconds: 1 });
    expect(answer).toMatchObject({ status: 202, body: { runId: 'order-42-reminder' } });
    const run = await waitFor('the delayed run', async () => {
      const found = await call(app.config.ui, 'GET', '/runs/fixture-fast/order-42-reminder');
      return found.body.status === 'succeeded' ? found : undefined;
    });
    expect(run.status).toBe(200);
  });

  it('takes typed sends from the client, configured from local.json; a second send of a succeeded run id runs nothing', async () => {
    const client = createClient(tasks, clientConfig.fromLocal({ file: `${app.stateDir}/local.json` }));
    const runId = `client-${Date.now()}`;
    expect(await client.send('fixture-wide', { ms: 1 }, { id: runId })).toMatchObject({ runId, via: 'now' });
    await waitFor('the run', async () => ((await call(app.config.ui, 'GET', `/runs/fixture-wide/${runId}`)).body.status === 'succeeded' ? true : undefined));
    // The client does not read the ledger: it sends, and the worker's claim finds the run succeeded.
    await client.send('fixture-wide', { ms: 1 }, { id: runId });
    await waitFor('the duplicate delivery', () => (/ run {2}wide +fixture-wide +duplicate /.test(app.output()) ? true : undefined));
    const starts = fs.readFileSync(app.traceFile, 'utf8').split('\n').filter((line) => line.startsWith(`start fixture-wide ${runId} `));
    expect(starts).toHaveLength(1);
    expect((await call(app.config.ui, 'GET', `/runs/fixture-wide/${runId}`)).body).toMatchObject({ status: 'succeeded', attempts: 1 });
    client.close();
  });

  it('answers 400 naming each field at fault', async () => {
    const payload = await post('fixture-flaky', { payload: { failWhile: 3 } });
    expect(payload.status).toBe(400);
    expect(payload.body.issues).toEqual([
      { field: 'payload.failWhile', message: expect.stringMatching(/expected string/) },
      { field: 'payload.order', message: expect.stringMatching(/expected (integer|number)/) },
    ]);
    expect(payload.body.error).toMatch(/^request for task fixture-flaky refused: payload\.failWhile: .*; payload\.order: /);
    const envelope = await post('fixture-fast', { payload: [], delaySeconds: -5, priority: 'high' });
    expect(envelope.status).toBe(400);
    expect((envelope.body.issues as Array<{ field: string }>).map((issue) => issue.field).sort()).toEqual(['(body)', 'delaySeconds', 'payload']);
    expect(envelope.body.error).toMatch(/Unrecognized key: "priority"/);
    const both = await post('fixture-fast', { delaySeconds: 5, at: '2030-01-01T00:00:00Z' });
    expect(both).toMatchObject({ status: 400, body: { issues: [{ field: 'at', message: 'give at or delaySeconds, not both' }] } });
    const longKey = await post('fixture-fast', {}, { 'idempotency-key': 'k'.repeat(300) });
    expect(longKey).toMatchObject({ status: 400, body: { issues: [{ field: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters (a UUID, say), got 300 characters' }] } });
    const notJson = await call(app.config.ui, 'POST', '/tasks/fixture-fast', '{"payload":', {});
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/\(body\): not JSON/);
  });

  it('answers 404 for an unknown task with the closest name, for POST and GET', async () => {
    const answer = await post('fixture-fsat', {});
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatch(/^unknown task "fixture-fsat" \(did you mean "fixture-fast"\?\); known tasks: /);
    const run = await call(app.config.ui, 'GET', '/runs/fixture-fsat/x');
    expect(run.status).toBe(404);
    expect(run.body.error).toMatch(/did you mean "fixture-fast"/);
    const missing = await call(app.config.ui, 'GET', '/runs/fixture-fast/never-sent');
    expect(missing).toMatchObject({ status: 404, body: { error: expect.stringMatching(/no run never-sent of task fixture-fast is recorded yet/) } });
  });

  it('answers 413 over SQS\'s size limit and 415 for a body that is not JSON', async () => {
    const large = await post('fixture-flaky', { payload: { failWhile: 'x'.repeat(262_100), order: 1 } });
    expect(large.status).toBe(413);
    expect(large.body.error).toMatch(/larger than 262144 bytes; keep large payloads in S3/);
    const form = await call(app.config.ui, 'POST', '/tasks/fixture-fast', 'payload=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(form.body.error).toMatch(/send the body as JSON/);
    const bare = await call(app.config.ui, 'POST', '/tasks/fixture-fast', undefined);
    expect(bare.status).toBe(415);
  });

  it('refuses another Host and other sites\' browsers, and takes no token', async () => {
    const rebound = await call(app.config.ui, 'POST', '/tasks/fixture-fast', '{}', { host: 'evil.example' });
    expect(rebound.status).toBe(421);
    const crossSite = await call(app.config.ui, 'POST', '/tasks/fixture-fast', '{}', { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    const wrongMethod = await call(app.config.ui, 'GET', '/tasks/fixture-fast');
    expect(wrongMethod).toMatchObject({ status: 405, body: { error: 'use POST for /tasks/fixture-fast' } });
  });

  it('sends one message and records one run for 500 concurrent POSTs with one Idempotency-Key, every answer naming the same run', async () => {
    const key = `reindex-${Date.now()}`;
    const answers = await Promise.all(Array.from({ length: 500 }, () => post('fixture-slow', { payload: { ms: 5 } }, { 'idempotency-key': key })));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(499);
    expect(new Set(answers.map((a) => a.body.runId))).toEqual(new Set([key]));
    await waitFor('the run', async () => ((await call(app.config.ui, 'GET', `/runs/fixture-slow/${key}`)).body.status === 'succeeded' ? true : undefined));
    // A little longer: a second message, had one been sent, would be delivered by now.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const starts = fs.readFileSync(app.traceFile, 'utf8').split('\n').filter((line) => line.startsWith(`start fixture-slow ${key} `));
    expect(starts).toHaveLength(1);
    // Every message the narrow gate receives makes one run line (a duplicate one too).
    expect(app.output().split('\n').filter((line) => / run {2}narrow +fixture-slow /.test(line))).toHaveLength(1);
    const { Item } = await dynamo.send(new GetItemCommand({ TableName: app.config.ledgerTable, Key: { [LEDGER_SCHEMA.partitionKey]: { S: idempotencyRecordKey('fixture-slow', key) } } }));
    expect(Item?.runId?.S).toBe(key);
    expect(Item?.sentAt?.S).toMatch(/^\d{4}-/);
    expect(Number(Item?.[LEDGER_SCHEMA.ttlAttribute]?.N) - Date.now() / 1000).toBeGreaterThan(24 * 3600 - 120);
    const reused = await post('fixture-slow', { payload: { ms: 6 } }, { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expect(reused.body.error).toMatch(/was used for a different request/);
  }, 120_000);
});
