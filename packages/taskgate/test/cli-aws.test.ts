import {
  CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { DescribeRuleCommand, DisableRuleCommand, EnableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, ListMessageMoveTasksCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { redrive } from '../src/cli/dead-letters';
import { CliError } from '../src/cli/errors';
import { explain } from '../src/cli/aws-errors';
import { buildProgram } from '../src/cli/program';
import { resolveTarget } from '../src/cli/target';
import { CliFixtureStack } from './fixtures/app/cli-stack';
import { gateOutputKey, OUTPUT_KEYS } from '../src/core/outputs';
import { templateOf, testApp } from './helpers/synth';

// The AWS-only calls, against aws-sdk-client-mock: stack outputs and template, message move tasks,
// EventBridge rules, Scheduler schedules, CloudWatch. The embedded-server paths are in cli.test.ts.
const cloudformation = mockClient(CloudFormationClient);
const sqs = mockClient(SQSClient);
const events = mockClient(EventBridgeClient);
const scheduler = mockClient(SchedulerClient);
const cloudwatch = mockClient(CloudWatchClient);

const app = testApp();
const stack = new CliFixtureStack(app, 'Taskgate');
const template = templateOf(stack).toJSON() as { Resources: Record<string, { Type: string; Metadata?: Record<string, unknown> }> };
const logicalIdOf = (type: string, schedule: string) =>
  Object.entries(template.Resources).find(([, r]) => r.Type === type && r.Metadata?.['taskgate:schedule'] === schedule)![0];
const account = '123456789012';
const url = (name: string) => `https://sqs.eu-west-1.amazonaws.com/${account}/${name}`;
const gates = ['default', 'email-api', 'rates-api'];
const outputs = [
  ...gates.flatMap((gate) => [
    { OutputKey: gateOutputKey(gate, 'QueueUrl'), OutputValue: url(`${gate}-tasks`) },
    { OutputKey: gateOutputKey(gate, 'DeadLetterQueueUrl'), OutputValue: url(`${gate}-dlq`) },
  ]),
  { OutputKey: OUTPUT_KEYS.ledgerTable, OutputValue: 'Taskgate-Ledger' },
  { OutputKey: OUTPUT_KEYS.onceScheduleRoleArn, OutputValue: `arn:aws:iam::${account}:role/once` },
  { OutputKey: OUTPUT_KEYS.scheduleGroup, OutputValue: 'taskgate-once' },
  { OutputKey: OUTPUT_KEYS.dynamicScheduleGroup, OutputValue: 'taskgate-dynamic' },
  { OutputKey: OUTPUT_KEYS.dynamicScheduleRoleArn, OutputValue: `arn:aws:iam::${account}:role/dynamic` },
];
const ruleId = logicalIdOf('AWS::Events::Rule', 'refresh-exchange-rates');
const scheduleId = logicalIdOf('AWS::Scheduler::Schedule', 'send-delivery-reminders');
// The app's schedules live in its own Scheduler group, named in the template.
const groupName = (template.Resources[scheduleId] as { Properties?: { GroupName?: string } }).Properties!.GroupName!;

beforeEach(() => {
  for (const mock of [cloudformation, sqs, events, scheduler, cloudwatch]) mock.reset();
  cloudformation.on(DescribeStacksCommand, { StackName: 'Taskgate' }).resolves({ Stacks: [{ StackName: 'Taskgate', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: outputs }] });
  cloudformation.on(GetTemplateCommand).resolves({ TemplateBody: JSON.stringify(template) });
  scheduler.on(ListSchedulesCommand).resolves({ Schedules: [] });
  cloudformation.on(ListStackResourcesCommand).resolves({
    StackResourceSummaries: [
      { LogicalResourceId: ruleId, PhysicalResourceId: 'Taskgate-RatesRule-ABC', ResourceType: 'AWS::Events::Rule', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date() },
      { LogicalResourceId: scheduleId, PhysicalResourceId: 'Taskgate-Reminders-XYZ', ResourceType: 'AWS::Scheduler::Schedule', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date() },
    ],
  });
  sqs.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string; AttributeNames?: string[] }) => ({
    Attributes: input.AttributeNames?.includes('QueueArn')
      ? { QueueArn: `arn:aws:sqs:eu-west-1:${account}:${input.QueueUrl.split('/').pop()}` }
      : { ApproximateNumberOfMessages: '30', ApproximateNumberOfMessagesNotVisible: '2', ApproximateNumberOfMessagesDelayed: '0' },
  }));
});

