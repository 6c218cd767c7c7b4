import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateScheduleCommand, DeleteScheduleCommand, GetScheduleCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Stack } from 'aws-cdk-lib';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { iamAction } from '../src/cli/aws-errors';
import { buildProgram } from '../src/cli/program';
import { CliFixtureStack } from './fixtures/app/cli-stack';
import { OUTPUT_KEYS } from '../src/core/outputs';
import { deploy, DEPLOYED, type DeployableTemplate, type Deployment } from './helpers/deployment';
import { isAllowed, type AccessRequest, type ResolvedStatement } from './helpers/iam';
import { scaleGateNames, scaleTasks, taskgateStack } from './helpers/apps';
import { templateOf, testApp } from './helpers/synth';

// The operator policy is checked against what the CLI really sends: every command runs against
// aws-sdk-client-mock, each SDK call is mapped to the IAM authorizations it needs (its action on
// the resource it names), and the synthesized policy, deployed on paper, must allow each one.
const STACK = 'Taskgate';

/** A stack's operator policy as deployed: every resource resolved to its ARN. */
function deployedPolicy(stack: Stack): { deployment: Deployment; document: { Version: string; Statement: ResolvedStatement[] } } {
  const deployment = deploy(templateOf(stack).toJSON() as DeployableTemplate, stack.stackName);
  const [policy] = Object.values(deployment.template.Resources!).filter((r) => r.Type === 'AWS::IAM::ManagedPolicy');
  const document = policy!.Properties!.PolicyDocument as { Version: string; Statement: Array<Record<string, unknown>> };
  const Statement = document.Statement.map((s) => ({ ...s, ...(s.Resource === undefined ? {} : { Resource: [s.Resource].flat().map(deployment.resolve) }) }));
  return { deployment, document: { ...document, Statement: Statement as unknown as ResolvedStatement[] } };
}

const { deployment, document: policy } = deployedPolicy(new CliFixtureStack(testApp(), STACK));
const statements = policy.Statement;

const mocks = {
  CloudFormationClient: mockClient(CloudFormationClient),
  SQSClient: mockClient(SQSClient),
  // The document client sends DynamoDB's own commands (BatchGet → BatchGetItem) through its client.
  DynamoDBClient: mockClient(DynamoDBDocumentClient),
  EventBridgeClient: mockClient(EventBridgeClient),
  SchedulerClient: mockClient(SchedulerClient),
  CloudWatchClient: mockClient(CloudWatchClient),
};

const queueArnOf = (url: string) => {
  const { hostname, pathname } = new URL(url);
  const [, account, name] = pathname.split('/');
  return `arn:aws:sqs:${hostname.split('.')[1]}:${account}:${name}`;
};
const arn = (service: string, resource: string) => `arn:aws:${service}:${DEPLOYED.region}:${DEPLOYED.account}:${resource}`;
/** SQS's message move task handle carries its source queue, as AWS's does (base64 JSON). */
const moveTaskHandle = (sourceArn: string) => Buffer.from(JSON.stringify({ taskId: 'task-1', sourceArn })).toString('base64');

