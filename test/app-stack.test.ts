import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AppStack } from '../lib/app-stack';
import { exampleApp } from './helpers';
import { parseSchedule } from 'taskgate/cdk';

describe('AppStack (the example app)', () => {
  const stack = new AppStack(exampleApp(), 'Example');
  const template = Template.fromStack(stack);

  it('schedules cleanup-stray-instances hourly with a rule whose input is the task message', () => {
    const rules = template.findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: 'rate(1 hour)' } });
    const [rule] = Object.values(rules) as Array<{ Properties: { Targets: Array<{ InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }> } }>;
    expect(rule).toBeDefined();
    const transformer = rule!.Properties.Targets[0]!.InputTransformer;
    expect(transformer.InputPathsMap).toEqual({ time: '$.time' });
    // EventBridge puts a string path's value in as a JSON string: fill one in as it would.
    const message = JSON.parse(transformer.InputTemplate.replace(/<time>/g, JSON.stringify('2026-11-22T12:00:00Z')));
    expect(message).toEqual({
      task: 'cleanup-stray-instances',
      payload: {},
      id: '2026-11-22T12:00:00Z',
      scheduledAt: '2026-11-22T12:00:00Z',
      source: 'schedule',
    });
  });

  it('schedules send-delivery-reminders at 09:00 Europe/Berlin with EventBridge Scheduler', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 9 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      Target: Match.objectLike({
        Input: JSON.stringify({
          task: 'send-delivery-reminders',
          payload: { market: 'de' },
          id: '<aws.scheduler.scheduled-time>',
          scheduledAt: '<aws.scheduler.scheduled-time>',
          source: 'schedule',
        }),
      }),
    });
  });

  it('schedules release-expired-inventory-holds every minute on the default gate, so `npm start` shows a run within a minute', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TaskgateGatedefaultQueue'), 'Arn'] },
          InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('"task":"release-expired-inventory-holds","payload":\\{\\}') }),
        }),
      ],
    });
    // The embedded runtime fires the template's schedules with this evaluator: from any start,
    // the first fire time of some schedule is at most a minute away.
    const resources = { ...template.findResources('AWS::Events::Rule'), ...template.findResources('AWS::Scheduler::Schedule') };
    const schedules = Object.values(resources).map((r) =>
      parseSchedule(r.Properties.ScheduleExpression, { timeZone: r.Properties.ScheduleExpressionTimezone, allowPast: true }),
    );
    for (const start of ['2026-11-25T13:43:51Z', '2026-11-25T13:59:00.001Z', '2026-12-31T23:59:59.999Z']) {
      const after = new Date(start);
      const first = Math.min(...schedules.map((s) => s.next(after)?.getTime() ?? Infinity));
      expect(first - after.getTime(), start).toBeLessThanOrEqual(60_000);
    }
  });

  it('gives every task queue a redrive policy to its DLQ after at least 5 receives', () => {
    const queues = template.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } });
    expect(Object.keys(queues)).toHaveLength(4);
    for (const queue of Object.values(queues) as Array<{ Properties: { RedrivePolicy: { maxReceiveCount: number; deadLetterTargetArn: unknown } } }>) {
      expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBeGreaterThanOrEqual(5);
      expect(queue.Properties.RedrivePolicy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/DeadLetterQueue/), 'Arn'] });
    }
  });

  it('maps each queue to its worker with partial batch responses and a maximum concurrency', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 4);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
      BatchSize: 1,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
      BatchSize: 1,
    });
  });

  it('runs the rates-api gate (concurrency 1) on a FIFO queue with one message group, the gate name', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true, ContentBasedDeduplication: true, QueueName: 'Example-rates-api.fifo' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      Environment: { Variables: Match.objectLike({ TASKGATE_GATE: 'rates-api' }) },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0/15 * * * ? *)',
      Targets: [Match.objectLike({ SqsParameters: { MessageGroupId: 'rates-api' } })],
    });
  });

  it('deploys the ledger, the dashboard with its alarms and the operator policy', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 8);
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
  });

  it('runs workers on Node.js 24 (ARM64) with reserved concurrency equal to the gate', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      ReservedConcurrentExecutions: 5,
      Environment: { Variables: Match.objectLike({ TASKGATE_GATE: 'default' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 2,
      Environment: { Variables: Match.objectLike({ TASKGATE_GATE: 'email-api' }) },
    });
  });

  it("gives the partner-api gate (a webhook task's) a signing secret read by its own worker, and the partner's URL", () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const [secretId] = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
    const workers = template.findResources('AWS::Lambda::Function');
    const partner = Object.values(workers).find((fn) => fn.Properties.Environment.Variables.TASKGATE_GATE === 'partner-api')!;
    expect(partner.Properties.Environment.Variables).toMatchObject({ TASKGATE_SIGNING_SECRET_ARN: { Ref: secretId }, PARTNER_WEBHOOK_URL: 'http://127.0.0.1:4010/orders' });
    // Its rate, which the worker reads to pace the partner's requests.
    expect(JSON.parse(partner.Properties.Environment.Variables.TASKGATE_RATE)).toEqual({ perSecond: 5, burst: 10 });
    const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) => JSON.stringify(policy.Properties.PolicyDocument).includes(`"${secretId}"`));
    expect(readers.map((policy) => policy.Properties.Roles)).toEqual([[{ Ref: partner.Properties.Role['Fn::GetAtt'][0] }]]);
  });

  it('sizes the worker timeout from the longest task and the visibility timeout at 6x it', () => {
    // send-delivery-reminders has timeout 300 s on gate email-api: function 310 s, visibility 1860 s.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 310,
      Environment: { Variables: Match.objectLike({ TASKGATE_GATE: 'email-api' }) },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 1860, RedrivePolicy: Match.anyValue() });
  });
});
