import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { Gate, type GateOptions } from '../src/cdk/gate';
import { WORKER_NODE_FLAGS } from '../src/cdk/worker-bundling';
import { METADATA_KEYS } from '../src/core/outputs';
import { FIXTURE_WORKER_ENTRY, fixtureTask } from './helpers/apps';
import { testApp } from './helpers/synth';

function gateTemplate(options: GateOptions, tasks = [fixtureTask('one', 'api', { timeout: 100 })]): Template {
  const stack = new Stack(testApp(), 'Gates');
  new Gate(stack, 'Gate', { gateName: 'api', tasks, workerEntry: FIXTURE_WORKER_ENTRY, ...options });
  return Template.fromStack(stack);
}

function gateError(options: GateOptions, tasks = [fixtureTask('one', 'api', { timeout: 100 })]): string {
  try {
    gateTemplate(options, tasks);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the gate to be rejected');
}

describe('Gate', () => {
  it('of concurrency 2+ is a standard queue throttled by maxConcurrency and capped by reserved concurrency', () => {
    const template = gateTemplate({ concurrency: 4, batchSize: 3, maxBatchingWindow: Duration.seconds(20) });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 3,
      MaximumBatchingWindowInSeconds: 20,
      ScalingConfig: { MaximumConcurrency: 4 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 4, Timeout: 110 });
    // 6 x 110 s + 20 s batching window.
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 680, QueueName: 'Gates-api', FifoQueue: Match.absent() });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'Gates-api-dlq', MessageRetentionPeriod: 1_209_600 });
  });

  it('of concurrency 1 is a FIFO queue and FIFO DLQ with content-based dedup, reserved concurrency 1 and no maxConcurrency', () => {
    const template = gateTemplate({ concurrency: 1 });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'Gates-api.fifo',
      FifoQueue: true,
      ContentBasedDeduplication: true,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'Gates-api-dlq.fifo', FifoQueue: true, ContentBasedDeduplication: true });
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 1 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: Match.absent(), BatchSize: 1 });
  });

  it('sizes a FIFO worker for its batch run one record after another', () => {
    // fixture task timeout 100 s: a FIFO batch of 3 takes up to 300 s, plus the worker's 10 s.
    const template = gateTemplate({ concurrency: 1, batchSize: 3 });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 310 });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'Gates-api.fifo', VisibilityTimeout: 1860 });
  });

  it('encrypts both queues, denies non-TLS access and tags queues and worker with the gate', () => {
    const template = gateTemplate({});
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(2);
    for (const queue of Object.values(queues)) {
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      expect(queue.Metadata[METADATA_KEYS.gate]).toBe('api');
    }
    const policies = template.findResources('AWS::SQS::QueuePolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fn!.Metadata[METADATA_KEYS.gate]).toBe('api');
  });

  it("gives the worker its own role that writes only its log group, with Powertools' metric namespace", () => {
    const template = gateTemplate({ memorySize: 512 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      // No NODE_OPTIONS: the worker maps stack traces itself, lazily (WORKER_NODE_FLAGS is empty; the cold-start benchmark runs with the same).
      Environment: { Variables: Match.objectLike({ TASKGATE_GATE: 'api', POWERTOOLS_METRICS_NAMESPACE: 'Taskgate', POWERTOOLS_SERVICE_NAME: 'taskgate', NODE_OPTIONS: Match.absent() }) },
    });
    expect(WORKER_NODE_FLAGS).toEqual([]);
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('WorkerLogs'), 'Arn'] } }),
        ]),
      },
    });
  });

  it('takes maxReceiveCount from the largest retry.maxAttempts of its tasks', () => {
    const template = gateTemplate({}, [fixtureTask('one', 'api', { maxAttempts: 3 }), fixtureTask('two', 'api', { maxAttempts: 8 })]);
    template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: 8 }) });
  });

  describe('sizing and option checks name the gate, the rule and the fix', () => {
    it.each<[string, GateOptions, string]>([
      ['concurrency 0', { concurrency: 0 }, 'gate api: concurrency must be between 1 and 1000 (given 0)'],
      ['batch size 11', { batchSize: 11 }, 'gate api: batchSize must be between 1 and 10 (given 11)'],
      ['maxReceiveCount 4', { maxReceiveCount: 4 }, 'gate api: maxReceiveCount must be between 5 and 1000 (given 4)'],
      ['memory 64', { memorySize: 64 }, 'gate api: memorySize must be between 128 and 10240 (given 64)'],
      ['batching window 301 s', { maxBatchingWindow: Duration.seconds(301) }, 'gate api: maxBatchingWindow (seconds) must be between 0 and 300 (given 301)'],
      [
        'a batching window on a FIFO gate',
        { concurrency: 1, maxBatchingWindow: Duration.seconds(5) },
        'gate api: concurrency 1 makes the gate a FIFO queue, and Lambda has no batching window on FIFO queues; remove maxBatchingWindow or raise concurrency to 2',
      ],
      [
        'a FIFO batch that cannot finish within Lambda’s 900 s',
        { concurrency: 1, batchSize: 10 },
        'gate api: a FIFO batch of 10 runs one after another, up to 10 x 100s (task one) = 1000s, above Lambda\'s 900s; lower batchSize to 8',
      ],
      [
        'a function timeout below the longest task',
        { timeout: Duration.seconds(90) },
        "gate api: the worker timeout 90s is shorter than task one's timeout 100s; raise the gate's timeout to at least 100s or shorten the task's",
      ],
      [
        'a visibility timeout below 6 x function timeout + window',
        { visibilityTimeout: Duration.seconds(600), maxBatchingWindow: Duration.seconds(10) },
        'gate api: visibilityTimeout 600s is below 6 x the worker timeout 110s + batching window 10s = 670s; raise visibilityTimeout to at least 670s or leave it unset',
      ],
      ['an alarm age under a minute', { maxMessageAge: Duration.seconds(30) }, 'gate api: maxMessageAge (seconds) must be between 60 and 1209600 (given 30)'],
    ])('rejects %s', (_case, options, message) => {
      expect(gateError(options)).toBe(message);
    });

    it('rejects a visibility timeout above SQS’s 12 hours', () => {
      expect(gateError({ timeout: Duration.seconds(900), maxBatchingWindow: Duration.seconds(300), visibilityTimeout: Duration.hours(13) })).toBe(
        "gate api: visibility timeout 46800s is above SQS's 43200s (it must be at least 6 x the worker timeout 900s + batching window 300s = 5700s); lower visibilityTimeout",
      );
    });

    it('accepts an explicit visibility timeout above the minimum', () => {
      gateTemplate({ visibilityTimeout: Duration.seconds(700) }).hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 700 });
    });

    it('rejects a gate without tasks', () => {
      expect(gateError({}, [])).toBe("gate api has no tasks; give a task `gate: 'api'` or remove the gate");
    });
  });
});