/** The authorizations IAM makes for one SDK call: its action on what it touches, and what it implies. */
function authorizations(clientName: string, commandName: string, input: Record<string, unknown>): AccessRequest[] {
  const action = iamAction(clientName, commandName);
  const on = (resource: string, act = action): AccessRequest => ({ action: act, resource });
  switch (action) {
    case 'sqs:StartMessageMoveTask':
      // The move task receives and deletes on its source and sends to its destination as the caller.
      return [
        ...['sqs:StartMessageMoveTask', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'].map((act) => on(String(input.SourceArn), act)),
        on(String(input.DestinationArn), 'sqs:SendMessage'),
      ];
    case 'sqs:ListMessageMoveTasks':
      return [on(String(input.SourceArn))];
    case 'sqs:CancelMessageMoveTask':
      return [on((JSON.parse(Buffer.from(String(input.TaskHandle), 'base64').toString()) as { sourceArn: string }).sourceArn)];
    case 'cloudwatch:GetMetricData':
    case 'scheduler:ListSchedules':
      // Neither has resource types: IAM authorizes them on "*".
      return [on('*')];
    case 'dynamodb:BatchGetItem':
      return Object.keys(input.RequestItems as object).map((table) => on(arn('dynamodb', `table/${table}`)));
  }
  const service = action.split(':')[0];
  if (service === 'sqs') return [on(queueArnOf(String(input.QueueUrl)))];
  if (service === 'dynamodb') return [on(arn('dynamodb', `table/${input.TableName}${input.IndexName ? `/index/${input.IndexName}` : ''}`))];
  if (service === 'cloudformation') return [on(deployment.stackArn.replace(`/${STACK}/`, `/${input.StackName}/`))];
  if (service === 'events') return [on(arn('events', `rule/${input.Name}`))];
  if (service === 'scheduler') {
    const schedule = on(arn('scheduler', `schedule/${input.GroupName ?? 'default'}/${input.Name}`));
    const role = (input.Target as { RoleArn?: string } | undefined)?.RoleArn;
    // Creating or updating a schedule passes its target's role to Scheduler.
    return role ? [schedule, { action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }] : [schedule];
  }
  throw new Error(`${clientName} ${commandName}: no resource mapping; add one to authorizations()`);
}

interface Sent {
  readonly command: string;
  readonly requests: AccessRequest[];
}

/** Every SDK call the mocks received, as IAM authorizations. */
function recorded(): Sent[] {
  return Object.entries(mocks).flatMap(([clientName, mock]) =>
    mock.calls().map((call) => {
      const command = call.args[0] as { input: Record<string, unknown>; clientCommand?: object };
      const commandName = (command.clientCommand ?? command).constructor.name;
      return { command: `${clientName} ${commandName}`, requests: authorizations(clientName, commandName, command.input) };
    }),
  );
}

const groupName = deployment.outputs.find((o) => o.OutputKey === OUTPUT_KEYS.scheduleGroup)!.OutputValue;
const dynamicGroup = deployment.outputs.find((o) => o.OutputKey === OUTPUT_KEYS.dynamicScheduleGroup)!.OutputValue;
const dynamicRole = deployment.outputs.find((o) => o.OutputKey === OUTPUT_KEYS.dynamicScheduleRoleArn)!.OutputValue;
/** A schedule created at run time, as GetSchedule returns it. */
const RUN_TIME_SCHEDULE = 'customer-42-reminders';
const templateSchedule = (name: string) =>
  Object.values(deployment.template.Resources!).find((r) => r.Type === 'AWS::Scheduler::Schedule' && deployment.resolve(r.Properties!.Name) === name)!;

function answerAsDeployed(): void {
  for (const mock of Object.values(mocks)) mock.reset();
  mocks.CloudFormationClient.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: STACK, StackId: deployment.stackArn, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: [...deployment.outputs] }],
  });
  mocks.CloudFormationClient.on(GetTemplateCommand).resolves({ TemplateBody: JSON.stringify(deployment.template) });
  mocks.CloudFormationClient.on(ListStackResourcesCommand).resolves({
    StackResourceSummaries: [...deployment.physicalIds].map(([logical, physical]) => ({
      LogicalResourceId: logical,
      PhysicalResourceId: physical,
      ResourceType: deployment.template.Resources![logical]!.Type,
      ResourceStatus: 'CREATE_COMPLETE',
      LastUpdatedTimestamp: new Date(),
    })),
  });
  mocks.SQSClient.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => ({
    Attributes: { QueueArn: queueArnOf(input.QueueUrl), ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' },
  }));
  mocks.SQSClient.on(ReceiveMessageCommand)
    .resolvesOnce({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: '{"task":"cleanup-stray-instances"}', Attributes: {} }] })
    .resolves({ Messages: [] });
  mocks.SQSClient.on(SendMessageCommand).resolves({ MessageId: 'sent-one' });
  mocks.SQSClient.on(SendMessageBatchCommand).callsFake((input: { Entries: Array<{ Id: string }> }) => ({
    Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `sent-${entry.Id}`, MD5OfMessageBody: '' })),
    Failed: [],
  }));
  mocks.SQSClient.on(StartMessageMoveTaskCommand).callsFake((input: { SourceArn: string }) => ({ TaskHandle: moveTaskHandle(input.SourceArn) }));
  mocks.SQSClient.on(ListMessageMoveTasksCommand).resolves({ Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 1 }] });
  mocks.DynamoDBClient.on(QueryCommand).resolves({ Items: [] });
  mocks.DynamoDBClient.on(BatchGetCommand).resolves({ Responses: {} });
  mocks.EventBridgeClient.on(DescribeRuleCommand).resolves({ State: 'ENABLED' });
  mocks.SchedulerClient.on(GetScheduleCommand).callsFake((input: { Name: string; GroupName?: string }) => {
    if (input.GroupName === dynamicGroup) {
      return {
        Name: input.Name,
        GroupName: dynamicGroup,
        State: 'ENABLED',
        ScheduleExpression: 'cron(0 9 ? * MON-FRI *)',
        ScheduleExpressionTimezone: 'Europe/Berlin',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: queueArnOf(deployment.outputs.find((o) => o.OutputKey?.endsWith('EmailApiQueueUrl'))!.OutputValue!),
          RoleArn: dynamicRole,
          Input: `{"task":"send-delivery-reminders","payload":{"market":"de"},"id":"${input.Name}@<aws.scheduler.scheduled-time>","scheduledAt":"<aws.scheduler.scheduled-time>","source":"schedule"}`,
        },
      };
    }
    const target = templateSchedule(input.Name).Properties!.Target as { Arn: unknown; RoleArn: unknown; Input?: string };
    return {
      Name: input.Name,
      GroupName: input.GroupName,
      State: 'ENABLED',
      ScheduleExpression: 'cron(0 9 * * ? *)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: deployment.resolve(target.Arn), RoleArn: deployment.resolve(target.RoleArn), Input: target.Input },
    };
  });
  mocks.SchedulerClient.on(CreateScheduleCommand).resolves({ ScheduleArn: arn('scheduler', `schedule/${groupName}/once`) });
  mocks.SchedulerClient.on(ListSchedulesCommand).resolves({ Schedules: [{ Name: RUN_TIME_SCHEDULE, GroupName: dynamicGroup }] });
  mocks.SchedulerClient.on(DeleteScheduleCommand).resolves({});
  mocks.CloudWatchClient.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'age', Values: [12] }] });
}