let output: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  output = [];
});
async function run(...args: string[]): Promise<string> {
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => void output.push(String(line)));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (output.push(String(chunk)), true));
  await buildProgram().parseAsync(['node', 'taskgate', ...args, '--stack', 'Taskgate', '--region', 'eu-west-1']);
  return output.join('\n');
}

describe('--stack', () => {
  it('finds every gate, its queues and concurrency, and the ledger from the outputs and the template', async () => {
    const target = await resolveTarget({ stack: 'Taskgate', region: 'eu-west-1' });
    expect([...target.gates.values()]).toEqual([
      { name: 'default', queueUrl: url('default-tasks'), dlqUrl: url('default-dlq'), concurrency: 5, maxMessageAgeSeconds: 900 },
      { name: 'email-api', queueUrl: url('email-api-tasks'), dlqUrl: url('email-api-dlq'), concurrency: 2, maxMessageAgeSeconds: 900 },
      { name: 'rates-api', queueUrl: url('rates-api-tasks'), dlqUrl: url('rates-api-dlq'), concurrency: 1, maxMessageAgeSeconds: 900 },
    ]);
    expect(target.ledgerTable()).toBe('Taskgate-Ledger');
    expect(target.gateOfTask('send-delivery-reminders').name).toBe('email-api');
    expect(target.messageMoveTasks).toBe(true);
  });

  it('says when the stack does not exist, and when an output is missing', async () => {
    cloudformation.on(DescribeStacksCommand, { StackName: 'Nope' }).rejects(Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }));
    await expect(resolveTarget({ stack: 'Nope', region: 'eu-west-1' })).rejects.toThrow(
      new CliError('stack Nope not found in eu-west-1; check --stack and AWS_REGION (aws cloudformation list-stacks), or deploy it with npx cdk deploy'),
    );
    cloudformation.on(DescribeStacksCommand, { StackName: 'Taskgate' }).resolves({ Stacks: [{ StackName: 'Taskgate', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: outputs.slice(0, 6) }] });
    const target = await resolveTarget({ stack: 'Taskgate', region: 'eu-west-1' });
    expect(() => target.ledgerTable()).toThrow(/stack Taskgate has no output TaskgateLedgerTable \(the run ledger table\); redeploy/);
  });

  it('explains missing credentials and unknown queues in one line', () => {
    const context = { kind: 'aws', label: 'stack Taskgate in eu-west-1' } as const;
    expect((explain(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), context) as Error).message).toMatch(/^no AWS credentials found/);
    expect((explain(Object.assign(new Error('The specified queue does not exist.'), { name: 'QueueDoesNotExist' }), context, { QueueUrl: url('x') }) as Error).message).toBe(
      `queue ${url('x')} does not exist in stack Taskgate in eu-west-1; check --stack and the region, or redeploy the stack`,
    );
    const bug = new TypeError('x is undefined');
    expect(explain(bug, context)).toBe(bug);
  });
});

