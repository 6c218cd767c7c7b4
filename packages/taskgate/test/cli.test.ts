import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Message, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { DynamoLedger } from '../src/worker/ledger/dynamo-ledger';
import type { RunRecord } from '../src/worker/ledger/record';
import { TaskRegistry } from '../src/core/registry';
import { tasks } from './fixtures/app/cli-tasks';
import { Triggers } from '../src/worker/triggers';
import { Worker } from '../src/worker/worker';
import { expectOneLineError, json, useCliFixture } from './helpers/cli-fixture';
import { runCli, spawnCli } from './helpers/run-cli';

// The CLI runs as a subprocess against real embedded SQS (fauxqs) and DynamoDB (dynalite) servers,
// found through a .taskgate/local.json in its working directory, as `npm start` writes it.
const fixture = useCliFixture();
const cli = (...args: string[]) => fixture.cli(...args);

function toRecord(message: Message, gate: string): SQSRecord {
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body!,
    attributes: message.Attributes as unknown as SQSRecord['attributes'],
    messageAttributes: {},
    md5OfBody: message.MD5OfBody!,
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${gate}-tasks`,
    awsRegion: 'us-east-1',
  };
}

/** The gate's worker, on the embedded servers, processing messages received from the gate's queue. */
async function runWorker(gate: string, messages: readonly Message[]): Promise<void> {
  const { config } = fixture.aws;
  const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
  const sqs = new SQSClient({ region: 'us-east-1', endpoint: config.sqsEndpoint, credentials });
  const registry = new TaskRegistry(tasks);
  const worker = new Worker({
    registry,
    gate,
    queueUrl: config.gates[gate]!.queueUrl,
    deadLetterQueueUrl: config.gates[gate]!.dlqUrl,
    sqs,
    ledger: new DynamoLedger(new DynamoDBClient({ region: 'us-east-1', endpoint: config.dynamodbEndpoint, credentials }), config.ledgerTable, 30),
    triggers: new Triggers({ registry, sqs, queues: {} }),
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  const batch = await worker.processBatch(messages.map((message) => toRecord(message, gate)));
  expect(batch.response.batchItemFailures).toEqual([]);
}

describe('tasks', () => {
  it("lists the app's tasks from the template the runtime synthesized, with their payload schemas", async () => {
    const rows = json<Array<{ name: string; gate: string; timeoutSeconds: number; payload: { properties: Record<string, unknown>; required?: string[] } }>>(
      (await cli('tasks', '--json')).stdout,
    );
    expect(rows.map((row) => [row.name, row.gate, row.timeoutSeconds])).toEqual([
      ['cleanup-stray-instances', 'default', 120],
      ['send-delivery-reminders', 'email-api', 300],
      ['refresh-exchange-rates', 'rates-api', 30],
    ]);
    const reminders = rows.find((row) => row.name === 'send-delivery-reminders')!;
    expect(reminders.payload.properties.market).toEqual({ type: 'string', enum: ['de', 'at', 'ch'] });
    expect(reminders.payload.required).toEqual(['market']);
    expect(rows.find((row) => row.name === 'cleanup-stray-instances')!.payload.properties.olderThanHours).toMatchObject({ type: 'integer', exclusiveMinimum: 0 });
  });

  it('summarizes each payload field readably, without JSON Schema', async () => {
    const { stdout, code } = await cli('tasks');
    expect(code).toBe(0);
    expect(stdout).toContain('send-delivery-reminders  (gate email-api, timeout 300s, 5 attempts, skip if > 21600s late)');
    expect(stdout).toMatch(/PAYLOAD FIELD\s+TYPE\s+REQUIRED/);
    expect(stdout).toMatch(/olderThanHours\s+integer > 0\s+optional, default 24/);
    expect(stdout).toMatch(/daysAhead\s+integer 1\.\.14\s+optional, default 1/);
    expect(stdout).toMatch(/market\s+"de" \| "at" \| "ch"\s+required/);
    expect(stdout).toMatch(/currencies\s+array of string matching \^\[A-Z\]\{3\}\$\s+optional, default \["EUR","USD"\]/);
    // No JSON Schema, and no bound that is only the number type's own range.
    expect(stdout).not.toMatch(/9007199254740991|"type"|\{"/);
  });
});

describe('trigger', () => {
  it('sends the task message to the gate queue, and the run the worker makes of it shows in history', async () => {
    const result = await cli('trigger', 'send-delivery-reminders', '--payload', '{"market":"de","daysAhead":2}', '--id', 'manual-1');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('run id manual-1');
    // A command that works where the hint is read: `taskgate` alone is on no PATH in a clone.
    expect(result.stdout).toContain('follow it: npx taskgate history --task send-delivery-reminders --follow');
    const messages = await fixture.drain(fixture.aws.config.gates['email-api']!.queueUrl);
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]!.Body!)).toEqual({ task: 'send-delivery-reminders', payload: { market: 'de', daysAhead: 2 }, id: 'manual-1', source: 'manual' });
    expect(result.stdout).toContain(messages[0]!.MessageId);

    // The gate's worker, on the embedded servers, processes what the CLI sent.
    await runWorker('email-api', messages);

    const history = await cli('history', '--task', 'send-delivery-reminders', '--json');
    const runs = json<RunRecord[]>(history.stdout);
    expect(runs.map((run) => [run.id, run.status, run.source])).toEqual([['manual-1', 'succeeded', 'manual']]);
    const table = await cli('history', '--task', 'send-delivery-reminders');
    expect(table.stdout).toMatch(/manual-1\s+succeeded\s+1/);
  });

  it('reads the payload from @file and gives each trigger its own run id', async () => {
    const file = path.join(fixture.aws.dir, 'payload.json');
    fs.writeFileSync(file, '{"dryRun":false}');
    const first = await cli('trigger', 'cleanup-stray-instances', '--payload', `@${file}`, '--json');
    const second = await cli('trigger', 'cleanup-stray-instances', '--json');
    const ids = [json<{ id: string }>(first.stdout).id, json<{ id: string }>(second.stdout).id];
    expect(ids[0]).not.toBe(ids[1]);
    const bodies = (await fixture.drain(fixture.aws.config.gates.default!.queueUrl)).map((m) => JSON.parse(m.Body!) as { id: string; payload: unknown });
    expect(bodies.map((b) => b.id).sort()).toEqual([...ids].sort());
    expect(bodies.find((b) => b.id === ids[0])!.payload).toEqual({ dryRun: false });
  });

  it('--at within 15 minutes sends the message with a delay; further ahead it creates a one-time schedule at the runtime', async () => {
    const soon = await cli('trigger', 'cleanup-stray-instances', '--at', '5m');
    expect(soon.code).toBe(0);
    expect(await fixture.aws.queueDepth(fixture.aws.config.gates.default!.queueUrl)).toMatchObject({ visible: 0, delayed: 1 });
    const later = await cli('trigger', 'cleanup-stray-instances', '--at', '2h', '--id', 'later-1', '--json');
    expect(later.stderr).toBe('');
    const { scheduleName } = json<{ scheduleName: string }>(later.stdout);
    // local.json without scheduleGroup/onceScheduleRoleArn: the default group and a placeholder role.
    const schedule = fixture.once.get(scheduleName, 'default');
    expect(schedule).toMatchObject({ ScheduleExpression: expect.stringMatching(/^at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\)$/), ActionAfterCompletion: 'DELETE', State: 'ENABLED' });
    expect(schedule.Target.Arn).toMatch(/:default-tasks$/);
    expect(schedule.Target.RoleArn).toMatch(/^arn:aws:iam::000000000000:role\//);
    expect(JSON.parse(schedule.Target.Input!)).toMatchObject({ task: 'cleanup-stray-instances', id: 'later-1', source: 'once' });
    // Nothing more went to the queue.
    expect(await fixture.aws.queueDepth(fixture.aws.config.gates.default!.queueUrl)).toMatchObject({ visible: 0, delayed: 1 });
    expectOneLineError(await cli('trigger', 'cleanup-stray-instances', '--at', 'tomorrow'), /--at "tomorrow" is not a time/);
  });

  it('on a FIFO gate sends in the gate\'s one message group, and a delay is a one-time schedule in that group', async () => {
    const result = await cli('trigger', 'refresh-exchange-rates', '--payload', '{"currencies":["EUR"]}', '--id', 'fifo-trigger');
    expect(result.code).toBe(0);
    const [message] = await fixture.drain(fixture.aws.config.gates['rates-api']!.queueUrl);
    expect(message!.Attributes?.MessageGroupId).toBe('rates-api');
    expect(JSON.parse(message!.Body!)).toMatchObject({ task: 'refresh-exchange-rates', id: 'fifo-trigger' });
    const later = await cli('trigger', 'refresh-exchange-rates', '--at', '5m', '--json');
    expect(later.stderr).toBe('');
    const schedule = fixture.once.get(json<{ scheduleName: string }>(later.stdout).scheduleName, 'default');
    expect(schedule.Target.SqsParameters).toEqual({ MessageGroupId: 'rates-api' });
    expect(await fixture.aws.queueDepth(fixture.aws.config.gates['rates-api']!.queueUrl)).toMatchObject({ visible: 0, delayed: 0 });
  });

  it('a retried --at with the same --id makes one schedule, named from the run id, and says the run was scheduled before', async () => {
    const first = await cli('trigger', 'cleanup-stray-instances', '--at', '2h', '--id', 'retry-1', '--json');
    const again = await cli('trigger', 'cleanup-stray-instances', '--at', '2h', '--id', 'retry-1', '--json');
    const text = await cli('trigger', 'cleanup-stray-instances', '--at', '2h', '--id', 'retry-1');
    expect([first.code, again.code, text.code, first.stderr + again.stderr + text.stderr]).toEqual([0, 0, 0, '']);
    const [one, two] = [first, again].map((result) => json<{ scheduleName: string; alreadyScheduled?: boolean }>(result.stdout));
    expect(one!.alreadyScheduled).toBeUndefined();
    expect(two).toEqual({ ...one, alreadyScheduled: true });
    expect(text.stdout).toContain(`already scheduled by schedule ${one!.scheduleName}`);
    const runs = fixture.once.list().filter((schedule) => (JSON.parse(schedule.Target.Input!) as { id: string }).id === 'retry-1');
    expect(runs.map((schedule) => schedule.Name)).toEqual([one!.scheduleName]);
  });

  it('refuses an unknown task with the closest name, a payload that is not JSON, and one failing its schema naming the field', async () => {
    expectOneLineError(await cli('trigger', 'send-delivery-reminder'), /unknown task "send-delivery-reminder" \(did you mean "send-delivery-reminders"\?\)/);
    expectOneLineError(await cli('trigger', 'send-delivery-reminders', '--payload', '{market:de}'), /--payload is not JSON/);
    expectOneLineError(await cli('trigger', 'send-delivery-reminders', '--payload', '{"market":"fr"}'), /fails its schema: market: Invalid option: expected one of "de"\|"at"\|"ch"/);
    expectOneLineError(await cli('trigger', 'send-delivery-reminders', '--payload', '@/nonexistent/p.json'), /cannot read the payload file \/nonexistent\/p.json \(ENOENT\)/);
    // Nothing was sent.
    expect(await fixture.aws.queueDepth(fixture.aws.config.gates['email-api']!.queueUrl)).toMatchObject({ visible: 0, delayed: 0 });
  });
});

describe('history', () => {
  it('filters by status and time, and lists all tasks by day', async () => {
    const now = Date.now();
    await fixture.aws.putRun({ task: 'refresh-exchange-rates', id: 'h-old', status: 'succeeded', startedAt: new Date(now - 5 * 3600_000) });
    await fixture.aws.putRun({ task: 'refresh-exchange-rates', id: 'h-dead', status: 'dead', startedAt: new Date(now - 30 * 60_000), reason: 'task-permanent', error: 'rates API said 400' });
    await fixture.aws.putRun({ task: 'refresh-exchange-rates', id: 'h-ok', status: 'succeeded', startedAt: new Date(now - 10 * 60_000) });

    const dead = json<RunRecord[]>((await cli('history', '--task', 'refresh-exchange-rates', '--status', 'dead', '--json')).stdout);
    expect(dead.map((r) => r.id)).toEqual(['h-dead']);
    const recent = json<RunRecord[]>((await cli('history', '--task', 'refresh-exchange-rates', '--since', '2h', '--json')).stdout);
    expect(recent.map((r) => r.id)).toEqual(['h-dead', 'h-ok']);
    await fixture.aws.putRun({ task: 'cleanup-stray-instances', id: 'h-other', status: 'succeeded', startedAt: new Date(now - 60 * 60_000) });
    const all = json<RunRecord[]>((await cli('history', '--since', '6h', '--json')).stdout);
    expect(all.map((r) => r.id)).toEqual(['h-old', 'h-other', 'h-dead', 'h-ok']);
    expect(all.map((r) => r.startedAt)).toEqual([...all.map((r) => r.startedAt)].sort());
    const limited = json<RunRecord[]>((await cli('history', '--since', '6h', '--limit', '2', '--json')).stdout);
    expect(limited).toHaveLength(2);

    const table = (await cli('history', '--task', 'refresh-exchange-rates', '--status', 'dead')).stdout;
    expect(table).toMatch(/STARTED\s+TASK\s+RUN ID\s+STATUS/);
    expect(table).toMatch(/h-dead\s+dead\s+1\s+1\.5s\s+manual\s+task-permanent: rates API said 400/);
    expectOneLineError(await cli('history', '--status', 'done'), /--status "done" is not a run status; give one of running, succeeded/);
    expectOneLineError(await cli('history', '--since', 'yesterday'), /--since "yesterday" is not a time/);
  });

  it('shows a misfire once as reason and particulars, as the worker records it', async () => {
    // A scheduled tick two hours late; cleanup-stray-instances skips ticks more than an hour late.
    const scheduledAt = new Date(Date.now() - 2 * 3600_000).toISOString();
    const queueUrl = fixture.aws.config.gates.default!.queueUrl;
    await fixture.aws.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ task: 'cleanup-stray-instances', id: 'late-tick', scheduledAt, source: 'schedule' }) }));
    await runWorker('default', await fixture.drain(queueUrl));
    const [run] = json<RunRecord[]>((await cli('history', '--task', 'cleanup-stray-instances', '--json')).stdout);
    expect(run).toMatchObject({ id: 'late-tick', status: 'skipped', reason: 'misfire', error: expect.stringMatching(/^\d+s late, more than the task's misfire.maxLatenessSeconds of 3600s$/) });
    const table = (await cli('history', '--task', 'cleanup-stray-instances')).stdout;
    expect(table).toMatch(/late-tick\s+skipped\s+1\s+\S+\s+schedule\s+misfire: \d+s late, more than/);
    expect(table).not.toContain('misfire: misfire');
  });

  it('prints task names, ids and errors from messages with their control characters escaped', async () => {
    const startedAt = new Date(Date.now() - 60_000);
    // As the worker records an unknown task's dead letter: the task name and the id come from the message.
    await fixture.aws.putRun({ task: 'evil\u001b[2J', id: 'x\u001b[31mRED\u001b[2J', status: 'dead', startedAt, gate: 'default', reason: 'unknown-task', error: 'unknown task "evil\u001b[2J"\u009b1m' });
    for (const args of [['history', '--since', '1h'], ['history', '--since', '1h', '--json']]) {
      const { stdout, code } = await cli(...args);
      expect(code).toBe(0);
      expect(stdout).not.toMatch(/[\u001b\u009b]/);
    }
    const table = (await cli('history', '--since', '1h')).stdout;
    expect(table).toContain('evil\\u001b[2J');
    expect(table).toContain('x\\u001b[31mRED\\u001b[2J');
    expect(table).toContain('unknown-task: unknown task "evil\\u001b[2J"\\u009b1m');
  });

  it('--follow prints runs as they start and finish, and stops on Ctrl-C', async () => {
    const child = spawnCli(['history', '--task', 'cleanup-stray-instances', '--since', '1m', '--follow'], { cwd: fixture.aws.dir });
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
    await fixture.aws.putRun({ task: 'cleanup-stray-instances', id: 'follow-1', status: 'running', startedAt });
    await waitFor(() => /follow-1\s+running/.test(stdout));
    await fixture.aws.putRun({ task: 'cleanup-stray-instances', id: 'follow-1', status: 'succeeded', startedAt });
    await waitFor(() => /follow-1\s+succeeded/.test(stdout));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout.match(/follow-1/g)).toHaveLength(2);
  });
});

describe('status', () => {
  it('shows depths per gate and flags a gate where work builds up', async () => {
    const queueUrl = fixture.aws.config.gates['rates-api']!.queueUrl;
    for (let i = 0; i < 21; i++) await fixture.aws.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `{"task":"refresh-exchange-rates","id":"s${i}"}`, MessageGroupId: 'rates-api' }));
    const rows = json<Array<{ gate: string; visible: number; concurrency: number; buildingUp: boolean; oldestAgeSeconds: null }>>((await cli('status', '--json')).stdout);
    expect(rows.find((r) => r.gate === 'rates-api')).toMatchObject({ visible: 21, concurrency: 1, buildingUp: true, oldestAgeSeconds: null });
    expect(rows.find((r) => r.gate === 'email-api')).toMatchObject({ buildingUp: false });
    const table = (await cli('status')).stdout;
    // RATE, TOKENS 1 MIN and WAITING are '-' for a gate without a rate.
    expect(table).toMatch(/rates-api\s+21\s+0\s+0\s+0\s+0\s+-\s+1\s+-\s+-\s+-\s+building up/);
    expect(table).toContain('OLDEST: the embedded SQS server does not report it');
    // Piped output has no colors unless forced.
    expect(table).not.toContain('\u001b[');
    expect((await runCli(['status'], { cwd: fixture.aws.dir, env: { FORCE_COLOR: '1' } })).stdout).toContain('\u001b[33mbuilding up');
    await fixture.drain(queueUrl);
  });

  it("counts the messages the runtime reports in flight past their tasks' timeout", async () => {
    const gates = fixture.control.gates;
    gates.find((gate) => gate.name === 'email-api')!.stalled = 2;
    try {
      const rows = json<Array<{ gate: string; stalled: number | null }>>((await cli('status', '--json')).stdout);
      expect(Object.fromEntries(rows.map((row) => [row.gate, row.stalled]))).toEqual({ default: 0, 'email-api': 2, 'rates-api': 0 });
      const table = (await cli('status')).stdout;
      expect(table).toMatch(/GATE\s+VISIBLE\s+IN FLIGHT\s+STALLED/);
      expect(table).toMatch(/email-api\s+0\s+0\s+2\s+.*stalled: the worker has not answered/);
      expect(table).not.toMatch(/default .*stalled:/);
    } finally {
      gates.find((gate) => gate.name === 'email-api')!.stalled = 0;
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
    expect(fixture.schedules[0]!.enabled).toBe(false);
    const rows = json<Array<{ name: string; enabled: boolean; next: string[] }>>((await cli('schedules', '--json')).stdout);
    expect(rows.find((r) => r.name === 'cleanup-stray-instances')).toMatchObject({ enabled: false, next: [] });
    expect((await cli('resume', 'cleanup-stray-instances', '--json')).stdout).toContain('"enabled": true');
    expect(fixture.schedules[0]!.enabled).toBe(true);
    expectOneLineError(await cli('pause', 'cleanup-stray-instance'), /no schedule named "cleanup-stray-instance" \(did you mean "cleanup-stray-instances"\?\)/);
  });
});

describe('errors a user must get clearly', () => {
  it('no embedded runtime: no local.json, or one whose servers are gone', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-empty-'));
    expectOneLineError(await runCli(['status'], { cwd: empty }), /no target: no embedded runtime running here .*taskgate dev.*--stack NAME/);
    expectOneLineError(await runCli(['status', '--local'], { cwd: empty }), /no embedded runtime running \(no .taskgate\/local.json found\); start it with taskgate dev/);
    const stale = path.join(empty, 'stale.json');
    fs.writeFileSync(stale, JSON.stringify({ ...fixture.aws.config, sqsEndpoint: 'http://127.0.0.1:9', dynamodbEndpoint: 'http://127.0.0.1:9', ui: 'http://127.0.0.1:9' }));
    expectOneLineError(await runCli(['status', '--local-config', stale], { cwd: empty }), /no embedded runtime is answering \(ECONNREFUSED/);
    expectOneLineError(await runCli(['schedules'], { cwd: empty, env: { TASKGATE_LOCAL_CONFIG: stale } }), /no embedded runtime is answering at http:\/\/127.0.0.1:9/);
    fs.rmSync(empty, { recursive: true, force: true });
  });

  it('a queue that does not exist', async () => {
    // Beside the runtime's synthesized app (.taskgate/cdk.out), where the CLI reads the tasks from.
    const file = path.join(fixture.aws.dir, '.taskgate', 'missing-queue.json');
    const gone = fixture.aws.config.gates.default!.queueUrl.replace('default-tasks', 'gone-tasks');
    fs.writeFileSync(file, JSON.stringify({ ...fixture.aws.config, gates: { ...fixture.aws.config.gates, default: { ...fixture.aws.config.gates.default, queueUrl: gone } } }));
    expectOneLineError(await runCli(['trigger', 'cleanup-stray-instances', '--local-config', file], { cwd: fixture.aws.dir }), /queue .*gone-tasks does not exist in the embedded runtime/);
  });

  it('no AWS credentials for --stack', async () => {
    expectOneLineError(await cli('status', '--stack', 'Taskgate', '--region', 'eu-west-1'), /no AWS credentials found; set AWS_PROFILE/);
  });
});
