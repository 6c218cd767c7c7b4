import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { ScheduleOptions } from '../src/cdk/task-schedule';
import { fixtureTask, taskgateStack } from './helpers/apps';
import { testApp } from './helpers/synth';

const tasks = [fixtureTask('sync', 'api'), fixtureTask('sweep', 'serial')];

function scheduled(lines: Array<[string, string, ScheduleOptions?]>) {
  const { stack, taskgate } = taskgateStack(testApp(), { tasks, gates: { api: { concurrency: 3 }, serial: { concurrency: 1 } } });
  for (const [task, expression, options] of lines) taskgate.schedule(task, expression, options);
  return Template.fromStack(stack);
}

function scheduleError(task: string, expression: string, options: ScheduleOptions): string {
  try {
    scheduled([[task, expression, options]]);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the schedule to be rejected');
}

describe('TaskSchedule', () => {
  it('is a rule named under the stack prefix, with the shared delivery DLQ and the retry policy given', () => {
    const template = scheduled([['sync', 'rate(5 minutes)', { retryAttempts: 3, maxEventAge: Duration.hours(1) }]]);
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'Fixture-sync',
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('GateapiQueue'), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ScheduleDeliveryDeadLetterQueue'), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
          SqsParameters: Match.absent(),
        }),
      ],
    });
  });

  it('lets all rules send to a queue with one policy statement per queue, not one per rule', () => {
    const template = scheduled([
      ['sync', 'rate(5 minutes)'],
      ['sync', 'rate(7 minutes)'],
      ['sync', 'cron(0 3 * * ? *)'],
    ]);
    template.resourceCountIs('AWS::Events::Rule', 3);
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    const allows = policies.flatMap((p) => p.Properties.PolicyDocument.Statement).filter((s: { Sid?: string }) => s.Sid === 'TaskgateRulesSend');
    // The api queue and the schedule delivery DLQ.
    expect(allows).toHaveLength(2);
    expect(allows[0]).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', expect.arrayContaining([':rule/Fixture-*'])] } } },
    });
  });

  it('sends to a FIFO gate with the gate name as message group, from a rule and from Scheduler', () => {
    const template = scheduled([
      ['sweep', 'rate(1 hour)'],
      ['sweep', 'cron(0 6 * * ? *)', { timeZone: 'Europe/Paris' }],
    ]);
    template.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ SqsParameters: { MessageGroupId: 'serial' } })] });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Target: Match.objectLike({ SqsParameters: { MessageGroupId: 'serial' } }) });
  });

  it('becomes a Scheduler schedule in the app group for a time zone, flexible window, start/end or at(), with the delivery DLQ', () => {
    const start = new Date('2027-01-01T00:00:00Z');
    const end = new Date('2027-06-30T00:00:00Z');
    const template = scheduled([
      ['sync', 'rate(1 hour)', { flexibleWindow: 15, name: 'spread' }],
      ['sync', 'cron(0 8 * * ? *)', { start, end, name: 'first-half' }],
      ['sync', 'at(2027-03-01T10:00:00)', { name: 'once', enabled: false }],
    ]);
    template.resourceCountIs('AWS::Scheduler::Schedule', 3);
    template.resourceCountIs('AWS::Events::Rule', 0);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'spread',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
      Target: Match.objectLike({ DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ScheduleDeliveryDeadLetterQueue'), 'Arn'] } } }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Name: 'first-half', StartDate: start.toISOString(), EndDate: end.toISOString() });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Name: 'once', ScheduleExpression: 'at(2027-03-01T10:00:00)', State: 'DISABLED' });
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule'));
    for (const schedule of schedules) {
      expect(schedule.DependsOn).toEqual([expect.stringMatching(/ScheduleDeliveryGroup/)]);
      expect(schedule.Properties.GroupName).toMatch(/^Fixture-Taskgate-ScheduleDelivery-Group-/);
    }
  });

  it('runs a Scheduler schedule as its gate’s role, which may send only to that queue and the delivery DLQ', () => {
    const template = scheduled([['sync', 'cron(0 8 * * ? *)', { timeZone: 'Europe/Berlin' }]]);
    const roles = template.findResources('AWS::IAM::Role', { Properties: { Path: '/taskgate/Fixture/', Description: 'taskgate schedules of gate api' } });
    const [roleId] = Object.keys(roles);
    expect(roleId).toBeDefined();
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Target: Match.objectLike({ RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] } }) });
    const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))!;
    const statements = policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: { 'Fn::GetAtt': [string, string] } }>;
    expect(statements.map((s) => [s.Action, s.Resource['Fn::GetAtt'][0].replace(/[0-9A-F]{8}$/, '')])).toEqual([
      ['sqs:SendMessage', 'TaskgateGateapiQueue'],
      ['sqs:SendMessage', 'TaskgateScheduleDeliveryDeadLetterQueue'],
    ]);
  });

  it('can be disabled', () => {
    scheduled([['sync', 'rate(1 day)', { enabled: false }]]).hasResourceProperties('AWS::Events::Rule', { State: 'DISABLED' });
  });

  describe('rejects at synth, naming the schedule and the fix', () => {
    it.each<[string, string, ScheduleOptions, string]>([
      ['a payload that fails the schema', 'rate(1 hour)', { payload: { n: 'x' } as never }, 'schedule rate(1 hour) of task sync: payload for task sync fails its schema'],
      [
        "a payload over SQS's 256 KiB",
        'rate(1 hour)',
        { payload: { n: 1, blob: 'x'.repeat(300_000) } as never },
        'schedule sync (task sync): the worker would refuse its message: message body is larger than 262144 bytes',
      ],
      ['a flexible window over a day', 'rate(1 hour)', { flexibleWindow: 1441 }, 'schedule sync: flexibleWindow (minutes) must be between 1 and 1440 (given 1441)'],
      ['186 retries', 'rate(1 hour)', { retryAttempts: 186 }, 'schedule sync: retryAttempts must be between 0 and 185 (given 186)'],
      ['a max event age of 30 s', 'rate(1 hour)', { maxEventAge: Duration.seconds(30) }, 'schedule sync: maxEventAge (seconds) must be between 60 and 86400 (given 30)'],
      [
        'start on a one-time schedule',
        'at(2027-03-01T10:00:00)',
        { start: new Date('2027-01-01T00:00:00Z') },
        'schedule sync: a one-time at(2027-03-01T10:00:00) schedule fires once; Scheduler ignores start and end for it, so remove them',
      ],
      [
        'an end before the start',
        'rate(1 hour)',
        { start: new Date('2027-02-01T00:00:00Z'), end: new Date('2027-01-01T00:00:00Z') },
        'schedule sync: start (2027-02-01T00:00:00.000Z) must be before end (2027-01-01T00:00:00.000Z)',
      ],
    ])('%s', (_case, expression, options, message) => {
      expect(scheduleError('sync', expression, options)).toContain(message);
    });

    it('two schedules of one name', () => {
      expect(() => scheduled([['sync', 'rate(1 hour)', { name: 'x' }], ['sweep', 'rate(1 hour)', { name: 'x' }]])).toThrow(
        'two schedules are named "x"; give one of them another `name`',
      );
    });

    it('an unknown task, with the closest name', () => {
      expect(() => scheduled([['synk', 'rate(1 hour)']])).toThrow('unknown task "synk" (did you mean "sync"?)');
    });
  });
});
