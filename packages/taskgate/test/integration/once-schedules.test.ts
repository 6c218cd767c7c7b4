import { GetItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_SCHEMA, runKey } from '../../src/worker/ledger/record';
import { dynamoClient, sqsClient } from '../helpers/local-servers';
import { taskgateDev, waitFor, type TaskgateDev } from '../helpers/taskgate-dev';
import { runCli, ROOT } from '../helpers/run-cli';

/** At this speed a run one hour ahead fires five seconds after its schedule is made. */
const SPEED = 720;
const HOUR = 3_600_000;

/** `at(...)` of an instant, whole seconds, UTC (as the worker and the CLI write it). */
const atOf = (date: Date) => `at(${date.toISOString().slice(0, 19)})`;

describe('one-time EventBridge Scheduler schedules on the embedded runtime', () => {
  let app: TaskgateDev;
  let sqs: SQSClient;
  let dynamo: DynamoDBClient;
  let scheduler: SchedulerClient;
  let queueArn: (gate: string) => Promise<string>;

  beforeAll(async () => {
    // Paused: at this speed the fixture's rate(1 minute) would tick every 83 ms.
    app = await taskgateDev(['--speed', String(SPEED), '--paused']);
    sqs = sqsClient(app.config.sqsEndpoint);
    dynamo = dynamoClient(app.config.dynamodbEndpoint);
    // As a worker or the CLI reaches it: the Scheduler endpoint is the runtime's `ui`.
    scheduler = new SchedulerClient({ endpoint: app.config.ui, region: app.config.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
    queueArn = async (gate) =>
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: app.config.gates[gate]!.queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  }, 120_000);
  afterAll(async () => {
    sqs?.destroy();
    dynamo?.destroy();
    scheduler?.destroy();
    await app?.dispose();
  });

  const ledgerItem = (task: string, id: string) =>
    waitFor(`the run ${task}/${id} in the ledger`, async () => {
      const { Item } = await dynamo.send(new GetItemCommand({ TableName: app.config.ledgerTable, Key: { [LEDGER_SCHEMA.partitionKey]: { S: runKey(task, id) } } }));
      return Item?.status?.S === 'succeeded' ? Item : undefined;
    });

  async function onceInput(name: string, id: string, at: Date, extra: Partial<CreateScheduleCommandInput> = {}): Promise<CreateScheduleCommandInput> {
    return {
      Name: name,
      ScheduleExpression: atOf(at),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: await queueArn('default'),
        RoleArn: app.config.onceScheduleRoleArn!,
        Input: JSON.stringify({ task: 'fixture-fast', payload: { n: 1 }, id, scheduledAt: at.toISOString(), source: 'once' }),
      },
      ...extra,
    };
  }

  it.concurrent('CreateSchedule an hour ahead: the message reaches the queue at the sped-up time, the run is recorded, the schedule deletes itself', async () => {
    const t0 = Date.now();
    const at = new Date(Math.floor((t0 + HOUR) / 1000) * 1000);
    const { ScheduleArn } = await scheduler.send(new CreateScheduleCommand(await onceInput('api-once', 'api-once-1', at)));
    expect(ScheduleArn).toBe(`arn:aws:scheduler:${app.config.region}:000000000000:schedule/default/api-once`);

    const got = await scheduler.send(new GetScheduleCommand({ Name: 'api-once' }));
    expect(got).toMatchObject({ Name: 'api-once', GroupName: 'default', ScheduleExpression: atOf(at), State: 'ENABLED', ActionAfterCompletion: 'DELETE' });
    expect(got.CreationDate).toBeInstanceOf(Date);
    expect(Math.abs(got.CreationDate!.getTime() - t0)).toBeLessThan(60_000);
    const listed = (await (await fetch(`${app.config.ui}/api/schedules`)).json()) as Array<{ name: string; oneTime?: { status: string; group: string } }>;
    expect(listed.find((s) => s.name === 'api-once')).toMatchObject({ task: 'fixture-fast', kind: 'schedule', expression: atOf(at), next: at.toISOString(), oneTime: { group: 'default', status: 'pending' } });

    const item = await ledgerItem('fixture-fast', 'api-once-1');
    expect(item.source?.S).toBe('once');
    expect(item.scheduledAt?.S).toBe(at.toISOString());
    // An hour at speed 720 is five seconds: not earlier (nor an hour later).
    expect(new Date(item.startedAt!.S!).getTime()).toBeGreaterThanOrEqual(t0 + 4_500);
    expect(app.output()).toMatch(/once api-once → TaskgateFixture-default .* fires in [45]\.\d+s \(speed 720\)/);
    expect(app.output()).toMatch(/fire api-once \(one-time\) → TaskgateFixture-default/);
    await waitFor('the schedule to delete itself', async () => {
      try {
        await scheduler.send(new GetScheduleCommand({ Name: 'api-once' }));
        return undefined;
      } catch (error) {
        return error;
      }
    }).then((error) => expect(error).toBeInstanceOf(ResourceNotFoundException));
  }, 30_000);

  it.concurrent('a task that calls scheduleOnce an hour ahead gets its run, through a schedule in the stack\'s group', async () => {
    const t0 = Date.now();
    await sqs.send(new SendMessageCommand({ QueueUrl: app.config.gates.default!.queueUrl, MessageBody: JSON.stringify({ task: 'fixture-later', payload: { inSeconds: 3600, n: 42 } }) }));
    const run = await waitFor('the run fixture-later scheduled', async () => {
      const { Items = [] } = await dynamo.send(
        new QueryCommand({
          TableName: app.config.ledgerTable,
          IndexName: LEDGER_SCHEMA.byTaskIndex,
          KeyConditionExpression: '#t = :t',
          ExpressionAttributeNames: { '#t': LEDGER_SCHEMA.byTaskPartitionKey },
          ExpressionAttributeValues: { ':t': { S: 'fixture-fast' } },
        }),
      );
      return Items.find((item) => item.source?.S === 'once' && item.id?.S?.startsWith('once-fixture-fast-') && item.status?.S === 'succeeded');
    }, 25_000);
    expect(new Date(run.startedAt!.S!).getTime()).toBeGreaterThanOrEqual(t0 + 4_500);
    expect(new Date(run.scheduledAt!.S!).getTime()).toBeGreaterThanOrEqual(t0 + HOUR - 1000);
    expect(app.output()).toContain(`fire ${app.config.scheduleGroup}/taskgate-`);
    const { Schedules = [] } = await scheduler.send(new ListSchedulesCommand({ GroupName: app.config.scheduleGroup }));
    // The CLI's one-time schedule of the concurrent test below shares the group.
    expect(Schedules.filter((schedule) => !schedule.Name?.startsWith('taskgate-fixture-serial-'))).toEqual([]);
  }, 30_000);

  it.concurrent('taskgate trigger --at 1h on a FIFO gate creates the schedule at the runtime, and it fires into the gate\'s group', async () => {
    const t0 = Date.now();
    // The CLI knows the fixture app's tasks from the template the runtime synthesized next to local.json.
    const result = await runCli(['trigger', 'fixture-serial', '--payload', '{"ms":1}', '--at', '1h', '--id', 'cli-once-1', '--json'], {
      cwd: ROOT,
      env: { TASKGATE_LOCAL_CONFIG: `${app.stateDir}/local.json` },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as { scheduleName: string };
    expect(printed).toMatchObject({ task: 'fixture-serial', gate: 'serial', id: 'cli-once-1', scheduleName: expect.stringMatching(/^taskgate-fixture-serial-/) });
    const got = await scheduler.send(new GetScheduleCommand({ Name: printed.scheduleName, GroupName: app.config.scheduleGroup }));
    expect(got.Target).toMatchObject({ RoleArn: app.config.onceScheduleRoleArn, SqsParameters: { MessageGroupId: 'serial' } });
    expect(got.Target!.Arn).toMatch(/:TaskgateFixture-serial\.fifo$/);
    const item = await ledgerItem('fixture-serial', 'cli-once-1');
    expect(item.source?.S).toBe('once');
    expect(new Date(item.startedAt!.S!).getTime()).toBeGreaterThanOrEqual(t0 + 4_500);
    await expect(scheduler.send(new GetScheduleCommand({ Name: printed.scheduleName, GroupName: app.config.scheduleGroup }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  }, 30_000);

  it('refuses a taken name with ConflictException (a retry with the same ClientToken is the same schedule), and bad input with what is wrong', async () => {
    const far = new Date(Date.now() + 10 * 365 * 24 * HOUR);
    const input = await onceInput('api-twice', 'api-twice-1', far, { ClientToken: 'token-1' });
    const { ScheduleArn } = await scheduler.send(new CreateScheduleCommand(input));
    expect((await scheduler.send(new CreateScheduleCommand(input))).ScheduleArn).toBe(ScheduleArn);
    const conflict = await scheduler.send(new CreateScheduleCommand({ ...input, ClientToken: 'token-2' })).catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(ConflictException);
    expect((conflict as Error).message).toBe('Schedule api-twice already exists.');

    const list = await scheduler.send(new ListSchedulesCommand({ NamePrefix: 'api-tw' }));
    expect(list.Schedules).toEqual([expect.objectContaining({ Name: 'api-twice', GroupName: 'default', State: 'ENABLED', Target: { Arn: input.Target!.Arn } })]);
    await scheduler.send(new DeleteScheduleCommand({ Name: 'api-twice' }));
    await expect(scheduler.send(new DeleteScheduleCommand({ Name: 'api-twice' }))).rejects.toBeInstanceOf(ResourceNotFoundException);

    const badQueue = await scheduler.send(new CreateScheduleCommand({ ...input, Name: 'bad', Target: { ...input.Target!, Arn: 'arn:aws:sqs:us-east-1:000000000000:nope' } })).catch((e: unknown) => e);
    expect(badQueue).toBeInstanceOf(ValidationException);
    expect((badQueue as Error).message).toMatch(/no queue of the embedded runtime; its queues: .*TaskgateFixture-default/);
    await expect(scheduler.send(new CreateScheduleCommand({ ...input, Name: 'bad', ScheduleExpression: 'cron(0 9 * * MON-FRI *)' }))).rejects.toThrow(/cron\(0 9 \? \* MON-FRI \*\)/);
    await expect(scheduler.send(new CreateScheduleCommand({ ...input, Name: 'bad', GroupName: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(scheduler.send(new CreateScheduleCommand({ ...input, Name: 'bad', Target: { ...input.Target!, Arn: await queueArn('serial') } }))).rejects.toThrow(
      /MessageGroupId is required: TaskgateFixture-serial.fifo is a FIFO queue/,
    );
    // An operation it does not implement answers at once, saying which it does.
    await expect(scheduler.send(new ListScheduleGroupsCommand({}))).rejects.toThrow(/GET \/schedule-groups is not an operation .* implements CreateSchedule, GetSchedule/);
  });

  it('fires an at() already past at once, and keeps the schedule as completed when ActionAfterCompletion is NONE', async () => {
    const past = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    await scheduler.send(new CreateScheduleCommand(await onceInput('api-keep', 'api-keep-1', past, { ActionAfterCompletion: 'NONE' })));
    await ledgerItem('fixture-fast', 'api-keep-1');
    expect((await scheduler.send(new GetScheduleCommand({ Name: 'api-keep' }))).ActionAfterCompletion).toBe('NONE');
    const listed = (await (await fetch(`${app.config.ui}/api/schedules`)).json()) as Array<{ name: string }>;
    expect(listed.find((s) => s.name === 'api-keep')).toMatchObject({ next: null, oneTime: { status: 'completed', actionAfterCompletion: 'NONE' } });
    // The template's schedules are listed as before, without the field.
    expect(listed.find((s) => s.name === 'fast-every-minute')).toEqual({
      name: 'fast-every-minute',
      task: 'fixture-fast',
      kind: 'rule',
      expression: 'rate(1 minute)',
      timeZone: 'UTC',
      enabled: false,
      next: null,
    });
  });
});
