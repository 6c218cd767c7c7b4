import { createHash } from 'node:crypto';
import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkTaskMessage } from '../src/core/envelope';
import { PermanentError } from '../src/core/errors';
import { gateQueue, MAX_SCHEDULE_NAME_LENGTH, nowEntry, onceScheduleName, sendTask, type SendRequest } from '../src/core/send-path';
import { tickMessage } from '../src/core/task-message';
import { SdkSendPorts, SendRefusedError } from '../src/worker/send-adapter';

// The send path against its SDK adapter, the AWS clients mocked: every way one task message goes out.
const sqs = mockClient(SQSClient);
const scheduler = mockClient(SchedulerClient);
const NOW = new Date('2026-11-22T12:00:00.000Z');
const STANDARD = gateQueue('default', 'https://sqs.eu-west-1.amazonaws.com/123456789012/app-default', 'arn:aws:sqs:eu-west-1:123456789012:app-default');
const FIFO = gateQueue('rates-api', 'https://sqs.eu-west-1.amazonaws.com/123456789012/app-rates-api.fifo', 'arn:aws:sqs:eu-west-1:123456789012:app-rates-api.fifo');
const ONCE = { group: 'app-schedules', roleArn: 'arn:aws:iam::123456789012:role/once' };
const request: SendRequest = { task: 'cleanup-stray-instances', payload: { dryRun: true }, id: 'run-1', source: 'manual' };
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function ports(): SdkSendPorts {
  return new SdkSendPorts({ sqs: new SQSClient({ region: 'eu-west-1' }), onceScheduling: () => ({ ...ONCE, scheduler: new SchedulerClient({ region: 'eu-west-1' }) }) });
}
const sent = () => sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
const created = () => scheduler.commandCalls(CreateScheduleCommand).map((call) => call.args[0].input);
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

beforeEach(() => {
  sqs.reset();
  scheduler.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/app-schedules/x' });
});

