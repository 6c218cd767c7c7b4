import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { DescribeRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { ChangeMessageVisibilityBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { Duration } from 'aws-cdk-lib';
import { beforeEach, describe, expect, it } from 'vitest';
import { resolveTarget } from '../src/cli/target';
import { UiData } from '../src/ui/data';
import { startUiServer } from '../src/ui/server';
import { deploy, DEPLOYED, type DeployableTemplate } from './helpers/deployment';
import { scaleGateNames, scaleSchedule, scaleTasks, taskgateStack } from './helpers/apps';
import { templateOf, testApp } from './helpers/synth';

// The operator page's data from a deployed stack, every AWS answer mocked: the same views the
// embedded runtime's page shows (its browser test), and what one refresh costs in AWS calls.
const GATES = 10;
const STACK = 'Scale';
const tasks = scaleTasks(GATES);
// gate-0's alarm fires at 10 minutes, the others' at the default 15.
const gates = Object.fromEntries(scaleGateNames(GATES).map((gate) => [gate, { concurrency: 2, ...(gate === 'gate-0' ? { maxMessageAge: Duration.minutes(10) } : {}) }]));
const { stack, taskgate } = taskgateStack(testApp(), { tasks, gates }, STACK);
for (let n = 0; n < 10; n++) {
  const { task, expression, timeZone } = scaleSchedule(n, tasks);
  taskgate.schedule(task as never, expression, { name: `schedule-${n}`, ...(timeZone ? { timeZone } : {}) } as never);
}
const deployment = deploy(templateOf(stack).toJSON() as DeployableTemplate, STACK);

const mocks = {
  cloudformation: mockClient(CloudFormationClient),
  sqs: mockClient(SQSClient),
  dynamodb: mockClient(DynamoDBDocumentClient),
  events: mockClient(EventBridgeClient),
  scheduler: mockClient(SchedulerClient),
  cloudwatch: mockClient(CloudWatchClient),
};
const NOW = Date.parse('2026-11-22T12:30:20Z');
const minute = (ago: number) => new Date(Math.floor(NOW / 60_000) * 60_000 - ago * 60_000);
const run = (task: string, gate: string, id: string, status: string, agoMinutes: number, extra: Record<string, unknown> = {}) => ({
  pk: `${task}#${id}`, task, id, gate, status, source: 'schedule', attempts: 1, scheduledAt: minute(agoMinutes).toISOString(),
  startedAt: new Date(minute(agoMinutes).getTime() + 5000).toISOString(), day: '2026-11-22', expiresAt: 0, leaseUntil: 1, claimToken: 'secret', ...extra,
});
const RUNS = [
  run('task-0-a', 'gate-0', 'r1', 'succeeded', 1, { durationMs: 120, payload: '{"n":1}' }),
  run('task-0-a', 'gate-0', 'r2', 'succeeded', 1),
  run('task-1-a', 'gate-1', 'r3', 'dead', 3, { reason: 'task-permanent', error: 'tenant 42 does not exist' }),
];
const deadLetter = (id: string, error: string) => ({
  MessageId: id,
  ReceiptHandle: `rh-${id}`,
  Body: JSON.stringify({ task: 'task-1-a', id }),
  Attributes: { SentTimestamp: String(NOW - 60_000), ApproximateReceiveCount: '2' },
  MessageAttributes: { taskgate: { DataType: 'String', StringValue: JSON.stringify({ reason: 'task-permanent', error, task: 'task-1-a', attempts: 1, failedAt: minute(2).toISOString() }) } },
});

function answerAsDeployed(): void {
  for (const mock of Object.values(mocks)) mock.reset();
  mocks.cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: STACK, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: [...deployment.outputs] }] });
  mocks.cloudformation.on(GetTemplateCommand).resolves({ TemplateBody: JSON.stringify(deployment.template) });
  mocks.cloudformation.on(ListStackResourcesCommand).resolves({
    StackResourceSummaries: [...deployment.physicalIds].map(([logical, physical]) => ({
      LogicalResourceId: logical, PhysicalResourceId: physical, ResourceType: deployment.template.Resources![logical]!.Type, ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date(),
    })),
  });
  // gate-1 has two dead letters; gate-0 a backlog of 30.
  mocks.sqs.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => {
    const name = input.QueueUrl.split('/').pop()!;
    const visible = name === `${STACK}-gate-1-dlq` ? 2 : name === `${STACK}-gate-0` ? 30 : 0;
    return { Attributes: { ApproximateNumberOfMessages: String(visible), ApproximateNumberOfMessagesNotVisible: name.endsWith('-dlq') ? '0' : '1', ApproximateNumberOfMessagesDelayed: '0' } };
  });
  mocks.sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [deadLetter('d1', 'tenant 42 does not exist'), deadLetter('d2', 'tenant 7 does not exist')] }).resolves({ Messages: [] });
  mocks.sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  mocks.dynamodb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    const status = input.ExpressionAttributeValues?.[':status'];
    const key = input.ExpressionAttributeValues?.[':key'];
    const items = RUNS.filter((r) => (status === undefined || r.status === status) && (input.IndexName === 'by-day' ? r.day === key : r.task === key));
    return { Items: input.Limit === 1 ? items.slice(0, 1) : items };
  });
  mocks.events.on(DescribeRuleCommand).resolves({ State: 'DISABLED' });
  mocks.scheduler.on(GetScheduleCommand).resolves({ State: 'ENABLED' });
  // Per queue: a backlog rising over the last minutes, and an oldest message of 20 minutes on gate-0.
  mocks.cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
    MetricDataResults: input.MetricDataQueries!.map((query) => {
      const queue = query.MetricStat!.Metric!.Dimensions![0]!.Value!;
      const age = query.MetricStat!.Metric!.MetricName === 'ApproximateAgeOfOldestMessage';
      const busy = queue === `${STACK}-gate-0`;
      return { Id: query.Id, Timestamps: [minute(3), minute(2), minute(1)], Values: age ? [0, 0, busy ? 1200 : 0] : busy ? [5, 12, 30] : [0, 0, 0] };
    }),
  }));
}