/** The SIGINT listener a command installed last (its interruptSignal), called as Ctrl-C would. */
function pressCtrlC(): void {
  const listener = process.listeners('SIGINT').at(-1) as (signal: NodeJS.Signals) => void;
  listener('SIGINT');
}

interface Scenario {
  readonly args: readonly string[];
  /** Extra answers for this run only. */
  readonly setup?: () => void;
}

/** Every command, with the paths that send different calls; each runs with `--stack`. */
const SCENARIOS: readonly Scenario[] = [
  { args: ['tasks'] },
  { args: ['explain', 'rate(5 minutes)'] },
  { args: ['status'] },
  { args: ['schedules'] },
  { args: ['trigger', 'cleanup-stray-instances'] },
  { args: ['trigger', 'send-delivery-reminders', '--payload', '{"market":"de"}', '--at', '2h'] },
  { args: ['history'] },
  { args: ['history', '--task', 'refresh-exchange-rates', '--status', 'failed'] },
  { args: ['dlq', 'default'] },
  { args: ['redrive', 'email-api'] },
  {
    // Ctrl-C during a move task cancels it.
    args: ['redrive', 'default'],
    setup: () =>
      mocks.SQSClient.on(ListMessageMoveTasksCommand).callsFakeOnce(() => (pressCtrlC(), { Results: [{ Status: 'RUNNING' }] })).resolves({ Results: [{ Status: 'CANCELLED' }] }),
  },
  {
    // Where SQS has no move tasks (an emulator), redrive receives, sends and deletes itself.
    args: ['redrive', 'rates-api'],
    setup: () => mocks.SQSClient.on(StartMessageMoveTaskCommand).rejects(Object.assign(new Error('no move tasks'), { name: 'UnsupportedOperation' })),
  },
  { args: ['purge-dlq', 'email-api', '--yes'] },
  { args: ['pause', 'refresh-exchange-rates'] },
  { args: ['resume', 'refresh-exchange-rates'] },
  { args: ['pause', 'send-delivery-reminders'] },
  { args: ['resume', 'send-delivery-reminders'] },
  {
    args: [
      'schedules',
      'create',
      RUN_TIME_SCHEDULE,
      '--task',
      'send-delivery-reminders',
      '--expression',
      'cron(0 9 ? * MON-FRI *)',
      '--timezone',
      'Europe/Berlin',
      '--payload',
      '{"market":"de"}',
    ],
  },
  { args: ['pause', RUN_TIME_SCHEDULE] },
  { args: ['resume', RUN_TIME_SCHEDULE] },
  { args: ['backfill', 'send-delivery-reminders', '--schedule', RUN_TIME_SCHEDULE, '--from', '3d', '--to', '0s'] },
  { args: ['schedules', 'delete', RUN_TIME_SCHEDULE] },
  { args: ['backfill', 'cleanup-stray-instances', '--from', '3h', '--to', '0s'] },
  { args: ['backfill', 'refresh-exchange-rates', '--from', '1h', '--to', '0s', '--dry-run'] },
  { args: ['top', '--count', '1'] },
  // The operator page: every read of a refresh and every action, as a browser would send them.
  { args: ['ui', '--allow-actions', '--port', '0'], setup: () => void drivePage() },
];

