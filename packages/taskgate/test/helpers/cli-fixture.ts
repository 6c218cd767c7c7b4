import * as path from 'node:path';
import { DeleteMessageCommand, GetQueueAttributesCommand, type Message, PurgeQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, beforeEach, expect, vi } from 'vitest';
import { LEDGER_SCHEMA } from '../../src/worker/ledger/record';
import { CliFixtureStack } from '../fixtures/app/cli-stack';
import { RuntimeClock } from '../../src/local/clock';
import { OnceSchedules } from '../../src/local/once-schedules';
import { startFakeControl, type FakeSchedule } from './fake-control';
import { startLocalAws, type LocalAws } from './local-aws';
import { runCli, type CliResult } from './run-cli';

const SCHEDULES: readonly FakeSchedule[] = [
  { name: 'cleanup-stray-instances', task: 'cleanup-stray-instances', kind: 'rule', expression: 'rate(1 hour)', timeZone: 'UTC', enabled: true, next: null },
  { name: 'send-delivery-reminders', task: 'send-delivery-reminders', kind: 'schedule', expression: 'cron(0 9 * * ? *)', timeZone: 'Europe/Berlin', enabled: true, next: null },
];

/**
 * The CLI's world for a test file: real embedded SQS (fauxqs) and DynamoDB (dynalite) servers with
 * the CLI fixture app's gates and a ledger table, a fake control API with the runtime's real Scheduler
 * API for one-time schedules, and a .taskgate/local.json pointing at them, as `npm start` writes it.
 * Before each test the queues are purged, the ledger emptied and the schedules enabled, so every
 * test sets up what it needs and passes alone (`vitest -t`) as well as in any order.
 */
export class CliFixture {
  aws!: LocalAws;
  control!: Awaited<ReturnType<typeof startFakeControl>>;
  /** The runtime's one-time schedules, behind the control's Scheduler API; speed 1, so none fires during the tests. */
  once!: OnceSchedules;
  /** The control API's schedules, which `pause`/`resume` change. */
  readonly schedules: FakeSchedule[] = SCHEDULES.map((schedule) => ({ ...schedule }));

  /** Runs `taskgate ARGS` in the directory of local.json. */
  cli(...args: string[]): Promise<CliResult> {
    return runCli(args, { cwd: this.aws.dir });
  }

  async start(): Promise<void> {
    this.control = await startFakeControl(this.schedules, () => this.once, [
      { name: 'default', stalled: 0 },
      { name: 'email-api', stalled: 0 },
      { name: 'rates-api', stalled: 0 },
    ]);
    this.aws = await startLocalAws({
      gates: { default: 5, 'email-api': 2, 'rates-api': 1 },
      tasks: { 'cleanup-stray-instances': 'default', 'send-delivery-reminders': 'email-api', 'refresh-exchange-rates': 'rates-api' },
      ui: this.control.url,
      token: this.control.token,
    });
    const queues = new Map<string, { name: string; url: string; fifo: boolean }>();
    for (const gate of Object.values(this.aws.config.gates)) {
      const { Attributes } = await this.aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: gate.queueUrl, AttributeNames: ['QueueArn'] }));
      queues.set(Attributes!.QueueArn!, { name: gate.queueUrl.split('/').pop()!, url: gate.queueUrl, fifo: gate.queueUrl.endsWith('.fifo') });
    }
    this.once = new OnceSchedules({
      region: 'us-east-1',
      accountId: '000000000000',
      clock: new RuntimeClock(1),
      groups: () => [],
      queue: (arn) => queues.get(arn),
      queueArns: () => [...queues.keys()],
      send: () => Promise.reject(new Error('no one-time schedule fires in these tests')),
      onFire: () => undefined,
      onError: () => undefined,
    });
    // The embedded runtime keeps its synthesized app next to local.json; the CLI learns the tasks
    // and schedules from its templates' metadata there.
    const app = new App({ outdir: path.join(this.aws.dir, '.taskgate', 'cdk.out'), context: { 'aws:cdk:bundling-stacks': [] } });
    new CliFixtureStack(app, 'Taskgate');
    app.synth();
  }

  /** Empty queues and DLQs, an empty ledger, every schedule enabled. */
  async reset(): Promise<void> {
    const urls = Object.values(this.aws.config.gates).flatMap((gate) => [gate.queueUrl, gate.dlqUrl]);
    await Promise.all(urls.map((url) => this.aws.sqs.send(new PurgeQueueCommand({ QueueUrl: url }))));
    const { Items = [] } = await this.aws.dynamodb.send(new ScanCommand({ TableName: this.aws.config.ledgerTable, ProjectionExpression: LEDGER_SCHEMA.partitionKey }));
    for (const item of Items) await this.aws.dynamodb.send(new DeleteCommand({ TableName: this.aws.config.ledgerTable, Key: item }));
    for (const [index, schedule] of this.schedules.entries()) Object.assign(schedule, SCHEDULES[index]);
  }

  async stop(): Promise<void> {
    this.once?.stop();
    await this.aws?.close();
    await this.control?.close();
  }

  /** Receives and deletes every visible message of a queue. */
  async drain(queueUrl: string): Promise<Message[]> {
    const messages: Message[] = [];
    for (;;) {
      const { Messages = [] } = await this.aws.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 300, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
      );
      if (Messages.length === 0) return messages;
      messages.push(...Messages);
      // Deleting frees a FIFO group for the next receive.
      for (const message of Messages) await this.aws.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
}

/** A CliFixture started for the test file, reset before each test. */
export function useCliFixture(): CliFixture {
  // A test runs the CLI up to eight times, each a tsx subprocess of 1-4 s on two busy cores.
  vi.setConfig({ testTimeout: 90_000 });
  const fixture = new CliFixture();
  beforeAll(() => fixture.start());
  afterAll(() => fixture.stop());
  beforeEach(() => fixture.reset());
  return fixture;
}

export function expectOneLineError(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^taskgate: /);
  expect(lines[0]).toMatch(pattern);
}

export const json = <T>(stdout: string): T => JSON.parse(stdout) as T;
