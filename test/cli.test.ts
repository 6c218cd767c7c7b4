import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteMessageCommand, GetQueueAttributesCommand, type Message, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { App } from 'aws-cdk-lib';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoLedger } from '../lambdas/ledger/dynamo-ledger';
import type { RunRecord } from '../lambdas/ledger/record';
import { TaskRegistry } from '../lambdas/registry';
import { tasks } from '../lambdas/tasks';
import { Triggers } from '../lambdas/worker/triggers';
import { Worker } from '../lambdas/worker/worker';
import { AppStack } from '../lib/app-stack';
import { OnceSchedules } from '../local/once-schedules';
import { startFakeControl, type FakeSchedule } from './helpers/fake-control';
import { startLocalAws, type LocalAws } from './helpers/local-aws';
import { runCli, spawnCli } from './helpers/run-cli';

// The CLI runs as a subprocess against real embedded SQS (fauxqs) and DynamoDB (dynalite) servers,
// found through a .taskgate/local.json in its working directory, as `npm start` writes it.
let aws: LocalAws;
let control: Awaited<ReturnType<typeof startFakeControl>>;
/** The runtime's one-time schedules, behind the fake control's Scheduler API; speed 1, so none fires during the tests. */
let once: OnceSchedules;
const cli = (...args: string[]) => runCli(args, { cwd: aws.dir });
const json = <T>(stdout: string) => JSON.parse(stdout) as T;

const schedules: FakeSchedule[] = [
  { name: 'cleanup-stray-instances', task: 'cleanup-stray-instances', kind: 'rule', expression: 'rate(1 hour)', timeZone: 'UTC', enabled: true, next: null },
  { name: 'send-delivery-reminders', task: 'send-delivery-reminders', kind: 'schedule', expression: 'cron(0 9 * * ? *)', timeZone: 'Europe/Berlin', enabled: true, next: null },
];

beforeAll(async () => {
  control = await startFakeControl(schedules, () => once, [
    { name: 'default', stalled: 0 },
    { name: 'email-api', stalled: 0 },
    { name: 'rates-api', stalled: 0 },
  ]);
  aws = await startLocalAws({
    gates: { default: 5, 'email-api': 2, 'rates-api': 1 },
    tasks: { 'cleanup-stray-instances': 'default', 'send-delivery-reminders': 'email-api', 'refresh-exchange-rates': 'rates-api' },
    ui: control.url,
  });
  const queues = new Map<string, { name: string; url: string; fifo: boolean }>();
  for (const gate of Object.values(aws.config.gates)) {
    const { Attributes } = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: gate.queueUrl, AttributeNames: ['QueueArn'] }));
    queues.set(Attributes!.QueueArn!, { name: gate.queueUrl.split('/').pop()!, url: gate.queueUrl, fifo: gate.queueUrl.endsWith('.fifo') });
  }
  once = new OnceSchedules({
    region: 'us-east-1',
    accountId: '000000000000',
    speed: 1,
    groups: () => [],
    queue: (arn) => queues.get(arn),
    queueArns: () => [...queues.keys()],
    send: () => Promise.reject(new Error('no one-time schedule fires in these tests')),
    onFire: () => undefined,
    onError: () => undefined,
  });
  // The embedded runtime keeps its synthesized app next to local.json; backfill reads the schedules there.
  const app = new App({ outdir: path.join(aws.dir, '.taskgate', 'cdk.out'), context: { 'aws:cdk:bundling-stacks': [] } });
  new AppStack(app, 'Taskgate');
  app.synth();
});

afterAll(async () => {
  once?.stop();
  await aws?.close();
  await control?.close();
});

async function drain(queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const { Messages = [] } = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 300, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) return messages;
    messages.push(...Messages);
    // Deleting frees a FIFO group for the next receive.
    for (const message of Messages) await aws.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  }
}

function toRecord(message: Message): SQSRecord {
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body!,
    attributes: message.Attributes as unknown as SQSRecord['attributes'],
    messageAttributes: {},
    md5OfBody: message.MD5OfBody!,
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:email-api-tasks',
    awsRegion: 'us-east-1',
  };
}

