import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { Taskgate, type TaskgateProps } from '../src/cdk/taskgate';
import { type AnyTask } from '../src/core/task';
import { METADATA_KEYS } from '../src/core/outputs';
import { fixtureTask, FIXTURE_TASK_MODULE } from './helpers/apps';
import { evaluate } from './helpers/cfn';
import { testApp } from './helpers/synth';

type Props = Omit<TaskgateProps<AnyTask>, 'taskModule'>;
const FIRST: Props = { tasks: [fixtureTask('sweep'), fixtureTask('sync', 'api')], gates: { api: { concurrency: 3 } } };
const ORDERS: Props = { name: 'orders', tasks: [fixtureTask('sweep'), fixtureTask('ship', 'api')], gates: { api: { concurrency: 1 } } };

function taskgate(scope: Construct, id: string, props: Props): Taskgate<AnyTask> {
  return new Taskgate(scope, id, { ...props, taskModule: FIXTURE_TASK_MODULE });
}

/** Stack `Shop`: the first Taskgate with an hourly sweep, then whatever `more` adds. */
function shop(more: (stack: Stack) => void = () => undefined): { stack: Stack; template: Template } {
  const stack = new Stack(testApp(), 'Shop');
  taskgate(stack, 'Taskgate', FIRST).schedule('sweep', 'rate(1 hour)');
  more(stack);
  return { stack, template: Template.fromStack(stack) };
}

function addOrders(stack: Stack, props: Partial<Props> = {}): Taskgate<AnyTask> {
  const orders = taskgate(stack, 'Orders', { ...ORDERS, ...props });
  orders.schedule('sweep', 'rate(1 hour)');
  orders.schedule('ship', 'cron(0 9 * * ? *)', { timeZone: 'Europe/Berlin' });
  return orders;
}

/** The physical names of a template's queues and rules, and its output keys. */
function names(template: Template): { queues: string[]; rules: string[]; outputs: string[] } {
  const property = (type: string, name: string) => Object.values(template.findResources(type)).map((r) => r.Properties[name] as string).sort();
  return { queues: property('AWS::SQS::Queue', 'QueueName').filter(Boolean), rules: property('AWS::Events::Rule', 'Name'), outputs: Object.keys(template.findOutputs('*')).sort() };
}

describe('two Taskgates in one stack', () => {
  const alone = shop().template.toJSON();
  const { template } = shop((stack) => addOrders(stack));
  const both = template.toJSON();

  it("leave the first Taskgate's resources and outputs exactly as a stack with it alone has them", () => {
    for (const [id, resource] of Object.entries(alone.Resources)) expect(both.Resources[id], id).toEqual(resource);
    for (const [key, output] of Object.entries(alone.Outputs)) expect(both.Outputs[key], key).toEqual(output);
    expect(names(Template.fromJSON(alone))).toEqual({
      queues: ['Shop-api', 'Shop-api-dlq', 'Shop-default', 'Shop-default-dlq'],
      rules: ['Shop-sweep'],
      outputs: [
        'TaskgateDashboard',
        'TaskgateDynamicScheduleGroup',
        'TaskgateDynamicScheduleRoleArn',
        'TaskgateGateApiDeadLetterQueueUrl',
        'TaskgateGateApiQueueUrl',
        'TaskgateGateDefaultDeadLetterQueueUrl',
        'TaskgateGateDefaultQueueUrl',
        'TaskgateLedgerTable',
        'TaskgateOnceScheduleRoleArn',
        'TaskgateOperatorPolicyArn',
        'TaskgateScheduleDeadLetterQueueUrl',
        'TaskgateScheduleGroup',
      ],
    });
  });

  it("name the second's queues, rules, outputs and Scheduler roles after it", () => {
    const { queues, rules, outputs } = names(template);
    expect(queues.filter((name) => !name.startsWith('Shop-api') && !name.startsWith('Shop-default'))).toEqual([
      'Shop-orders-api-dlq.fifo',
      'Shop-orders-api.fifo',
      'Shop-orders-default',
      'Shop-orders-default-dlq',
    ]);
    expect(rules).toEqual(['Shop-orders-sweep', 'Shop-sweep']);
    expect(outputs.filter((key) => key.startsWith('TaskgateOrders'))).toEqual([
      'TaskgateOrdersDashboard',
      'TaskgateOrdersDynamicScheduleGroup',
      'TaskgateOrdersDynamicScheduleRoleArn',
      'TaskgateOrdersGateApiDeadLetterQueueUrl',
      'TaskgateOrdersGateApiQueueUrl',
      'TaskgateOrdersGateDefaultDeadLetterQueueUrl',
      'TaskgateOrdersGateDefaultQueueUrl',
      'TaskgateOrdersLedgerTable',
      'TaskgateOrdersOnceScheduleRoleArn',
      'TaskgateOrdersOperatorPolicyArn',
      'TaskgateOrdersScheduleDeadLetterQueueUrl',
      'TaskgateOrdersScheduleGroup',
    ]);
    expect(outputs).toHaveLength(24);
    const paths = Object.values(template.findResources('AWS::IAM::Role')).map((role) => role.Properties.Path).filter(Boolean);
    expect([...new Set(paths)].sort()).toEqual(['/taskgate/Shop/', '/taskgate/Shop/orders/']);
  });

  it("scope the second's operator policy to its own rules and roles", () => {
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    const orders = policies.find((policy) => String(policy.Properties.Description).includes('Taskgate orders'))!;
    const resources = (sid: string) =>
      (orders.Properties.PolicyDocument.Statement as Array<{ Sid: string; Resource: unknown }>).filter((s) => s.Sid === sid).flatMap((s) => [s.Resource].flat().map(evaluate));
    expect(resources('PauseRules')).toEqual([expect.stringMatching(/:rule\/Shop-orders-\*$/)]);
    expect(resources('PassSchedulerRoles')).toEqual([expect.stringMatching(/:role\/taskgate\/Shop\/orders\/\*$/)]);
  });

  it('tag each resource with its Taskgate, for the CLI and the embedded runtime', () => {
    const tagged = (type: string) =>
      Object.values(template.findResources(type))
        .map((resource) => JSON.stringify(resource.Metadata?.[METADATA_KEYS.taskgate]))
        .sort();
    const [first, orders] = ['{"name":"Taskgate","default":true}', '{"name":"orders","default":false}'];
    expect(tagged('AWS::SQS::Queue')).toEqual([...Array(5).fill(first), ...Array(5).fill(orders)]);
    expect(tagged('AWS::Lambda::Function')).toEqual([first, first, orders, orders]);
    expect(tagged('AWS::Events::Rule')).toEqual([first, orders]);
    expect(tagged('AWS::Scheduler::Schedule')).toEqual([orders]);
    expect(tagged('AWS::DynamoDB::Table')).toEqual([first, orders]);
  });

  it('name a second Taskgate without `name` by its construct id', () => {
    const { queues, outputs } = names(shop((stack) => taskgate(stack, 'Billing', { tasks: [fixtureTask('invoice')] })).template);
    expect(queues).toContain('Shop-Billing-default');
    expect(outputs).toContain('TaskgateBillingLedgerTable');
  });
});