/** Calls the mocks received, by client and command. */
function calls(): Record<string, number> {
  const counted: Record<string, number> = {};
  for (const [client, mock] of Object.entries(mocks)) {
    for (const call of mock.calls()) {
      const command = call.args[0] as { clientCommand?: object };
      const name = `${client}:${(command.clientCommand ?? command).constructor.name.replace(/Command$/, '')}`;
      counted[name] = (counted[name] ?? 0) + 1;
    }
  }
  return counted;
}

describe('the operator page on a deployed stack (aws-sdk-client-mock)', () => {
  beforeEach(answerAsDeployed);

  it('shows gates with their 30-minute chart and what stands out, schedules, runs and failures by cause', async () => {
    const target = await resolveTarget({ stack: STACK, region: DEPLOYED.region });
    const data = new UiData(target, { actions: false, now: () => NOW });
    const snapshot = await data.snapshot();
    expect(snapshot.target).toMatchObject({ kind: 'aws', label: `stack ${STACK} in ${DEPLOYED.region}`, actions: false });

    expect(snapshot.gates).toHaveLength(GATES);
    const busy = snapshot.gates.find((gate) => gate.gate === 'gate-0')!;
    expect(busy).toMatchObject({ visible: 30, inFlight: 1, deadLetters: 0, oldestAgeSeconds: 1200, concurrency: 2, buildingUp: true, maxMessageAgeSeconds: 600 });
    expect(busy.alerts).toEqual(['oldest message 20 min old (alarm at 10 min)', '30 waiting: more than 10 x concurrency']);
    expect(busy.chart).toHaveLength(30);
    expect(busy.chart.slice(-3)).toEqual([
      { at: minute(2).toISOString(), backlog: 12, runs: 0 },
      { at: minute(1).toISOString(), backlog: 30, runs: 2 },
      { at: minute(0).toISOString(), backlog: null, runs: 0 },
    ]);
    const failing = snapshot.gates.find((gate) => gate.gate === 'gate-1')!;
    expect(failing).toMatchObject({ deadLetters: 2, alerts: ['2 dead letters'] });
    expect(snapshot.gates.find((gate) => gate.gate === 'gate-5')!).toMatchObject({ alerts: [], maxMessageAgeSeconds: 900 });

    // Rules are paused (DescribeRule says DISABLED), Scheduler schedules enabled, each with its task's last run.
    const rule = snapshot.schedules.find((s) => s.kind === 'rule' && s.task === 'task-1-a')!;
    expect(rule).toMatchObject({ enabled: false, next: [], lastRun: { status: 'dead', id: 'r3' } });
    const zoned = snapshot.schedules.find((s) => s.kind === 'schedule')!;
    expect(zoned).toMatchObject({ enabled: true, timeZone: 'Europe/Berlin' });
    expect(zoned.next).toHaveLength(3);
    expect(zoned.description).toMatch(/^at /);

    expect(snapshot.runs.map((r) => r.id)).toEqual(['r1', 'r2', 'r3']);
    expect(snapshot.runs[0]).toMatchObject({ payload: '{"n":1}', durationMs: 120, source: 'schedule' });
    // The worker's lease bookkeeping stays on the server.
    expect(Object.keys(snapshot.runs[0]!)).not.toEqual(expect.arrayContaining(['claimToken']));
    expect(snapshot.runs[0]).not.toHaveProperty('claimToken');
    expect(snapshot.runs[0]).not.toHaveProperty('leaseUntil');

    // Two dead letters and a dead run of one cause are one group (the run r3 has no letter here).
    expect(snapshot.failures).toEqual([
      expect.objectContaining({ reason: 'task-permanent', signature: 'tenant <n> does not exist', count: 3, deadLetters: 2, runs: 1, tasks: ['task-1-a'], gates: ['gate-1'] }),
    ]);
  });

  it('serves it read-only without --allow-actions, and refuses a foreign Host', async () => {
    const target = await resolveTarget({ stack: STACK, region: DEPLOYED.region });
    const server = await startUiServer({ data: new UiData(target, { actions: false }), port: 0 });
    try {
      const page = await fetch(server.url);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(await page.text()).toContain('<meta name="taskgate-actions" content="off">');
      expect(((await (await fetch(`${server.url}/ui/api/snapshot`)).json()) as { gates: unknown[] }).gates).toHaveLength(GATES);
      const action = await fetch(`${server.url}/ui/api/trigger`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-taskgate-token': server.token }, body: '{"task":"task-0-a"}' });
      expect(action.status).toBe(403);
      expect(((await action.json()) as { error: string }).error).toMatch(/^read-only: .*--allow-actions/);
      const { port } = new URL(server.url);
      const rebound = await new Promise<number>((resolve) => {
        const http = require('node:http') as typeof import('node:http');
        http.get({ host: '127.0.0.1', port, path: '/ui/api/snapshot', headers: { host: `attacker.example:${port}` } }, (response) => resolve(response.statusCode!));
      });
      expect(rebound).toBe(421);
    } finally {
      await server.close();
    }
  });

  it('costs a bounded number of AWS calls per refresh: counted against 10 gates and 10 schedules', async () => {
    const target = await resolveTarget({ stack: STACK, region: DEPLOYED.region });
    let now = NOW;
    const data = new UiData(target, { actions: false, now: () => now });
    // Loading the stack (DescribeStacks, GetTemplate) is once per `taskgate ui`, not per refresh.
    answerAsDeployed();
    await data.snapshot();
    const first = calls();
    // Ten minutes of refreshes every 4 s (the page's pace), after the first; averaged per minute.
    const MINUTES = 10;
    const counted: Record<string, number> = {};
    for (let i = 1; i <= MINUTES * 15; i++) {
      answerAsDeployed();
      now = NOW + i * 4000;
      await data.snapshot();
      for (const [name, count] of Object.entries(calls())) counted[name] = (counted[name] ?? 0) + count;
    }
    const perMinute = Object.fromEntries(Object.entries(counted).map(([name, count]) => [name, count / MINUTES]));
    const total = Object.values(perMinute).reduce((a, b) => a + b, 0);
    console.info(`operator page, ${GATES} gates, 10 schedules: first refresh ${JSON.stringify(first)}; per minute at one refresh every 4 s: ${total} calls ${JSON.stringify(perMinute)}`);
    // Every refresh: queue and DLQ depth of each gate.
    expect(perMinute['sqs:GetQueueAttributes']).toBe(15 * 2 * GATES);
    // CloudWatch once a minute for all gates; schedules' states at most twice a minute.
    expect(perMinute['cloudwatch:GetMetricData']).toBe(1);
    expect((perMinute['events:DescribeRule'] ?? 0) + (perMinute['scheduler:GetSchedule'] ?? 0)).toBeLessThanOrEqual(2 * 10);
    // The ledger, each refresh: the runs list (the last 24 hours: two days' partitions while today's
    // has fewer than 100 runs) and the chart's newest runs; twice a minute: failed and dead runs (two
    // days each) and each scheduled task's last run.
    expect(perMinute['dynamodb:Query']).toBeLessThanOrEqual(15 * 3 + 2 * 2 * 2 + 2 * 10);
    // The DLQ with letters is peeked again once a minute (its depth does not change here).
    expect(perMinute['sqs:ReceiveMessage']).toBeLessThanOrEqual(2);
    expect(total).toBeLessThan(400);
  });
});