function expectOneLineError(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^taskgate: /);
  expect(lines[0]).toMatch(pattern);
}

describe('trigger', () => {
  it('sends the task message to the gate queue, and the run the worker makes of it shows in history', async () => {
    const result = await cli('trigger', 'send-delivery-reminders', '--payload', '{"market":"de","daysAhead":2}', '--id', 'manual-1');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('run id manual-1');
    expect(result.stdout).toContain('taskgate history --task send-delivery-reminders --follow');
    const messages = await drain(aws.config.gates['email-api']!.queueUrl);
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]!.Body!)).toEqual({ task: 'send-delivery-reminders', payload: { market: 'de', daysAhead: 2 }, id: 'manual-1', source: 'manual' });
    expect(result.stdout).toContain(messages[0]!.MessageId);

    // The gate's worker, on the embedded servers, processes what the CLI sent.
    const sqs = new SQSClient({ region: 'us-east-1', endpoint: aws.config.sqsEndpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const registry = new TaskRegistry(tasks);
    const worker = new Worker({
      registry,
      gate: 'email-api',
      queueUrl: aws.config.gates['email-api']!.queueUrl,
      deadLetterQueueUrl: aws.config.gates['email-api']!.dlqUrl,
      sqs,
      ledger: new DynamoLedger(new DynamoDBClient({ region: 'us-east-1', endpoint: aws.config.dynamodbEndpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), aws.config.ledgerTable, 30),
      triggers: new Triggers({ registry, sqs, queues: {} }),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const batch = await worker.processBatch(messages.map(toRecord));
    expect(batch.response.batchItemFailures).toEqual([]);

    const history = await cli('history', '--task', 'send-delivery-reminders', '--json');
    const runs = json<RunRecord[]>(history.stdout);
    expect(runs.map((run) => [run.id, run.status, run.source])).toEqual([['manual-1', 'succeeded', 'manual']]);
    const table = await cli('history', '--task', 'send-delivery-reminders');
    expect(table.stdout).toMatch(/manual-1\s+succeeded\s+1/);
  });

  it('reads the payload from @file and gives each trigger its own run id', async () => {
    const file = path.join(aws.dir, 'payload.json');
    fs.writeFileSync(file, '{"dryRun":false}');
    const first = await cli('trigger', 'cleanup-stray-instances', '--payload', `@${file}`, '--json');
    const second = await cli('trigger', 'cleanup-stray-instances', '--json');
    const ids = [json<{ id: string }>(first.stdout).id, json<{ id: string }>(second.stdout).id];
    expect(ids[0]).not.toBe(ids[1]);
    const bodies = (await drain(aws.config.gates.default!.queueUrl)).map((m) => JSON.parse(m.Body!) as { id: string; payload: unknown });
    expect(bodies.map((b) => b.id).sort()).toEqual([...ids].sort());
    expect(bodies.find((b) => b.id === ids[0])!.payload).toEqual({ dryRun: false });
  });

  it('--at within 15 minutes sends the message with a delay; further ahead it creates a one-time schedule at the runtime', async () => {
    const soon = await cli('trigger', 'cleanup-stray-instances', '--at', '5m');
    expect(soon.code).toBe(0);
    expect(await aws.queueDepth(aws.config.gates.default!.queueUrl)).toMatchObject({ visible: 0, delayed: 1 });
    const later = await cli('trigger', 'cleanup-stray-instances', '--at', '2h', '--id', 'later-1', '--json');
    expect(later.stderr).toBe('');
    const { scheduleName } = json<{ scheduleName: string }>(later.stdout);
    // local.json without scheduleGroup/onceScheduleRoleArn: the default group and a placeholder role.
    const schedule = once.get(scheduleName, 'default');
    expect(schedule).toMatchObject({ ScheduleExpression: expect.stringMatching(/^at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\)$/), ActionAfterCompletion: 'DELETE', State: 'ENABLED' });
    expect(schedule.Target.Arn).toMatch(/:default-tasks$/);
    expect(schedule.Target.RoleArn).toMatch(/^arn:aws:iam::000000000000:role\//);
    expect(JSON.parse(schedule.Target.Input!)).toMatchObject({ task: 'cleanup-stray-instances', id: 'later-1', source: 'once' });
    // Nothing more went to the queue.
    expect(await aws.queueDepth(aws.config.gates.default!.queueUrl)).toMatchObject({ visible: 0, delayed: 1 });
    expectOneLineError(await cli('trigger', 'cleanup-stray-instances', '--at', 'tomorrow'), /--at "tomorrow" is not a time/);
  });

  it('on a FIFO gate sends in the gate\'s one message group, and a delay is a one-time schedule in that group', async () => {
    const result = await cli('trigger', 'refresh-exchange-rates', '--payload', '{"currencies":["EUR"]}', '--id', 'fifo-trigger');
    expect(result.code).toBe(0);
    const [message] = await drain(aws.config.gates['rates-api']!.queueUrl);
    expect(message!.Attributes?.MessageGroupId).toBe('rates-api');
    expect(JSON.parse(message!.Body!)).toMatchObject({ task: 'refresh-exchange-rates', id: 'fifo-trigger' });
    const later = await cli('trigger', 'refresh-exchange-rates', '--at', '5m', '--json');
    expect(later.stderr).toBe('');
    const schedule = once.get(json<{ scheduleName: string }>(later.stdout).scheduleName, 'default');
    expect(schedule.Target.SqsParameters).toEqual({ MessageGroupId: 'rates-api' });
    expect(await aws.queueDepth(aws.config.gates['rates-api']!.queueUrl)).toMatchObject({ visible: 0, delayed: 0 });
  });

  it('refuses an unknown task with the closest name, a payload that is not JSON, and one failing its schema naming the field', async () => {
    expectOneLineError(await cli('trigger', 'send-delivery-reminder'), /unknown task "send-delivery-reminder" \(did you mean "send-delivery-reminders"\?\)/);
    expectOneLineError(await cli('trigger', 'send-delivery-reminders', '--payload', '{market:de}'), /--payload is not JSON/);
    expectOneLineError(await cli('trigger', 'send-delivery-reminders', '--payload', '{"market":"fr"}'), /fails its schema: market: Invalid option: expected one of "de"\|"at"\|"ch"/);
    expectOneLineError(await cli('trigger', 'send-delivery-reminders', '--payload', '@/nonexistent/p.json'), /cannot read the payload file \/nonexistent\/p.json \(ENOENT\)/);
    // Nothing was sent (the one in flight is the first test's, processed but not deleted).
    expect(await aws.queueDepth(aws.config.gates['email-api']!.queueUrl)).toMatchObject({ visible: 0, delayed: 0 });
  });
});

describe('history', () => {
  it('filters by status and time, and lists all tasks by day', async () => {
    const now = Date.now();
    await aws.putRun({ task: 'refresh-exchange-rates', id: 'h-old', status: 'succeeded', startedAt: new Date(now - 5 * 3600_000) });
    await aws.putRun({ task: 'refresh-exchange-rates', id: 'h-dead', status: 'dead', startedAt: new Date(now - 30 * 60_000), reason: 'task-permanent', error: 'rates API said 400' });
    await aws.putRun({ task: 'refresh-exchange-rates', id: 'h-ok', status: 'succeeded', startedAt: new Date(now - 10 * 60_000) });

    const dead = json<RunRecord[]>((await cli('history', '--task', 'refresh-exchange-rates', '--status', 'dead', '--json')).stdout);
    expect(dead.map((r) => r.id)).toEqual(['h-dead']);
    const recent = json<RunRecord[]>((await cli('history', '--task', 'refresh-exchange-rates', '--since', '2h', '--json')).stdout);
    expect(recent.map((r) => r.id)).toEqual(['h-dead', 'h-ok']);
    const all = json<RunRecord[]>((await cli('history', '--since', '6h', '--json')).stdout);
    expect(all.map((r) => r.id)).toEqual(expect.arrayContaining(['h-old', 'h-dead', 'h-ok', 'manual-1']));
    expect(all.map((r) => r.startedAt)).toEqual([...all.map((r) => r.startedAt)].sort());
    const limited = json<RunRecord[]>((await cli('history', '--since', '6h', '--limit', '2', '--json')).stdout);
    expect(limited).toHaveLength(2);

    const table = (await cli('history', '--task', 'refresh-exchange-rates', '--status', 'dead')).stdout;
    expect(table).toMatch(/STARTED\s+TASK\s+RUN ID\s+STATUS/);
    expect(table).toMatch(/h-dead\s+dead\s+1\s+1\.5s\s+manual\s+task-permanent: rates API said 400/);
    expectOneLineError(await cli('history', '--status', 'done'), /--status "done" is not a run status; give one of running, succeeded/);
    expectOneLineError(await cli('history', '--since', 'yesterday'), /--since "yesterday" is not a time/);
  });

  it('--follow prints runs as they start and finish, and stops on Ctrl-C', async () => {
    const child = spawnCli(['history', '--task', 'cleanup-stray-instances', '--since', '1m', '--follow'], { cwd: aws.dir });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const waitFor = async (predicate: () => boolean) => {
      for (let i = 0; i < 100 && !predicate(); i++) await new Promise((r) => setTimeout(r, 100));
      expect(predicate()).toBe(true);
    };
    await waitFor(() => stderr.includes('following'));
    const startedAt = new Date();
    await aws.putRun({ task: 'cleanup-stray-instances', id: 'follow-1', status: 'running', startedAt });
    await waitFor(() => /follow-1\s+running/.test(stdout));
    await aws.putRun({ task: 'cleanup-stray-instances', id: 'follow-1', status: 'succeeded', startedAt });
    await waitFor(() => /follow-1\s+succeeded/.test(stdout));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout.match(/follow-1/g)).toHaveLength(2);
  });
});

describe('dead letters', () => {
  async function deadLetter(gate: string, body: string, reason: string, error: string, extra: Record<string, string> = {}) {
    await aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: aws.config.gates[gate]!.dlqUrl,
        MessageBody: body,
        MessageAttributes: {
          'taskgate.reason': { DataType: 'String', StringValue: reason },
          'taskgate.error': { DataType: 'String', StringValue: error },
          'taskgate.attempts': { DataType: 'Number', StringValue: '1' },
          'taskgate.failed-at': { DataType: 'String', StringValue: '2026-11-22T12:00:00.000Z' },
          ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
        },
      }),
    );
  }

  it('dlq lists reasons without consuming the messages', async () => {
    await deadLetter('email-api', '{"task":"send-delivery-reminders","payload":{}}', 'invalid-payload', 'payload fails its schema: market');
    await deadLetter('email-api', 'not json', 'invalid-json', 'message body is not JSON');
    const listed = json<Array<{ task?: string; reason: string; error: string; attempts: number; body: string }>>((await cli('dlq', 'email-api', '--json')).stdout);
    expect(listed.map((l) => [l.task, l.reason, l.attempts]).sort()).toEqual([
      [undefined, 'invalid-json', 1],
      ['send-delivery-reminders', 'invalid-payload', 1],
    ].sort());
    expect(listed.find((l) => l.reason === 'invalid-json')!.body).toBe('not json');
    // Still there, and visible at once for a redrive.
    expect(await aws.queueDepth(aws.config.gates['email-api']!.dlqUrl)).toMatchObject({ visible: 2, inFlight: 0 });
    const table = (await cli('dlq', 'email-api')).stdout;
    expect(table).toMatch(/send-delivery-reminders\s+invalid-payload\s+1\s+payload fails its schema: market/);
    expect(table).toContain('taskgate redrive email-api');
  });

  it('purge-dlq asks for confirmation; --yes purges', async () => {
    expectOneLineError(await cli('purge-dlq', 'email-api'), /deletes 2 dead letter\(s\) of gate email-api for good; pass --yes/);
    expect((await aws.queueDepth(aws.config.gates['email-api']!.dlqUrl)).visible).toBe(2);
    const purged = await cli('purge-dlq', 'email-api', '--yes');
    expect(purged.stdout).toContain('purged 2 dead letter(s) of gate email-api');
    expect(await aws.queueDepth(aws.config.gates['email-api']!.dlqUrl)).toMatchObject({ visible: 0, inFlight: 0 });
  });

  it('redrive moves every message back exactly once, bodies unchanged, without taskgate attributes', async () => {
    const bodies = Array.from({ length: 25 }, (_, i) => JSON.stringify({ task: 'cleanup-stray-instances', id: `dead-${i}`, payload: { olderThanHours: i + 1 } }));
    for (const body of bodies) await deadLetter('default', body, 'retries-exhausted', 'boom', { tenant: 'acme' });
    const result = await cli('redrive', 'default', '--rate', '200/s');
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('moved 25 of 25 dead letter(s) back to gate default');
    expect(await aws.queueDepth(aws.config.gates.default!.dlqUrl)).toMatchObject({ visible: 0, inFlight: 0 });
    const moved = await drain(aws.config.gates.default!.queueUrl);
    expect(moved.map((m) => m.Body).sort()).toEqual([...bodies].sort());
    for (const message of moved) expect(Object.keys(message.MessageAttributes ?? {})).toEqual(['tenant']);
    const again = await cli('redrive', 'default', '--json');
    expect(json<{ moved: number }>(again.stdout).moved).toBe(0);
  });

  it('redrive on a FIFO gate keeps the message group and the order', async () => {
    const gate = aws.config.gates['rates-api']!;
    for (let i = 0; i < 5; i++) {
      await aws.sqs.send(
        new SendMessageCommand({
          QueueUrl: gate.dlqUrl,
          MessageBody: JSON.stringify({ task: 'refresh-exchange-rates', id: `fifo-${i}` }),
          MessageGroupId: 'rates-api',
          MessageDeduplicationId: `fifo-${i}`,
          MessageAttributes: { 'taskgate.reason': { DataType: 'String', StringValue: 'task-permanent' } },
        }),
      );
    }
    expect((await cli('redrive', 'rates-api')).stdout).toContain('moved 5 of 5 dead letter(s)');
    const moved = await drain(gate.queueUrl);
    expect(moved.map((m) => (JSON.parse(m.Body!) as { id: string }).id)).toEqual(['fifo-0', 'fifo-1', 'fifo-2', 'fifo-3', 'fifo-4']);
    expect(new Set(moved.map((m) => m.Attributes?.MessageGroupId))).toEqual(new Set(['rates-api']));
    expect(moved.every((m) => m.MessageAttributes === undefined || Object.keys(m.MessageAttributes).length === 0)).toBe(true);
  });

  it('names a gate that does not exist, with the closest one', async () => {
    expectOneLineError(await cli('dlq', 'email'), /no gate named "email" in the embedded runtime .*gates: default, email-api, rates-api/);
  });
});

