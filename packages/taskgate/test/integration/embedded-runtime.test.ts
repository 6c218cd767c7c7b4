import * as fs from 'node:fs';
import * as net from 'node:net';
import { GetItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_SCHEMA, runKey } from '../../src/worker/ledger/record';
import { readDeadLetter } from '../../src/worker/dead-letter';
import { dynamoClient, sqsClient } from '../helpers/local-servers';
import { peakInFlight, taskgateDev, waitFor, type TaskgateDev } from '../helpers/taskgate-dev';

/** Sends `count` bodies in batches of ten, as fast as SQS takes them. */
async function burst(sqs: SQSClient, queueUrl: string, count: number, body: (i: number) => string, groupId?: string): Promise<void> {
  for (let i = 0; i < count; i += 10) {
    const entries = Array.from({ length: Math.min(10, count - i) }, (_, j) => ({
      Id: String(j),
      MessageBody: body(i + j),
      ...(groupId ? { MessageGroupId: groupId, MessageDeduplicationId: `m-${i + j}` } : {}),
    }));
    const { Failed } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    expect(Failed ?? []).toEqual([]);
  }
}

async function drainDlq(sqs: SQSClient, queueUrl: string, into: Message[]): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'], VisibilityTimeout: 300 }),
  );
  into.push(...Messages);
  return into;
}

async function ledgerRuns(dynamo: DynamoDBClient, table: string, task: string): Promise<Array<Record<string, string>>> {
  const runs: Array<Record<string, string>> = [];
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
    for (const item of page.Items ?? []) runs.push(Object.fromEntries(Object.entries(item).map(([k, v]) => [k, v.S ?? v.N ?? ''])));
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return runs;
}