describe('schedules on AWS', () => {
  it('pause and resume a rule with DisableRule and EnableRule by its physical name', async () => {
    expect(await run('pause', 'refresh-exchange-rates')).toContain('schedule refresh-exchange-rates is paused');
    expect(events.commandCalls(DisableRuleCommand)[0]!.args[0].input).toEqual({ Name: 'Taskgate-RatesRule-ABC' });
    await run('resume', 'refresh-exchange-rates');
    expect(events.commandCalls(EnableRuleCommand)[0]!.args[0].input).toEqual({ Name: 'Taskgate-RatesRule-ABC' });
  });

  it('pause a Scheduler schedule with UpdateSchedule, sending back every field GetSchedule returned', async () => {
    const current = {
      Name: 'Taskgate-Reminders-XYZ',
      GroupName: groupName,
      Arn: `arn:aws:scheduler:eu-west-1:${account}:schedule/${groupName}/Taskgate-Reminders-XYZ`,
      ScheduleExpression: 'cron(0 9 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      Description: 'taskgate: send-delivery-reminders',
      State: 'ENABLED' as const,
      StartDate: new Date('2026-01-01T00:00:00Z'),
      KmsKeyArn: `arn:aws:kms:eu-west-1:${account}:key/k`,
      FlexibleTimeWindow: { Mode: 'FLEXIBLE' as const, MaximumWindowInMinutes: 5 },
      ActionAfterCompletion: 'NONE' as const,
      Target: { Arn: 'arn:aws:sqs:eu-west-1:123456789012:email-api-tasks', RoleArn: 'arn:aws:iam::123456789012:role/s', Input: '{"task":"send-delivery-reminders"}', RetryPolicy: { MaximumRetryAttempts: 3 } },
    };
    scheduler.on(GetScheduleCommand).resolves(current);
    await run('pause', 'send-delivery-reminders');
    expect(scheduler.commandCalls(GetScheduleCommand)[0]!.args[0].input).toEqual({ Name: 'Taskgate-Reminders-XYZ', GroupName: groupName });
    expect(typeof groupName).toBe('string');
    const { Arn: _arn, ...fields } = current;
    expect(scheduler.commandCalls(UpdateScheduleCommand)[0]!.args[0].input).toEqual({ ...fields, State: 'DISABLED', EndDate: undefined });
  });

  it('lists rules and schedules with their live state', async () => {
    events.on(DescribeRuleCommand).resolves({ State: 'DISABLED' });
    scheduler.on(GetScheduleCommand).resolves({ State: 'ENABLED' });
    cloudformation.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: Object.entries(template.Resources)
        .filter(([, r]) => r.Metadata?.['taskgate:schedule'])
        .map(([id]) => ({ LogicalResourceId: id, PhysicalResourceId: `phys-${id}`, ResourceType: 'x', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date() })),
    });
    const rows = JSON.parse(await run('schedules', '--json')) as Array<{ name: string; kind: string; enabled: boolean; next: string[]; description: string }>;
    expect(rows.map((r) => [r.name, r.kind, r.enabled])).toEqual([
      ['cleanup-stray-instances', 'rule', false],
      ['refresh-exchange-rates', 'rule', false],
      ['send-delivery-reminders', 'schedule', true],
    ]);
    expect(rows[2]!.next).toHaveLength(3);
  });
});

describe('trigger --at on AWS', () => {
  it('creates a one-time Scheduler schedule in the group, deleted after it fires, targeting the gate queue', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
    const printed = await run('trigger', 'send-delivery-reminders', '--payload', '{"market":"at"}', '--at', '2026-12-24T18:00:00Z', '--id', 'xmas');
    const input = scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      GroupName: 'taskgate-once',
      ScheduleExpression: 'at(2026-12-24T18:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: `arn:aws:sqs:eu-west-1:${account}:email-api-tasks`, RoleArn: `arn:aws:iam::${account}:role/once` },
    });
    expect(JSON.parse(input.Target!.Input!)).toEqual({ task: 'send-delivery-reminders', payload: { market: 'at' }, id: 'xmas', scheduledAt: '2026-12-24T18:00:00.000Z', source: 'once' });
    // Named from the run id, so a retried trigger with the same --id names the same schedule.
    expect(input.Name).toMatch(/^taskgate-send-delivery-reminders-[0-9a-f]{24}$/);
    expect(printed).toContain(`scheduled send-delivery-reminders to gate email-api for 2026-12-24 18:00:00Z: run id xmas, schedule ${input.Name}`);
  });
});

describe('redrive and status on AWS', () => {
  it('redrive uses an SQS message move task at the rate and reports its progress', async () => {
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'handle-1' });
    sqs
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [{ TaskHandle: 'handle-1', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 10 }] })
      .resolves({ Results: [{ TaskHandle: 'handle-1', Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 10, ApproximateNumberOfMessagesToMove: 10 }] });
    const progress: number[] = [];
    const result = await redrive(new SQSClient({ region: 'eu-west-1' }), url('email-api-dlq'), url('email-api-tasks'), {
      moveTasks: true,
      rate: 5,
      pollIntervalMs: 1,
      onProgress: (moved) => progress.push(moved),
    });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]!.args[0].input).toEqual({
      SourceArn: `arn:aws:sqs:eu-west-1:${account}:email-api-dlq`,
      DestinationArn: `arn:aws:sqs:eu-west-1:${account}:email-api-tasks`,
      MaxNumberOfMessagesPerSecond: 5,
    });
    expect(progress).toEqual([3, 10]);
    expect(result).toEqual({ moved: 10, total: 10, refused: [], interrupted: false, method: 'message-move-task' });
  });

  it('status reads the age of the oldest message from CloudWatch', async () => {
    // One call for every gate: an age and a backlog series per queue, each answered under its query's id.
    cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: input.MetricDataQueries!.map((query) => ({ Id: query.Id, Timestamps: [new Date()], Values: [query.MetricStat!.Metric!.MetricName === 'ApproximateAgeOfOldestMessage' ? 42 : 3] })),
    }));
    const rows = JSON.parse(await run('status', '--json')) as Array<{ gate: string; oldestAgeSeconds: number; buildingUp: boolean; deadLetters: number }>;
    expect(rows.find((r) => r.gate === 'email-api')).toMatchObject({ oldestAgeSeconds: 42, buildingUp: true, deadLetters: 32 });
    expect(rows.find((r) => r.gate === 'default')).toMatchObject({ buildingUp: false });
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(1);
    const query = cloudwatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries![0]!;
    expect(query.MetricStat!.Metric).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage' });
  });
});