describe('status', () => {
  it('shows depths per gate and flags a gate where work builds up', async () => {
    const queueUrl = aws.config.gates['rates-api']!.queueUrl;
    for (let i = 0; i < 21; i++) await aws.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `{"task":"refresh-exchange-rates","id":"s${i}"}`, MessageGroupId: 'rates-api' }));
    const rows = json<Array<{ gate: string; visible: number; concurrency: number; buildingUp: boolean; oldestAgeSeconds: null }>>((await cli('status', '--json')).stdout);
    expect(rows.find((r) => r.gate === 'rates-api')).toMatchObject({ visible: 21, concurrency: 1, buildingUp: true, oldestAgeSeconds: null });
    expect(rows.find((r) => r.gate === 'email-api')).toMatchObject({ buildingUp: false });
    const table = (await cli('status')).stdout;
    expect(table).toMatch(/rates-api\s+21\s+0\s+0\s+0\s+0\s+-\s+1\s+building up/);
    expect(table).toContain('OLDEST: the embedded SQS server does not report it');
    // Piped output has no colors unless forced.
    expect(table).not.toContain('\u001b[');
    expect((await runCli(['status'], { cwd: aws.dir, env: { FORCE_COLOR: '1' } })).stdout).toContain('\u001b[33mbuilding up');
    await drain(queueUrl);
  });

  it("counts the messages the runtime reports in flight past their tasks' timeout", async () => {
    control.gates.find((gate) => gate.name === 'email-api')!.stalled = 2;
    try {
      const rows = json<Array<{ gate: string; stalled: number | null }>>((await cli('status', '--json')).stdout);
      expect(Object.fromEntries(rows.map((row) => [row.gate, row.stalled]))).toEqual({ default: 0, 'email-api': 2, 'rates-api': 0 });
      const table = (await cli('status')).stdout;
      expect(table).toMatch(/GATE\s+VISIBLE\s+IN FLIGHT\s+STALLED/);
      expect(table).toMatch(/email-api\s+0\s+0\s+2\s+.*stalled: the worker has not answered/);
      expect(table).not.toMatch(/default .*stalled:/);
    } finally {
      control.gates.find((gate) => gate.name === 'email-api')!.stalled = 0;
    }
  });
});

