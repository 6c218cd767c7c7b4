import { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ScheduleExpressionError } from '../src/core/schedule-expression';
import { fixtureTask, taskgateStack } from './helpers/apps';
import { templateOf, testApp } from './helpers/synth';

function stackWithSchedule(expression: string, timeZone?: string, end?: Date): Stack {
  const { stack, taskgate } = taskgateStack(testApp(), { tasks: [fixtureTask('cleanup-stray-instances')] }, 'Schedules');
  taskgate.schedule('cleanup-stray-instances', expression, { timeZone, end });
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

  it('warns, naming the schedule, and still synthesizes a time that has passed: an at(), a cron whose years ended, an end', () => {
    // A stack deployed with a one-time schedule must synthesize the day after it fired.
    const warnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
    const once = stackWithSchedule('at(2020-01-01T00:00:00)');
    templateOf(once).hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'at(2020-01-01T00:00:00)' });
    expect(warnings(once)).toEqual([
      expect.stringMatching(
        /^schedule cleanup-stray-instances \(task cleanup-stray-instances\): at\(2020-01-01T00:00:00\) is in the past \(2020-01-01T00:00:00.000Z, now .*\), so it does not fire again; remove the line once it has run \[ack: taskgate:schedule-past\]$/,
      ),
    ]);
    expect(warnings(stackWithSchedule('cron(0 9 * * ? 2019-2020)'))).toEqual([expect.stringMatching(/^schedule cleanup-stray-instances .*its year field has ended/)]);
    const ended = stackWithSchedule('rate(1 hour)', 'UTC', new Date('2020-06-30T00:00:00Z'));
    expect(warnings(ended)).toEqual([expect.stringMatching(/^schedule cleanup-stray-instances \(task cleanup-stray-instances\): its end \(2020-06-30T00:00:00.000Z\) is in the past/)]);
    expect(warnings(stackWithSchedule('at(2999-01-01T00:00:00)'))).toEqual([]);
  });

  it('still fails a cron that never fires, which no clock changes', () => {
    expect(() => stackWithSchedule('cron(0 0 30 2 ? *)')).toThrow(/^TaskSchedule cleanup-stray-instances \(task cleanup-stray-instances\): cron\(0 0 30 2 \? \*\) never fires/);
  });

  it('synthesizes good expressions unchanged: a rule in UTC, a Scheduler schedule with a zone', () => {
    const template = templateOf(stackWithSchedule('cron(0 9 ? * MON-FRI *)'));
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 9 ? * MON-FRI *)' });
    const zoned = templateOf(stackWithSchedule('cron(30 2 * * ? *)', 'Europe/Berlin'));
    zoned.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(30 2 * * ? *)', ScheduleExpressionTimezone: 'Europe/Berlin' });
  });
});