/** Uses the page `taskgate ui` prints, as a browser would, then stops the command with Ctrl-C. */
async function drivePage(): Promise<void> {
  const printed = () => vi.mocked(console.log).mock.calls.map((call) => String(call[0])).find((line) => line.startsWith('taskgate ui for'));
  while (!printed()) await new Promise((resolve) => setTimeout(resolve, 10));
  const url = /http:\/\/127\.0\.0\.1:\d+/.exec(printed()!)![0];
  const token = /name="taskgate-token" content="([^"]+)"/.exec(await (await fetch(url)).text())![1]!;
  const post = async (route: string, body: unknown) => {
    const response = await fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-taskgate-token': token }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`POST ${route}: ${response.status} ${await response.text()}`);
  };
  try {
    await fetch(`${url}/ui/api/snapshot`);
    await post('/ui/api/trigger', { task: 'cleanup-stray-instances', payload: {} });
    await post('/ui/api/redrive', { filter: { gate: 'default' }, dryRun: true });
    await post('/ui/api/redrive', { filter: { gate: 'default', task: 'cleanup-stray-instances' }, dryRun: false, confirm: true });
    await post('/ui/api/schedules/refresh-exchange-rates/pause', {});
    await post('/ui/api/schedules/send-delivery-reminders/resume', {});
    await post('/ui/api/purge', { gate: 'email-api', confirm: 'email-api' });
    // The redrive job runs after its answer: wait for it to end.
    for (;;) {
      const { jobs } = (await (await fetch(`${url}/ui/api/snapshot`)).json()) as { jobs: Array<{ state: string }> };
      if (jobs.every((job) => job.state !== 'running')) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    pressCtrlC();
  }
}

async function run(scenario: Scenario): Promise<Sent[]> {
  answerAsDeployed();
  scenario.setup?.();
  await buildProgram()
    .exitOverride()
    .parseAsync(['node', 'taskgate', ...scenario.args, '--stack', STACK, '--region', DEPLOYED.region]);
  return recorded();
}

describe('TaskgateOperatorPolicy', () => {
  beforeEach(() => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => vi.restoreAllMocks());

  it('allows every call each CLI command sends, on the resource it touches, and grants no action the CLI never sends', async () => {
    const sent: Sent[] = [];
    for (const scenario of SCENARIOS) {
      const calls = await run(scenario);
      sent.push(...calls.map((call) => ({ ...call, command: `taskgate ${scenario.args[0]}: ${call.command}` })));
    }
    // `dev` runs the embedded runtime on this machine: it has no --stack and sends nothing to AWS.
    const covered = new Set([...SCENARIOS.map((s) => s.args[0]), 'dev']);
    expect(buildProgram().commands.map((c) => c.name()).filter((name) => !covered.has(name))).toEqual([]);

    const denied = sent.flatMap(({ command, requests }) =>
      requests.filter((request) => !isAllowed(statements, request)).map((r) => `${command} needs ${r.action} on ${r.resource}`),
    );
    expect([...new Set(denied)]).toEqual([]);

    const needed = new Set(sent.flatMap((s) => s.requests.map((r) => r.action.toLowerCase())));
    const granted = statements.flatMap((s) => [s.Action ?? []].flat());
    expect(granted.filter((action) => !needed.has(action.toLowerCase()))).toEqual([]);
  }, 60_000);

  it('scopes every grant to this stack: "*" only for GetMetricData and ListSchedules, which have no resource types; PassRole only to Scheduler', () => {
    const wildcard = statements.filter((s) => [s.Resource ?? []].flat().some((resource) => resource === '*'));
    expect(wildcard.flatMap((s) => [s.Action ?? []].flat()).sort()).toEqual(['cloudwatch:GetMetricData', 'scheduler:ListSchedules']);
    // Schedules created at run time: their own group only, never the stack's.
    const manage = (group: string) => ({ action: 'scheduler:DeleteSchedule', resource: arn('scheduler', `schedule/${group}/customer-1`) });
    expect(isAllowed(statements, manage(dynamicGroup!))).toBe(true);
    expect(isAllowed(statements, manage(groupName!))).toBe(false);
    const onceRole = deployment.outputs.find((o) => o.OutputKey === OUTPUT_KEYS.onceScheduleRoleArn)!.OutputValue;
    const passRole = (service: string) => ({ action: 'iam:PassRole', resource: onceRole, context: { 'iam:PassedToService': service } });
    expect(isAllowed(statements, passRole('scheduler.amazonaws.com'))).toBe(true);
    expect(isAllowed(statements, passRole('lambda.amazonaws.com'))).toBe(false);
    expect(isAllowed(statements, { action: 'sqs:PurgeQueue', resource: arn('sqs', `${STACK}-default`) })).toBe(false);
    expect(isAllowed(statements, { action: 'cloudformation:DescribeStacks', resource: arn('cloudformation', 'stack/OtherStack/1') })).toBe(false);
  });

  it("fits IAM's 6,144 characters for a managed policy once deployed, for this app and for 20 gates", () => {
    const tasks = scaleTasks(20);
    const { stack } = taskgateStack(testApp(), { tasks, gates: Object.fromEntries(scaleGateNames(20).map((gate) => [gate, { concurrency: 2 }])) }, 'ScaleApp');
    for (const document of [policy, deployedPolicy(stack).document]) {
      // IAM counts the characters of the document without white space.
      expect(JSON.stringify(document).length).toBeLessThanOrEqual(6144);
    }
  });
});
