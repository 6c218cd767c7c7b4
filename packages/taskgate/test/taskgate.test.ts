import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { WORKER_ENV } from '../src/worker/worker-env';
import { METRICS } from '../src/worker/metric-names';
import { OUTPUT_KEYS, gateOutputKey } from '../src/core/outputs';
import { Taskgate } from '../src/cdk/taskgate';
import { fixtureTask, taskgateStack, FIXTURE_TASK_MODULE } from './helpers/apps';
import { evaluate } from './helpers/cfn';
import { testApp } from './helpers/synth';

const tasks = [fixtureTask('sync', 'api'), fixtureTask('sweep'), fixtureTask('tick', 'serial', { timeout: 20 })];

function app(props: Partial<ConstructorParameters<typeof Taskgate>[2]> = {}) {
  const { stack, taskgate } = taskgateStack(testApp(), { tasks, gates: { api: { concurrency: 3 }, serial: { concurrency: 1 } }, ...props });
  return { stack, taskgate, template: Template.fromStack(stack) };
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.resolve((construct.node.defaultChild as { logicalId: string }).logicalId);
}

describe('Taskgate', () => {
  const { stack, taskgate, template } = app();
  const functions = template.findResources('AWS::Lambda::Function');
  const envOf = (gate: string) => Object.values(functions).find((f) => f.Properties.Environment.Variables[WORKER_ENV.gate] === gate)!.Properties.Environment.Variables;

  it('creates the default gate a task uses without declaring it, and one worker per gate', () => {
    expect([...taskgate.gates.keys()].sort()).toEqual(['api', 'default', 'serial']);
    expect(Object.keys(functions)).toHaveLength(3);
  });

  it("sets every worker's WORKER_ENV contract: gate, DLQ, ledger, retention, the queues' prefix and bases, one-time role and group", () => {
    // The worker derives each gate's queue from these (core/queue-address.ts): they name the very queues of the template.
    for (const [name, gate] of taskgate.gates) {
      const env = envOf('api');
      const queueName = template.toJSON().Resources[logicalId(stack, gate.queue)].Properties.QueueName;
      expect(`${env[WORKER_ENV.queueNamePrefix]}${name}${gate.fifo ? '.fifo' : ''}`).toBe(queueName);
      expect(evaluate(env[WORKER_ENV.queueUrlBase])).toBe('https://sqs.ref:AWS::Region.ref:AWS::URLSuffix/ref:AWS::AccountId/');
      expect(evaluate(env[WORKER_ENV.queueArnBase])).toBe('arn:ref:AWS::Partition:sqs:ref:AWS::Region:ref:AWS::AccountId:');
      expect(env[WORKER_ENV.fifoGates]).toBe('serial');
    }
    for (const gate of ['api', 'default', 'serial']) {
      const env = envOf(gate);
      expect(evaluate(env[WORKER_ENV.deadLetterQueueUrl])).toBe(`ref:${logicalId(stack, taskgate.gates.get(gate)!.deadLetterQueue)}`);
      expect(evaluate(env[WORKER_ENV.ledgerTable])).toBe(`ref:${logicalId(stack, taskgate.ledger.table)}`);
      expect(env[WORKER_ENV.retentionDays]).toBe('30');
      expect(evaluate(env[WORKER_ENV.onceScheduleRoleArn])).toBe(`${logicalId(stack, taskgate.delivery.onceRole)}.Arn`);
      expect(env[WORKER_ENV.scheduleGroup]).toMatch(/^Fixture-Taskgate-ScheduleDelivery-Group-/);
      expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe(METRICS.namespace);
    }
  });

  it('grants a worker its queue, its DLQ, every task queue (chain), GetItem/UpdateItem on the ledger table, CreateSchedule in the group and PassRole on the one-time role only', () => {
    const gate = taskgate.gates.get('api')!;
    const roleId = logicalId(stack, gate.worker.role as never);
    const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))!;
    const statements = (policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>).map((s) => ({
      actions: [s.Action].flat(),
      resources: [s.Resource].flat().map(evaluate),
    }));
    const allowed = (action: string) => statements.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources);
    const own = logicalId(stack, gate.queue);
    expect(allowed('sqs:ReceiveMessage')).toEqual([`${own}.Arn`]);
    expect(allowed('sqs:ChangeMessageVisibility')).toEqual([`${own}.Arn`]);
    expect(allowed('sqs:DeleteMessage')).toEqual([`${own}.Arn`]);
    expect(allowed('sqs:SendMessage').sort()).toEqual(
      [gate.deadLetterQueue, ...[...taskgate.gates.values()].map((g) => g.queue)].map((q) => `${logicalId(stack, q)}.Arn`).sort(),
    );
    const table = logicalId(stack, taskgate.ledger.table);
    // What the worker sends (test/worker-role-policy.test.ts); a gate without a rate puts no item.
    for (const action of ['dynamodb:GetItem', 'dynamodb:UpdateItem']) expect(allowed(action)).toEqual([`${table}.Arn`]);
    const everyAction = statements.flatMap((s) => s.actions);
    for (const forbidden of ['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:DeleteTable', 'sqs:*', 'dynamodb:*']) expect(everyAction).not.toContain(forbidden);
    expect(allowed('scheduler:CreateSchedule')).toEqual([expect.stringMatching(/:schedule\/Fixture-Taskgate-ScheduleDelivery-Group-[A-F0-9]+\/\*$/)]);
    expect(allowed('iam:PassRole')).toEqual([`${logicalId(stack, taskgate.delivery.onceRole)}.Arn`]);
  });

  it('has a one-time role that only Scheduler acting for the app group assumes, and that may only send to the task queues', () => {
    const roleId = logicalId(stack, taskgate.delivery.onceRole);
    template.hasResourceProperties('AWS::IAM::Role', {
      Path: '/taskgate/Fixture/',
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnEquals: { 'aws:SourceArn': Match.anyValue() } },
          }),
        ],
      },
    });
    const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))!;
    const statements = policy.Properties.PolicyDocument.Statement as Array<{ Action: string[]; Resource: unknown }>;
    expect(new Set(statements.flatMap((s) => s.Action))).toEqual(new Set(['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']));
    expect(statements.map((s) => evaluate(s.Resource)).sort()).toEqual([...taskgate.gates.values()].map((g) => `${logicalId(stack, g.queue)}.Arn`).sort());
  });

  it('outputs every gate queue and DLQ, the ledger, the dashboard, the one-time role and group, the delivery DLQ and the operator policy', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    for (const gate of ['api', 'default', 'serial']) {
      expect(evaluate(outputs[gateOutputKey(gate, 'QueueUrl')]!.Value)).toBe(`ref:${logicalId(stack, taskgate.gates.get(gate)!.queue)}`);
      expect(evaluate(outputs[gateOutputKey(gate, 'DeadLetterQueueUrl')]!.Value)).toBe(`ref:${logicalId(stack, taskgate.gates.get(gate)!.deadLetterQueue)}`);
    }
    expect(evaluate(outputs[OUTPUT_KEYS.ledgerTable]!.Value)).toBe(`ref:${logicalId(stack, taskgate.ledger.table)}`);
    expect(evaluate(outputs[OUTPUT_KEYS.dashboard]!.Value)).toBe(`ref:${logicalId(stack, taskgate.monitoring.dashboard)}`);
    expect(evaluate(outputs[OUTPUT_KEYS.onceScheduleRoleArn]!.Value)).toBe(`${logicalId(stack, taskgate.delivery.onceRole)}.Arn`);
    expect(outputs[OUTPUT_KEYS.scheduleGroup]!.Value).toMatch(/^Fixture-Taskgate-ScheduleDelivery-Group-/);
    expect(evaluate(outputs[OUTPUT_KEYS.scheduleDeadLetterQueueUrl]!.Value)).toBe(`ref:${logicalId(stack, taskgate.delivery.deadLetterQueue)}`);
    expect(evaluate(outputs[OUTPUT_KEYS.operatorPolicyArn]!.Value)).toBe(`ref:${logicalId(stack, taskgate.operatorPolicy!)}`);
  });

  it('passes retentionDays to the workers and can leave out the operator policy', () => {
    const { template: other } = app({ retentionDays: 7, operatorPolicy: false });
    other.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    other.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ [WORKER_ENV.retentionDays]: '7' }) } });
    expect(Object.keys(other.toJSON().Outputs)).not.toContain(OUTPUT_KEYS.operatorPolicyArn);
  });

  describe('rejects at synth', () => {
    it('a task on an undeclared gate, listing the declared ones', () => {
      expect(() => taskgateStack(testApp(), { tasks: [fixtureTask('sync', 'apj')], gates: { api: {} } })).toThrow(
        'task sync runs on gate "apj", which is not declared; add it to Taskgate\'s gates (declared: api)',
      );
    });

    it('a retention outside 1..3650 days', () => {
      expect(() => app({ retentionDays: 0 })).toThrow('Taskgate: retentionDays must be between 1 and 3650 (given 0)');
    });

    it('two gates whose queue names would collide', () => {
      expect(() =>
        taskgateStack(testApp(), { tasks: [fixtureTask('aa', 'x'), fixtureTask('bb', 'x-dlq')], gates: { x: {}, 'x-dlq': {} } }),
      ).toThrow('Taskgate: gates x and x-dlq would both name a queue Fixture-x-dlq; rename one of the gates');
    });

    it('so many FIFO gates of long names that the worker environment would pass Lambda’s 4 KB', () => {
      const gates = Array.from({ length: 100 }, (_, i) => `serial-downstream-with-a-long-name-${i}`);
      expect(() =>
        taskgateStack(testApp(), {
          tasks: gates.map((g) => fixtureTask(`t-${g}`, g)),
          gates: Object.fromEntries(gates.map((g) => [g, { concurrency: 1 }])),
          nestedStacks: true,
        }),
      ).toThrow(/^Taskgate: the worker environment of gate serial-downstream-with-a-long-name-0 could reach \d+ bytes, above Lambda's 4096; TASKGATE_FIFO_GATES lists every gate of concurrency 1/);
    });
  });
});