describe('schedules, pause and resume (the embedded runtime control API)', () => {
  it('lists schedules with a description and next fire times', async () => {
    const rows = json<Array<{ name: string; description: string; next: string[]; enabled: boolean }>>((await cli('schedules', '--json')).stdout);
    const hourly = rows.find((r) => r.name === 'cleanup-stray-instances')!;
    expect(hourly.description.toLowerCase()).toContain('hour');
    expect(hourly.next).toHaveLength(3);
    expect(Date.parse(hourly.next[1]!) - Date.parse(hourly.next[0]!)).toBe(3600_000);
    const berlin = rows.find((r) => r.name === 'send-delivery-reminders')!;
    expect(berlin.next.every((t) => ['07:00', '08:00'].includes(t.slice(11, 16)))).toBe(true);
  });

  it('pause and resume change the schedule in the runtime; an unknown name gets the closest', async () => {
    expect((await cli('pause', 'cleanup-stray-instances')).stdout).toContain('schedule cleanup-stray-instances is paused');
    expect(schedules[0]!.enabled).toBe(false);
    const rows = json<Array<{ name: string; enabled: boolean; next: string[] }>>((await cli('schedules', '--json')).stdout);
    expect(rows.find((r) => r.name === 'cleanup-stray-instances')).toMatchObject({ enabled: false, next: [] });
    expect((await cli('resume', 'cleanup-stray-instances', '--json')).stdout).toContain('"enabled": true');
    expect(schedules[0]!.enabled).toBe(true);
    expectOneLineError(await cli('pause', 'cleanup-stray-instance'), /no schedule named "cleanup-stray-instance" \(did you mean "cleanup-stray-instances"\?\)/);
  });
});

