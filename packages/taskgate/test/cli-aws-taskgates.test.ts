import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { DisableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../src/cli/program';
import { CliError } from '../src/cli/errors';
import { resolveTarget } from '../src/cli/target';
import { METADATA_KEYS } from '../src/core/outputs';
import { CliFixtureStack } from './fixtures/app/cli-stack';
import { templateOf, testApp } from './helpers/synth';

// `--stack` on a stack of two Taskgates (the CLI fixture stack with `second`), against
// aws-sdk-client-mock: each output's value names its key, so a call shows which output it came from.
const cloudformation = mockClient(CloudFormationClient);
const sqs = mockClient(SQSClient);
const events = mockClient(EventBridgeClient);

type Resources = Record<string, { Type: string; Metadata?: Record<string, unknown> }>;
const template = templateOf(new CliFixtureStack(testApp(), 'Shop', { second: true })).toJSON() as { Resources: Resources; Outputs: Record<string, unknown> };
const url = (key: string) => `https://sqs.eu-west-1.amazonaws.com/123456789012/${key}`;
const outputs = Object.keys(template.Outputs).map((key) => ({ OutputKey: key, OutputValue: key.endsWith('QueueUrl') ? url(key) : `value-of-${key}` }));
/** The rule of Taskgate `taskgate` named `schedule`. */
const ruleOf = (taskgate: string, schedule: string) =>
  Object.keys(template.Resources).find((id) => {
    const { Type, Metadata = {} } = template.Resources[id]!;
    return Type === 'AWS::Events::Rule' && Metadata[METADATA_KEYS.schedule] === schedule && (Metadata[METADATA_KEYS.taskgate] as { name: string }).name === taskgate;
  })!;

beforeEach(() => {
  for (const mock of [cloudformation, sqs, events]) mock.reset();
  cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Shop', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: outputs }] });
  cloudformation.on(GetTemplateCommand).resolves({ TemplateBody: JSON.stringify(template) });
  cloudformation.on(ListStackResourcesCommand).resolves({
    StackResourceSummaries: Object.keys(template.Resources).map((id) => ({ LogicalResourceId: id, PhysicalResourceId: `physical-${id}`, ResourceType: 'x', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date() })),
  });
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' } });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});
afterEach(() => vi.restoreAllMocks());

async function run(...args: string[]): Promise<string> {
  const output: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => void output.push(String(line)));
  await buildProgram().parseAsync(['node', 'taskgate', ...args, '--stack', 'Shop', '--region', 'eu-west-1']);
  return output.join('\n');
}

describe('--stack of two Taskgates', () => {
  it('asks which Taskgate, listing them, when none is named; and names the closest to a typo', async () => {
    await expect(resolveTarget({ stack: 'Shop', region: 'eu-west-1' })).rejects.toThrow(
      new CliError('stack Shop has several Taskgates: Taskgate, second; say which with --taskgate NAME (or TASKGATE_NAME)'),
    );
    await expect(resolveTarget({ stack: 'Shop', region: 'eu-west-1', taskgate: 'Second' })).rejects.toThrow(
      new CliError('no Taskgate named "Second" in stack Shop (did you mean "second"?); its Taskgates: Taskgate, second'),
    );
  });

  it("finds each Taskgate's gates, tasks and ledger from its own outputs", async () => {
    const first = await resolveTarget({ stack: 'Shop', region: 'eu-west-1', taskgate: 'Taskgate' });
    expect([...first.gates.keys()]).toEqual(['default', 'email-api', 'rates-api']);
    expect(first.gate('default').queueUrl).toBe(url('TaskgateGateDefaultQueueUrl'));
    expect(first.ledgerTable()).toBe('value-of-TaskgateLedgerTable');
    vi.stubEnv('TASKGATE_NAME', 'second');
    const second = await resolveTarget({ stack: 'Shop', region: 'eu-west-1' });
    vi.unstubAllEnvs();
    expect([...second.gates.values()]).toEqual([{ name: 'default', queueUrl: url('TaskgateSecondGateDefaultQueueUrl'), dlqUrl: url('TaskgateSecondGateDefaultDeadLetterQueueUrl'), concurrency: 2, maxMessageAgeSeconds: 900 }]);
    expect(second.registry.all().map((task) => task.name)).toEqual(['second-echo']);
    expect(second.ledgerTable()).toBe('value-of-TaskgateSecondLedgerTable');
    expect(second.onceScheduling()).toMatchObject({ roleArn: 'value-of-TaskgateSecondOnceScheduleRoleArn', group: 'value-of-TaskgateSecondScheduleGroup' });
  });

  it("triggers into the named Taskgate's queue, and pauses its rule, not the other's of the same name", async () => {
    expect(await run('trigger', 'second-echo', '--taskgate', 'second', '--id', 'two-1')).toContain('sent second-echo to gate default: run id two-1');
    expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.QueueUrl).toBe(url('TaskgateSecondGateDefaultQueueUrl'));
    await run('pause', 'cleanup-stray-instances', '--taskgate', 'second');
    await run('pause', 'cleanup-stray-instances', '--taskgate', 'Taskgate');
    expect(events.commandCalls(DisableRuleCommand).map((call) => call.args[0].input.Name)).toEqual([
      `physical-${ruleOf('second', 'cleanup-stray-instances')}`,
      `physical-${ruleOf('Taskgate', 'cleanup-stray-instances')}`,
    ]);
  });
});
