import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { WORKER_ENV } from '../src/worker/worker-env';
import { Taskgate } from '../src/cdk/taskgate';
import { FIXTURE_TASK_MODULE, fixtureTask } from './helpers/apps';
import { testApp } from './helpers/synth';

/** A stack whose numbers come from CloudFormation parameters, known only at deployment. */
function parameterStack() {
  const stack = new Stack(testApp(), 'Params');
  const number = (name: string) => new CfnParameter(stack, name, { type: 'Number', default: 5 }).valueAsNumber;
  return { stack, number };
}

const ref = (name: string) => ({ Ref: name });

describe('props from CloudFormation parameters (unresolved tokens) skip the range checks and reach the template', () => {
  it('gate options, retention and schedule options', () => {
    const { stack, number } = parameterStack();
    const taskgate = new Taskgate(stack, 'Taskgate', {
      tasks: [fixtureTask('sync', 'api'), fixtureTask('tick', 'serial')],
      taskModule: FIXTURE_TASK_MODULE,
      retentionDays: number('Retention'),
      gates: {
        api: {
          concurrency: number('Concurrency'),
          batchSize: number('BatchSize'),
          memorySize: number('Memory'),
          maxReceiveCount: number('Receives'),
          maxBatchingWindow: Duration.seconds(number('Window')),
          maxMessageAge: Duration.seconds(number('MaxAge')),
          // The batching window is a parameter, so the minimum cannot be checked: given, it is taken.
          visibilityTimeout: Duration.seconds(1000),
        },
        serial: { concurrency: 1, timeout: Duration.seconds(number('Timeout')), visibilityTimeout: Duration.seconds(number('Visibility')) },
      },
    });
    taskgate.schedule('sync', 'rate(1 hour)', { retryAttempts: number('RuleRetries'), maxEventAge: Duration.seconds(number('RuleAge')) });
    taskgate.schedule('sync', 'cron(0 9 * * ? *)', {
      timeZone: 'Europe/Berlin',
      flexibleWindow: number('FlexWindow'),
      retryAttempts: number('Retries'),
      maxEventAge: Duration.seconds(number('EventAge')),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: ref('BatchSize'),
      MaximumBatchingWindowInSeconds: ref('Window'),
      ScalingConfig: { MaximumConcurrency: ref('Concurrency') },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: ref('Concurrency'),
      MemorySize: ref('Memory'),
      Environment: { Variables: Match.objectLike({ [WORKER_ENV.gate]: 'api', [WORKER_ENV.retentionDays]: ref('Retention') }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: ref('Timeout'), Environment: { Variables: Match.objectLike({ [WORKER_ENV.gate]: 'serial' }) } });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: ref('Visibility'), FifoQueue: true });
    template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: ref('Receives') }) });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: ref('MaxAge') });
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: ref('RuleRetries'), MaximumEventAgeInSeconds: ref('RuleAge') } })],
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: ref('FlexWindow') },
      Target: Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: ref('Retries'), MaximumEventAgeInSeconds: ref('EventAge') } }),
    });
  });

  it('a worker timeout from a parameter needs an explicit visibility timeout: CloudFormation cannot compute 6 x timeout', () => {
    const { stack, number } = parameterStack();
    expect(
      () => new Taskgate(stack, 'Taskgate', { tasks: [fixtureTask('sync', 'api')], taskModule: FIXTURE_TASK_MODULE, gates: { api: { timeout: Duration.seconds(number('Timeout')) } } }),
    ).toThrow('gate api: the worker timeout is known only at deployment, so the visibility timeout (at least 6 x the worker timeout + batching window) cannot be derived; give visibilityTimeout');
  });
});