describe('backfill', () => {
  const from = '2026-11-22T10:00:00Z';
  const to = '2026-11-22T11:00:00Z';

  it('--dry-run lists the ticks of the window with their ledger status', async () => {
    await aws.putRun({ task: 'refresh-exchange-rates', id: '2026-11-22T10:15:00Z', status: 'succeeded', startedAt: new Date('2026-11-22T10:15:01Z'), source: 'schedule' });
    const ticks = json<Array<{ at: string; id: string; ledger?: string; send: boolean }>>((await cli('backfill', 'refresh-exchange-rates', '--from', from, '--to', to, '--dry-run', '--json')).stdout);
    expect(ticks.map((t) => t.id)).toEqual(['2026-11-22T10:00:00Z', '2026-11-22T10:15:00Z', '2026-11-22T10:30:00Z', '2026-11-22T10:45:00Z', '2026-11-22T11:00:00Z']);
    expect(ticks.filter((t) => !t.send).map((t) => [t.id, t.ledger])).toEqual([['2026-11-22T10:15:00Z', 'succeeded']]);
    expect(await aws.queueDepth(aws.config.gates['rates-api']!.queueUrl)).toMatchObject({ visible: 0 });
  });

  it('sends what the schedule would have sent for each tick not yet run', async () => {
    const result = await cli('backfill', 'refresh-exchange-rates', '--from', from, '--to', to, '--rate', '100/s');
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('sent 4 of 4 tick(s) of refresh-exchange-rates to gate rates-api (1 already in the ledger, not sent)');
    const bodies = (await drain(aws.config.gates['rates-api']!.queueUrl)).map((m) => JSON.parse(m.Body!) as Record<string, unknown>);
    expect(bodies.map((b) => b.id).sort()).toEqual(['2026-11-22T10:00:00Z', '2026-11-22T10:30:00Z', '2026-11-22T10:45:00Z', '2026-11-22T11:00:00Z']);
    expect(bodies[0]).toEqual({ task: 'refresh-exchange-rates', payload: { currencies: ['EUR', 'USD', 'CHF'] }, id: bodies[0]!.id, scheduledAt: bodies[0]!.id, source: 'manual' });
  });

  it('without --rate waits while the gate queue holds more than 10 x its concurrency', async () => {
    const queueUrl = aws.config.gates['rates-api']!.queueUrl;
    for (let i = 0; i < 21; i++) await aws.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `{"task":"refresh-exchange-rates","id":"b${i}"}`, MessageGroupId: 'rates-api' }));
    const child = spawnCli(['backfill', 'refresh-exchange-rates', '--from', '2026-11-23T10:00:00Z', '--to', '2026-11-23T10:30:00Z'], { cwd: aws.dir });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise((r) => setTimeout(r, 4000));
    // Held back: nothing sent while 21 > 10 x 1 wait.
    expect(stdout).toBe('');
    expect((await aws.queueDepth(queueUrl)).visible).toBe(21);
    const waiting = await drain(queueUrl);
    expect(waiting).toHaveLength(21);
    expect(await exited).toBe(0);
    expect(stdout).toContain('sent 3 of 3 tick(s)');
    expect((await drain(queueUrl)).map((m) => (JSON.parse(m.Body!) as { id: string }).id).sort()).toEqual(['2026-11-23T10:00:00Z', '2026-11-23T10:15:00Z', '2026-11-23T10:30:00Z']);
  });

  it('refuses an inverted window and an unknown schedule name', async () => {
    expectOneLineError(await cli('backfill', 'refresh-exchange-rates', '--from', to, '--to', from), /is after --to/);
    expectOneLineError(await cli('backfill', 'refresh-exchange-rates', '--from', from, '--to', to, '--schedule', 'hourly'), /has no schedule named "hourly"; its schedules: refresh-exchange-rates/);
  });
});