describe('schedules created at run time on AWS', () => {
  const dynamicArn = (name: string) => `arn:aws:scheduler:eu-west-1:${account}:schedule/taskgate-dynamic/${name}`;
  /** Scheduler as it answers for what was created: GetSchedule returns the last CreateSchedule's input. */
  function schedulerKeepsWhatIsCreated(): void {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
    scheduler.on(GetScheduleCommand, { GroupName: 'taskgate-dynamic' }).callsFake((input: { Name: string }) => {
      const created = scheduler.commandCalls(CreateScheduleCommand).map((call) => call.args[0].input).find((c) => c.Name === input.Name)!;
      return { ...created, Arn: dynamicArn(input.Name), CreationDate: new Date(), LastModificationDate: new Date() };
    });
  }

  it('schedules create: CreateSchedule in the dynamic group, in its zone, targeting the gate queue as the dynamic role, the input the stack\'s tick template with the name in the run id', async () => {
    schedulerKeepsWhatIsCreated();
    const printed = await run('schedules', 'create', 'customer-42-reminders', '--task', 'send-delivery-reminders', '--expression', 'cron(0 9 ? * MON-FRI *)', '--timezone', 'Europe/Berlin', '--payload', '{"market":"de"}');
    expect(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input).toEqual({
      Name: 'customer-42-reminders',
      GroupName: 'taskgate-dynamic',
      ScheduleExpression: 'cron(0 9 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      ActionAfterCompletion: 'NONE',
      Description: 'taskgate: run-time schedule of task send-delivery-reminders',
      Target: {
        Arn: `arn:aws:sqs:eu-west-1:${account}:email-api-tasks`,
        RoleArn: `arn:aws:iam::${account}:role/dynamic`,
        Input: '{"task":"send-delivery-reminders","payload":{"market":"de"},"id":"customer-42-reminders@<aws.scheduler.scheduled-time>","scheduledAt":"<aws.scheduler.scheduled-time>","source":"schedule"}',
      },
    });
    expect(printed).toMatch(/created schedule customer-42-reminders \(created at run time, group taskgate-dynamic\): task send-delivery-reminders, cron\(0 9 \? \* MON-FRI \*\) Europe\/Berlin, next /);
  });

  it('a one-time at() deletes itself after it fires; --replace updates a taken name', async () => {
    schedulerKeepsWhatIsCreated();
    await run('schedules', 'create', 'rates-once', '--task', 'refresh-exchange-rates', '--expression', 'at(2099-01-01T06:00:00)', '--timezone', 'Asia/Tokyo');
    expect(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input).toMatchObject({
      ScheduleExpression: 'at(2099-01-01T06:00:00)',
      ScheduleExpressionTimezone: 'Asia/Tokyo',
      ActionAfterCompletion: 'DELETE',
      Target: { Arn: `arn:aws:sqs:eu-west-1:${account}:rates-api-tasks` },
    });
    scheduler.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'Schedule rates-once already exists.', Message: 'Schedule rates-once already exists.', $metadata: {} }));
    await expect(run('schedules', 'create', 'rates-once', '--task', 'refresh-exchange-rates', '--expression', 'rate(1 day)')).rejects.toThrow(
      new CliError('a schedule named rates-once exists already in group taskgate-dynamic; delete it first, or replace it (PUT replaces; the CLI takes --replace)'),
    );
    scheduler.on(GetScheduleCommand, { GroupName: 'taskgate-dynamic' }).resolves({ Name: 'rates-once', GroupName: 'taskgate-dynamic', ScheduleExpression: 'rate(1 day)', State: 'ENABLED' });
    await run('schedules', 'create', 'rates-once', '--task', 'refresh-exchange-rates', '--expression', 'rate(1 day)', '--replace');
    expect(scheduler.commandCalls(UpdateScheduleCommand)[0]!.args[0].input).toMatchObject({ Name: 'rates-once', GroupName: 'taskgate-dynamic', ScheduleExpression: 'rate(1 day)' });
  });

  it('refuses a bad expression, zone, payload, task or name before anything is sent, in one line with the fix', async () => {
    const attempt = (...args: string[]) => run('schedules', 'create', ...args).then(() => 'no error', (error: Error) => error.message);
    expect(await attempt('bad-cron', '--task', 'cleanup-stray-instances', '--expression', 'cron(0 9 * * MON-FRI *)')).toBe("cron(0 9 * * MON-FRI *) sets day-of-week, so day-of-month must be '?': cron(0 9 ? * MON-FRI *)");
    expect(await attempt('bad-zone', '--task', 'cleanup-stray-instances', '--expression', 'rate(1 hour)', '--timezone', 'Europe/Berlín')).toMatch(/Europe\/Berlín/);
    expect(await attempt('bad-payload', '--task', 'send-delivery-reminders', '--expression', 'rate(1 hour)', '--payload', '{"market":"fr"}')).toMatch(/market/);
    expect(await attempt('bad-task', '--task', 'send-delivery-reminder', '--expression', 'rate(1 hour)')).toMatch(/did you mean "send-delivery-reminders"/);
    expect(await attempt('bad name', '--task', 'cleanup-stray-instances', '--expression', 'rate(1 hour)')).toMatch(/must be 1 to 64 of 0-9, a-z/);
    expect(await attempt('send-delivery-reminders', '--task', 'cleanup-stray-instances', '--expression', 'rate(1 hour)')).toMatch(/is a schedule of the stack/);
    expect(scheduler.commandCalls(CreateScheduleCommand)).toEqual([]);
  });

  it('lists them beside the stack\'s, marked; pause, resume and delete them in their group', async () => {
    events.on(DescribeRuleCommand).resolves({ State: 'ENABLED' });
    scheduler.on(GetScheduleCommand).resolves({ State: 'ENABLED' });
    cloudformation.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: Object.entries(template.Resources)
        .filter(([, r]) => r.Metadata?.['taskgate:schedule'])
        .map(([id]) => ({ LogicalResourceId: id, PhysicalResourceId: `phys-${id}`, ResourceType: 'x', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date() })),
    });
    scheduler.on(ListSchedulesCommand, { GroupName: 'taskgate-dynamic' }).resolves({ Schedules: [{ Name: 'customer-7' }] });
    const dynamic = {
      Name: 'customer-7',
      GroupName: 'taskgate-dynamic',
      Arn: dynamicArn('customer-7'),
      ScheduleExpression: 'rate(1 day)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED' as const,
      FlexibleTimeWindow: { Mode: 'OFF' as const },
      Target: { Arn: 'q', RoleArn: 'r', Input: '{"task":"cleanup-stray-instances","payload":{},"id":"customer-7@<aws.scheduler.scheduled-time>"}' },
    };
    scheduler.on(GetScheduleCommand, { GroupName: 'taskgate-dynamic' }).resolves(dynamic);
    const rows = JSON.parse(await run('schedules', '--json')) as Array<{ name: string; task: string; createdAtRunTime?: boolean; next: string[] }>;
    expect(rows.map((r) => [r.name, r.createdAtRunTime ?? false])).toEqual([
      ['cleanup-stray-instances', false],
      ['refresh-exchange-rates', false],
      ['send-delivery-reminders', false],
      ['customer-7', true],
    ]);
    expect(rows[3]).toMatchObject({ task: 'cleanup-stray-instances', next: expect.arrayContaining([expect.any(String)]) });

    output = [];
    expect(await run('pause', 'customer-7')).toContain('schedule customer-7 is paused');
    const { Arn: _arn, ...fields } = dynamic;
    expect(scheduler.commandCalls(UpdateScheduleCommand)[0]!.args[0].input).toMatchObject({ ...fields, State: 'DISABLED' });
    await run('schedules', 'delete', 'customer-7');
    expect(scheduler.commandCalls(DeleteScheduleCommand)[0]!.args[0].input).toEqual({ Name: 'customer-7', GroupName: 'taskgate-dynamic' });
  });
});