describe('taskgate dev on the fixture app', () => {
  let app: TaskgateDev;
  let sqs: SQSClient;
  let dynamo: DynamoDBClient;
  const dlqMessages: Message[] = [];

  beforeAll(async () => {
    app = await taskgateDev(['--speed', '60', '--fire-now', 'fast-every-minute']);
    sqs = sqsClient(app.config.sqsEndpoint);
    dynamo = dynamoClient(app.config.dynamodbEndpoint);
  }, 120_000);
  afterAll(async () => {
    sqs?.destroy();
    dynamo?.destroy();
    await app?.dispose();
  });

  it('writes local.json as the README specifies and prints where everything is', () => {
    const { config } = app;
    // local.json's documented fields, and what `taskgate trigger --at` needs for a one-time schedule.
    expect(Object.keys(config).sort()).toEqual(['dynamodbEndpoint', 'gates', 'ledgerTable', 'region', 'sqsEndpoint', 'tasks', 'ui', 'token', 'scheduleGroup', 'onceScheduleRoleArn', 'dynamicScheduleGroup'].sort());
    // The control server's token: only its owner reads the file.
    expect(config.token).toMatch(/^[\w-]{32}$/);
    expect(fs.statSync(`${app.stateDir}/local.json`).mode & 0o777).toBe(0o600);
    expect(config.scheduleGroup).toMatch(/^TaskgateFixture-/);
    expect(config.onceScheduleRoleArn).toMatch(/^arn:aws:iam::000000000000:role\//);
    expect(config.region).toBe('us-east-1');
    expect(config.sqsEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(config.ledgerTable).toMatch(/Ledger/);
    expect(config.gates.narrow).toEqual({ queueUrl: expect.stringMatching(/TaskgateFixture-narrow$/), dlqUrl: expect.stringMatching(/narrow-dlq$/), concurrency: 3 });
    expect(config.gates.serial!.queueUrl).toMatch(/\.fifo$/);
    expect(config.gates.serial!.concurrency).toBe(1);
    // Every task, scheduled or not, from the workers' template metadata.
    expect(config.tasks).toEqual({
      'fixture-fast': 'default',
      'fixture-fail': 'default',
      'fixture-slow': 'narrow',
      'fixture-serial': 'serial',
      'fixture-wide': 'wide',
      'fixture-later': 'default',
      'fixture-flaky': 'default',
      'fixture-hang': 'wide',
    });
    expect(app.output()).toContain(`aws --endpoint-url ${config.sqsEndpoint}`);
    expect(app.output()).toContain(config.gates.default!.queueUrl);
  });

  it('fires the fast schedule and its runs are recorded in the ledger', async () => {
    // At 60x, rate(1 minute) ticks every second; --fire-now adds one tick at start (any second).
    const runs = await waitFor('two scheduled ticks in the ledger', async () => {
      const found = (await ledgerRuns(dynamo, app.config.ledgerTable, 'fixture-fast')).filter(
        (run) => run.source === 'schedule' && run.status === 'succeeded' && /T\d{2}:\d{2}:00Z$/.test(run.id!),
      );
      return found.length >= 2 ? found : undefined;
    });
    // Each tick is its own run: the tick time is the run id.
    expect(new Set(runs.map((run) => run.id)).size).toBe(runs.length);
    expect(app.output()).toMatch(/run {2}default +fixture-fast +succeeded/);
  });

  it('lists, pauses, resumes and fires schedules over the control API', async () => {
    const list = (await (await fetch(`${app.config.ui}/api/schedules`)).json()) as Array<Record<string, unknown>>;
    expect(list).toEqual([
      { name: 'fast-every-minute', task: 'fixture-fast', kind: 'rule', expression: 'rate(1 minute)', timeZone: 'UTC', enabled: true, next: expect.any(String) },
    ]);
    const post = { method: 'POST', headers: { 'x-taskgate-token': app.config.token } };
    const refused = await fetch(`${app.config.ui}/api/schedules/fast-every-minute/pause`, { method: 'POST' });
    expect(refused.status).toBe(403);
    const paused = await fetch(`${app.config.ui}/api/schedules/fast-every-minute/pause`, post);
    expect(await paused.json()).toEqual({ name: 'fast-every-minute', enabled: false });
    expect(((await (await fetch(`${app.config.ui}/api/schedules`)).json()) as Array<{ next: unknown }>)[0]!.next).toBeNull();
    const resumed = await fetch(`${app.config.ui}/api/schedules/fast-every-minute/resume`, post);
    expect(await resumed.json()).toEqual({ name: 'fast-every-minute', enabled: true });
    const fired = await fetch(`${app.config.ui}/api/schedules/fast-every-minute/fire`, post);
    expect(fired.status).toBe(200);
    const unknown = await fetch(`${app.config.ui}/api/schedules/no-such/pause`, post);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toContain('fast-every-minute');
  });

  it('runs a task message sent with the plain SQS API exactly once', async () => {
    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: app.config.gates.default!.queueUrl, MessageBody: JSON.stringify({ task: 'fixture-fast', payload: { n: 7 } }) }));
    const item = await waitFor('the run in the ledger', async () => {
      const { Item } = await dynamo.send(new GetItemCommand({ TableName: app.config.ledgerTable, Key: { [LEDGER_SCHEMA.partitionKey]: { S: runKey('fixture-fast', MessageId!) } } }));
      return Item?.status?.S === 'succeeded' ? Item : undefined;
    });
    expect(item.attempts?.N).toBe('1');
    expect(item.source?.S).toBe('api');
  });

  it('moves a malformed message to the DLQ with its reason', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: app.config.gates.default!.queueUrl, MessageBody: 'this is not json' }));
    const dead = await waitFor('the malformed message in the DLQ', async () =>
      (await drainDlq(sqs, app.config.gates.default!.dlqUrl, dlqMessages)).find((m) => m.Body === 'this is not json'),
    );
    expect(readDeadLetter(dead.MessageAttributes)?.reason).toBe('invalid-json');
  });

  it('retries a failing task, then dead-letters it', async () => {
    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: app.config.gates.default!.queueUrl, MessageBody: JSON.stringify({ task: 'fixture-fail' }) }));
    const dead = await waitFor('the failing task in the DLQ', async () =>
      (await drainDlq(sqs, app.config.gates.default!.dlqUrl, dlqMessages)).find((m) => m.Body?.includes('fixture-fail')),
    );
    expect(readDeadLetter(dead.MessageAttributes)?.attempts).toBeGreaterThanOrEqual(5);
    // The worker writes the ledger after the DLQ has the message (so a failed write loses nothing):
    // the record turns dead a moment after the dead letter can be received.
    const item = await waitFor('the dead run in the ledger', async () => {
      const { Item } = await dynamo.send(new GetItemCommand({ TableName: app.config.ledgerTable, Key: { [LEDGER_SCHEMA.partitionKey]: { S: runKey('fixture-fail', MessageId!) } } }));
      return Item?.status?.S === 'running' ? undefined : Item;
    });
    expect(item?.status?.S).toBe('dead');
    // One line per event: each retry and the dead letter are run lines with their reasons, and the
    // worker's own log lines for them are not printed a second time.
    const deadLine = await waitFor('the dead letter\'s run line', () => /fixture-fail +dead .*\(retries-exhausted: attempt 5 of 5 failed: the fixture downstream answered 503\)/.exec(app.output()) ?? undefined);
    expect(deadLine).toBeTruthy();
    expect(app.output()).toMatch(/fixture-fail +retry .*\(the fixture downstream answered 503\)/);
    expect(app.output()).not.toMatch(/message moved to the DLQ|run failed; retrying/);
  });

  it("prints no AWS SDK NodeVersionSupportWarning, from the runtime or from the workers' threads", () => {
    // By now every gate's threads have loaded the bundle (its SDK clients) and run tasks.
    expect(app.output()).toMatch(/fixture-fail +retry/);
    expect(app.output()).not.toContain('NodeVersionSupportWarning');
  });

  it("warns about a message whose invocation runs past its task's timeout, and counts it as stalled meanwhile", async () => {
    const stalledOn = async (gate: string) =>
      ((await (await fetch(`${app.config.ui}/api/gates`)).json()) as Array<{ name: string; stalled: number }>).find((g) => g.name === gate)!.stalled;
    const { MessageId } = await sqs.send(
      new SendMessageCommand({ QueueUrl: app.config.gates.wide!.queueUrl, MessageBody: JSON.stringify({ task: 'fixture-hang', payload: { ms: 8000 } }) }),
    );
    await waitFor('the stall warning', () => (app.output().includes(`warning: gate wide: message ${MessageId} (task fixture-hang) has been in flight 1s`) ? true : undefined));
    await waitFor('the stalled count in GET /api/gates', async () => ((await stalledOn('wide')) === 1 ? true : undefined));
    // Once the invocation answers, the message is no longer in flight, nor counted.
    await waitFor('the run line', () => (/run {2}wide +fixture-hang/.test(app.output()) ? true : undefined), 20_000);
    expect(await stalledOn('wide')).toBe(0);
    expect(await stalledOn('narrow')).toBe(0);
  });

  it('never runs more than the gate concurrency at once under a burst of 500, nor more than one on a FIFO gate', async () => {
    await Promise.all([
      burst(sqs, app.config.gates.narrow!.queueUrl, 500, () => JSON.stringify({ task: 'fixture-slow', payload: { ms: 10 } })),
      burst(sqs, app.config.gates.serial!.queueUrl, 40, () => JSON.stringify({ task: 'fixture-serial', payload: { ms: 10 } }), 'one-group'),
    ]);
    await waitFor(
      'all 540 runs to end',
      () => {
        const slow = peakInFlight(app.traceFile, 'fixture-slow');
        const serial = peakInFlight(app.traceFile, 'fixture-serial');
        return slow.ends >= 500 && serial.ends >= 40 ? true : undefined;
      },
      90_000,
    );
    const slow = peakInFlight(app.traceFile, 'fixture-slow');
    expect(slow.starts).toBe(500);
    expect(slow.peak).toBeLessThanOrEqual(3);
    expect(slow.peak).toBeGreaterThan(1);
    expect(peakInFlight(app.traceFile, 'fixture-serial').peak).toBe(1);
    const gates = (await (await fetch(`${app.config.ui}/api/gates`)).json()) as Array<{ name: string; peakBatchesInFlight: number }>;
    expect(gates.find((gate) => gate.name === 'narrow')!.peakBatchesInFlight).toBeLessThanOrEqual(3);
  }, 120_000);
});