describe('errors a user must get clearly', () => {
  it('no embedded runtime: no local.json, or one whose servers are gone', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-empty-'));
    expectOneLineError(await runCli(['status'], { cwd: empty }), /no target: no embedded runtime running here .*npm start.*--stack NAME/);
    expectOneLineError(await runCli(['status', '--local'], { cwd: empty }), /no embedded runtime running \(no .taskgate\/local.json found\); start it with npm start/);
    const stale = path.join(empty, 'stale.json');
    fs.writeFileSync(stale, JSON.stringify({ ...aws.config, sqsEndpoint: 'http://127.0.0.1:9', dynamodbEndpoint: 'http://127.0.0.1:9', ui: 'http://127.0.0.1:9' }));
    expectOneLineError(await runCli(['status', '--local-config', stale], { cwd: empty }), /no embedded runtime is answering \(ECONNREFUSED/);
    expectOneLineError(await runCli(['schedules'], { cwd: empty, env: { TASKGATE_LOCAL_CONFIG: stale } }), /no embedded runtime is answering at http:\/\/127.0.0.1:9/);
    fs.rmSync(empty, { recursive: true, force: true });
  });

  it('a queue that does not exist', async () => {
    const file = path.join(aws.dir, 'missing-queue.json');
    const gone = aws.config.gates.default!.queueUrl.replace('default-tasks', 'gone-tasks');
    fs.writeFileSync(file, JSON.stringify({ ...aws.config, gates: { ...aws.config.gates, default: { ...aws.config.gates.default, queueUrl: gone } } }));
    expectOneLineError(await runCli(['trigger', 'cleanup-stray-instances', '--local-config', file], { cwd: aws.dir }), /queue .*gone-tasks does not exist in the embedded runtime/);
  });

  it('no AWS credentials for --stack', async () => {
    expectOneLineError(await cli('status', '--stack', 'Taskgate', '--region', 'eu-west-1'), /no AWS credentials found; set AWS_PROFILE/);
  });
});
