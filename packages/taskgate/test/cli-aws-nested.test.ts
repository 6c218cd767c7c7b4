import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { GetScheduleCommand, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type NestedStack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../src/cli/program';
import { resolveTarget } from '../src/cli/target';
import { fixtureTask, taskgateStack } from './helpers/apps';
import { testApp } from './helpers/synth';

// `--stack` on a Taskgate in nested stacks (`nestedStacks: true`), against aws-sdk-client-mock: the
// CLI reads each gate's nested stack (its template and resources) and derives the gates' queue URLs
// from their names, as the app stack's outputs do not list them.
const cloudformation = mockClient(CloudFormationClient);
const sqs = mockClient(SQSClient);
const scheduler = mockClient(SchedulerClient);

const { stack, taskgate } = taskgateStack(testApp(), { tasks: [fixtureTask('sweep'), fixtureTask('sync', 'api')], gates: { api: { concurrency: 1 } }, nestedStacks: true }, 'Shop');
taskgate.schedule('sweep', 'rate(1 hour)');
taskgate.schedule('sync', 'cron(0 9 * * ? *)', { name: 'morning-sync' });
const root = Template.fromStack(stack).toJSON() as { Resources: Record<string, unknown>; Outputs: Record<string, unknown> };
const stackArn = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Shop/0f6c7b80-1111-2222-3333-444455556666';
/** Each gate's nested stack: its logical id in the app stack, its ARN once deployed, its template. */
const nested = [...taskgate.gates.values()].map((gate) => {
  const nestedStack = gate.node.scope as NestedStack;
  const id = stack.resolve(nestedStack.nestedStackResource!.logicalId) as string;
  return { id, arn: `arn:aws:cloudformation:eu-west-1:123456789012:stack/Shop-${id}-ABC/1111`, template: Template.fromStack(nestedStack).toJSON() as { Resources: Record<string, unknown> } };
});
const summaries = (resources: Record<string, unknown>, physical: (id: string) => string) =>
  Object.keys(resources).map((id) => ({ LogicalResourceId: id, PhysicalResourceId: physical(id), ResourceType: 'x', ResourceStatus: 'CREATE_COMPLETE' as const, LastUpdatedTimestamp: new Date() }));

beforeEach(() => {
  for (const mock of [cloudformation, sqs, scheduler]) mock.reset();
  const outputs = Object.keys(root.Outputs).map((key) => ({ OutputKey: key, OutputValue: `value-of-${key}` }));
  cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Shop', StackId: stackArn, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: outputs }] });
  cloudformation.on(GetTemplateCommand, { StackName: 'Shop' }).resolves({ TemplateBody: JSON.stringify(root) });
  cloudformation.on(ListStackResourcesCommand, { StackName: 'Shop' }).resolves({ StackResourceSummaries: summaries(root.Resources, (id) => nested.find((n) => n.id === id)?.arn ?? `physical-${id}`) });
  for (const { arn, template } of nested) {
    cloudformation.on(GetTemplateCommand, { StackName: arn }).resolves({ TemplateBody: JSON.stringify(template) });
    cloudformation.on(ListStackResourcesCommand, { StackName: arn }).resolves({ StackResourceSummaries: summaries(template.Resources, (id) => `physical-${id}`) });
  }
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' } });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  scheduler.on(GetScheduleCommand).resolves({ Name: 'x', State: 'ENABLED', ScheduleExpression: 'cron(0 9 * * ? *)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: 'a', RoleArn: 'r' } });
});
afterEach(() => vi.restoreAllMocks());

async function run(...args: string[]): Promise<string> {
  const output: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => void output.push(String(line)));
  await buildProgram().parseAsync(['node', 'taskgate', ...args, '--stack', 'Shop', '--region', 'eu-west-1']);
  return output.join('\n');
}

describe('--stack of a Taskgate in nested stacks', () => {
  it("finds the gates and tasks in the nested templates and derives each gate's queue URLs from its queue names", async () => {
    const target = await resolveTarget({ stack: 'Shop', region: 'eu-west-1' });
    expect([...target.gates.keys()].sort()).toEqual(['api', 'default']);
    expect(target.gate('api')).toMatchObject({
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Shop-api.fifo',
      dlqUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Shop-api-dlq.fifo',
      concurrency: 1,
      maxMessageAgeSeconds: 900,
    });
    expect(target.registry.all().map((task) => task.name).sort()).toEqual(['sweep', 'sync']);
    expect(target.ledgerTable()).toBe('value-of-TaskgateLedgerTable');
  });

  it('triggers into the derived queue URL, and pauses a schedule of a nested stack by its physical name', async () => {
    expect(await run('trigger', 'sweep', '--id', 'one')).toContain('sent sweep to gate default: run id one');
    expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.QueueUrl).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/Shop-default');
    await run('pause', 'morning-sync');
    const api = nested.find((n) => JSON.stringify(n.template).includes('morning-sync'))!;
    const scheduleId = Object.keys(api.template.Resources).find((id) => JSON.stringify(api.template.Resources[id]).includes('"taskgate:schedule":"morning-sync"'))!;
    expect(scheduler.commandCalls(GetScheduleCommand).map((call) => call.args[0].input.Name)).toEqual([`physical-${scheduleId}`]);
    expect(scheduler.commandCalls(UpdateScheduleCommand).map((call) => call.args[0].input.State)).toEqual(['DISABLED']);
  });
});
