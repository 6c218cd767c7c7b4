import * as fs from 'node:fs';
import * as path from 'node:path';
import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_SCHEMA } from '../../src/worker/ledger/record';
import { verifyWebhook } from '../../src/worker/webhook/signature';
import { dynamoClient, sqsClient } from '../helpers/local-servers';
import { RecordingEndpoint } from '../helpers/recording-endpoint';
import { ROOT, runCli } from '../helpers/run-cli';
import { taskgateDev, waitFor, type TaskgateDev } from '../helpers/taskgate-dev';

/** 1,000 in `npm run test:stress` (about a minute at 20/s); fewer in `npm test`, the same code. */
const RUNS = Number(process.env.TASKGATE_DRILL_RUNS ?? 200);
const RATE = { perSecond: 20, burst: 5 };
const CONCURRENCY = 10;
/** The endpoint is down for 4 s after the first request, and until it has refused 40 (2 s of the rate). */
const OUTAGE = { outageMs: 4_000, refusals: 40 };
const WINDOW_MS = 5_000;

/** Every run of a task in the ledger, status by run id. */
async function ledgerStatuses(dynamo: DynamoDBClient, table: string, task: string): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  let start: Record<string, never> | undefined;
  do {
    const page = await dynamo.send(
      new QueryCommand({
        TableName: table,
        IndexName: LEDGER_SCHEMA.byTaskIndex,
        KeyConditionExpression: '#t = :t',
        ExpressionAttributeNames: { '#t': LEDGER_SCHEMA.byTaskPartitionKey },
        ExpressionAttributeValues: { ':t': { S: task } },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) statuses.set(item.id!.S!, item.status!.S!);
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return statuses;
}

describe(`the outage drill: ${RUNS} webhook runs piled up behind a gate of ${RATE.perSecond}/s, burst ${RATE.burst}, concurrency ${CONCURRENCY}`, () => {
  const endpoint = new RecordingEndpoint(150, OUTAGE);
  let app: TaskgateDev;
  let sentAt = 0;

  beforeAll(async () => {
    const url = await endpoint.start();
    // The webhook task's URL from the runtime's environment, as a developer's shell gives it.
    app = await taskgateDev(['--app', 'npx tsx test/fixtures/rate-app/app.ts'], 90_000, undefined, { RATE_DRILL_URL: url });
    const sqs = sqsClient(app.config.sqsEndpoint);
    const queueUrl = app.config.gates.endpoint!.queueUrl;
    for (let i = 0; i < RUNS; i += 10) {
      const entries = Array.from({ length: Math.min(10, RUNS - i) }, (_, j) => ({
        Id: String(j),
        MessageBody: JSON.stringify({ task: 'call-endpoint', payload: { order: i + j }, id: `drill-${i + j}`, source: 'manual' }),
      }));
      const { Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      expect(Failed).toEqual([]);
    }
    sqs.destroy();
    sentAt = Date.now();
  }, 120_000);

  afterAll(async () => {
    // The runtime's run lines, to see where a failed drill's runs went.
    if (process.env.DRILL_DEBUG) console.log(app?.output().slice(-6000));
    await app?.dispose();
    await endpoint.close();
  });

  it('shows the gate\'s rate, tokens used and messages waiting in `taskgate status` while the backlog drains', async () => {
    const statusOf = async () => {
      const { code, stdout, stderr } = await runCli(['status', '--json', '--local-config', path.join(app.stateDir, 'local.json')], { cwd: ROOT });
      expect(code, stderr).toBe(0);
      return (JSON.parse(stdout) as Array<{ gate: string; rate: { perSecond: number; burst: number; usedLastMinute: number } | null; waitingForRate: number | null }>).find((row) => row.gate === 'endpoint')!;
    };
    const draining = await waitFor('a status with tokens used', async () => {
      const gate = await statusOf();
      return gate.rate && gate.rate.usedLastMinute > 0 ? gate : undefined;
    }, 90_000);
    expect(draining.rate).toMatchObject(RATE);
    expect(draining.waitingForRate).toEqual(expect.any(Number));
    // With spare tokens and waits in place a drain this size may re-send none, so one message is
    // made to wait the way the gate makes them (a delayed send); it comes due after the suite ends.
    const sqs = sqsClient(app.config.sqsEndpoint);
    await sqs.send(new SendMessageCommand({ QueueUrl: app.config.gates.endpoint!.queueUrl, DelaySeconds: 900, MessageBody: JSON.stringify({ task: 'call-endpoint', payload: { order: -1 }, id: 'status-probe' }) }));
    sqs.destroy();
    await waitFor('the waiting message in the status', async () => ((await statusOf()).waitingForRate! >= 1 ? true : undefined), 30_000);
  }, 150_000);

  it('holds the endpoint to the rate and the concurrency, runs each run once, signed, and sends none to the DLQ', async () => {
    const started = Date.now();
    // Beyond the drain at the rate: on a starved machine a worker's cold start can pass the function
    // timeout, and its batch then waits out the visibility timeout (6 x 20 s) before it runs.
    await waitFor('every run to succeed', () => (endpoint.successes().size >= RUNS ? true : undefined), (RUNS / RATE.perSecond) * 1000 * 2 + 180_000);
    const drainSeconds = (Date.now() - started) / 1000;
    const busiest = endpoint.busiestWindow(WINDOW_MS);
    console.log(
      `rate drill: ${RUNS} webhook runs, ${endpoint.requests.length} requests (${endpoint.refused()} answered 503 during the outage), busiest ${WINDOW_MS / 1000}s window ${busiest} (limit ${RATE.perSecond * (WINDOW_MS / 1000) + RATE.burst}), peak open ${endpoint.peakOpen}, ${drainSeconds.toFixed(1)} s after the first status check, ${((Date.now() - sentAt) / 1000).toFixed(1)} s after the runs were sent`,
    );
    expect(busiest).toBeLessThanOrEqual(RATE.perSecond * (WINDOW_MS / 1000) + RATE.burst);
    expect(endpoint.peakOpen).toBeLessThanOrEqual(CONCURRENCY);
    // The runs met the outage: the endpoint refused them with 503 before it came back.
    expect(endpoint.refused()).toBeGreaterThanOrEqual(OUTAGE.refusals);
    const successes = endpoint.successes();
    expect(successes.size).toBe(RUNS);
    expect([...successes.values()].every((count) => count === 1)).toBe(true);
    // Every request, the outage's 503s included, is signed with the gate's secret (the runtime's local file), checked at its arrival time.
    const secret = fs.readFileSync(path.join(app.stateDir, 'secrets', 'endpoint'), 'utf8').trim();
    const unverified = endpoint.requests.filter((request) => {
      try {
        return verifyWebhook(secret, request.headers, request.body, { now: new Date(request.at) }).id !== request.runId;
      } catch {
        return true;
      }
    });
    expect(unverified).toEqual([]);
    expect(endpoint.requests.filter((request) => request.status === 200).map((request) => JSON.parse(request.body) as unknown)).toEqual(
      expect.arrayContaining([{ order: 0 }, { order: RUNS - 1 }]),
    );

    const dynamo = dynamoClient(app.config.dynamodbEndpoint);
    const ledger = await waitFor('the ledger to record every run', async () => {
      const statuses = await ledgerStatuses(dynamo, app.config.ledgerTable, 'call-endpoint');
      return [...statuses.values()].filter((s) => s === 'succeeded').length === RUNS ? statuses : undefined;
    });
    expect([...ledger.keys()].sort()).toEqual([...successes.keys()].sort());
    dynamo.destroy();

    const sqs = sqsClient(app.config.sqsEndpoint);
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: app.config.gates.endpoint!.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
    );
    sqs.destroy();
    expect(Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' });
  }, 600_000);
});