describe('taskgate dev, stopped with Ctrl-C during a burst', () => {
  it('loses nothing: every message is either run or back on its queue', async () => {
    const app = await taskgateDev(['--paused']);
    const sqs = sqsClient(app.config.sqsEndpoint);
    try {
      const total = 300;
      await burst(sqs, app.config.gates.narrow!.queueUrl, total, () => JSON.stringify({ task: 'fixture-slow', payload: { ms: 40 } }));
      // Due in 15 minutes: still on its queue at the stop, and gone with the runtime's memory.
      await sqs.send(new SendMessageCommand({ QueueUrl: app.config.gates.default!.queueUrl, MessageBody: JSON.stringify({ task: 'fixture-fast' }), DelaySeconds: 900 }));
      await waitFor('a third of the burst to run', () => (peakInFlight(app.traceFile, 'fixture-slow').ends >= total / 3 ? true : undefined));
      const ended = await app.interrupt();
      expect(ended.code === 0 || ended.signal === 'SIGINT').toBe(true);
      const output = app.output();
      expect(output).not.toMatch(/stopping failed|stopping at once/);
      const ran = output.split('\n').filter((line) => /run {2}narrow +fixture-slow +succeeded/.test(line)).length;
      const left = /left on TaskgateFixture-narrow: (\d+) visible, (\d+) in flight, (\d+) delayed/.exec(output);
      const visible = left ? Number(left[1]) : 0;
      expect(left?.[2] ?? '0').toBe('0');
      expect(ran).toBeGreaterThanOrEqual(total / 3);
      expect(ran + visible).toBe(total);
      // Every run that started also finished: nothing was cut off mid-run.
      const trace = peakInFlight(app.traceFile, 'fixture-slow');
      expect(trace.starts).toBe(trace.ends);
      expect(trace.ends).toBe(ran);
      expect(output).toMatch(/left on TaskgateFixture-default: 0 visible, 0 in flight, 1 delayed\n/);
      expect(output).toContain('taskgate: the embedded SQS and DynamoDB keep their state in memory, so the messages left are gone when it exits');
      expect(output).not.toContain('reappear');
      expect(output).toContain('taskgate: stopped');
      expect(fs.existsSync(`${app.stateDir}/local.json`)).toBe(false);
    } finally {
      sqs.destroy();
      await app.dispose();
    }
  }, 120_000);

  it('names the flag to change when a port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(taskgateDev(['--sqs-port', String(port)])).rejects.toThrow(new RegExp(`port ${port} .*--sqs-port <port> or TASKGATE_SQS_PORT`));
    } finally {
      blocker.close();
    }
  }, 60_000);
});