describe('the send path', () => {
  it('now: one SendMessage with the checked body in the contract order, no delay, no group', async () => {
    const result = await sendTask(request, STANDARD, ports(), NOW);
    expect(result).toEqual({ via: 'now', id: 'run-1', messageId: 'm-1' });
    expect(sent()).toEqual([{ QueueUrl: STANDARD.url, MessageBody: '{"task":"cleanup-stray-instances","payload":{"dryRun":true},"id":"run-1","source":"manual"}' }]);
    expect(created()).toEqual([]);
  });

  it('a delay of at most 15 minutes: SQS DelaySeconds on a standard queue, scheduledAt the due time', async () => {
    const result = await sendTask({ ...request, source: 'chain', delaySeconds: 900 }, STANDARD, ports(), NOW);
    expect(result.via).toBe('delay');
    const [input] = sent();
    expect(input!.DelaySeconds).toBe(900);
    expect(JSON.parse(input!.MessageBody!)).toEqual({ task: 'cleanup-stray-instances', payload: { dryRun: true }, id: 'run-1', scheduledAt: '2026-11-22T12:15:00.000Z', source: 'chain' });
    // `at` counts in whole seconds up from now.
    await sendTask({ ...request, at: new Date(NOW.getTime() + 59_001) }, STANDARD, ports(), NOW);
    expect(sent()[1]!.DelaySeconds).toBe(60);
    expect(created()).toEqual([]);
  });

  it('later than 15 minutes: a one-time at() schedule in the group, sending the same body as the role, deleted after it fires', async () => {
    const at = later(901);
    const result = await sendTask({ ...request, source: 'once', at }, STANDARD, ports(), NOW);
    const name = onceScheduleName('cleanup-stray-instances', 'run-1');
    expect(result).toEqual({ via: 'schedule', id: 'run-1', scheduleName: name, alreadyScheduled: false });
    expect(sent()).toEqual([]);
    expect(created()).toEqual([
      {
        Name: name,
        GroupName: ONCE.group,
        ScheduleExpression: 'at(2026-11-22T12:15:01)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Description: 'taskgate: once run of cleanup-stray-instances at 2026-11-22T12:15:01.000Z, run id run-1',
        Target: {
          Arn: STANDARD.arn,
          RoleArn: ONCE.roleArn,
          Input: '{"task":"cleanup-stray-instances","payload":{"dryRun":true},"id":"run-1","scheduledAt":"2026-11-22T12:15:01.000Z","source":"once"}',
        },
      },
    ]);
  });

  it('preferSchedule (the CLI on AWS): any later run is a schedule, even one SQS could delay', async () => {
    expect((await sendTask({ ...request, at: later(60), preferSchedule: true }, STANDARD, ports(), NOW)).via).toBe('schedule');
    expect((await sendTask({ ...request, preferSchedule: true }, STANDARD, ports(), NOW)).via).toBe('now');
    expect(sent()).toHaveLength(1);
  });

  it("FIFO gate: the gate's one group and a dedupe id hashed from the run id; any delay becomes a schedule in that group", async () => {
    await sendTask(request, FIFO, ports(), NOW);
    expect(sent()[0]).toMatchObject({ QueueUrl: FIFO.url, MessageGroupId: 'rates-api', MessageDeduplicationId: sha256('run-1') });
    expect(sent()[0]!.DelaySeconds).toBeUndefined();
    const result = await sendTask({ ...request, delaySeconds: 30 }, FIFO, ports(), NOW);
    expect(result.via).toBe('schedule');
    expect(sent()).toHaveLength(1);
    expect(created()[0]).toMatchObject({ ScheduleExpression: 'at(2026-11-22T12:00:30)', Target: { Arn: FIFO.arn, SqsParameters: { MessageGroupId: 'rates-api' } } });
  });

  it('a retried request names the same schedule, and a ConflictException counts as already scheduled', async () => {
    scheduler.on(CreateScheduleCommand).resolvesOnce({}).rejects(new ConflictException({ Message: 'Schedule already exists.', message: 'Schedule already exists.', $metadata: {} }));
    const first = await sendTask({ ...request, at: later(3600) }, STANDARD, ports(), NOW);
    const retry = await sendTask({ ...request, at: later(3600) }, STANDARD, ports(), later(5));
    expect(retry).toEqual({ ...first, alreadyScheduled: true });
    expect(new Set(created().map((input) => input.Name)).size).toBe(1);
    // Another run, or the same run id of another task, is another schedule.
    expect(onceScheduleName('cleanup-stray-instances', 'run-2')).not.toBe(first.scheduleName);
    expect(onceScheduleName('refresh-exchange-rates', 'run-1')).not.toBe(first.scheduleName);
  });

  it('names schedules within Scheduler\'s 64 characters of its alphabet, whatever the task and id', () => {
    const name = onceScheduleName('a'.repeat(80), `${'x'.repeat(500)} / ünïcode`);
    expect(name.length).toBeLessThanOrEqual(MAX_SCHEDULE_NAME_LENGTH);
    expect(name).toMatch(/^[0-9a-zA-Z\-_.]{1,64}$/);
  });

  it('refuses a message the worker would refuse before anything is sent', async () => {
    await expect(sendTask({ ...request, id: 'x'.repeat(513) }, STANDARD, ports(), NOW)).rejects.toThrow(PermanentError);
    await expect(sendTask({ ...request, payload: { blob: 'x'.repeat(300_000) }, at: later(3600) }, STANDARD, ports(), NOW)).rejects.toThrow(/larger than 262144 bytes/);
    expect([sent(), created()]).toEqual([[], []]);
  });

  it('a schedule without one-time scheduling configured, or without the queue ARN, is a ConfigurationError', async () => {
    const bare = new SdkSendPorts({ sqs: new SQSClient({ region: 'eu-west-1' }) });
    await expect(sendTask({ ...request, at: later(3600) }, STANDARD, bare, NOW)).rejects.toThrow(/needs a one-time EventBridge Scheduler schedule/);
    await expect(sendTask({ ...request, at: later(3600) }, gateQueue('default', STANDARD.url), ports(), NOW)).rejects.toThrow(/needs the ARN of gate default's queue/);
  });
});

describe('the SQS adapter for planned entries (backfill)', () => {
  it('sends more than one entry in batches of 10 and returns the message ids in order', async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: Array<{ Id: string }> }) => ({ Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `b-${e.Id}` })), Failed: [] }));
    const entries = Array.from({ length: 12 }, (_, n) => nowEntry({ ...request, id: `tick-${n}`, scheduledAt: `2026-11-22T${String(n).padStart(2, '0')}:00:00Z`, source: 'schedule' }, FIFO));
    const ids = await ports().sendMessages(FIFO.url, entries);
    expect(ids).toEqual([...Array.from({ length: 10 }, (_, n) => `b-${n}`), 'b-0', 'b-1']);
    const batches = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries!);
    expect(batches.map((batch) => batch.length)).toEqual([10, 2]);
    expect(batches[0]![3]).toMatchObject({ MessageGroupId: 'rates-api', MessageDeduplicationId: sha256('tick-3') });
    expect(JSON.parse(batches[0]![3]!.MessageBody!)).toMatchObject({ id: 'tick-3', scheduledAt: '2026-11-22T03:00:00Z', source: 'schedule' });
  });

  it('a batch entry the queue refuses is an error saying how many were sent', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'a', MD5OfMessageBody: '' }], Failed: [{ Id: '1', Code: 'InvalidParameterValue', Message: 'bad body', SenderFault: true }] });
    const entries = [nowEntry({ ...request, id: 'a' }, STANDARD), nowEntry({ ...request, id: 'b' }, STANDARD)];
    const error = await ports().sendMessages(STANDARD.url, entries).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendRefusedError);
    expect((error as SendRefusedError).message).toMatch(/^1 of 2 messages were refused by the queue \(InvalidParameterValue: bad body\); 1 were sent$/);
  });
});

describe('the tick message a schedule sends', () => {
  it('carries the tick placeholder as id and scheduledAt, in the contract order, and passes the contract once filled', () => {
    const message = tickMessage('refresh-exchange-rates', { currencies: ['EUR'] }, '<aws.scheduler.scheduled-time>');
    expect(JSON.stringify(message)).toBe(
      '{"task":"refresh-exchange-rates","payload":{"currencies":["EUR"]},"id":"<aws.scheduler.scheduled-time>","scheduledAt":"<aws.scheduler.scheduled-time>","source":"schedule"}',
    );
    const filled = JSON.stringify(message).replaceAll('<aws.scheduler.scheduled-time>', '2026-11-22T12:00:00Z');
    expect(checkTaskMessage(filled)).toMatchObject({ id: '2026-11-22T12:00:00Z', source: 'schedule' });
    expect(() => tickMessage('refresh-exchange-rates', { blob: 'x'.repeat(300_000) }, '<t>')).toThrow(/larger than 262144 bytes/);
  });
});
