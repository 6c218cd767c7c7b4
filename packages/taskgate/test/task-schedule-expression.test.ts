import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ScheduleExpressionError } from '../src/core/schedule-expression';
import { fixtureTask, taskgateStack } from './helpers/apps';
import { templateOf, testApp } from './helpers/synth';

function stackWithSchedule(expression: string, timeZone?: string): Stack {
  const { stack, taskgate } = taskgateStack(testApp(), { tasks: [fixtureTask('cleanup-stray-instances')] }, 'Schedules');
  taskgate.schedule('cleanup-stray-instances', expression, { timeZone });
  return stack;
}

describe('TaskSchedule checks its expression at synth time', () => {
  it('fails a five-field cron with the schedule, the task and the corrected expression', () => {
    expect(() => stackWithSchedule('cron(0 9 * * 1-5)')).toThrow(
      new ScheduleExpressionError(
        'TaskSchedule cleanup-stray-instances (task cleanup-stray-instances): cron(0 9 * * 1-5) has five fields, the Unix cron layout; AWS cron has six: minutes hours day-of-month month day-of-week year. Add the year: cron(0 9 ? * MON-FRI *)',
      ),
    );
  });

  it('fails a time zone that is not IANA, and a plural slip in a rate', () => {
    expect(() => stackWithSchedule('cron(0 9 * * ? *)', 'Berlin')).toThrow(/did you mean Europe\/Berlin\?/);
    expect(() => stackWithSchedule('rate(1 hours)')).toThrow(/write rate\(1 hour\)/);
  });

  it('fails an at() in the past', () => {
    expect(() => stackWithSchedule('at(2020-01-01T00:00:00)')).toThrow(/at\(2020-01-01T00:00:00\) is in the past/);
  });

  it('synthesizes good expressions unchanged: a rule in UTC, a Scheduler schedule with a zone', () => {
    const template = templateOf(stackWithSchedule('cron(0 9 ? * MON-FRI *)'));
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 9 ? * MON-FRI *)' });
    const zoned = templateOf(stackWithSchedule('cron(30 2 * * ? *)', 'Europe/Berlin'));
    zoned.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(30 2 * * ? *)', ScheduleExpressionTimezone: 'Europe/Berlin' });
  });
});