describe('Monitoring', () => {
  const topicApp = () => {
    const stack = new Stack(testApp(), 'Fixture');
    const alarmTopic = new sns.Topic(stack, 'Alarms');
    new Taskgate(stack, 'Taskgate', { tasks, taskModule: FIXTURE_TASK_MODULE, gates: { api: { concurrency: 3, maxMessageAge: Duration.minutes(10) }, serial: { concurrency: 1 } }, alarmTopic });
    return Template.fromStack(stack);
  };

  it('alarms per gate on a non-empty DLQ and on an old backlog at the gate’s maxMessageAge, to the topic', () => {
    const template = topicApp();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    const topic = { Ref: Match.stringLikeRegexp('Alarms') };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('GateapiDeadLetterQueue'), 'QueueName'] } }],
      AlarmActions: [topic],
      OKActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 600,
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('GateapiQueue'), 'QueueName'] } }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 900,
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('GateserialQueue'), 'QueueName'] } }],
    });
  });

  it('draws one dashboard with the queue, worker and per-task run metrics of every gate and task', () => {
    const { template } = app();
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: Match.absent() });
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.parse(evaluate(dashboard!.Properties.DashboardBody)) as { widgets: Array<{ properties: { title?: string; metrics?: unknown[][] } }> };
    const titles = body.widgets.map((w) => w.properties.title).filter(Boolean);
    for (const gate of ['api', 'default', 'serial']) {
      for (const part of ['queue', 'oldest message', 'worker errors and throttles', 'worker duration (ms)']) expect(titles).toContain(`${gate}: ${part}`);
    }
    const metricNames = (title: string) => body.widgets.find((w) => w.properties.title === title)!.properties.metrics!.map((m) => m.slice(0, 6).join(' '));
    expect(metricNames('api: queue').join('\n')).toMatch(/ApproximateNumberOfMessagesVisible[\s\S]*ApproximateNumberOfMessagesNotVisible[\s\S]*ApproximateNumberOfMessagesVisible/);
    expect(metricNames('api: worker errors and throttles').join('\n')).toMatch(/Errors[\s\S]*Throttles/);
    for (const task of ['sync', 'sweep', 'tick']) {
      const runs = metricNames(`${task}: runs by outcome`);
      expect(runs).toEqual(Object.values(METRICS.runs).map((name) => `${METRICS.namespace} ${name} service ${METRICS.service} ${METRICS.taskDimension} ${task}`));
      expect(metricNames(`${task}: lateness (s)`)[0]).toBe(`${METRICS.namespace} ${METRICS.lateness} service ${METRICS.service} ${METRICS.taskDimension} ${task}`);
    }
  });
});