describe('Taskgates whose names would meet', () => {
  it('two of one name', () => {
    expect(() => shop((stack) => taskgate(new Construct(stack, 'Team'), 'Taskgate', { tasks: [fixtureTask('xx')] }))).toThrow(
      'Taskgate Shop/Team/Taskgate and Taskgate Shop/Taskgate would both be named Taskgate; give one of them another `name`',
    );
  });

  it('an output key: orders and Orders', () => {
    expect(() => shop((stack) => (addOrders(stack), taskgate(stack, 'Orders2', { name: 'Orders', tasks: [fixtureTask('xx')] })))).toThrow(
      'Taskgate Shop/Orders2 and Taskgate Shop/Orders would both write output TaskgateOrdersGateDefaultQueueUrl;',
    );
  });

  it("a queue name: the first's gate orders-default and orders' gate default", () => {
    const stack = new Stack(testApp(), 'Shop');
    taskgate(stack, 'Taskgate', { tasks: [fixtureTask('yy', 'orders-default')], gates: { 'orders-default': {} } });
    expect(() => taskgate(stack, 'Orders', { name: 'orders', tasks: [fixtureTask('xx')] })).toThrow(
      'Taskgate Shop/Orders and Taskgate Shop/Taskgate would both name queue Shop-orders-default;',
    );
  });

  it("a rule name: the first's schedule orders-sweep and orders' schedule sweep", () => {
    const stack = new Stack(testApp(), 'Shop');
    taskgate(stack, 'Taskgate', FIRST).schedule('sweep', 'rate(1 hour)', { name: 'orders-sweep' });
    expect(() => addOrders(stack)).toThrow('Taskgate Shop/Orders and Taskgate Shop/Taskgate would both name rule Shop-orders-sweep;');
  });

  it('a name that cannot name resources, given or taken from the construct id', () => {
    expect(() => shop((stack) => taskgate(stack, 'Orders', { ...ORDERS, name: 'orders_eu' }))).toThrow(
      'Taskgate Shop/Orders: name "orders_eu" cannot name its resources: use a letter, then letters, digits and hyphens, 20 characters at most',
    );
    expect(() => shop((stack) => taskgate(stack, 'Orders EU', { tasks: [fixtureTask('xx')] }))).toThrow(/^Taskgate Shop\/Orders EU: its construct id .* "Orders EU" cannot name its resources/);
  });
});
